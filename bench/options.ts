/**
 * The bench's command line: its flags, their help text and their checks.
 */
import { parseArgs } from "node:util";
import { commandLine } from "./command_line.ts";

/** Every scenario `--scenario` takes, in the order they run. */
export const SCENARIOS = [
  "fanout",
  "fanout-members",
  "chat",
  "connections",
  "history",
  "search",
  "baseline",
  "login-flood",
];

/** What `deno task bench --help` prints. */
export const HELP = `deno task bench [options]

  --scenario LIST   comma-separated: ${SCENARIOS.join(",")} (default: all)
  --duration S      measured seconds of fan-out and chat; history uses S/2
                    per phase (default 10)
  --runs N          repeat every scenario N times and report medians (default 1)
  --fanout-clients N  clients in the fan-out room (default 500)
  --fanout-workers N  load-generator processes the fan-out's clients are
                    spread over, the senders in the first (default 1)
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

/** The bench's options, checked. */
export interface BenchOptions {
  /** The scenarios to run (names of {@link SCENARIOS}). */
  scenarios: string[];
  /** Measured seconds of fan-out and chat (history uses half per phase). */
  duration: number;
  /** How many times every scenario runs (the report gives medians). */
  runs: number;
  /** Idle clients of each connections run. */
  connectionCounts: number[];
  /** The baseline scenario's relays: `deno`, `bun`. */
  baselines: string[];
  /** `off`: the server's abuse limits off; `default`: on. */
  limits: string;
  /** Clients in the fan-out room. */
  fanoutClients: number;
  /** Load-generator processes the fan-out's clients are spread over. */
  fanoutWorkers: number;
  /** Messages per second each chat client sends. */
  chatRate: number;
  /** Messages stored before the search scenario searches them. */
  searchMessages: number;
  /** The search scenario's PostgreSQL server, instead of SQLite. */
  databaseUrl?: string;
  /** The checkout whose main.ts runs as the server. */
  serverDir: string;
  /** Whether to trace the server's garbage collections (--gc). */
  traceGc: boolean;
  /** With --gc, the raw trace lines also go to this file (BENCH_GC_LOG). */
  gcLog?: string;
  /** With --heap-profile: the profiles' file name prefix. */
  heapProfile?: string;
}

/**
 * Reads the bench's flags; prints the help and exits on --help, or says
 * what is wrong and exits with code 2.
 */
export function parseOptions(args: string[], root: string): BenchOptions {
  const { values: opts } = commandLine(() =>
    parseArgs({
      args,
      options: {
        scenario: { type: "string", default: SCENARIOS.join(",") },
        duration: { type: "string", default: "10" },
        runs: { type: "string", default: "1" },
        connections: { type: "string", default: "5000,10000" },
        "fanout-clients": { type: "string", default: "500" },
        "fanout-workers": { type: "string", default: "1" },
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
    }), { text: HELP, task: "bench" });
  const scenarios = opts.scenario.split(",").map((s) => s.trim()).filter(
    Boolean,
  );
  for (const s of scenarios) {
    if (!SCENARIOS.includes(s)) {
      console.error(`unknown scenario '${s}'\n\n${HELP}`);
      Deno.exit(2);
    }
  }
  const duration = Number(opts.duration);
  const runs = Number(opts.runs);
  const connectionCounts = opts.connections.split(",").map((s) =>
    Number(s.trim())
  );
  const baselines = opts.baselines.split(",").map((s) => s.trim()).filter(
    Boolean,
  );
  if (!(duration > 0 && duration <= 120)) {
    console.error("--duration takes seconds, 0 < S <= 120");
    Deno.exit(2);
  }
  if (!(Number.isInteger(runs) && runs >= 1 && runs <= 20)) {
    console.error("--runs takes a whole number from 1 to 20");
    Deno.exit(2);
  }
  const limits = opts.limits;
  const fanoutClients = Number(opts["fanout-clients"]);
  const fanoutWorkers = Number(opts["fanout-workers"]);
  const chatRate = Number(opts["chat-rate"]);
  if (
    !(chatRate > 0 && chatRate <= 100 &&
      Number.isInteger(chatRate * duration))
  ) {
    console.error(
      "--chat-rate takes messages per second, 0 < R <= 100, whole messages per window",
    );
    Deno.exit(2);
  }
  const searchMessages = Number(opts["search-messages"]);
  if (!(Number.isInteger(searchMessages) && searchMessages >= 1)) {
    console.error("--search-messages takes a whole number");
    Deno.exit(2);
  }
  const databaseUrl = opts["database-url"];
  const serverDir = opts["server-dir"] ?? root;
  const traceGc = opts.gc;
  // With --gc, the raw trace lines also go to this file (for a closer look).
  const gcLog = Deno.env.get("BENCH_GC_LOG");
  const heapProfile = opts["heap-profile"];
  if (limits !== "off" && limits !== "default") {
    console.error("--limits is off or default");
    Deno.exit(2);
  }
  if (
    !(Number.isInteger(fanoutClients) && fanoutClients >= 10)
  ) {
    console.error("--fanout-clients takes a whole number from 10");
    Deno.exit(2);
  }
  if (
    !(Number.isInteger(fanoutWorkers) && fanoutWorkers >= 1 &&
      fanoutWorkers <= 8)
  ) {
    console.error("--fanout-workers takes a whole number from 1 to 8");
    Deno.exit(2);
  }
  if (!connectionCounts.every((n) => Number.isInteger(n) && n >= 1)) {
    console.error("--connections takes whole numbers, comma-separated");
    Deno.exit(2);
  }
  if (!baselines.every((b) => b === "deno" || b === "bun")) {
    console.error("--baselines takes deno, bun or both, comma-separated");
    Deno.exit(2);
  }
  return {
    scenarios,
    duration,
    runs,
    connectionCounts,
    baselines,
    limits,
    fanoutClients,
    fanoutWorkers,
    chatRate,
    searchMessages,
    databaseUrl,
    serverDir,
    traceGc,
    gcLog,
    heapProfile,
  };
}
