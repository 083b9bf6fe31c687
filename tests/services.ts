/**
 * Throwaway PostgreSQL and Redis servers for tests: each starts on a free
 * loopback port in its own temporary folder and is gone after `stop()`.
 * When the binaries are missing the start functions return null and the
 * matching `…SkipReason()` says why, so a suite can skip with a message
 * (scripts/install-test-services.sh installs them).
 */
import { Redis } from "ioredis";
import postgres from "postgres";

/** A running PostgreSQL server. */
export interface PostgresService {
  /** `postgres://postgres@127.0.0.1:PORT/postgres` (trust authentication). */
  url: string;
  /** Runs SQL through psql as the superuser; returns psql's output. */
  psql(command: string, options?: { database?: string }): Promise<string>;
  /**
   * Creates a database and returns its URL: empty, or a copy of the
   * database `options.template` (which nobody may be connected to).
   */
  createDatabase(
    name: string,
    options?: { template?: string },
  ): Promise<string>;
  /** Drops a database, closing the connections still open to it. */
  dropDatabase(name: string): Promise<void>;
  /**
   * A fresh, empty place for one test: a schema of its own that the URL
   * puts first on the search path (CREATE DATABASE costs 0.1-1 s a test,
   * with the machine's load); `drop` removes it with everything in it.
   */
  freshSchema(): Promise<{ url: string; drop(): Promise<void> }>;
  /** Shuts the server down (fast) and keeps its data, for outage tests. */
  shutdown(): Promise<void>;
  /** Starts the server again after `shutdown()`, on the same port. */
  start(): Promise<void>;
  /** Stops the server (fast shutdown) and removes its folder. */
  stop(): Promise<void>;
}

/** A running Redis server. */
export interface RedisService {
  /** `redis://127.0.0.1:PORT`. */
  url: string;
  port: number;
  /** Shuts the server down without saving. */
  stop(): Promise<void>;
}

/** A throwaway service a test file runs on: how to start it, or why not. */
export interface TestService<S extends { stop(): Promise<void> }> {
  /** Null when {@link TestService.skipReason} gives a reason. */
  start(): Promise<S | null>;
  /** Why it cannot run here, or undefined when it can. */
  skipReason(): string | undefined;
}

/**
 * One test file's tests on one server started for them all: `register`
 * declares them, then a last test stops the server (inside a test, so the
 * sanitizers see it end; a filtered run stops it at unload). Where it
 * cannot run, one skipped test says why instead.
 */
export async function testsOnService<S extends { stop(): Promise<void> }>(
  title: string,
  service: TestService<S>,
  register: (started: S) => void,
): Promise<void> {
  const started = await service.start();
  if (!started) {
    Deno.test({
      name: `${title}: skipped, ${service.skipReason()}`,
      ignore: true,
      fn() {},
    });
    return;
  }
  register(started);
  Deno.test(`${title}: stop the test server`, () => started.stop());
}

/**
 * The service, skipped too where one of `others` gives a reason: what its
 * tests start for themselves (a Redis each, nginx).
 */
export function needing<S extends { stop(): Promise<void> }>(
  service: TestService<S>,
  ...others: (() => string | undefined)[]
): TestService<S> {
  const skipReason = () =>
    service.skipReason() ??
      others.map((reason) => reason()).find((reason) => reason !== undefined);
  return {
    start: () => skipReason() ? Promise.resolve(null) : service.start(),
    skipReason,
  };
}

/** Options of {@link startPostgres}. */
export interface PostgresOptions {
  /**
   * Keep fsync on (default false). Off makes the tests several times
   * faster and changes nothing they can observe; measurements want it on.
   */
  fsync?: boolean;
  /** The port to try first (tests of this module); default: a free one. */
  firstPort?: number;
}

const PG_ROOT = "/usr/lib/postgresql";
const REDIS_SERVER = "/usr/bin/redis-server";
const REDIS_CLI = "/usr/bin/redis-cli";
// Starting PostgreSQL or Redis takes seconds on a busy machine.
const READY_TIMEOUT_MS = 60_000;
// freePort's port is free when chosen, but any process of the machine
// (another test's server) may bind it before the service does, seconds
// later on a busy machine: the service then starts again on another.
const PORT_TRIES = 5;

