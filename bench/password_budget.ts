/**
 * The figures of the budget of right-password logins
 * (server/accounts/password_budget.ts; docs/security.md, its attack row),
 * on a real server process over HTTP.
 *
 *   deno run -A bench/password_budget.ts flood [seconds=30] [atOnce=16] [redis]
 *   deno run -A bench/password_budget.ts rate [logins=64] [atOnce=8] [redis]
 *   deno run -A bench/password_budget.ts thief [seconds=30] [addresses=1] [redis]
 *
 * flood: one account logs in with its right password `atOnce` at a time,
 * each from a forwarded address of its own, for `seconds`; prints the
 * logins let in (the burst), the refusals, and another account's login
 * time alone and during the flood (p50, p90).
 * rate: what the budget costs the hash workers: right-password logins of
 * distinct accounts (so never refused), `atOnce` at a time, per second.
 * The reservation is taken once a login's turn in the password queue has
 * come, so its round trip (to Redis, with `redis`) holds a worker.
 * thief: someone who holds an account's password logs in with it 16 at a
 * time from `addresses` forwarded addresses (IPv4) until refused, then for
 * `seconds` more while the owner logs in with it from an address of its
 * own every 2 s; prints both sides' statuses and the owner's login time.
 * With `redis`, a Redis is started for the server (tests/services.ts).
 * Prints the load average at the start and the end: on a busy machine the
 * figures follow it.
 */
import { spawnServer } from "../tests/harness.ts";
import { startRedis } from "../tests/services.ts";

const [mode = "flood", ...rest] = Deno.args;
const withRedis = rest.includes("redis");
const [first, second] = rest.filter((arg) => arg !== "redis").map(Number);
const PASSWORD = "correct horse battery";

