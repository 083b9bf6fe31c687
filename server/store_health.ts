/**
 * Whether the store answers and can write, for /healthz (the load
 * balancer's question) and /metrics (the gauges an alert watches): one
 * check, so both say the same thing. Each check is a ping, which with
 * SQLite commits a one-row write (docs/protocol.md, "/healthz").
 */
import { storageProblem } from "./disk_errors.ts";
import { log } from "./log.ts";
import type { Store } from "./store/mod.ts";

const logger = log("http");

/**
 * How long a check waits for the store. A database frozen with its
 * connections open (SIGSTOP, a paused VM) never answers nor fails: the
 * check waited as long, so a load balancer saw a timeout and no reason.
 */
const HEALTH_WAIT_MS = 10_000;

/** What a check found. */
export interface StoreHealth {
  /** The store answered and wrote within the wait. */
  up: boolean;
  /** Why it cannot write, when it is the disk: full or read-only. */
  storage?: "full" | "read_only";
}

/** Pings the store, waiting at most 10 s; a failure is logged. */
export async function checkStore(store: Pick<Store, "ping">): Promise<
  StoreHealth
> {
  try {
    await withinHealthWait(store.ping());
    return { up: true };
  } catch (error) {
    logger.error("Health check failed: {error}", { error });
    const storage = storageProblem(error);
    return storage ? { up: false, storage } : { up: false };
  }
}

/** The ping's outcome, or a failure once {@link HEALTH_WAIT_MS} passed. */
async function withinHealthWait(ping: Promise<void>): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      ping,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(`The store did not answer in ${HEALTH_WAIT_MS} ms`),
            ),
          HEALTH_WAIT_MS,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
