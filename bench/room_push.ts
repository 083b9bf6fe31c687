/**
 * What an `@room`'s Web Push costs before anything is sent (docs/
 * performance.md, "An @room's pushes"): the store reads and the CPU of
 * `PushNotifier.roomMessage` for one `@room` in a room of `members`, in
 * process, over a SQLite file.
 *
 *   deno run -A bench/room_push.ts [members=2000] [mentions=5] [subscribed=1] [presence=memory]
 *
 * Every member is offline (presence says no one watches); a `subscribed`
 * fraction of them has a subscription; of every ten subscribed, one
 * ignores the author, one set the room to `none`, one is paused (do not
 * disturb) and one is banned from the server: six get the push. The guard
 * refuses every endpoint, so no push is encrypted or sent: what is
 * measured is the choice of whom to push, until the guard has been asked
 * for each of them. Prints the store calls per `@room` by method and the
 * process's CPU (user and system, `process.cpuUsage`) per `@room`: CPU,
 * not wall time, since the machine may be busy.
 *
 * `presence`: `memory` (one process: the registry answers) or `redis`: a
 * Redis started for the run (tests/services.ts), presence of one node
 * over it, and also the writes to Redis per `@room` (each one a round
 * trip awaited: a pipeline is one), the commands Redis ran (INFO
 * commandstats, a script's own counted beside it) and Redis's own CPU.
 *
 * STORE_ROOT: the absolute path of a folder in the checkout holding
 * another version's server/ and client/ (`mkdir .old && git archive HEAD
 * server client | tar -x -C .old`), to measure its push and store instead:
 * alternate the two for A/B pairs.
 */
import process from "node:process";
import type { Redis } from "ioredis";
import type { OutboundGuard } from "../server/outbound.ts";
import type { ChatMessage } from "../server/protocol/types.ts";
import type { Store } from "../server/store/mod.ts";
import { redisClient, startRedis } from "../tests/services.ts";

const [members = 2000, mentions = 5, subscribed = 1] = Deno.args.slice(0, 3)
  .map(Number);
const presenceKind = Deno.args[3] ?? "memory";
if (presenceKind !== "memory" && presenceKind !== "redis") {
  throw new Error(`presence: memory or redis, not '${presenceKind}'`);
}
const root = Deno.env.get("STORE_ROOT") ?? new URL("..", import.meta.url).href;
const base = root.startsWith("file:") ? root : `file://${root}/`;
const { SqliteStore } = await import(`${base}server/store/sqlite.ts`);
const { PushNotifier } = await import(`${base}server/push.ts`);
const { MemoryPresence } = await import(`${base}server/presence/memory.ts`);
const { RedisPresence } = await import(`${base}server/presence/redis.ts`);
const { RoomRegistry } = await import(`${base}server/registry.ts`);

const ROOM = "ops";
const AUTHOR = "boss";
const HOUR = 3_600_000;