function load(): string {
  return Deno.loadavg().map((n) => n.toFixed(1)).join(" ");
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function seconds(sorted: number[], q: number): string {
  return (quantile(sorted, q) / 1000).toFixed(1);
}

const redis = withRedis ? await startRedis() : null;
if (withRedis && !redis) throw new Error("no Redis to start (redis-server)");
const dir = await Deno.makeTempDir({ prefix: "password-budget-" });
const server = await spawnServer([
  "--db",
  `${dir}/chat.db`,
  "--trust-proxy",
  "--log-level",
  "error",
  ...(redis ? ["--redis-url", redis.url] : []),
]);
const origin = new URL(server.url).origin;

/** One POST of {username, password}; its status, the body read. */
async function post(
  path: string,
  username: string,
  address: string,
): Promise<number> {
  const response = await fetch(`${server.url}${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      origin,
      "x-forwarded-for": address,
    },
    body: JSON.stringify({ username, password: PASSWORD }),
  });
  await response.body?.cancel();
  return response.status;
}

/** Registers the accounts, each from an address of its own (20 an hour each). */
async function register(names: string[]): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (next < names.length) {
      const i = next++;
      const status = await post("/api/register", names[i], `10.9.0.${i + 1}`);
      if (status !== 201) throw new Error(`register ${names[i]}: ${status}`);
    }
  }));
}

/** A login's time in ms; throws unless it let the account in. */
async function timedLogin(username: string, address: string) {
  const started = performance.now();
  const status = await post("/api/login", username, address);
  if (status !== 200) throw new Error(`login ${username}: ${status}`);
  return performance.now() - started;
}

async function flood(duration = 30, atOnce = 16) {
  // The other account's logins rotate over four accounts, so that they never
  // spend a budget of their own (20, then one every 10 s).
  const others = ["other0", "other1", "other2", "other3"];
  await register(["owner", ...others]);
  let turn = 0;
  const otherLogin = () => timedLogin(others[turn++ % 4], "10.8.0.1");
  const alone: number[] = [];
  for (let i = 0; i < 8; i++) alone.push(await otherLogin());
  alone.sort((a, b) => a - b);

  // Two windows: the burst (until the first refusal), then `duration`
  // seconds of a spent budget.
  const burst = new Map<number, number>();
  const spent = new Map<number, number>();
  let window = burst;
  let flooding = true;
  let firstRefusal = Promise.withResolvers<void>();
  const loadAtFlood = load();
  const started = performance.now();
  const attackers = Array.from({ length: atOnce }, async (_, i) => {
    while (flooding) {
      const status = await post("/api/login", "owner", `10.7.0.${i + 1}`);
      window.set(status, (window.get(status) ?? 0) + 1);
      if (status === 429) firstRefusal.resolve();
    }
  });
  const duringBurst: number[] = [];
  const duringSpent: number[] = [];
  let phase = duringBurst;
  const bystander = (async () => {
    while (flooding) {
      const samples = phase;
      samples.push(await otherLogin());
    }
  })();
  await firstRefusal.promise;
  const burstSeconds = (performance.now() - started) / 1000;
  window = spent;
  phase = duringSpent;
  const loadAtSpent = load();
  await new Promise((resolve) => setTimeout(resolve, duration * 1000));
  flooding = false;
  window = new Map();
  await Promise.all([...attackers, bystander]);
  firstRefusal = Promise.withResolvers<void>();
  duringBurst.sort((a, b) => a - b);
  duringSpent.sort((a, b) => a - b);
  const counts = (statuses: Map<number, number>) =>
    JSON.stringify(Object.fromEntries(statuses));
  console.log(
    `flood: ${atOnce} at a time; load ${loadAtFlood} at its start, ${loadAtSpent} once spent, ${load()} at its end`,
  );
  console.log(
    `  other account's login alone: p50 ${seconds(alone, 0.5)} s p90 ${
      seconds(alone, 0.9)
    } s (${alone.length})`,
  );
  console.log(
    `  burst: ${burstSeconds.toFixed(1)} s until the first refusal, statuses ${
      counts(burst)
    }; other's login p50 ${seconds(duringBurst, 0.5)} s p90 ${
      seconds(duringBurst, 0.9)
    } s (${duringBurst.length} begun)`,
  );
  console.log(
    `  then ${duration} s: statuses ${counts(spent)}; other's login p50 ${
      seconds(duringSpent, 0.5)
    } s p90 ${seconds(duringSpent, 0.9)} s (${duringSpent.length} begun)`,
  );
}

async function rate(logins = 64, atOnce = 8) {
  const names = Array.from({ length: logins }, (_, i) => `user${i}`);
  await register(names);
  let next = 0;
  const loadAtStart = load();
  const started = performance.now();
  const times: number[] = [];
  await Promise.all(Array.from({ length: atOnce }, async () => {
    while (next < names.length) {
      const i = next++;
      times.push(await timedLogin(names[i], `10.6.0.${(i % 250) + 1}`));
    }
  }));
  const elapsed = (performance.now() - started) / 1000;
  times.sort((a, b) => a - b);
  console.log(
    `rate (${
      redis ? "Redis" : "memory"
    } budget): ${logins} right-password logins of distinct accounts, ${atOnce} at a time: ${
      (logins / elapsed).toFixed(2)
    } logins/s, each p50 ${
      seconds(times, 0.5)
    } s (load ${loadAtStart} at the start, ${load()} at the end)`,
  );
}

/**
 * A right-password login of `username` from `address`, as what answered:
 * 200, the budget at that address, the account's, the guessing throttle
 * (16 at once from one address pass its 5 attempts per name and address).
 */
async function classifiedLogin(
  username: string,
  address: string,
): Promise<string> {
  const response = await fetch(`${server.url}/api/login`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      origin,
      "x-forwarded-for": address,
    },
    body: JSON.stringify({ username, password: PASSWORD }),
  });
  const text = await response.text();
  if (response.status !== 429) return String(response.status);
  if (text.includes("from your address")) return "address";
  if (text.includes("this account's password")) return "account";
  if (text.includes("failed logins")) return "throttle";
  return "429";
}

async function thief(duration = 30, addresses = 1) {
  await register(["owner"]);
  // Two windows, as in flood: the thief's burst (until its first
  // refusal), then `duration` seconds of a spent budget, in which the
  // owner tries.
  const burst = new Map<string, number>();
  const spent = new Map<string, number>();
  let window = burst;
  let flooding = true;
  const firstRefusal = Promise.withResolvers<void>();
  const loadAtStart = load();
  const started = performance.now();
  const attackers = Array.from({ length: 16 }, async (_, i) => {
    const address = `10.7.0.${(i % addresses) + 1}`;
    while (flooding) {
      const status = await classifiedLogin("owner", address);
      window.set(status, (window.get(status) ?? 0) + 1);
      if (status === "address" || status === "account") {
        firstRefusal.resolve();
      }
    }
  });
  await firstRefusal.promise;
  const burstSeconds = (performance.now() - started) / 1000;
  window = spent;
  const loadAtSpent = load();
  const owners = new Map<string, number>();
  const ownerTimes: number[] = [];
  const until = performance.now() + duration * 1000;
  while (performance.now() < until) {
    const begun = performance.now();
    const status = await classifiedLogin("owner", "10.5.0.1");
    ownerTimes.push(performance.now() - begun);
    owners.set(status, (owners.get(status) ?? 0) + 1);
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
  flooding = false;
  window = new Map();
  await Promise.all(attackers);
  ownerTimes.sort((a, b) => a - b);
  const counts = (statuses: Map<string, number>) =>
    JSON.stringify(Object.fromEntries(statuses));
  console.log(
    `thief (${
      redis ? "Redis" : "memory"
    } budget): 16 at a time from ${addresses} address(es); load ${loadAtStart} at its start, ${loadAtSpent} once spent, ${load()} at its end`,
  );
  console.log(
    `  burst: ${burstSeconds.toFixed(1)} s until the first refusal, statuses ${
      counts(burst)
    }`,
  );
  console.log(
    `  then ${duration} s: the thief's statuses ${
      counts(spent)
    }; the owner's, from another address every 2 s: ${
      counts(owners)
    }, each p50 ${seconds(ownerTimes, 0.5)} s p90 ${
      seconds(ownerTimes, 0.9)
    } s`,
  );
}

try {
  if (mode === "flood") await flood(first, second);
  else if (mode === "rate") await rate(first, second);
  else if (mode === "thief") await thief(first, second);
  else throw new Error(`unknown mode ${mode}: flood, rate or thief`);
} finally {
  await server.stop();
  await redis?.stop();
  await Deno.remove(dir, { recursive: true });
}
