/**
 * The cost of a large store: for each size, seeds a fresh database
 * (bench/seed.ts), starts the server on it and measures, from one client
 * over loopback, `join_room` (which answers with the room's newest 50
 * messages), `history` pages at random `before_seq` and `search` (a word,
 * two words, a prefix, in any room), one request at a time; then start-up
 * time, the server's memory and the file's bytes per message.
 *
 *   deno task growth [--messages 0,10000,100000,1000000] [--requests 500]
 *                    [--rooms 10]
 *
 * Start-up is from spawning `deno run main.ts` to the first `/healthz`
 * answer, so it includes Deno's own start (the 0-message row shows it);
 * the server's CPU time (from /proc) is given beside each wall-clock
 * figure, as it hardly depends on how busy the machine is.
 * Prints a Markdown table and one `GROWTH_JSON {...}` line. Environment:
 * BENCH_SERVER_FLAGS (Deno flags of the server, e.g. "--cpu-prof
 * --cpu-prof-dir=/tmp/prof", a profile per thread for bench/stalls.ts),
 * BENCH_SERVER_ARGS (more server flags).
 */
import { parseArgs } from "node:util";
import { commandLine } from "./command_line.ts";
import { seedMessages } from "./seed.ts";
import { cpuSeconds, eachLine, rssKiB, sleep, withTimeout } from "./proc.ts";
import { benchServerArgs, CHILD_ENV, HOST, ROOT } from "./targets.ts";
import { stopChild } from "./children.ts";
import { Prober } from "./prober.ts";
import { msQuantiles } from "./stats.ts";

const { values: opts } = commandLine(() =>
  parseArgs({
    args: Deno.args,
    options: {
      messages: { type: "string", default: "0,10000,100000,1000000" },
      requests: { type: "string", default: "500" },
      rooms: { type: "string", default: "10" },
      help: { type: "boolean", short: "h" },
    },
  }), {
  text:
    "deno task growth [--messages 0,10000,100000,1000000] [--requests 500] [--rooms 10]",
  task: "growth",
});
const SIZES = opts.messages.split(",").map(Number);
const REQUESTS = Number(opts.requests);
const ROOMS = Number(opts.rooms);
if (
  SIZES.some((n) => !Number.isInteger(n) || n < 0) ||
  !Number.isInteger(REQUESTS) || REQUESTS < 1 ||
  !Number.isInteger(ROOMS) || ROOMS < 1
) {
  console.error("--messages, --requests and --rooms take whole numbers");
  Deno.exit(2);
}

interface Server {
  child: Deno.ChildProcess;
  port: number;
  startupMs: number;
  /** The server's CPU seconds until its first healthy answer. */
  startupCpu: number;
}

// Spawns the server on `db` and waits for its first healthy answer.
async function startServer(db: string): Promise<Server> {
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    // The limits off as every bench has them (one client here, so only
    // the rate limits matter); the server's default log level, as an
    // operator starts it: start-up is one of the figures.
    args: benchServerArgs(db, { limitsOff: true, logLevel: null }),
    cwd: ROOT,
    env: CHILD_ENV,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const port = Promise.withResolvers<number>();
  const onLine = (line: string) => {
    const m = /Listening on http:\/\/[^:]+:(\d+)/.exec(line);
    if (m) port.resolve(Number(m[1]));
  };
  eachLine(child.stdout, onLine).catch(() => {});
  eachLine(child.stderr, onLine).catch(() => {});
  child.status.then((s) => port.reject(new Error(`server exited ${s.code}`)));
  const p = await withTimeout(port.promise, 60_000, "server start");
  while (true) {
    try {
      const res = await fetch(`http://${HOST}:${p}/healthz`);
      await res.body?.cancel();
      if (res.ok) break;
    } catch {
      // Not yet.
    }
    await sleep(5);
  }
  return {
    child,
    port: p,
    startupMs: performance.now() - started,
    startupCpu: await cpuSeconds(child.pid),
  };
}

function fileBytes(path: string): number {
  try {
    return Deno.statSync(path).size;
  } catch {
    return 0;
  }
}

async function loadAverage(): Promise<string> {
  return (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3)
    .join(" ");
}

// What the prober searches for, in turn, among the seed's words: common
// and rarer words, two words, a prefix of the last word.
const SEARCHES = [
  "deploy",
  "coffee",
  "merge",
  "review build",
  "release today",
  "thanks",
  "mee",
  "serv",
];

// Room display names the seed makes; with no messages, `general`.
function roomNames(messages: number): string[] {
  if (messages === 0) return ["general"];
  return Array.from({ length: ROOMS }, (_, r) => `seed-${r + 1}`);
}