/** The newest PostgreSQL `bin` folder installed by Debian's packages, if any. */
function postgresBin(): string | undefined {
  let versions: number[];
  try {
    versions = [...Deno.readDirSync(PG_ROOT)]
      .map((entry) => Number(entry.name))
      .filter((v) => Number.isInteger(v))
      .sort((a, b) => b - a);
  } catch {
    return undefined;
  }
  return versions.map((v) => `${PG_ROOT}/${v}/bin`)
    .find((bin) => exists(`${bin}/initdb`) && exists(`${bin}/pg_ctl`));
}

/** Why PostgreSQL tests cannot run here, or undefined when they can. */
export function postgresSkipReason(): string | undefined {
  if (Deno.build.os !== "linux") return "PostgreSQL tests run on Linux only";
  if (!postgresBin()) {
    return `PostgreSQL is not installed (no ${PG_ROOT}/*/bin/initdb; ` +
      "run scripts/install-test-services.sh)";
  }
  if (isRoot() && !exists("/usr/sbin/runuser") && !exists("/sbin/runuser")) {
    return "running as root, but runuser is missing to start PostgreSQL as the postgres user";
  }
  return undefined;
}

/** Where the power-loss and crash tests find strace. */
export const STRACE = "/usr/bin/strace";

/** Why tests that watch system calls cannot run here, or undefined. */
export function straceSkipReason(): string | undefined {
  if (Deno.build.os !== "linux") return "strace runs on Linux only";
  if (!exists(STRACE)) {
    return "strace is not installed (apt-get install strace)";
  }
  return undefined;
}

/** Why Redis tests cannot run here, or undefined when they can. */
export function redisSkipReason(): string | undefined {
  if (!exists(REDIS_SERVER) || !exists(REDIS_CLI)) {
    return `Redis is not installed (no ${REDIS_SERVER} or ${REDIS_CLI}; ` +
      "run scripts/install-test-services.sh)";
  }
  return undefined;
}

/**
 * Starts a PostgreSQL server on a free loopback port, or returns null when
 * {@link postgresSkipReason} gives a reason. Throws when the server fails
 * to start, with the end of its log.
 */
