/**
 * Chat's server cost by counts, not by time (issue 14): a fixed workload, a
 * fixed number of messages sent in closed rounds, and what the server spent
 * on it in figures a busy machine does not blur: its collections and the
 * bytes it allocated (`--trace-gc-nvp`), with `--heap-profile FILE` who
 * allocated them (V8's sampling heap profiler, bytes a message by
 * function), and its CPU ticks (which load blurs, a little).
 *
 *   deno run -A bench/chat_counts.ts [--messages N] [--rooms R]
 *     [--members M] [--per-round K] [--server-dir DIR] [--heap-profile FILE]
 *
 * Rooms of M members, all logged in from this process; each round, K
 * members of every room send one message each, and the next round starts
 * once every send is acknowledged and every member has its copy: the same
 * sends reach the server in the same groups whatever the load, so a
 * round's commits and flushes are alike from run to run. The first tenth
 * of the rounds warm the server (its JIT) and are not counted.
 * `BENCH_SERVER_FLAGS` and `BENCH_SERVER_ARGS` pass flags to the server as
 * for `deno task bench` (e.g. `--cpu-prof --cpu-prof-dir=DIR`: the
 * profile's samples of a fixed workload). Callgrind's instruction totals
 * were tried and left out: the server under valgrind did not get through
 * 1,000 messages in ten minutes on a loaded 2-core machine.
 */
import { parseArgs } from "node:util";
import { benchServerArgs, CHILD_ENV, HOST, ROOT } from "./targets.ts";
import { cpuSeconds, eachLine, listeningPort, sleep } from "./proc.ts";
import { children, stopChild } from "./children.ts";
import { GcTrace, isTraceLine } from "./gc_trace.ts";
import { HeapSampler, topAllocators } from "./heap_sampling.ts";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    messages: { type: "string", default: "10000" },
    rooms: { type: "string", default: "10" },
    members: { type: "string", default: "20" },
    "per-round": { type: "string", default: "2" },
    "server-dir": { type: "string", default: ROOT },
    "heap-profile": { type: "string" },
  },
});
const rooms = Number(flags.rooms);
const members = Number(flags.members);
const perRound = Number(flags["per-round"]);
const rounds = Math.ceil(Number(flags.messages) / (rooms * perRound));
const warmRounds = Math.ceil(rounds / 10);
const heapProfile = flags["heap-profile"];

interface Client {
  ws: WebSocket;
  name: string;
  room: number;
}

const dir = await Deno.makeTempDir({ prefix: "chat-counts-" });
// A second --v8-flags adds to V8_FLAGS' (Deno joins them), as targets.ts
// adds its trace.
const denoArgs = benchServerArgs(`${dir}/bench.db`, {
  limitsOff: true,
  denoFlags: [
    "--v8-flags=--trace-gc-nvp",
    ...(heapProfile ? ["--inspect=127.0.0.1:0"] : []),
  ],
});
const child = new Deno.Command(Deno.execPath(), {
  args: denoArgs,
  cwd: flags["server-dir"],
  env: CHILD_ENV,
  stdin: "null",
  stdout: "piped",
  stderr: "piped",
}).spawn();
children.add(child);
const gc = new GcTrace();
const log: string[] = [];
let inspector: { url: string; port: number } | undefined;
const onLine = (line: string) => {
  const m = /^Debugger listening on (ws:\/\/[^:]+:(\d+)\/\S+)/.exec(line);
  if (m) inspector = { url: m[1], port: Number(m[2]) };
  if (isTraceLine(line) || /^(Debugger |Visit chrome:)/.test(line)) {
    gc.line(line);
  } else if (line.trim() !== "" && log.length < 20) log.push(line);
};
eachLine(child.stdout, onLine).catch(() => {});
eachLine(child.stderr, onLine).catch(() => {});

let port: number | undefined;
for (let i = 0; i < 1200 && port === undefined; i++) {
  await sleep(100);
  if (heapProfile && inspector === undefined) continue;
  port = await listeningPort(child.pid, inspector?.port);
}
if (port === undefined) throw new Error(`no server: ${log.join(" | ")}`);