async function measureSize(messages: number) {
  const dir = await Deno.makeTempDir({ prefix: "chat-growth-" });
  const db = `${dir}/growth.db`;
  try {
    const seed = messages > 0
      ? await seedMessages(db, { messages, rooms: ROOMS, users: 100 })
      : undefined;
    const bytes = fileBytes(db) + fileBytes(`${db}-wal`);
    const server = await startServer(db);
    try {
      const rss = await rssKiB(server.child.pid);
      const prober = await Prober.open(`ws://${HOST}:${server.port}/ws`);
      await prober.request("login", { username: "prober" });
      const rooms = roomNames(messages);
      const perRoom = Math.floor(messages / rooms.length);
      const joins: number[] = [];
      const pages: number[] = [];
      // Joins first, then pages, each with the server's CPU around it: on
      // a busy machine round trips mostly measure the wait for a core, CPU
      // time the work.
      // What the idle server spends meanwhile (timers, checkpoint passes)
      // is taken off, at the rate of 3 s of idling measured first.
      const idle0 = await cpuSeconds(server.child.pid);
      const idleStart = performance.now();
      await sleep(3000);
      const idleRate = (await cpuSeconds(server.child.pid) - idle0) /
        ((performance.now() - idleStart) / 1000);
      const cpu0 = await cpuSeconds(server.child.pid);
      const t0 = performance.now();
      for (let i = 0; i < REQUESTS; i++) {
        const room = rooms[i % rooms.length];
        // Another room each time (the same room's join is cheaper).
        const joined = await prober.request("join_room", { room });
        joins.push(joined.ms);
        if (joined.reply.data.history.length !== Math.min(50, perRoom)) {
          throw new Error(`join_room ${room}: short history`);
        }
      }
      const cpu1 = await cpuSeconds(server.child.pid);
      const t1 = performance.now();
      for (let i = 0; i < REQUESTS; i++) {
        const room = rooms[i % rooms.length];
        const before = perRoom > 50
          ? 51 + Math.floor(Math.random() * (perRoom - 50))
          : perRoom + 1;
        const page = await prober.request("history", {
          room,
          before_seq: before,
          limit: 50,
        });
        pages.push(page.ms);
        if (page.reply.data.messages.length !== Math.min(50, before - 1)) {
          throw new Error(`history ${room} before ${before}: short page`);
        }
      }
      const cpu2 = await cpuSeconds(server.child.pid);
      const t2 = performance.now();
      const searches: number[] = [];
      let found = 0;
      for (let i = 0; i < REQUESTS; i++) {
        const result = await prober.request("search", {
          query: SEARCHES[i % SEARCHES.length],
        });
        searches.push(result.ms);
        found += result.reply.data.results.length;
      }
      const cpu3 = await cpuSeconds(server.child.pid);
      const t3 = performance.now();
      const work = (cpu: number, ms: number) =>
        Math.max(0, Math.round((cpu - idleRate * ms / 1000) * 1e6 / REQUESTS));
      await prober.close();
      return {
        messages,
        seed_s: seed ? Math.round(seed.seconds * 10) / 10 : 0,
        db_bytes: bytes,
        bytes_per_message: messages > 0 ? Math.round(bytes / messages) : null,
        startup_ms: Math.round(server.startupMs),
        startup_cpu_ms: Math.round(server.startupCpu * 1000),
        idle_cpu_util: Math.round(idleRate * 1000) / 1000,
        join_cpu_us: work(cpu1 - cpu0, t1 - t0),
        history_cpu_us: work(cpu2 - cpu1, t2 - t1),
        search_cpu_us: work(cpu3 - cpu2, t3 - t2),
        search_results_per_query: Math.round(found / REQUESTS * 10) / 10,
        rss_kib: rss,
        join_room: msQuantiles(joins),
        history_before_seq: msQuantiles(pages),
        search: msQuantiles(searches),
        load: await loadAverage(),
      };
    } finally {
      await stopChild(server.child, 15_000);
    }
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

const rows = [];
for (const n of SIZES) {
  console.error(`growth: ${n} messages (load average ${await loadAverage()})`);
  rows.push(await measureSize(n));
}

const fmt = (n: number) => n.toLocaleString("en-US");
console.log(
  `| stored messages | join_room p50 / p99 / max ms | CPU µs / join | history before_seq p50 / p99 / max ms | CPU µs / page | search p50 / p99 / max ms | CPU µs / search | start-up ms (CPU ms) | server RSS MiB | db bytes / message | seeding s | load average |`,
);
console.log(
  `| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |`,
);
for (const r of rows) {
  const j = r.join_room;
  const h = r.history_before_seq;
  const q = r.search;
  console.log(
    `| ${
      [
        fmt(r.messages),
        `${j.p50} / ${j.p99} / ${j.max}`,
        r.join_cpu_us,
        `${h.p50} / ${h.p99} / ${h.max}`,
        r.history_cpu_us,
        `${q.p50} / ${q.p99} / ${q.max}`,
        r.search_cpu_us,
        `${fmt(r.startup_ms)} (${fmt(r.startup_cpu_ms)})`,
        (r.rss_kib / 1024).toFixed(1),
        r.bytes_per_message ?? "—",
        r.seed_s || "—",
        r.load,
      ].join(" | ")
    } |`,
  );
}
console.log(`GROWTH_JSON ${JSON.stringify({ requests: REQUESTS, rows })}`);
