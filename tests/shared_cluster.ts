/**
 * A cluster that the tests of one file share: `chat-server` nodes on one
 * PostgreSQL database and one Redis, started by the first test that asks
 * for it and stopped by a test of its own after the last one.
 *
 * Its nodes run detached, as PostgreSQL and Redis do in services.ts: each
 * writes its output to a file and no pipe read or exit status waits in
 * this process, so a node started in one test and stopped in another
 * leaves no operation of one test pending in the next, and the sanitizers
 * still watch every test (spawnServer's pipes failed them). What it costs:
 * a node's output is read from its file, and its end is seen by polling.
 */
import {
  CHEAP_MAIN,
  ClientPool,
  delay,
  listeningUrl,
  TEST_PASSWORD,
} from "./harness.ts";
import { isRunning } from "./processes.ts";
import type { PostgresService, RedisService } from "./services.ts";
import { startRedis } from "./services.ts";

/** A server process running detached from this one. */
export interface DetachedNode {
  url: string;
  wsUrl: string;
  pid: number;
  /** Everything it printed so far. */
  output(): string;
  /** SIGTERM, then waits until it is gone (SIGKILL after a minute). */
  stop(): Promise<void>;
}

/** Nodes sharing one database and one Redis, and who their admin is. */
export interface SharedCluster {
  /** In id order: `nodes[0]` is n1. */
  readonly nodes: DetachedNode[];
  /** The first account, registered on `nodes[0]` when asked: the admin. */
  readonly admin?: { name: string; token: string };
  /** Every node's output so far, each under its id. */
  output(): string;
  /** Stops the nodes and Redis, and drops the database. */
  stop(): Promise<void>;
}

/** Options of {@link startSharedCluster}. */
export interface SharedClusterOptions {
  /** How many nodes (default 3). */
  nodes?: number;
  /** The database's name on `pg` (created here, dropped by `stop`). */
  database: string;
  /** Registers the first account (the admin) under this name. */
  admin?: string;
  /** Flags given to every node besides the backends and its id. */
  args?: string[];
}

// A run that never reaches a file's stop test (filtered, or failed in a
// way that skips it) must not leave nodes behind: killed at unload.
// Their log files and temporary folders go too.
const running = new Map<number, { log: string; tempDir: string }>();
globalThis.addEventListener("unload", () => {
  for (const [pid, { log, tempDir }] of running) {
    kill(pid, "SIGKILL");
    for (const path of [log, tempDir]) {
      try {
        Deno.removeSync(path, { recursive: true });
      } catch {
        // Already gone.
      }
    }
  }
});

/**
 * Starts the nodes on a fresh database of `pg` and a Redis of their own,
 * and registers the first account (the admin) on the first node if asked.
 */
