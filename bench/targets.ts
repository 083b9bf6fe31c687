/**
 * The servers under test: the chat server (as `deno task start` runs it,
 * on a temporary database) or one of the bare relays, started as child
 * processes on 127.0.0.1 and stopped with their folders.
 */
import { eachLine, listeningPort, sleep } from "./proc.ts";
import { bunBinary } from "./bun.ts";
import { GcTrace, isTraceLine } from "./gc_trace.ts";
import { children, stopChild } from "./children.ts";
import type { BenchOptions } from "./options.ts";
import { round } from "./stats.ts";
import { V8_FLAGS } from "../scripts/release.ts";
import type { LogLevelName } from "../server/config.ts";

/** The project's checkout (the bench's parent folder). */
export const ROOT = new URL("../", import.meta.url).pathname;
/** The only address the bench's servers listen on. */
export const HOST = "127.0.0.1";
/** The environment of every child process. */
export const CHILD_ENV = { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" };
const RELAY = new URL("./baseline_relay.ts", import.meta.url).pathname;
const BUN_RELAY = new URL("./baseline_bun.ts", import.meta.url).pathname;
// The server's own flags that switch off the abuse limits: the bench opens
// up to 10,000 sockets from 127.0.0.1 and floods on purpose.
const LIMITS_OFF = [
  "--rate-limits",
  "off",
  "--max-connections-per-address",
  "0",
];

/**
 * The arguments of `deno` that run the project's main.ts as `deno task
 * start` does, with Deno's `denoFlags` and then BENCH_SERVER_FLAGS before
 * it, and the server's `flags` then BENCH_SERVER_ARGS after it.
 */
export function serverArgs(
  flags: string[],
  denoFlags: string[] = [],
): string[] {
  return [
    "run",
    "-A",
    // As `deno task start` runs it (deno.json; scripts/release.ts says
    // why these flags).
    ...V8_FLAGS,
    ...denoFlags,
    // e.g. BENCH_SERVER_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof"
    ...(Deno.env.get("BENCH_SERVER_FLAGS")?.split(" ").filter(Boolean) ?? []),
    "main.ts",
    ...flags,
    // e.g. BENCH_SERVER_ARGS="--db-thread off"
    ...(Deno.env.get("BENCH_SERVER_ARGS")?.split(" ").filter(Boolean) ?? []),
  ];
}

/** How {@link benchServerArgs} runs the project's server. */
export interface BenchServerOptions {
  /** The abuse limits off, for many sockets and floods from 127.0.0.1; default false. */
  limitsOff?: boolean;
  /** Deno's flags for the server (e.g. `--v8-flags=--trace-gc-nvp`), after V8_FLAGS. */
  denoFlags?: string[];
  /**
   * The server's `--log-level`; default `warning`, so that a bench's
   * output is its figures. `null` leaves the flag out: the server's own
   * default, as growth.ts measures start-up with what an operator runs.
   */
  logLevel?: LogLevelName | null;
}

/**
 * The arguments of `deno` that run the project's server as every bench
 * runs it: on {@link HOST}, a free port, the database `db`, warnings only
 * unless `options.logLevel` says otherwise (each bench finds the port by
 * its listening socket); through
 * {@link serverArgs}, so BENCH_SERVER_FLAGS and BENCH_SERVER_ARGS apply.
 */
export function benchServerArgs(
  db: string,
  options: BenchServerOptions = {},
): string[] {
  return serverArgs([
    ...(options.limitsOff ? LIMITS_OFF : []),
    "--host",
    HOST,
    "--port",
    "0",
    "--db",
    db,
    ...(options.logLevel === null
      ? []
      : ["--log-level", options.logLevel ?? "warning"]),
  ], options.denoFlags);
}

/** What a scenario runs against: the chat server or one of the relays. */
export type Kind = "project" | "baseline" | "bun";

/** A server under test: the chat server or a baseline relay. */
export interface Target {
  kind: Kind;
  child: Deno.ChildProcess;
  pid: number;
  port: number;
  dir?: string;
  /** Output lines (the project logs warnings and errors only). */
  lines: string[];
  lineCount: number;
  exited: boolean;
  /** The server's collections, with --gc. */
  gc?: GcTrace;
  /** The server's inspector, with --heap-profile. */
  inspector?: { url: string; port: number };
}

/** Where and how {@link startTarget} starts the project's server. */
export interface StartOptions {
  /** More server flags, after all others. */
  args?: string[];
  /** A folder the caller filled (removed with the target). */
  dir?: string;
}

/**
 * Starts a target on a free loopback port and waits until it answers; the
 * project runs on a new temporary folder unless given one.
 */
export async function startTarget(
  kind: Kind,
  o: BenchOptions,
  given: StartOptions = {},
): Promise<Target> {
  let args: string[];
  let dir: string | undefined;
  let program = Deno.execPath();
  if (kind === "bun") {
    const bun = await bunBinary();
    if (typeof bun !== "string") throw new Error(`no Bun: ${bun.missing}`);
    program = bun;
    args = [BUN_RELAY, "--port", "0"];
  } else if (kind === "project") {
    dir = given.dir ?? await Deno.makeTempDir({ prefix: "chat-bench-" });
    args = [
      ...benchServerArgs(`${dir}/bench.db`, {
        limitsOff: o.limits === "off",
        denoFlags: [
          ...(o.traceGc ? ["--v8-flags=--trace-gc-nvp"] : []),
          ...(o.heapProfile ? ["--inspect=127.0.0.1:0"] : []),
        ],
      }),
      ...(given.args ?? []),
    ];
  } else {
    args = ["run", "-A", RELAY, "--port", "0"];
  }
  const child = new Deno.Command(program, {
    args,
    // --server-dir runs another checkout's main.ts (before/after figures).
    cwd: kind === "project" ? o.serverDir : ROOT,
    env: CHILD_ENV,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  children.add(child);
  const target: Target = {
    kind,
    child,
    pid: child.pid,
    port: 0,
    dir,
    lines: [],
    lineCount: 0,
    exited: false,
    gc: kind === "project" && o.traceGc ? new GcTrace() : undefined,
  };
  let announced: number | undefined;
  const onLine = (line: string) => {
    const m = /Listening on http:\/\/[^:]+:(\d+)/.exec(line);
    if (m && announced === undefined) {
      announced = Number(m[1]);
      return;
    }
    if (line.trim() === "") return;
    const inspector = /^Debugger listening on (ws:\/\/[^:]+:(\d+)\/\S+)/.exec(
      line,
    );
    if (inspector && kind === "project" && o.heapProfile) {
      target.inspector = { url: inspector[1], port: Number(inspector[2]) };
    }
    if (o.heapProfile && /^(Debugger |Visit chrome:)/.test(line)) return;
    if (target.gc && isTraceLine(line)) {
      target.gc.line(line);
      if (o.gcLog) {
        Deno.writeTextFileSync(o.gcLog, line + "\n", { append: true });
      }
      return;
    }
    target.lineCount++;
    if (target.lines.length < 20) target.lines.push(line.slice(0, 400));
  };
  eachLine(child.stdout, onLine).catch(() => {});
  eachLine(child.stderr, onLine).catch(() => {});
  child.status.then(() => target.exited = true);
  // At --log-level warning the server does not print its "Listening on"
  // line (it is an info record), so also look for its listening socket.
  const until = performance.now() + 30_000;
  while (performance.now() < until && !target.exited) {
    // With --heap-profile the inspector listens too: not that port.
    if (o.heapProfile && kind === "project" && !target.inspector) {
      await sleep(50);
      continue;
    }
    const port = announced ??
      await listeningPort(child.pid, target.inspector?.port);
    if (port !== undefined) {
      target.port = port;
      break;
    }
    await sleep(50);
  }
  if (!target.port) {
    await stopChild(child, 1000);
    throw new Error(
      `${kind} server did not start listening: ${target.lines.join(" | ")}`,
    );
  }
  // Healthy before measuring (the project answers /healthz).
  const path = kind === "project" ? "/healthz" : "/";
  for (let i = 0; i < 50; i++) {
    try {
      const res = await fetch(`http://${HOST}:${target.port}${path}`);
      await res.body?.cancel();
      if (res.ok) break;
    } catch {
      // Not yet.
    }
    await sleep(100);
  }
  return target;
}

/** Stops a target (10 s to go by itself) and removes its folder. */
export async function stopTarget(target: Target) {
  const result = await stopChild(target.child, 10_000);
  if (target.dir) {
    await Deno.remove(target.dir, { recursive: true }).catch(() => {});
  }
  return result;
}

/** The server's log and stop figures every scenario's result carries. */
export function serverLog(
  target: Target,
  stopped: { ms: number; killed: boolean },
  limits: string,
) {
  return {
    server_limits: limits,
    server_log_lines: target.lineCount,
    server_log_samples: target.lines.slice(0, 5),
    server_stop_ms: round(stopped.ms, 0),
    server_stop_killed: stopped.killed,
  };
}