// Replies and deliveries still to come in this round.
let pending = 0;
let roundDone: () => void = () => {};
let errors = 0;
function onFrame(text: string) {
  for (const frame of text.split("\n")) {
    if (frame.startsWith('{"action":"receive_message"')) pending--;
    else if (frame.includes('"request":"send_message"')) pending--;
    else if (frame.startsWith('{"action":"error"')) errors++;
  }
  if (pending === 0) roundDone();
}

// The reply to a frame (events that come before it are passed over).
function request(ws: WebSocket, frame: string): Promise<string> {
  return new Promise((resolve) => {
    const listener = (e: MessageEvent) => {
      const reply = (e.data as string).split("\n").find((line) =>
        /^\{"action":"(success|error)"/.test(line)
      );
      if (reply === undefined) return;
      ws.removeEventListener("message", listener);
      resolve(reply);
    };
    ws.addEventListener("message", listener);
    ws.send(frame);
  });
}

const clients: Client[] = [];
// A failure stops the server and removes its folder before it says why.
globalThis.addEventListener("unhandledrejection", async (e) => {
  e.preventDefault();
  console.error(e.reason);
  await stopChild(child, 5000);
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  Deno.exit(1);
});
for (let r = 0; r < rooms; r++) {
  for (let m = 0; m < members; m++) {
    const ws = new WebSocket(`ws://${HOST}:${port}/ws`);
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = reject;
    });
    const name = `c${r}_${m}`;
    const login = await request(
      ws,
      `{"action":"login","data":{"username":"${name}"},"id":"l"}`,
    );
    if (!login.startsWith('{"action":"success"')) throw new Error(login);
    // The room's first member makes it.
    const joined = await request(
      ws,
      `{"action":"${m === 0 ? "create_room" : "join_room"}",` +
        `"data":{"room":"room${r}"}}`,
    );
    if (!joined.includes('"success"')) throw new Error(joined);
    ws.onmessage = (e) => onFrame(e.data as string);
    clients.push({ ws, name, room: r });
  }
}
await sleep(500);

// Some 150 characters a message, as a sentence of chat. No link: a link
// would send the server's previews out of this machine.
const TEXT = "a message of a chat room, as long as most: a few words about " +
  "the day's work and a question for the others in the room, then ";

async function round(n: number) {
  pending = rooms * perRound * (members + 1);
  const done = new Promise<void>((resolve) => roundDone = resolve);
  for (let r = 0; r < rooms; r++) {
    for (let k = 0; k < perRound; k++) {
      const c = clients[r * members + ((n * perRound + k) % members)];
      c.ws.send(
        `{"action":"send_message","data":{"text":"${TEXT}${n}.${k}"}}`,
      );
    }
  }
  await done;
}

for (let n = 0; n < warmRounds; n++) await round(n);
await sleep(200);
const sampler = inspector && new HeapSampler(inspector.url);
await sampler?.start();
const cpu0 = await cpuSeconds(child.pid);
const t0 = Date.now();
for (let n = warmRounds; n < warmRounds + rounds; n++) await round(n);
const t1 = Date.now();
const cpu1 = await cpuSeconds(child.pid);
const profile = await sampler?.stop();
await sleep(1500);
for (const c of clients) c.ws.close();
await stopChild(child, 20_000);
const window = gc.window(t0, t1);
await Deno.remove(dir, { recursive: true });

const messages = rounds * rooms * perRound;
const deliveries = messages * members;
const fixed = (x: number, d = 2) => Number(x.toFixed(d));
console.log(JSON.stringify({
  messages,
  deliveries,
  rooms,
  members,
  per_round: perRound,
  errors,
  seconds: fixed((t1 - t0) / 1000),
  cpu_us_per_message: fixed((cpu1 - cpu0) * 1e6 / messages),
  scavenges: window.main.scavenges,
  mark_compacts: window.main.markCompacts,
  allocated_bytes_per_message: Math.round(
    window.main.allocatedBytes / messages,
  ),
  server_log: log.slice(0, 5),
}));
if (profile && heapProfile) {
  await Deno.writeTextFile(heapProfile, JSON.stringify(profile));
  for (const line of topAllocators(profile, messages, 25)) console.log(line);
}
