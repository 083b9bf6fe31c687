/**
 * The SQLite store, opened before the rest of the server has loaded. Its
 * two threads (the store's worker and its checkpointer) load their own
 * copies of the store's modules and open the file: about 0.2 s of CPU
 * that the main thread used to wait for, idle, after loading its own
 * modules (0.4-0.6 s). Started by the entry (main.ts, the release entry)
 * before it imports the server, both load at once on a machine with two
 * cores (docs/performance.md, "Start-up, in parallel").
 *
 * Light on purpose: this module and its imports load before the threads
 * can start, so nothing here may pull in the server's heavy modules.
 */
import { readCommandLine } from "./command_line.ts";
import { type Config, DEFAULT_CONFIG } from "./config.ts";
import { nameKey } from "./protocol/names.ts";
import { GENERAL_ROOM } from "./protocol/types.ts";
import { BACKGROUND_CHECKPOINTS } from "./store/checkpoints.ts";
import type { Store } from "./store/mod.ts";
import type { SqliteStoreOptions } from "./store/sqlite.ts";
import type { StoreSpec } from "./store/worker_protocol.ts";
import {
  openWorkerStore,
  storeThreadsAvailable,
} from "./store/worker_store.ts";

/** The rooms every store has (created at open when missing). */
export const PERMANENT_ROOMS = [{
  name: GENERAL_ROOM,
  key: nameKey(GENERAL_ROOM),
}];

/** A store whose opening began before the server loaded. */
export interface EarlyStore {
  /** What it was opened with. */
  spec: StoreSpec;
  /** Settles as {@link openWorkerStore} does. */
  store: Promise<Store>;
}

/**
 * The store on its own threads that this config asks for: SQLite with
 * `--db-thread on` where the build has the threads' modules;
 * undefined for PostgreSQL, `--db-thread off` and the one-file build.
 */
export function threadStoreSpec(
  config: Pick<
    Config,
    "databaseUrl" | "db" | "dbThread" | "dbBusyTimeoutMs" | "dbCommitWaitMs"
  >,
): StoreSpec | undefined {
  if (config.databaseUrl || !config.dbThread || !storeThreadsAvailable()) {
    return undefined;
  }
  return {
    kind: "sqlite",
    path: config.db,
    options: sqliteOptions(config, true),
  };
}

/**
 * The SQLite store's options for this config, whichever thread it runs on;
 * `checkpointThread` where the build can start the checkpointer's thread.
 */
export function sqliteOptions(
  config: Pick<Config, "dbBusyTimeoutMs" | "dbCommitWaitMs">,
  checkpointThread: boolean,
): SqliteStoreOptions {
  return {
    busyTimeoutMs: config.dbBusyTimeoutMs,
    commitWaitMs: config.dbCommitWaitMs,
    permanentRooms: PERMANENT_ROOMS,
    ...(checkpointThread
      ? { backgroundCheckpoints: BACKGROUND_CHECKPOINTS }
      // The one-file build starts no thread: the index is written here.
      : { searchIndex: { mode: "in_place" } }),
  };
}

/**
 * Starts opening the store these arguments will serve, when it runs on
 * threads; undefined for anything else (another command, `--help`, bad
 * flags: the program says so as before). A failure to open is kept for
 * the server, which reports it as it would have.
 */
export function openStoreEarly(
  args: string[],
  env: (name: string) => string | undefined,
): EarlyStore | undefined {
  let spec;
  try {
    const command = readCommandLine(args, env);
    if (command.run !== "server") return undefined;
    spec = threadStoreSpec({ ...DEFAULT_CONFIG, ...command.config });
  } catch {
    return undefined;
  }
  if (!spec) return undefined;
  const store = openWorkerStore(spec);
  // Awaited by the server; until then a failure must not count as
  // unhandled.
  store.catch(() => {});
  return { spec, store };
}