export async function startSharedCluster(
  pg: PostgresService,
  options: SharedClusterOptions,
): Promise<SharedCluster> {
  const count = options.nodes ?? 3;
  const databaseUrl = await pg.createDatabase(options.database);
  let redis: RedisService | undefined;
  const nodes: DetachedNode[] = [];
  const ids = Array.from({ length: count }, (_, i) => `n${i + 1}`);
  const stop = async () => {
    await Promise.all(nodes.map((node) => node.stop()));
    await redis?.stop();
    await pg.dropDatabase(options.database);
  };
  try {
    redis = (await startRedis())!;
    const started = await Promise.allSettled(
      ids.map((id) =>
        spawnDetachedServer([
          "--database-url",
          databaseUrl,
          "--redis-url",
          redis!.url,
          "--node-id",
          id,
          ...(options.args ?? []),
        ])
      ),
    );
    for (const result of started) {
      if (result.status === "fulfilled") nodes.push(result.value);
    }
    const failed = started.find((r) => r.status === "rejected");
    if (failed) throw (failed as PromiseRejectedResult).reason;
    const admin = options.admin === undefined
      ? undefined
      : await registerFirst(nodes[0], options.admin);
    return {
      nodes,
      admin,
      stop,
      output: () =>
        nodes.map((node, i) => `--- ${ids[i]} (${node.url})\n${node.output()}`)
          .join("\n"),
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function registerFirst(
  node: DetachedNode,
  name: string,
): Promise<{ name: string; token: string }> {
  const pool = new ClientPool(node.wsUrl);
  try {
    const client = await pool.register(name, TEST_PASSWORD);
    const reply = client.received.find((f) => f.data.request === "register");
    if (reply?.data.role !== "admin") {
      throw new Error(
        `the first account is not the admin: ${JSON.stringify(reply?.data)}`,
      );
    }
    return { name, token: client.token! };
  } finally {
    await pool.closeAll();
  }
}

/**
 * Starts `main.ts` at the tests' password cost (tests/cheap_main.ts) under
 * this Deno on a free port, detached, its output in a temporary file, and
 * waits until it listens.
 */
export async function spawnDetachedServer(
  args: string[],
): Promise<DetachedNode> {
  const log = await Deno.makeTempFile({ prefix: "chat-node-", suffix: ".log" });
  // Its TMPDIR, removed when it stops: a node stages uploads in a
  // chat-uploads-UID there, which in /tmp outlives it by design.
  const tempDir = await Deno.makeTempDir({ prefix: "chat-node-" });
  const launched = await new Deno.Command("bash", {
    args: [
      "-c",
      'log=$1; shift; "$@" >"$log" 2>&1 </dev/null & echo $!',
      "bash",
      log,
      Deno.execPath(),
      "run",
      "--allow-all",
      CHEAP_MAIN,
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      ...args,
    ],
    env: { NO_COLOR: "1", TMPDIR: tempDir },
  }).output();
  const pid = Number(new TextDecoder().decode(launched.stdout).trim());
  if (!launched.success || !Number.isInteger(pid) || pid <= 0) {
    await Deno.remove(log).catch(() => {});
    await Deno.remove(tempDir, { recursive: true }).catch(() => {});
    throw new Error(
      `could not start a node: ${new TextDecoder().decode(launched.stderr)}`,
    );
  }
  running.set(pid, { log, tempDir });
  const output = () => {
    try {
      return Deno.readTextFileSync(log);
    } catch {
      return "";
    }
  };
  let stopping: Promise<void> | undefined;
  const stop = () =>
    stopping ??= (async () => {
      kill(pid, "SIGTERM");
      const deadline = Date.now() + 60_000;
      while (isRunning(pid)) {
        if (Date.now() > deadline) kill(pid, "SIGKILL");
        await delay(50);
      }
      running.delete(pid);
      await Deno.remove(log).catch(() => {});
      await Deno.remove(tempDir, { recursive: true }).catch(() => {});
    })();
  // Starting Deno and loading the server takes seconds on a busy machine.
  const deadline = Date.now() + 120_000;
  for (;;) {
    const url = listeningUrl(output());
    if (url) {
      return {
        url,
        wsUrl: `${url.replace("http", "ws")}/ws`,
        pid,
        output,
        stop,
      };
    }
    if (!isRunning(pid) || Date.now() > deadline) {
      const text = output();
      await stop();
      throw new Error(`Node did not start:\n${text}`);
    }
    await delay(50);
  }
}

function kill(pid: number, signal: Deno.Signal): void {
  try {
    Deno.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * What a file's tests share: started by the first test that asks for it,
 * stopped by `stop`, which the file calls in a test of its own after the
 * last one (so a filtered run that needs none starts none).
 */
export class SharedOnce<T extends { stop(): Promise<void> }> {
  #start: () => Promise<T>;
  #started: Promise<T> | undefined;

  constructor(start: () => Promise<T>) {
    this.#start = start;
  }

  /** The shared thing, started now if no test asked before. */
  get(): Promise<T> {
    return this.#started ??= this.#start();
  }

  /** Stops it if it was started (a failed start stopped what it began). */
  async stop(): Promise<void> {
    await this.#started?.then((started) => started.stop(), () => {});
  }
}
