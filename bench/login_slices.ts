/**
 * What an account's login costs the thread that serves the sockets
 * (docs/security.md, Known limits; docs/performance.md, "Logins of
 * accounts in many rooms"): an account in R rooms of M unread messages each
 * (a tenth of them mentioning it), logged in with its token on a real
 * server process. Prints the login's own time and the longest stall of the
 * server's event loop during it (its /metrics), then, while C clients log
 * in with that token in a loop, another client's send latency and the
 * longest stall.
 *
 *   deno run -A bench/login_slices.ts [rooms=100] [unread=1000] [clients=4] [seconds=10]
 *
 * LOGIN_SLICES_EXE: a program to start the measured server with instead
 * (e.g. a script running main.ts under `--cpu-prof`, for bench/stalls.ts).
 */
import { SqliteStore } from "../server/store/sqlite.ts";
import { spawnServer, TestClient as Client } from "../tests/harness.ts";
import { readDelayBuckets, windowDelay } from "./loop_delay.ts";

const [rooms = 100, unread = 1000, clients = 4, seconds = 10] = Deno.args.map(
  Number,
);
const dir = await Deno.makeTempDir({ prefix: "login-slices-" });
const db = `${dir}/chat.db`;
const flags = [
  "--db",
  db,
  "--rate-limits",
  "off",
  "--max-rooms-per-user",
  "0",
  "--log-level",
  "error",
];

// The account and its rooms through the server, then the messages straight
// into the store (a writer's, as if sent while the account was away).
let server = await spawnServer(flags);
const reader = await Client.register(server.wsUrl, "reader");
const token = reader.token!;
for (let i = 1; i <= rooms; i++) {
  await reader.ok("create_room", { room: `r${i}` });
}
await reader.close();
await server.stop();
const store = new SqliteStore(db, { busyTimeoutMs: 2000 });
for (let i = 1; i <= rooms; i++) {
  const appends = [];
  for (let n = 0; n < unread; n++) {
    appends.push(store.appendMessage({
      roomKey: `r${i}`,
      userKey: "writer",
      user: "writer",
      text: n % 10 === 0 ? `hello @reader ${n}` : `hello ${n}`,
    }));
  }
  await Promise.all(appends);
}
await store.close();
server = await spawnServer(
  flags,
  Deno.env.get("LOGIN_SLICES_EXE")
    ? { executable: Deno.env.get("LOGIN_SLICES_EXE") }
    : {},
);

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function login(): Promise<number> {
  const client = await Client.connect(server.wsUrl);
  const start = performance.now();
  const reply = await client.request("login", { token });
  const ms = performance.now() - start;
  if (reply.action !== "success") throw new Error(JSON.stringify(reply.data));
  await client.close();
  return ms;
}

// One login at a time on an idle server.
const times: number[] = [];
const stalls: number[] = [];
for (let i = 0; i < 10; i++) {
  const before = await readDelayBuckets(server.url);
  times.push(await login());
  // A turn of the 10 ms delay timer after the login, so its stall is seen.
  await new Promise((resolve) => setTimeout(resolve, 30));
  stalls.push(windowDelay(before, await readDelayBuckets(server.url))!.max);
}
console.log(
  `one login (${rooms} rooms of ${unread} unread): ${
    quantile(times, 0.5).toFixed(1)
  } ms (p50 of 10), longest loop stall ${
    quantile(stalls, 0.5)
  } ms (p50; at most), ${Math.max(...stalls)} ms (max)`,
);

// Sends timed by another client, with and without logins in a loop.
async function sendLatencies(
  sender: Client,
  ms: number,
): Promise<number[]> {
  const latencies: number[] = [];
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const start = performance.now();
    await sender.ok("send_message", { room: "general", text: "ping" });
    latencies.push(performance.now() - start);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return latencies;
}
const sender = await Client.login(server.wsUrl, "sender");
const calm = await readDelayBuckets(server.url);
const quiet = await sendLatencies(sender, 3000);
const quietDelay = windowDelay(calm, await readDelayBuckets(server.url))!;
let running = true;
let logins = 0;
const before = await readDelayBuckets(server.url);
const loops = Array.from({ length: clients }, async () => {
  while (running) {
    await login();
    logins++;
  }
});
const busy = await sendLatencies(sender, seconds * 1000);
running = false;
await Promise.all(loops);
const delay = windowDelay(before, await readDelayBuckets(server.url))!;
await sender.close();
const show = (l: number[]) =>
  `p50 ${quantile(l, 0.5).toFixed(1)} ms, p99 ${
    quantile(l, 0.99).toFixed(1)
  } ms, max ${Math.max(...l).toFixed(1)} ms`;
console.log(
  `sends, no logins: ${
    show(quiet)
  }; loop stall p99 ${quietDelay.p99} ms, max ${quietDelay.max} ms`,
);
console.log(
  `sends, ${clients} clients logging in in a loop: ${
    show(busy)
  }; ${logins} logins in ${seconds} s; loop stall p99 ${delay.p99} ms, max ${delay.max} ms`,
);
await server.stop();
await Deno.remove(dir, { recursive: true });
