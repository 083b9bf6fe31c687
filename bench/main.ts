/**
 * Benchmark of the chat server: each scenario starts a fresh server
 * process on 127.0.0.1 with a temporary database, drives it with load
 * generator processes (bench/load_worker.ts) and reads the server's CPU
 * time and memory from /proc. Prints one table and one `BENCH_JSON {...}`
 * line.
 *
 *   deno task bench [--scenario fanout,fanout-members,chat,connections,history,search,baseline,login-flood]
 *                   [--duration S] [--runs N] [--baselines deno,bun]
 *
 * The baselines are two bare relays that store nothing: one on Deno.serve
 * (bench/baseline_relay.ts) and one on Bun's native pub/sub
 * (bench/baseline_bun.ts, Bun installed from npm on first use). With the
 * `baseline` scenario each runs the fan-out, chat and connections
 * scenarios beside the project, and the last lines of the table are the
 * project's targets as ratios against them.
 *
 * The task raises the open-file limit first (`ulimit -n 20000`): the
 * connections scenario holds 10,000 sockets on each side.
 */
import { parseArgs } from "node:util";
import {
  clkTck,
  cpuSeconds,
  eachLine,
  listeningPort,
  machineBusySeconds,
  rssKiB,
  sleep,
  withTimeout,
} from "./proc.ts";
import type { WorkerSpec } from "./load_worker.ts";
import { printReport, type Result } from "./report.ts";
import { runLoginFlood } from "./login_flood.ts";
import { bunBinary } from "./bun.ts";
import {
  type DelayBuckets,
  readDelayBuckets,
  windowDelay,
} from "./loop_delay.ts";
import { fillCorpus, searchKinds } from "./search_corpus.ts";
import { GcTrace, type GcWindow, isTraceLine } from "./gc_trace.ts";
import {
  type HeapProfile,
  HeapSampler,
  topAllocators,
} from "./heap_sampling.ts";
import { nameKey } from "../server/protocol/names.ts";
import { hashToken } from "../server/accounts/tokens.ts";
import { GENERAL_ROOM } from "../server/protocol/types.ts";
import { PostgresStore } from "../server/store/postgres.ts";
import { SqliteStore } from "../server/store/sqlite.ts";
import { DEFAULT_CONFIG } from "../server/config.ts";
import { V8_FLAGS } from "../scripts/release.ts";
import postgres from "postgres";

const ROOT = new URL("../", import.meta.url).pathname;
const WORKER = new URL("./load_worker.ts", import.meta.url).pathname;
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
const ALL = [
  "fanout",
  "fanout-members",
  "chat",
  "connections",
  "history",
  "search",
  "baseline",
  "login-flood",
];
const HOST = "127.0.0.1";
const CHILD_ENV = { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" };

const HELP = `deno task bench [options]

  --scenario LIST   comma-separated: ${ALL.join(",")} (default: all)
  --duration S      measured seconds of fan-out and chat; history uses S/2
                    per phase (default 10)
  --runs N          repeat every scenario N times and report medians (default 1)
  --fanout-clients N  clients in the fan-out room (default 500)
  --chat-rate R     messages per second each chat client sends (default 1;
                    lower keeps a loaded machine's server from falling behind)
  --connections N   idle clients of the connections scenario; a comma-separated
                    list runs it at each count (default 5000,10000)
  --baselines LIST  relays of the baseline scenario: deno,bun (default both;
                    Bun is installed from npm into bench/.bun on first use,
                    and its rows are skipped, saying why, when it cannot be)
  --search-messages N  messages stored before the search scenario searches
                    them (default 100000)
  --database-url URL   search scenario on this PostgreSQL server (in a schema
                    of its own, dropped after) instead of SQLite
  --server-dir DIR  run the server from another checkout of the project, to
                    compare versions (default: this one)
  --limits MODE     off (default): main.ts with --rate-limits off and
                    --max-connections-per-address 0; default: limits on
  --gc              trace the server's garbage collections (V8's
                    --trace-gc-nvp) and report, for fan-out and chat, the
                    main thread's collections, pauses and bytes allocated
                    per message and per delivery in the window
  --heap-profile FILE  sample every allocation of the server's main thread
                    during each fan-out and chat window (V8's sampling heap
                    profiler, over --inspect), write FILE.<scenario>.heapprofile
                    (Chrome DevTools opens it) and print the functions that
                    allocate most per message
  -h, --help        this text

Environment: BENCH_SERVER_FLAGS (Deno flags of the server, e.g. "--cpu-prof
--cpu-prof-dir=/tmp/prof"), BENCH_SERVER_ARGS (more server flags, e.g.
"--db-thread off"), BENCH_GC_LOG (with --gc: a file to append the raw trace
lines to), BENCH_HEAP_LIVE=1 (with --heap-profile: only what is still alive at
the window's end, not the garbage).
`;

const { values: opts } = parseArgs({
  args: Deno.args,
  options: {
    scenario: { type: "string", default: ALL.join(",") },
    duration: { type: "string", default: "10" },
    runs: { type: "string", default: "1" },
    connections: { type: "string", default: "5000,10000" },
    "fanout-clients": { type: "string", default: "500" },
    "chat-rate": { type: "string", default: "1" },
    baselines: { type: "string", default: "deno,bun" },
    "search-messages": { type: "string", default: "100000" },
    "database-url": { type: "string" },
    limits: { type: "string", default: "off" },
    "server-dir": { type: "string" },
    gc: { type: "boolean", default: false },
    "heap-profile": { type: "string" },
    help: { type: "boolean", short: "h" },
  },
  strict: true,
});
if (opts.help) {
  console.log(HELP);
  Deno.exit(0);
}
const scenarios = opts.scenario.split(",").map((s) => s.trim()).filter(
  Boolean,
);
for (const s of scenarios) {
  if (!ALL.includes(s)) {
    console.error(`unknown scenario '${s}'\n\n${HELP}`);
    Deno.exit(2);
  }
}
const DURATION = Number(opts.duration);
const RUNS = Number(opts.runs);
const CONNECTION_COUNTS = opts.connections.split(",").map((s) =>
  Number(s.trim())
);
const BASELINES = opts.baselines.split(",").map((s) => s.trim()).filter(
  Boolean,
);
if (!(DURATION > 0 && DURATION <= 120)) {
  console.error("--duration takes seconds, 0 < S <= 120");
  Deno.exit(2);
}
if (!(Number.isInteger(RUNS) && RUNS >= 1 && RUNS <= 20)) {
  console.error("--runs takes a whole number from 1 to 20");
  Deno.exit(2);
}
const LIMITS = opts.limits;
const FANOUT_CLIENTS_OPTION = Number(opts["fanout-clients"]);
const CHAT_RATE = Number(opts["chat-rate"]);
if (
  !(CHAT_RATE > 0 && CHAT_RATE <= 100 && Number.isInteger(CHAT_RATE * DURATION))
) {
  console.error(
    "--chat-rate takes messages per second, 0 < R <= 100, whole messages per window",
  );
  Deno.exit(2);
}
const SEARCH_MESSAGES = Number(opts["search-messages"]);
if (!(Number.isInteger(SEARCH_MESSAGES) && SEARCH_MESSAGES >= 1)) {
  console.error("--search-messages takes a whole number");
  Deno.exit(2);
}
const DATABASE_URL = opts["database-url"];
const SERVER_DIR = opts["server-dir"] ?? ROOT;
const TRACE_GC = opts.gc;
// With --gc, the raw trace lines also go to this file (for a closer look).
const GC_LOG = Deno.env.get("BENCH_GC_LOG");
const HEAP_PROFILE = opts["heap-profile"];
if (LIMITS !== "off" && LIMITS !== "default") {
  console.error("--limits is off or default");
  Deno.exit(2);
}
if (
  !(Number.isInteger(FANOUT_CLIENTS_OPTION) && FANOUT_CLIENTS_OPTION >= 10)
) {
  console.error("--fanout-clients takes a whole number from 10");
  Deno.exit(2);
}
if (!CONNECTION_COUNTS.every((n) => Number.isInteger(n) && n >= 1)) {
  console.error("--connections takes whole numbers, comma-separated");
  Deno.exit(2);
}
if (!BASELINES.every((b) => b === "deno" || b === "bun")) {
  console.error("--baselines takes deno, bun or both, comma-separated");
  Deno.exit(2);
}

// ------------------------------------------------------------- processes

/** Every child still running, so that nothing outlives the bench. */
const children = new Set<Deno.ChildProcess>();

function killAll(): void {
  for (const child of children) {
    try {
      child.kill("SIGKILL");
    } catch {
      // Gone already.
    }
  }
}

// The whole bench never runs longer than this.
const WATCHDOG_MS = (8 + RUNS * 6) * 60_000;
const watchdog = setTimeout(() => {
  console.error(`bench: still running after ${WATCHDOG_MS / 1000} s: abort`);
  killAll();
  Deno.exit(1);
}, WATCHDOG_MS);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, () => {
    killAll();
    Deno.exit(130);
  });
}

