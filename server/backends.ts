import type { Redis } from "ioredis";
import type { Throttle, ThrottleOptions } from "./accounts/login_throttle.ts";
import type { BucketsOptions, KeyedBuckets } from "./buckets/mod.ts";
import { MemoryBroker } from "./broker/memory.ts";
import type { Broker } from "./broker/mod.ts";
import type { Config } from "./config.ts";
import { DiskFileContents } from "./file_contents/disk.ts";
import {
  defaultFilesDir,
  filesInDatabase,
  openFileContents,
} from "./file_contents/open.ts";
import type { FileContents } from "./file_contents/mod.ts";
import { log } from "./log.ts";
import { MemoryPresence } from "./presence/memory.ts";
import type { PresenceManager } from "./presence/mod.ts";
import {
  type EarlyStore,
  PERMANENT_ROOMS,
  sqliteOptions,
  threadStoreSpec,
} from "./early_store.ts";
import type { RateLimitsMaker } from "./node.ts";
import type { RoomRegistry } from "./registry.ts";
import type { Store } from "./store/mod.ts";
import { SqliteStore } from "./store/sqlite.ts";
import {
  openWorkerStore,
  storeThreadsAvailable,
} from "./store/worker_store.ts";

const logger = log("backends");

/** The storage, fan-out and presence a node runs on. */
export interface Backends {
  store: Store;
  /** The bytes of shared files. */
  contents: FileContents;
  broker: Broker;
  presence: (registry: RoomRegistry) => PresenceManager;
  /** Login throttles shared by the nodes; unset: each process counts its own. */
  throttles?: (options: ThrottleOptions) => Throttle;
  /** Upload and webhook limits shared by the nodes; unset: each process counts its own. */
  buckets?: (options: BucketsOptions) => KeyedBuckets;
  /** Per-user and per-address limits shared by the nodes; unset: each counts its own. */
  rateLimits?: RateLimitsMaker;
  /** Where the data lives, for the log (never a password). */
  describe: string;
}

/**
 * The one place that chooses backends: SQLite (on a worker thread), files in a folder and
 * in-process fan-out by default; PostgreSQL with `databaseUrl` (files too,
 * unless `filesDir` names a folder); Redis fan-out, presence, login
 * throttles, the upload and webhook limits and the per-user and
 * per-address request limits with `redisUrl`. Nothing else knows which it got. `early` is
 * the store the entry began to open (early_store.ts), taken when it is the
 * one chosen; `tempDir`, where uploads to the database stage
 * (openFileContents).
 */
export async function openBackends(
  config: Config,
  nodeId: string,
  { early, tempDir }: { early?: EarlyStore; tempDir?: string } = {},
): Promise<Backends> {
  // The PostgreSQL and Redis modules load only when chosen: ioredis,
  // postgres and their dependencies take 0.2-0.3 s each to load, a large
  // part of a SQLite node's start-up (docs/performance.md).
  const store = config.databaseUrl
    ? await (await import("./store/postgres.ts")).PostgresStore.open(
      config.databaseUrl,
      { permanentRooms: PERMANENT_ROOMS },
    )
    : await openSqlite(config, early);
  const contents = await openFileContents(config, { tempDir });
  if (contents instanceof DiskFileContents) {
    await contents.ready().catch(async (error) => {
      await store.close();
      throw error;
    });
  }
  if (filesInDatabase(config)) await warnOfOldFilesDir(config.db, contents);
  const describe = `${
    config.databaseUrl
      ? `PostgreSQL at ${hostOf(config.databaseUrl)}`
      : `SQLite ${config.db}`
  }, files in ${contents.describe}`;
  if (!config.redisUrl) {
    return {
      store,
      contents,
      broker: new MemoryBroker(),
      presence: (registry) => new MemoryPresence(registry),
      describe,
    };
  }
  const [
    { Redis },
    { RedisBroker },
    { RedisPresence },
    { RedisThrottle },
    { RedisBuckets },
    { RedisRateLimits },
  ] = await Promise.all([
    import("ioredis"),
    import("./broker/redis.ts"),
    import("./presence/redis.ts"),
    import("./accounts/redis_throttle.ts"),
    import("./buckets/redis.ts"),
    import("./buckets/redis_rate_limits.ts"),
  ]);
  const publisher = connectRedis(Redis, config.redisUrl, "publisher");
  const subscriber = connectRedis(Redis, config.redisUrl, "subscriber");
  const broker = new RedisBroker({ nodeId, publisher, subscriber });
  await broker.start();
  return {
    store,
    contents,
    broker,
    presence: (registry) =>
      new RedisPresence(publisher, {
        nodeId,
        fallback: new MemoryPresence(registry),
        ttlMs: config.presenceTtlSeconds * 1000,
        hearing: () => broker.hearing(),
      }),
    throttles: (options) => new RedisThrottle(publisher, options),
    buckets: (options) => new RedisBuckets(publisher, options),
    rateLimits: (name, specs) =>
      new RedisRateLimits(publisher, { name, specs }),
    describe: `${describe}, Redis at ${
      hostOf(config.redisUrl)
    } (node ${nodeId})`,
  };
}