export async function startPostgres(
  options: PostgresOptions = {},
): Promise<PostgresService | null> {
  if (postgresSkipReason()) return null;
  const bin = postgresBin()!;
  const dir = await Deno.makeTempDir({ prefix: "chat-pg-" });
  // initdb refuses to run as root: the cluster belongs to `postgres`.
  const asOwner = isRoot() ? ["runuser", "-u", "postgres", "--"] : [];
  const data = `${dir}/data`;
  // Kept once the server first listens on it: a restart comes back there.
  let port = options.firstPort ?? freePort();
  const ctl = (...args: string[]) =>
    run([...asOwner, `${bin}/pg_ctl`, "-D", data, ...args]);
  let started = false;
  const settings = () =>
    [
      `-p ${port}`,
      `-k ${dir}`,
      "-c listen_addresses=127.0.0.1",
      ...(options.fsync ? [] : ["-c fsync=off", "-c synchronous_commit=off"]),
    ].join(" ");
  async function start(): Promise<void> {
    started = true;
    await ctl("-l", `${dir}/log`, "-w", "-t", "30", "-o", settings(), "start")
      .catch(async (error) => {
        const log = await Deno.readTextFile(`${dir}/log`).catch(() => "");
        throw new Error(
          `${(error as Error).message}\n${
            log.split("\n").slice(-20).join("\n")
          }`,
        );
      });
  }
  async function shutdown(): Promise<void> {
    if (!started) return;
    await ctl("-m", "fast", "-w", "stop");
    started = false;
  }
  const stopSync = () => {
    // A filtered or crashed test run never reaches stop(): do not leave a
    // server running behind it.
    if (started) {
      runSync([
        ...asOwner,
        `${bin}/pg_ctl`,
        "-D",
        data,
        "-m",
        "immediate",
        "stop",
      ]);
    }
    removeSync(dir);
  };
  globalThis.addEventListener("unload", stopSync);
  try {
    // In the try: a chown that fails (a fork refused on a busy machine)
    // left the folder, empty, behind.
    if (isRoot()) await run(["chown", "postgres:postgres", dir]);
    await run([
      ...asOwner,
      `${bin}/initdb`,
      "-D",
      data,
      "-A",
      "trust",
      "-U",
      "postgres",
      "-E",
      "UTF8",
      "--locale=C",
      "--no-sync",
    ]);
    for (let tries = 1;; tries++) {
      try {
        await start();
        break;
      } catch (error) {
        if (
          tries === PORT_TRIES ||
          !/Address already in use/.test((error as Error).message)
        ) {
          throw error;
        }
        // Taken since it was chosen: the next try's log says only its own.
        started = false;
        await Deno.remove(`${dir}/log`).catch(() => {});
        port = freePort();
      }
    }
  } catch (error) {
    globalThis.removeEventListener("unload", stopSync);
    stopSync();
    throw error;
  }

  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const psql = (command: string, { database = "postgres" } = {}) =>
    run([
      `${bin}/psql`,
      "-X",
      "-q",
      "-v",
      "ON_ERROR_STOP=1",
      "-d",
      url.replace(/[^/]*$/, encodeURIComponent(database)),
      "-c",
      command,
    ]);
  // One statement on a connection of its own, closed after it: a psql
  // costs a process more (0.35-0.6 s a call on a busy machine, where a
  // connection and a statement took 0.2-0.3 s). Tests make and drop a
  // database each.
  async function statement(text: string): Promise<void> {
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      await sql.unsafe(text);
    } finally {
      await sql.end();
    }
  }
  let stopping: Promise<void> | undefined;
  let schemas = 0;
  return {
    url,
    psql,
    async freshSchema() {
      const name = `t_${++schemas}`;
      await statement(`CREATE SCHEMA ${name}`);
      return {
        url: `${url}?search_path=${name}`,
        drop: () => statement(`DROP SCHEMA ${name} CASCADE`),
      };
    },
    async createDatabase(name, { template = "template1" } = {}) {
      // FILE_COPY copies the template's folder and takes a checkpoint,
      // cheap with fsync off: 70-160 ms a database at load 1-3, 0.4-1.0 s
      // at load 17-23, where the default (WAL_LOG, which writes every
      // page to the WAL) took 0.34-0.72 s and 0.7-1.3 s.
      await statement(
        `CREATE DATABASE ${quoteIdent(name)} TEMPLATE ${
          quoteIdent(template)
        } STRATEGY FILE_COPY`,
      );
      return `postgres://postgres@127.0.0.1:${port}/${
        encodeURIComponent(name)
      }`;
    },
    async dropDatabase(name) {
      await statement(
        `DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`,
      );
    },
    shutdown,
    start,
    stop() {
      stopping ??= (async () => {
        globalThis.removeEventListener("unload", stopSync);
        try {
          await shutdown();
        } finally {
          await Deno.remove(dir, { recursive: true }).catch(() => {});
        }
      })();
      return stopping;
    },
  };
}

/**
 * Starts a Redis server on a free loopback port, without persistence, or
 * returns null when {@link redisSkipReason} gives a reason.
 */