const dir = await Deno.makeTempDir({ prefix: "room_push_" });
const redis = presenceKind === "redis" ? await startRedis() : null;
if (presenceKind === "redis" && !redis) throw new Error("no redis-server");
const clients: Redis[] = [];
try {
  const store = await SqliteStore.open(`${dir}/chat.db`, {
    busyTimeoutMs: 5000,
  }) as Store;
  await store.createRoom(ROOM, ROOM);
  let expected = 0;
  let withSubscription = 0;
  for (const key of [AUTHOR, ...keys()]) {
    await store.createAccount({
      key,
      username: key,
      passwordHash: "x",
      role: "user",
    });
    await store.addMember(key, ROOM);
    if (key === AUTHOR) continue;
    const n = Number(key.slice(1));
    if (n >= members * subscribed) continue;
    await store.savePushSubscription({
      endpoint: `https://push.example/${key}`,
      userKey: key,
      p256dh: "key",
      auth: "auth",
      createdAt: n,
    });
    const kind = withSubscription++ % 10;
    if (kind === 0) {
      await store.ignore(key, { key: AUTHOR, name: AUTHOR, max: 10 });
    } else if (kind === 1) {
      await store.setNotifyLevel(
        key,
        { stream: ROOM, level: "none", updatedAt: 1 },
        10,
      );
    } else if (kind === 2) {
      await store.setDoNotDisturb(key, Date.now() + HOUR);
    } else if (kind === 3) {
      await store.addBan({
        userKey: key,
        reason: "spam",
        by: AUTHOR,
        createdAt: 1,
      });
    } else expected++;
  }

  // Every store call push makes, counted by method.
  const calls = new Map<string, number>();
  const counted = new Proxy({}, {
    get(_, method: string) {
      const real = (store as unknown as Record<string, unknown>)[method];
      if (typeof real !== "function") return real;
      return (...args: unknown[]) => {
        calls.set(method, (calls.get(method) ?? 0) + 1);
        return real.apply(store, args);
      };
    },
  });
  // An @room is done once the guard was asked for each push and presence
  // for each member, and presence's last answer came: the pages after the
  // last push (nobody subscribed on them) counted in their own @room.
  let asked = 0;
  let watchAsked = 0;
  let lastWatch: Promise<unknown> = Promise.resolve();
  let done = () => {};
  // Every member, and the word `room` taken as a name (no such account).
  const watchExpected = members + 1;
  const check = () => {
    if (asked >= expected && watchAsked >= watchExpected) done();
  };
  const guard = {
    check() {
      asked++;
      check();
      return Promise.resolve({ ok: false, reason: "bench" });
    },
  } as unknown as OutboundGuard;
  const memory = new MemoryPresence(new RoomRegistry());
  let presence = memory;
  let writes = 0;
  if (redis) {
    const client = redisClient(redis.url);
    clients.push(client, redisClient(redis.url));
    // No heartbeat within the run: a TTL of ten minutes beats every 200 s.
    presence = new RedisPresence(client, {
      nodeId: "bench",
      fallback: memory,
      ttlMs: 600_000,
    });
    await presence.start();
    // Every write to the socket: a command alone, or a whole pipeline.
    const stream = (client as unknown as {
      stream: { write: (...args: unknown[]) => boolean };
    }).stream;
    const write = stream.write;
    stream.write = (...args) => {
      writes++;
      return write.apply(stream, args);
    };
  }
  // The version measured: a read for many (watchingAmong), or one a member.
  const watched = <T>(keys: number, answer: Promise<T>): Promise<T> => {
    watchAsked += keys;
    lastWatch = answer;
    check();
    return answer;
  };
  const push = "watchingAmong" in presence
    ? new PushNotifier(
      counted,
      guard,
      (keys: string[]) => watched(keys.length, presence.watchingAmong(keys)),
    )
    : new PushNotifier(
      counted,
      guard,
      (key: string) => watched(1, presence.isWatching(key)),
    );
  await push.start();
  const message = {
    id: "m",
    seq: 1,
    ts: 1,
    user: AUTHOR,
    text: "@room deploy at noon",
    room_mention: true,
  } as unknown as ChatMessage;
  const mention = async () => {
    asked = 0;
    watchAsked = 0;
    const all = new Promise<void>((resolve) => done = resolve);
    push.roomMessage({ key: ROOM, name: ROOM }, message, AUTHOR);
    await all;
    await lastWatch;
  };
  await mention(); // warm-up: statements prepared, web-push untouched
  calls.clear();
  writes = 0;
  const admin = clients[1];
  await admin?.config("RESETSTAT");
  console.log(
    `${base}: ${members} members, ${withSubscription} subscribed, ${expected} pushed; load ${
      Deno.loadavg().map((n) => n.toFixed(1)).join(" ")
    }`,
  );
  const redisBefore = admin && redisCpu(await admin.info("cpu"));
  const before = process.cpuUsage();
  for (let i = 0; i < mentions; i++) await mention();
  const used = process.cpuUsage(before);
  const redisAfter = admin && redisCpu(await admin.info("cpu"));
  const reads = [...calls].map(([method, n]) => `${method} ${n / mentions}`)
    .join(", ");
  const total = [...calls.values()].reduce((a, b) => a + b, 0) / mentions;
  console.log(
    `an @room: ${total} store calls (${reads}); CPU ms user ${
      (used.user / mentions / 1000).toFixed(1)
    } system ${(used.system / mentions / 1000).toFixed(1)} total ${
      ((used.user + used.system) / mentions / 1000).toFixed(1)
    }`,
  );
  if (admin) {
    const commands = [
      ...(await admin.info("commandstats")).matchAll(
        /^cmdstat_(\w+):calls=(\d+)/gm,
      ),
    ].filter(([, name]) => name !== "config" && name !== "info")
      .map(([, name, n]) => `${name} ${Number(n) / mentions}`).join(", ");
    console.log(
      `Redis per @room: ${writes / mentions} writes (round trips); commands ${
        commands || "none"
      }; Redis CPU ms ${
        ((redisAfter! - redisBefore!) / mentions).toFixed(1)
      } (main thread, user and system)`,
    );
  }
  await push.close();
  await presence.close();
  await store.close();
} finally {
  for (const client of clients) await client.quit().catch(() => {});
  await redis?.stop();
  await Deno.remove(dir, { recursive: true });
}

// Redis's own CPU so far in ms (INFO cpu: its main thread, user and system).
function redisCpu(info: string): number {
  const seconds = (name: string) =>
    Number(new RegExp(`^${name}:([\\d.]+)`, "m").exec(info)?.[1] ?? 0);
  return (seconds("used_cpu_user_main_thread") +
    seconds("used_cpu_sys_main_thread")) * 1000;
}

function keys(): string[] {
  return Array.from(
    { length: members },
    (_, i) => `m${String(i).padStart(5, "0")}`,
  );
}