// SQLite's WAL checkpoints (and their fsyncs) always run on a thread of
// their own; with `--db-thread on` the connection and its commits do too,
// so no write of the store ever holds up the sockets (docs/performance.md).
// Either way the threads have loaded and started before the server listens:
// a thread started later could find no file descriptor left to load with.
// The one-file build cannot start threads from files (it has none beside
// it): there SQLite and its checkpoints run on the main thread, as with
// `--db-thread off` before background checkpoints existed.
async function openSqlite(
  config: Config,
  early?: EarlyStore,
): Promise<Store> {
  const spec = threadStoreSpec(config);
  if (spec) {
    if (!early) return await openWorkerStore(spec);
    if (JSON.stringify(early.spec) === JSON.stringify(spec)) {
      return await early.store;
    }
    // Opened for other settings (not from this config): not this node's.
    early.store.then((store) => store.close(), () => {});
    return await openWorkerStore(spec);
  }
  const threads = storeThreadsAvailable();
  if (!threads && config.dbThread && !config.databaseUrl) {
    // Asked for, and not given: an operator who copied the flag from
    // `deno task start` must not believe the fsyncs are off the sockets.
    logger.warning(
      "--db-thread on is not available in this build (the one file of deno task dist): SQLite runs on the main thread",
    );
  } else if (!threads) {
    logger.info("This build has no store threads: SQLite runs on the main one");
  }
  return await SqliteStore.open(config.db, sqliteOptions(config, threads));
}

/** How many files of an old folder a start compares with the database. */
const OLD_FILES_LOOKED_AT = 1000;

// Earlier releases kept files beside the SQLite path even with PostgreSQL,
// and a server moved to PostgreSQL (README, "Move to PostgreSQL") leaves
// its folder where it ran: say how to keep serving the files of that
// folder the database lacks. Those an import put in the database are no
// cause to warn: the warning fired for them too, and its advice
// (--files-dir) would have served them from the folder again, on this node
// alone. Compares the first OLD_FILES_LOOKED_AT files only (a look at each
// and one query), so a start beside a large folder stays quick.
async function warnOfOldFilesDir(
  db: string,
  contents: FileContents,
): Promise<void> {
  if (db === ":memory:") return;
  const dir = defaultFilesDir(db);
  const hashes: string[] = [];
  try {
    for await (const file of new DiskFileContents(dir).list()) {
      hashes.push(file.hash);
      if (hashes.length === OLD_FILES_LOOKED_AT) break;
    }
    if (hashes.length === 0) return;
    const absent = await contents.absent(hashes);
    if (absent.length === 0) return;
    logger.warn(
      "{absent} of {looked} files looked at in {dir} are not in the database, where shared files now go: they are not served. Start with --files-dir {dir} to keep using that folder, or move them in with export and import --include-files (README, Move to PostgreSQL)",
      { absent: absent.length, looked: hashes.length, dir },
    );
  } catch (error) {
    // A folder that cannot be read, or a database that failed meanwhile
    // (the start fails on it next): a warning is no reason to stop.
    logger.debug("Could not compare {dir} with the database: {error}", {
      dir,
      error,
    });
  }
}

/** How long a Redis command may take before the node treats Redis as away. */
const REDIS_COMMAND_TIMEOUT_MS = 2000;

// Commands fail fast while Redis is away (the node degrades to local
// delivery) and the client reconnects by itself with a capped backoff.
function connectRedis(
  RedisClient: typeof Redis,
  url: string,
  role: string,
): Redis {
  const redis = new RedisClient(url, {
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    // A Redis that stops answering with its connection open (SIGSTOP, a
    // paused VM, a full machine) is away too: without a bound a command
    // waited for as long, and with it the login, list_users or private
    // message that asked.
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    retryStrategy: (times) => Math.min(times * 100, 2000),
  });
  let reported = false;
  redis.on("error", (error: Error) => {
    // One line per outage, not one per retry.
    if (reported) return;
    reported = true;
    logger.error("Redis {role} connection lost: {error}", {
      role,
      error: error.message,
    });
  });
  redis.on("ready", () => {
    if (reported) logger.info("Redis {role} connection back", { role });
    reported = false;
  });
  return redis;
}

function hostOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || "default port"}`;
  } catch {
    return "(unparsable URL)";
  }
}