export async function startRedis(
  options: { firstPort?: number } = {},
): Promise<RedisService | null> {
  if (redisSkipReason()) return null;
  let port = options.firstPort ?? freePort();
  for (let tries = 1;; tries++) {
    const started = await launchRedis(port);
    if (started !== PORT_TAKEN) return started;
    if (tries === PORT_TRIES) {
      throw new Error(`Cannot start Redis: ${tries} ports taken in turn`);
    }
    port = freePort();
  }
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** Runs a command to its end; throws with its stderr when it fails. */
async function run(command: string[]): Promise<string> {
  const output = await new Deno.Command(command[0], {
    args: command.slice(1),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  if (!output.success) {
    throw new Error(
      `'${command.join(" ")}' failed with exit code ${output.code}: ${
        decoder.decode(output.stderr).trim()
      }`,
    );
  }
  return decoder.decode(output.stdout);
}

function runSync(command: string[]): void {
  try {
    new Deno.Command(command[0], {
      args: command.slice(1),
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).outputSync();
  } catch {
    // Best effort at exit: nothing more to do.
  }
}

function removeSync(path: string): void {
  try {
    Deno.removeSync(path, { recursive: true });
  } catch {
    // Already gone.
  }
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function isRoot(): boolean {
  return Deno.uid() === 0;
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Starts a Redis server on a given loopback port (for a restart on the port
 * a stopped one used), or returns null when {@link redisSkipReason} gives a
 * reason; throws when another process holds the port. Like
 * {@link startRedis} otherwise.
 */
export async function startRedisOnPort(
  port: number,
): Promise<RedisService | null> {
  if (redisSkipReason()) return null;
  const started = await launchRedis(port);
  if (started === PORT_TAKEN) {
    throw new Error(
      `Cannot start Redis on port ${port}: another process listens there`,
    );
  }
  return started;
}

/** What {@link launchRedis} returns when its port was not free. */
const PORT_TAKEN = Symbol("port taken");

/**
 * Starts a Redis server in a folder of its own and waits until it answers
 * on `port`, or returns PORT_TAKEN once it has said that another process
 * listens there (and stopped).
 */
async function launchRedis(
  port: number,
): Promise<RedisService | typeof PORT_TAKEN> {
  const dir = await Deno.makeTempDir({ prefix: "chat-redis-" });
  // As Redis names its folder: by its real path.
  const ownDir = await Deno.realPath(dir);
  const cli = (...args: string[]) =>
    run([REDIS_CLI, "-h", "127.0.0.1", "-p", String(port), ...args]);
  const log = () => Deno.readTextFile(`${dir}/redis.log`).catch(() => "");
  const stopSync = () => {
    // By its pid file, which only this Redis writes (once it listens): by
    // its port, a shutdown could stop another test's Redis.
    try {
      Deno.kill(Number(Deno.readTextFileSync(`${dir}/redis.pid`)), "SIGTERM");
    } catch {
      // Never listened, or gone already.
    }
    removeSync(dir);
  };
  globalThis.addEventListener("unload", stopSync);
  try {
    await run([
      REDIS_SERVER,
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--daemonize",
      "yes",
      "--dir",
      dir,
      "--pidfile",
      `${dir}/redis.pid`,
      "--logfile",
      `${dir}/redis.log`,
    ]);
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      // Its own answer, naming its folder: a Redis that took the port
      // meanwhile answers PING as well, and this one then stops.
      const answer = await cli("config", "get", "dir").catch(() => "");
      if (answer.split("\n")[1]?.trim() === ownDir) break;
      if (/Address already in use/.test(await log())) {
        globalThis.removeEventListener("unload", stopSync);
        stopSync();
        return PORT_TAKEN;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `redis-server on port ${port} did not answer\n${
            (await log()).split("\n").slice(-10).join("\n")
          }`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } catch (error) {
    globalThis.removeEventListener("unload", stopSync);
    stopSync();
    throw error;
  }
  let stopping: Promise<void> | undefined;
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop() {
      stopping ??= (async () => {
        globalThis.removeEventListener("unload", stopSync);
        await cli("shutdown", "nosave").catch(() => {});
        const deadline = Date.now() + READY_TIMEOUT_MS;
        while (
          Date.now() < deadline &&
          await cli("ping").then(() => true, () => false)
        ) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      })();
      return stopping;
    },
  };
}

/**
 * A Redis client as the server makes one (server/backends.ts): commands
 * fail fast while Redis is away and it reconnects by itself. Errors are
 * not reported: tests cut connections on purpose, and the broker and
 * presence log their own.
 */
export function redisClient(url: string): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(times * 50, 500),
  });
  redis.on("error", () => {});
  return redis;
}

/** A PostgreSQL server for a test file (fsync off). */
export const POSTGRES: TestService<PostgresService> = {
  start: () => startPostgres(),
  skipReason: postgresSkipReason,
};

/** A Redis server for a test file. */
export const REDIS: TestService<RedisService> = {
  start: () => startRedis(),
  skipReason: redisSkipReason,
};