async function stopChild(
  child: Deno.ChildProcess,
  graceMs: number,
): Promise<{ ms: number; code: number | null; killed: boolean }> {
  const started = performance.now();
  let killed = false;
  try {
    child.kill("SIGTERM");
  } catch {
    // Exited already.
  }
  let status: Deno.CommandStatus | undefined;
  try {
    status = await withTimeout(child.status, graceMs, "stop");
  } catch {
    killed = true;
    try {
      child.kill("SIGKILL");
    } catch {
      // Exited meanwhile.
    }
    status = await child.status;
  }
  children.delete(child);
  return { ms: performance.now() - started, code: status.code, killed };
}

/** What a scenario runs against: the chat server or one of the relays. */
type Kind = "project" | "baseline" | "bun";

/** A server under test: the chat server or a baseline relay. */
interface Target {
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

async function startTarget(
  kind: Kind,
  extraArgs: string[] = [],
  // A folder the caller filled (removed with the target).
  givenDir?: string,
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
    dir = givenDir ?? await Deno.makeTempDir({ prefix: "chat-bench-" });
    args = [
      "run",
      "-A",
      // As `deno task start` runs it (deno.json; scripts/release.ts says
      // why these flags).
      ...V8_FLAGS,
      ...(TRACE_GC ? ["--v8-flags=--trace-gc-nvp"] : []),
      ...(HEAP_PROFILE ? ["--inspect=127.0.0.1:0"] : []),
      // e.g. BENCH_SERVER_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof"
      ...(Deno.env.get("BENCH_SERVER_FLAGS")?.split(" ").filter(Boolean) ?? []),
      "main.ts",
      ...(LIMITS === "off" ? LIMITS_OFF : []),
      "--host",
      HOST,
      "--port",
      "0",
      "--db",
      `${dir}/bench.db`,
      "--log-level",
      "warning",
      // e.g. BENCH_SERVER_ARGS="--db-thread off"
      ...(Deno.env.get("BENCH_SERVER_ARGS")?.split(" ").filter(Boolean) ?? []),
      ...extraArgs,
    ];
  } else {
    args = ["run", "-A", RELAY, "--port", "0"];
  }
  const child = new Deno.Command(program, {
    args,
    // --server-dir runs another checkout's main.ts (before/after figures).
    cwd: kind === "project" ? SERVER_DIR : ROOT,
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
    gc: kind === "project" && TRACE_GC ? new GcTrace() : undefined,
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
    if (inspector && kind === "project" && HEAP_PROFILE) {
      target.inspector = { url: inspector[1], port: Number(inspector[2]) };
    }
    if (HEAP_PROFILE && /^(Debugger |Visit chrome:)/.test(line)) return;
    if (target.gc && isTraceLine(line)) {
      target.gc.line(line);
      if (GC_LOG) Deno.writeTextFileSync(GC_LOG, line + "\n", { append: true });
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
    if (HEAP_PROFILE && kind === "project" && !target.inspector) {
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

async function stopTarget(target: Target) {
  const result = await stopChild(target.child, 10_000);
  if (target.dir) {
    await Deno.remove(target.dir, { recursive: true }).catch(() => {});
  }
  return result;
}

// deno-lint-ignore no-explicit-any
type Message = Record<string, any>;

/** One load generator process. */
class Worker {
  readonly child: Deno.ChildProcess;
  readonly pid: number;
  #messages: Message[] = [];
  #wake: (() => void) | undefined;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #stderr: string[] = [];
  exited = false;

  constructor(spec: WorkerSpec) {
    this.child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", WORKER, JSON.stringify(spec)],
      cwd: ROOT,
      env: CHILD_ENV,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    children.add(this.child);
    this.pid = this.child.pid;
    this.#writer = this.child.stdin.getWriter();
    eachLine(this.child.stdout, (line) => {
      try {
        this.#messages.push(JSON.parse(line));
      } catch {
        this.#stderr.push(line);
      }
      this.#wake?.();
    }).catch(() => {});
    eachLine(this.child.stderr, (line) => {
      if (this.#stderr.length < 20) this.#stderr.push(line);
    }).catch(() => {});
    this.child.status.then(() => {
      this.exited = true;
      this.#wake?.();
    });
  }

  /** The next message of a type; throws on a worker error or timeout. */
  async expect(type: string, timeoutMs: number): Promise<Message> {
    const until = performance.now() + timeoutMs;
    while (true) {
      const i = this.#messages.findIndex((m) =>
        m.type === type || m.type === "error"
      );
      if (i >= 0) {
        const [m] = this.#messages.splice(i, 1);
        if (m.type === "error") throw new Error(`worker: ${m.message}`);
        return m;
      }
      if (this.exited) {
        throw new Error(
          `worker exited before '${type}': ${this.#stderr.join(" | ")}`,
        );
      }
      const left = until - performance.now();
      if (left <= 0) throw new Error(`worker: no '${type}' in ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 1000));
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  async send(command: Message): Promise<void> {
    await this.#writer.write(
      new TextEncoder().encode(JSON.stringify(command) + "\n"),
    );
  }

  async stop(): Promise<void> {
    try {
      await this.send({ cmd: "exit" });
      await this.#writer.close();
    } catch {
      // Exited already.
    }
    try {
      await withTimeout(this.child.status, 5000, "worker exit");
    } catch {
      try {
        this.child.kill("SIGKILL");
      } catch {
        // Gone.
      }
      await this.child.status;
    }
    children.delete(this.child);
  }
}

// --------------------------------------------------------------- helpers

function nowEpoch(): number {
  return performance.timeOrigin + performance.now();
}

async function sleepUntilEpoch(t: number): Promise<void> {
  await sleep(t - nowEpoch());
}

/** Merged latency histogram -> quantiles in ms (see load_worker Histogram). */
function quantiles(hists: Message[]): {
  n: number;
  p50: number;
  p99: number;
  max: number;
} {
  const counts = new Map<number, number>();
  let n = 0;
  let max = 0;
  for (const h of hists) {
    if (!h) continue;
    n += h.n;
    max = Math.max(max, h.max);
    for (const [b, c] of h.buckets as [number, number][]) {
      counts.set(b, (counts.get(b) ?? 0) + c);
    }
  }
  const sorted = [...counts].sort((a, b) => a[0] - b[0]);
  const at = (q: number) => {
    if (n === 0) return NaN;
    const rank = Math.ceil(q * n);
    let seen = 0;
    for (const [b, c] of sorted) {
      seen += c;
      // Geometric middle of the bucket, in ms.
      if (seen >= rank) return Math.min(max, Math.pow(1.02, b + 0.5) / 1000);
    }
    return max;
  };
  return { n, p50: at(0.5), p99: at(0.99), max };
}

function sum(list: Message[], key: string): number {
  return list.reduce((s, m) => s + (Number(m[key]) || 0), 0);
}

function mergeCounts(list: Message[], key: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of list) {
    for (const [k, v] of Object.entries(m[key] ?? {})) {
      out[k] = (out[k] ?? 0) + Number(v);
    }
  }
  return out;
}

function reasons(list: Message[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of list) {
    for (const [code, reason] of Object.entries(m.closeReasons ?? {})) {
      out[code] ??= String(reason);
    }
  }
  return out;
}

function samples(list: Message[]): string[] {
  return list.flatMap((m) => m.errorSamples ?? []).slice(0, 3);
}

function round(x: number, digits = 2): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Open-file limit of this process (the workers and server inherit it). */
async function openFileLimit(): Promise<number> {
  try {
    const text = await Deno.readTextFile("/proc/self/limits");
    const m = /^Max open files\s+(\d+)/m.exec(text);
    if (m) return Number(m[1]);
  } catch {
    // Unknown.
  }
  return 1024;
}

interface Setup {
  workers: Worker[];
  ready: Message[];
}

async function spawnWorkers(
  specs: WorkerSpec[],
  readyTimeoutMs: number,
): Promise<Setup> {
  const workers = specs.map((spec) => new Worker(spec));
  try {
    const ready = await Promise.all(
      workers.map((w) => w.expect("ready", readyTimeoutMs)),
    );
    return { workers, ready };
  } catch (error) {
    await Promise.all(workers.map((w) => w.stop()));
    throw error;
  }
}

interface Measured {
  results: Message[];
  cpu: number;
  seconds: number;
  genCpu: number;
  /** CPU seconds used by everything else on the machine meanwhile. */
  otherCpu: number;
  /** The project's event-loop delay over the window (ms, "at most"). */
  loop?: { samples: number; p50: number; p99: number; max: number };
  /** The server's collections in the window, with --gc. */
  gc?: { main: GcWindow; workers: GcWindow };
  /** The main thread's sampled allocations, with --heap-profile. */
  profile?: HeapProfile;
}

/** Runs one measured window on every worker, reading CPU around it. */
async function measure(
  target: Target,
  workers: Worker[],
  phase: string,
  seconds: number,
  resultTimeoutMs: number,
): Promise<Measured> {
  const start = nowEpoch() + 300;
  const end = start + seconds * 1000;
  await Promise.all(
    workers.map((w) => w.send({ cmd: "go", phase, start, end })),
  );
  // The event-loop delay histogram (the server's /metrics, and the
  // relays' own, made the same way) is read around the window, just
  // outside it.
  const delays = (): Promise<DelayBuckets | undefined> =>
    readDelayBuckets(`http://${HOST}:${target.port}`);
  const delay0 = await delays();
  const sampler = target.inspector && new HeapSampler(target.inspector.url);
  await sampler?.start(4096, !Deno.env.get("BENCH_HEAP_LIVE"));
  await sleepUntilEpoch(start);
  const cpu0 = await cpuSeconds(target.pid);
  const gen0 = await genCpu(workers);
  const all0 = await machineBusySeconds();
  await sleepUntilEpoch(end);
  const cpu1 = await cpuSeconds(target.pid);
  const gen1 = await genCpu(workers);
  const all1 = await machineBusySeconds();
  const profile = await sampler?.stop();
  const delay1 = await delays();
  const results = await Promise.all(
    workers.map((w) => w.expect("result", resultTimeoutMs)),
  );
  const cpu = cpu1 - cpu0;
  const gen = gen1 - gen0;
  const other = Math.max(0, all1 - all0 - cpu - gen);
  return {
    results,
    cpu,
    seconds,
    genCpu: gen,
    otherCpu: other,
    loop: windowDelay(delay0, delay1),
    // The trace lines of the window have arrived by the time the results
    // have.
    gc: target.gc?.window(start, end),
    profile,
  };
}

/**
 * With --heap-profile: writes the window's profile to
 * `<FILE>.<name>.heapprofile` and prints who allocated most per message.
 */
async function saveProfile(
  m: Measured,
  name: string,
  messages: number,
): Promise<void> {
  if (!m.profile || !HEAP_PROFILE) return;
  const file = `${HEAP_PROFILE}.${name}.heapprofile`;
  await Deno.writeTextFile(file, JSON.stringify(m.profile));
  console.log(`bench: ${name}: heap profile in ${file}`);
  for (const line of topAllocators(m.profile, Math.max(1, messages))) {
    console.log(`bench: ${line}`);
  }
}

/**
 * The main thread's collections in the window (--gc), per 10,000 messages
 * and per delivery: counts and bytes do not depend on the machine's load,
 * pause lengths do. The store's and checkpointer's threads are summed
 * apart (`gc_workers_*`).
 */
function gcFields(m: Measured, messages: number, deliveries: number): Result {
  if (!m.gc) return {};
  const { main, workers } = m.gc;
  const per10k = (x: number) => round((x * 10_000) / Math.max(1, messages), 2);
  return {
    gc_scavenges: main.scavenges,
    gc_mark_compacts: main.markCompacts,
    gc_pause_ms: round(main.pauseMs, 1),
    gc_pause_p50_ms: round(main.pauseP50Ms, 2),
    gc_pause_max_ms: round(main.pauseMaxMs, 2),
    gc_pauses_over_10ms: main.pausesOver10Ms,
    gc_marking_ms: round(main.markingMs, 1),
    gc_scavenges_per_10k_msgs: per10k(main.scavenges),
    gc_mark_compacts_per_10k_msgs: per10k(main.markCompacts),
    gc_pause_ms_per_10k_msgs: per10k(main.pauseMs),
    gc_alloc_bytes_per_msg: round(
      main.allocatedBytes / Math.max(1, messages),
      0,
    ),
    gc_alloc_bytes_per_delivery: round(
      main.allocatedBytes / Math.max(1, deliveries),
      0,
    ),
    gc_survived_bytes_per_scavenge: round(main.survivedBytesPerScavenge, 0),
    gc_workers_pause_ms: round(workers.pauseMs, 1),
    gc_workers_alloc_bytes_per_msg: round(
      workers.allocatedBytes / Math.max(1, messages),
      0,
    ),
  };
}

/** The loop-delay fields of a result (none when the target gave no histogram). */
function loopFields(m: Measured, prefix = "loop"): Result {
  if (!m.loop) return {};
  return {
    [`${prefix}_p50_ms`]: m.loop.p50,
    [`${prefix}_p99_ms`]: m.loop.p99,
    [`${prefix}_max_ms`]: m.loop.max,
    [`${prefix}_samples`]: m.loop.samples,
  };
}

async function genCpu(workers: Worker[]): Promise<number> {
  let total = 0;
  for (const w of workers) total += await cpuSeconds(w.pid).catch(() => 0);
  return total;
}

async function finish(target: Target, workers: Worker[]) {
  // The server first: it closes every socket (1001) while the clients can
  // still answer; then the generators.
  const stopped = await stopTarget(target);
  await Promise.all(workers.map((w) => w.stop()));
  return stopped;
}

function serverLog(target: Target, stopped: { ms: number; killed: boolean }) {
  return {
    server_limits: LIMITS,
    server_log_lines: target.lineCount,
    server_log_samples: target.lines.slice(0, 5),
    server_stop_ms: round(stopped.ms, 0),
    server_stop_killed: stopped.killed,
  };
}

// ------------------------------------------------------------- scenarios

const FANOUT_CLIENTS = FANOUT_CLIENTS_OPTION;
const FANOUT_SENDERS = 4;
const FANOUT_INFLIGHT = 8;

/**
 * Accounts for the members fan-out: `b0_0` … with session tokens
 * `${FANOUT_TOKEN}${i}`, every one a member of FANOUT_ROOM, written into a
 * new database before the server starts (no scrypt per account, no
 * join traffic to settle).
 */
const FANOUT_ROOM = "fanroom";
const FANOUT_TOKEN = "bench-session-";

async function membersDatabase(clients: number): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "chat-bench-" });
  const store = new SqliteStore(`${dir}/bench.db`, {
    permanentRooms: [{ name: GENERAL_ROOM, key: nameKey(GENERAL_ROOM) }],
    busyTimeoutMs: DEFAULT_CONFIG.dbBusyTimeoutMs,
  });
  try {
    const roomKey = nameKey(FANOUT_ROOM);
    await store.createRoom(FANOUT_ROOM, roomKey);
    const expiresAt = Date.now() + 24 * 3600_000;
    await Promise.all(Array.from({ length: clients }, async (_, i) => {
      const username = `b0_${i}`;
      const key = nameKey(username);
      // Not a hash a password matches: these accounts log in by token only.
      await store.createAccount({
        key,
        username,
        passwordHash: "!",
        role: "user",
      });
      await store.addMember(key, roomKey);
      await store.createSession(hashToken(`${FANOUT_TOKEN}${i}`), {
        userKey: key,
        expiresAt,
      });
    }));
  } finally {
    await store.close();
  }
  return dir;
}

/**
 * Fan-out to 500 clients in one room. `members`: they are accounts, members
 * of the room, either looking at it or at `general` (issue 13: an account
 * receives its rooms' messages wherever it looks).
 */
async function fanout(
  kind: Kind,
  members?: "looking" | "away",
): Promise<Result> {
  const target = members
    ? await startTarget(kind, [], await membersDatabase(FANOUT_CLIENTS))
    : await startTarget(kind);
  let setup: Setup | undefined;
  try {
    const rss0 = await rssKiB(target.pid);
    setup = await spawnWorkers([{
      scenario: "fanout",
      url: `ws://${HOST}:${target.port}/ws`,
      worker: 0,
      clients: FANOUT_CLIENTS,
      batch: 100,
      connectBudgetMs: 60_000,
      settleMaxMs: 30_000,
      senders: FANOUT_SENDERS,
      inflight: FANOUT_INFLIGHT,
      sampleEvery: 10,
      ...(members
        ? {
          tokenPrefix: FANOUT_TOKEN,
          viewRoom: FANOUT_ROOM,
          allView: members === "looking",
        }
        : {}),
    }], 120_000);
    const m = await measure(
      target,
      setup.workers,
      "main",
      DURATION,
      DURATION * 1000 + 30_000,
    );
    const rss1 = await rssKiB(target.pid);
    const deliveries = sum(m.results, "deliveries");
    await saveProfile(
      m,
      members ? `fanout-members-${members}` : "fanout",
      sum(m.results, "sentInWindow"),
    );
    const lat = quantiles(m.results.map((r) => r.latency));
    const ready = setup.ready;
    const stopped = await finish(target, setup.workers);
    return {
      target: kind,
      ...(members ? { members } : {}),
      clients: FANOUT_CLIENTS,
      connected: sum(ready, "connected"),
      setup_s: round(
        Math.max(...ready.map((r) => r.connectMs + r.settleMs)) / 1000,
      ),
      setup_objects: sum(ready, "setupObjects"),
      seconds: m.seconds,
      deliveries,
      deliveries_per_s: round(deliveries / m.seconds, 0),
      deliveries_per_frame: round(deliveries / sum(m.results, "frames"), 2),
      sent_per_s: round(sum(m.results, "sentInWindow") / m.seconds, 1),
      acked: sum(m.results, "acked"),
      unacked: sum(m.results, "unacked"),
      receivers_open: sum(m.results, "receivers"),
      latency_samples: lat.n,
      p50_ms: round(lat.p50, 3),
      p99_ms: round(lat.p99, 3),
      max_ms: round(lat.max, 3),
      server_cpu_s: round(m.cpu, 3),
      server_cpu_util: round(m.cpu / m.seconds, 3),
      gen_cpu_util: round(m.genCpu / m.seconds, 3),
      other_cpu_util: round(m.otherCpu / m.seconds, 3),
      cpu_us_per_delivery: round((m.cpu * 1e6) / deliveries, 3),
      ...loopFields(m),
      ...gcFields(m, sum(m.results, "sentInWindow"), deliveries),
      rss_before_kib: rss0,
      rss_after_kib: rss1,
      errors: sum(m.results, "errors"),
      error_samples: samples([...ready, ...m.results]),
      closes_during_run: sum(m.results, "closesDuringRun"),
      close_codes: mergeCounts(m.results, "closeCodes"),
      close_reasons: reasons(m.results),
      ...serverLog(target, stopped),
    };
  } catch (error) {
    if (setup) await Promise.all(setup.workers.map((w) => w.stop()));
    await stopTarget(target);
    throw error;
  }
}

const CHAT_ROOMS = 50;
const CHAT_PER_ROOM = 20;

async function chat(kind: Kind): Promise<Result> {
  const target = await startTarget(kind);
  let setup: Setup | undefined;
  try {
    const rooms = Array.from(
      { length: CHAT_ROOMS },
      (_, i) => `room${String(i).padStart(2, "0")}`,
    );
    setup = await spawnWorkers([{
      scenario: "chat",
      url: `ws://${HOST}:${target.port}/ws`,
      worker: 0,
      clients: CHAT_ROOMS * CHAT_PER_ROOM,
      batch: 200,
      connectBudgetMs: 60_000,
      settleMaxMs: 30_000,
      rooms,
      perRoom: CHAT_PER_ROOM,
      phaseBase: 0,
      phaseTotal: CHAT_ROOMS * CHAT_PER_ROOM,
      rate: CHAT_RATE,
    }], 180_000);
    const m = await measure(
      target,
      setup.workers,
      "main",
      DURATION,
      DURATION * 1000 + 30_000,
    );
    const r = m.results;
    const lat = quantiles(r.map((x) => x.latency));
    const ready = setup.ready;
    const inWindow = sum(r, "deliveriesInWindow");
    await saveProfile(m, "chat", sum(r, "sent"));
    const stopped = await finish(target, setup.workers);
    return {
      target: kind,
      clients: CHAT_ROOMS * CHAT_PER_ROOM,
      rooms: CHAT_ROOMS,
      rate_per_client: CHAT_RATE,
      connected: sum(ready, "connected"),
      connect_s: round(Math.max(...ready.map((x) => x.connectMs)) / 1000),
      rooms_s: round(Math.max(...ready.map((x) => x.roomsMs)) / 1000),
      settle_s: round(Math.max(...ready.map((x) => x.settleMs)) / 1000),
      setup_objects: sum(ready, "setupObjects"),
      room_failures: sum(ready, "roomFailures"),
      seconds: m.seconds,
      sent: sum(r, "sent"),
      acked: sum(r, "acked"),
      unacked: sum(r, "unacked"),
      expected: sum(r, "expected"),
      deliveries: sum(r, "deliveries"),
      deliveries_per_s: round(inWindow / m.seconds, 0),
      lost: sum(r, "lost"),
      duplicated: sum(r, "duplicated"),
      misrouted: sum(r, "misrouted"),
      unacked_delivered: sum(r, "unackedDelivered"),
      seq_gaps: sum(r, "seqGaps"),
      p50_ms: round(lat.p50, 3),
      p99_ms: round(lat.p99, 3),
      max_ms: round(lat.max, 3),
      server_cpu_s: round(m.cpu, 3),
      server_cpu_util: round(m.cpu / m.seconds, 3),
      gen_cpu_util: round(m.genCpu / m.seconds, 3),
      other_cpu_util: round(m.otherCpu / m.seconds, 3),
      cpu_us_per_delivery: round((m.cpu * 1e6) / inWindow, 3),
      ...loopFields(m),
      ...gcFields(m, sum(r, "sent"), inWindow),
      errors: sum(r, "errors"),
      error_samples: samples([...ready, ...r]),
      closes_during_run: sum(r, "closesDuringRun"),
      close_codes: mergeCounts(r, "closeCodes"),
      close_reasons: reasons(r),
      ...serverLog(target, stopped),
    };
  } catch (error) {
    if (setup) await Promise.all(setup.workers.map((w) => w.stop()));
    await stopTarget(target);
    throw error;
  }
}

async function connections(kind: Kind, clients: number): Promise<Result> {
  const target = await startTarget(kind);
  let setup: Setup | undefined;
  try {
    await sleep(500);
    const rss0 = await rssKiB(target.pid);
    const cpu0 = await cpuSeconds(target.pid);
    const all0 = await machineBusySeconds();
    // Each worker holds its sockets under the inherited open-file limit.
    const limit = await openFileLimit();
    const perWorker = Math.max(100, Math.min(5000, limit - 200));
    const count = Math.ceil(clients / perWorker);
    const specs: WorkerSpec[] = [];
    for (let i = 0; i < count; i++) {
      specs.push({
        scenario: "connections",
        url: `ws://${HOST}:${target.port}/ws`,
        worker: i,
        clients: Math.min(perWorker, clients - i * perWorker),
        batch: 200,
        connectBudgetMs: 60_000,
        settleMaxMs: 30_000,
      });
    }
    const t0 = performance.now();
    setup = await spawnWorkers(specs, 150_000);
    const readyS = (performance.now() - t0) / 1000;
    const cpuSetup = (await cpuSeconds(target.pid)) - cpu0;
    const allSetup = (await machineBusySeconds()) - all0;
    const genSetup = await genCpu(setup.workers);
    const rss1 = await rssKiB(target.pid);
    // A short idle window: nothing should move, nobody should drop.
    const m = await measure(target, setup.workers, "idle", 2, 30_000);
    const rss2 = await rssKiB(target.pid);
    const ready = setup.ready;
    const connected = sum(ready, "connected");
    const stopped = await finish(target, setup.workers);
    return {
      target: kind,
      clients,
      workers: count,
      connected,
      still_open: sum(m.results, "open"),
      dropped_while_connecting: Object.values(mergeCounts(ready, "closeCodes"))
        .reduce((a, b) => a + b, 0),
      connect_s: round(Math.max(...ready.map((x) => x.connectMs)) / 1000),
      settle_s: round(Math.max(...ready.map((x) => x.settleMs)) / 1000),
      ready_s: round(readyS),
      connects_per_s: round(
        connected / (Math.max(...ready.map((x) => x.connectMs)) / 1000),
        0,
      ),
      setup_objects: sum(ready, "setupObjects"),
      setup_server_cpu_s: round(cpuSetup, 2),
      setup_server_cpu_util: round(cpuSetup / readyS, 3),
      setup_gen_cpu_util: round(genSetup / readyS, 3),
      setup_other_cpu_util: round(
        Math.max(0, allSetup - cpuSetup - genSetup) / readyS,
        3,
      ),
      rss_before_kib: rss0,
      rss_after_kib: rss1,
      rss_after_idle_kib: rss2,
      kib_per_connection: round((rss1 - rss0) / Math.max(1, connected), 2),
      idle_server_cpu_util: round(m.cpu / m.seconds, 3),
      idle_frames: sum(m.results, "frames"),
      errors: sum(ready, "errors"),
      error_samples: samples(ready),
      closes_during_run: sum(m.results, "closesDuringRun"),
      close_codes: mergeCounts(ready, "closeCodes"),
      close_reasons: reasons(ready),
      ...serverLog(target, stopped),
    };
  } catch (error) {
    if (setup) await Promise.all(setup.workers.map((w) => w.stop()));
    await stopTarget(target);
    throw error;
  }
}

const HISTORY_CLIENTS = 20;

async function history(): Promise<Result> {
  const target = await startTarget("project");
  let setup: Setup | undefined;
  try {
    setup = await spawnWorkers([{
      scenario: "history",
      url: `ws://${HOST}:${target.port}/ws`,
      worker: 0,
      clients: HISTORY_CLIENTS,
      batch: 20,
      connectBudgetMs: 30_000,
      settleMaxMs: 10_000,
      // A room each: this measures storage, not fan-out.
      rooms: Array.from({ length: HISTORY_CLIENTS }, (_, i) => `hist${i}`),
      perRoom: 1,
      historyLimit: 50,
    }], 60_000);
    const phase = DURATION / 2;
    const store = await measure(
      target,
      setup.workers,
      "store",
      phase,
      phase * 1000 + 30_000,
    );
    const read = await measure(
      target,
      setup.workers,
      "read",
      phase,
      phase * 1000 + 30_000,
    );
    const stored = sum(store.results, "ackedInWindow");
    const replies = sum(read.results, "repliesInWindow");
    const ready = setup.ready;
    const stopped = await finish(target, setup.workers);
    return {
      target: "project",
      clients: HISTORY_CLIENTS,
      connected: sum(ready, "connected"),
      seconds: phase,
      stored,
      stored_per_s: round(stored / phase, 0),
      store_cpu_util: round(store.cpu / phase, 3),
      store_gen_cpu_util: round(store.genCpu / phase, 3),
      store_other_cpu_util: round(store.otherCpu / phase, 3),
      cpu_us_per_store: round((store.cpu * 1e6) / stored, 1),
      ...loopFields(store, "store_loop"),
      ...loopFields(read, "read_loop"),
      total_stored: sum(store.results, "acked"),
      history_requests: replies,
      history_per_s: round(replies / phase, 0),
      history_cpu_util: round(read.cpu / phase, 3),
      history_gen_cpu_util: round(read.genCpu / phase, 3),
      history_other_cpu_util: round(read.otherCpu / phase, 3),
      cpu_us_per_history: round((read.cpu * 1e6) / replies, 1),
      history_checked: sum(read.results, "checked"),
      history_short: sum(read.results, "short"),
      errors: sum(store.results, "errors") + sum(read.results, "errors"),
      error_samples: samples([...ready, ...store.results, ...read.results]),
      closes_during_run: sum(read.results, "closesDuringRun"),
      close_codes: mergeCounts(read.results, "closeCodes"),
      close_reasons: reasons(read.results),
      ...serverLog(target, stopped),
    };
  } catch (error) {
    if (setup) await Promise.all(setup.workers.map((w) => w.stop()));
    await stopTarget(target);
    throw error;
  }
}

// Password logins under fresh names from 200 addresses while a bystander
// chats: the password queue keeps memory flat and the chat responsive.
async function loginFlood(): Promise<Result> {
  const target = await startTarget("project", ["--trust-proxy"]);
  try {
    const cpu0 = await cpuSeconds(target.pid);
    const flood = await runLoginFlood({
      url: `ws://${HOST}:${target.port}/ws`,
      pid: target.pid,
      seconds: DURATION,
    });
    const cpu = await cpuSeconds(target.pid) - cpu0;
    const stopped = await stopTarget(target);
    return {
      target: "project",
      quiet_p50_ms: round(flood.quietP50Ms, 2),
      quiet_p99_ms: round(flood.quietP99Ms, 2),
      p50_ms: round(flood.p50Ms, 2),
      p99_ms: round(flood.p99Ms, 2),
      max_ms: round(flood.maxMs, 2),
      samples: flood.samples,
      logins_per_s: round(flood.loginsPerS, 1),
      rss_before_mib: round(flood.rssBeforeMiB, 1),
      rss_peak_mib: round(flood.rssPeakMiB, 1),
      server_cpu_s: round(cpu, 2),
      ...serverLog(target, stopped),
    };
  } catch (error) {
    await stopTarget(target);
    throw error;
  }
}

const SEARCH_ROUNDS = 10;

/**
 * Search latency with SEARCH_MESSAGES stored: the store is filled before
 * the server starts, then one client sends each query of the mix
 * SEARCH_ROUNDS times, one at a time, and times each round trip.
 */
async function search(): Promise<Result> {
  const dir = await Deno.makeTempDir({ prefix: "chat-bench-" });
  const permanentRooms = [{ name: GENERAL_ROOM, key: nameKey(GENERAL_ROOM) }];
  let url: string | undefined;
  let dropSchema: (() => Promise<void>) | undefined;
  if (DATABASE_URL) {
    const schema = `bench_search_${Deno.pid}`;
    const admin = postgres(DATABASE_URL, { max: 1, onnotice: () => {} });
    await admin.unsafe(`CREATE SCHEMA ${schema}`);
    dropSchema = async () => {
      await admin.unsafe(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    };
    url = `${DATABASE_URL}${
      DATABASE_URL.includes("?") ? "&" : "?"
    }search_path=${schema}`;
  }
  let target: Target | undefined;
  try {
    const filling = performance.now();
    const store = url
      ? await PostgresStore.open(url, { permanentRooms })
      : new SqliteStore(`${dir}/bench.db`, {
        permanentRooms,
        busyTimeoutMs: DEFAULT_CONFIG.dbBusyTimeoutMs,
      });
    try {
      await fillCorpus(store, SEARCH_MESSAGES);
    } finally {
      await store.close();
    }
    if (url) {
      // As autovacuum would soon: the planner needs the words' statistics
      // to choose between the GIN index and walking ids newest first.
      const sql = postgres(url, { max: 1, onnotice: () => {} });
      await sql`ANALYZE messages`;
      await sql.end();
    }
    const fillSeconds = (performance.now() - filling) / 1000;
    target = await startTarget(
      "project",
      url ? ["--database-url", url] : [],
      dir,
    );
    const client = await SearchClient.open(`ws://${HOST}:${target.port}/ws`);
    const kinds = searchKinds();
    const latencies: Record<string, number[]> = {};
    const found: Record<string, number> = {};
    let cpu0 = 0;
    let all0 = 0;
    const began = performance.now();
    // Round 0 warms up (statements prepared, pages cached) and is not counted.
    for (let round = 0; round <= SEARCH_ROUNDS; round++) {
      if (round === 1) {
        cpu0 = await cpuSeconds(target.pid);
        all0 = await machineBusySeconds();
      }
      for (const kind of kinds) {
        for (const query of kind.queries) {
          const started = performance.now();
          const results = await client.search(query);
          if (round === 0) {
            found[kind.label] = (found[kind.label] ?? 0) + results;
            continue;
          }
          (latencies[kind.label] ??= []).push(performance.now() - started);
        }
      }
    }
    const seconds = (performance.now() - began) / 1000;
    const cpu = await cpuSeconds(target.pid) - cpu0;
    const other = Math.max(0, await machineBusySeconds() - all0 - cpu);
    client.close();
    const stopped = await stopTarget(target);
    const log = serverLog(target, stopped);
    target = undefined;
    const all = Object.values(latencies).flat();
    const byKind = Object.fromEntries(
      kinds.map((k) => [k.label, {
        ...msQuantiles(latencies[k.label]),
        results_per_search: round(found[k.label] / k.queries.length, 1),
      }]),
    );
    return {
      target: "project",
      store: url ? "postgres" : "sqlite",
      messages: SEARCH_MESSAGES,
      fill_s: round(fillSeconds, 1),
      searches: all.length,
      searches_per_s: round(all.length / seconds, 0),
      ...Object.fromEntries(
        Object.entries(msQuantiles(all)).map(([k, v]) => [`${k}_ms`, v]),
      ),
      cpu_util: round(cpu / seconds, 3),
      other_cpu_util: round(other / seconds, 3),
      cpu_us_per_search: round((cpu * 1e6) / all.length, 1),
      by_kind: byKind,
      ...log,
    };
  } finally {
    if (target) await stopTarget(target);
    else await Deno.remove(dir, { recursive: true }).catch(() => {});
    await dropSchema?.();
  }
}

/** p50, p99 and max of timings in ms. */
function msQuantiles(ms: number[]): { p50: number; p99: number; max: number } {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return {
    p50: round(at(0.5), 2),
    p99: round(at(0.99), 2),
    max: round(sorted[sorted.length - 1], 2),
  };
}

/** One logged-in WebSocket that sends searches one at a time. */
class SearchClient {
  #socket: WebSocket;
  #waiting?: (frame: Message) => void;
  #next = 1;

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.addEventListener("message", (event) => {
      for (const line of String(event.data).split("\n")) {
        const frame = JSON.parse(line);
        if (frame.id !== undefined) this.#waiting?.(frame);
      }
    });
  }

  static async open(url: string): Promise<SearchClient> {
    const socket = new WebSocket(url);
    await new Promise((resolve, reject) => {
      socket.onopen = resolve;
      socket.onerror = () => reject(new Error(`cannot connect to ${url}`));
    });
    const client = new SearchClient(socket);
    await client.#request("login", { username: "searcher" });
    return client;
  }

  /** Searches; returns how many results the first page had. */
  async search(data: Record<string, unknown>): Promise<number> {
    const reply = await this.#request("search", data);
    return reply.data.results.length;
  }

  #request(action: string, data: Record<string, unknown>): Promise<Message> {
    const id = String(this.#next++);
    return withTimeout(
      new Promise<Message>((resolve, reject) => {
        this.#waiting = (frame) => {
          if (frame.id !== id) return;
          if (frame.action === "success") resolve(frame);
          else reject(new Error(`${action}: ${JSON.stringify(frame.data)}`));
        };
        this.#socket.send(JSON.stringify({ action, data, id }));
      }),
      30_000,
      action,
    );
  }

  close(): void {
    this.#socket.close();
  }
}

// ------------------------------------------------------------------ run

type Job = { key: string; run: () => Promise<Result> };
const jobs: Job[] = [];
const skipped: string[] = [];
const relays: Kind[] = [];
if (scenarios.includes("baseline")) {
  if (BASELINES.includes("deno")) relays.push("baseline");
  if (BASELINES.includes("bun")) {
    const bun = await bunBinary();
    if (typeof bun === "string") relays.push("bun");
    else skipped.push(`the Bun relay rows (${bun.missing})`);
  }
}
// Each relay runs right after the project in the same scenario, so that
// a ratio compares figures taken minutes apart at most.
const suffix = (kind: Kind) => kind === "project" ? "" : `_${kind}`;
for (const kind of ["project", ...relays] as Kind[]) {
  if (scenarios.includes("fanout")) {
    jobs.push({ key: `fanout${suffix(kind)}`, run: () => fanout(kind) });
  }
}
if (scenarios.includes("fanout-members")) {
  for (const members of ["looking", "away"] as const) {
    jobs.push({
      key: `fanout_members_${members}`,
      run: () => fanout("project", members),
    });
  }
}
for (const kind of ["project", ...relays] as Kind[]) {
  if (scenarios.includes("chat")) {
    jobs.push({ key: `chat${suffix(kind)}`, run: () => chat(kind) });
  }
}
for (const n of CONNECTION_COUNTS) {
  for (const kind of ["project", ...relays] as Kind[]) {
    if (scenarios.includes("connections")) {
      jobs.push({
        key: `connections_${n}${suffix(kind)}`,
        run: () => connections(kind, n),
      });
    }
  }
}
if (scenarios.includes("history")) jobs.push({ key: "history", run: history });
if (scenarios.includes("search")) jobs.push({ key: "search", run: search });
if (scenarios.includes("login-flood")) {
  jobs.push({ key: "login_flood", run: loginFlood });
}

const began = performance.now();
const perRun: Record<string, Result>[] = [];
const failures: Record<string, string[]> = {};
const limit = await openFileLimit();
await clkTck();
console.error(
  `bench: ${jobs.map((j) => j.key).join(", ")}; ${RUNS} run(s), ` +
    `${DURATION} s windows, open-file limit ${limit}`,
);
for (const why of skipped) console.error(`bench: skipping ${why}`);
for (let run = 1; run <= RUNS; run++) {
  const results: Record<string, Result> = {};
  perRun.push(results);
  for (const job of jobs) {
    const t = performance.now();
    try {
      results[job.key] = await job.run();
      console.error(
        `bench: run ${run} ${job.key} done in ${
          ((performance.now() - t) / 1000).toFixed(1)
        } s`,
      );
    } catch (error) {
      killAll();
      const message = (error as Error).message;
      (failures[job.key] ??= []).push(message);
      console.error(`bench: run ${run} ${job.key} FAILED: ${message}`);
    }
  }
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Medians of the numeric fields over runs; the rest from the last run. */
function combine(list: Result[]): Result {
  const out: Result = { ...list[list.length - 1] };
  if (list.length > 1) {
    for (const key of Object.keys(out)) {
      const nums = list.map((r) => r[key]).filter((v) =>
        typeof v === "number"
      ) as number[];
      if (nums.length === list.length) out[key] = round(median(nums), 3);
    }
    out.runs = list.length;
  }
  return out;
}

const results: Record<string, Result> = {};
for (const job of jobs) {
  const list = perRun.map((r) => r[job.key]).filter(Boolean);
  if (list.length > 0) results[job.key] = combine(list);
}
printReport({
  results,
  perRun,
  failures,
  skipped,
  runs: RUNS,
  durationS: DURATION,
  limits: LIMITS,
  openFileLimit: limit,
  elapsedS: (performance.now() - began) / 1000,
});
clearTimeout(watchdog);
Deno.exit(Object.keys(failures).length > 0 ? 1 : 0);
