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

/**
 * How long one check's answer stands for the requests that come after it.
 * Each check commits a write, on the event loop's thread with SQLite: a
 * flood of /healthz from anyone made a commit and an fsync each (237 a
 * second on a busy 2-core machine, the event loop held for each). With
 * this, at most ten checks a second, whatever comes; a load balancer that
 * asks every few seconds still gets a fresh check each time.
 */
const HEALTH_ANSWER_MS = 100;

/**
 * The store's health for /healthz and /metrics: requests that come while
 * a check runs share it, and its answer stands for 100 ms after it
 * settles.
 */
export function storeHealth(
  store: Pick<Store, "ping">,
  standsMs = HEALTH_ANSWER_MS,
): () => Promise<StoreHealth> {
  let last: { health: Promise<StoreHealth>; settledAt?: number } | undefined;
  return () => {
    if (
      last &&
      (last.settledAt === undefined ||
        performance.now() - last.settledAt < standsMs)
    ) {
      return last.health;
    }
    const check: NonNullable<typeof last> = {
      health: checkStore(store).finally(() => {
        check.settledAt = performance.now();
      }),
    };
    last = check;
    return check.health;
  };
}

/** Pings the store, waiting at most 10 s; a failure is logged. */
async function checkStore(store: Pick<Store, "ping">): Promise<
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
