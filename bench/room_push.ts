/**
 * What an `@room`'s Web Push costs before anything is sent (docs/
 * performance.md, "An @room's pushes"): the store reads and the CPU of
 * `PushNotifier.roomMessage` for one `@room` in a room of `members`, in
 * process, over a SQLite file.
 *
 *   deno run -A bench/room_push.ts [members=2000] [mentions=5] [subscribed=1]
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
 * STORE_ROOT: the absolute path of a folder in the checkout holding
 * another version's server/ and client/ (`mkdir .old && git archive HEAD
 * server client | tar -x -C .old`), to measure its push and store instead:
 * alternate the two for A/B pairs.
 */
import process from "node:process";
import type { OutboundGuard } from "../server/outbound.ts";
import type { ChatMessage } from "../server/protocol/types.ts";
import type { Store } from "../server/store/mod.ts";

const [members = 2000, mentions = 5, subscribed = 1] = Deno.args.map(Number);
const root = Deno.env.get("STORE_ROOT") ?? new URL("..", import.meta.url).href;
const base = root.startsWith("file:") ? root : `file://${root}/`;
const { SqliteStore } = await import(`${base}server/store/sqlite.ts`);
const { PushNotifier } = await import(`${base}server/push.ts`);

const ROOM = "ops";
const AUTHOR = "boss";
const HOUR = 3_600_000;

const dir = await Deno.makeTempDir({ prefix: "room_push_" });
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
  let asked = 0;
  let done = () => {};
  const guard = {
    check() {
      if (++asked === expected) done();
      return Promise.resolve({ ok: false, reason: "bench" });
    },
  } as unknown as OutboundGuard;
  const push = new PushNotifier(counted, guard, () => Promise.resolve(false));
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
    const all = new Promise<void>((resolve) => done = resolve);
    push.roomMessage({ key: ROOM, name: ROOM }, message, AUTHOR);
    await all;
  };
  await mention(); // warm-up: statements prepared, web-push untouched
  calls.clear();
  console.log(
    `${base}: ${members} members, ${withSubscription} subscribed, ${expected} pushed; load ${
      Deno.loadavg().map((n) => n.toFixed(1)).join(" ")
    }`,
  );
  const before = process.cpuUsage();
  for (let i = 0; i < mentions; i++) await mention();
  const used = process.cpuUsage(before);
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
  await push.close();
  await store.close();
} finally {
  await Deno.remove(dir, { recursive: true });
}

function keys(): string[] {
  return Array.from(
    { length: members },
    (_, i) => `m${String(i).padStart(5, "0")}`,
  );
}
