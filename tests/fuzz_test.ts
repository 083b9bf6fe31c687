/**
 * Fuzzing the wire: a few thousand frames from a seeded generator (random
 * JSON, requests of every action with mutated fields, aimed at real
 * messages and rooms too, junk text, truncated JSON, binary) over
 * concurrent connections, some logged in and some not. Then the server
 * must still serve, must have answered every frame exactly once and none
 * with `internal` (a handler that threw), and its rooms, counts and
 * histories must agree. A second run has the admin send the frames, two
 * in five a well-formed moderation or admin request, carried out on
 * accounts and guests standing by.
 *
 * The seed is in the test name; `FUZZ_SEED=n deno test -A tests/fuzz_test.ts`
 * replays another.
 */
import assert from "node:assert/strict";
import {
  ADMIN_ACTIONS,
  MEMBER_HANDLERS,
  PUBLIC_HANDLERS,
} from "../server/handlers/mod.ts";
import { NO_RATE_LIMITS } from "../server/mod.ts";
import {
  type ClientPool,
  type Frame,
  replyCount,
  TestClient,
  type TestServer,
  withClients,
} from "./harness.ts";

const SEED = Number(Deno.env.get("FUZZ_SEED") ?? 20261124) >>> 0;
const FRAMES = 5000;
const CONNECTIONS = 5;
const ADMIN_FRAMES = 2000;

/** mulberry32: a small, fast, seedable PRNG returning [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Every action the server has, so that a new one is fuzzed too; but
// `logout`, which ends the connection (the checks below count on every
// connection staying open to answer every frame).
const ACTIONS = [
  ...Object.keys(PUBLIC_HANDLERS),
  ...Object.keys(MEMBER_HANDLERS),
].filter((action) => action !== "logout");

const JUNK_ACTIONS = [
  "",
  " ",
  "LOGIN",
  "Send_Message",
  "send-message",
  "__proto__",
  "constructor",
  "toString",
  "hasOwnProperty",
  "success",
  "error",
  "receive_message",
  "room_list",
  "system",
  "x".repeat(300),
  "send_message\u0000",
  "list_rooms ",
];

/** Random values and frames, all drawn from one seeded stream. */
class Gen {
  #next: () => number;
  names = ["fz0", "fz1", "fz2", "fz3", "nobody", "general", "dev", "Dév"];
  /** Ids of messages stored before the fuzzing, and a few that never were. */
  messageIds: string[] = ["", "0".repeat(26), "x".repeat(64)];

  constructor(seed: number) {
    this.#next = mulberry32(seed);
  }

  float(): number {
    return this.#next();
  }

  int(max: number): number {
    return Math.floor(this.#next() * max);
  }

  chance(p: number): boolean {
    return this.#next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** Unicode junk: controls, invisibles, bidi, surrogates, emoji, CJK. */
  junk(maxLength = 40): string {
    const pools = [
      () => String.fromCharCode(this.int(32)),
      () => this.pick(["\u200B", "\u200D", "\u202E", "\u2066", "\uFEFF"]),
      () => this.pick(["\u3164", "\u115F", "\u00AD", "\u034F", "\uFE0F"]),
      () => String.fromCharCode(0xd800 + this.int(0x800)),
      () => String.fromCodePoint(0x1f300 + this.int(0x300)),
      () => String.fromCodePoint(0x4e00 + this.int(0x5000)),
      () => String.fromCharCode(0x20 + this.int(0x5f)),
      () => this.pick(['"', "\\", "\n", "{", "}", "[", "]", ":", ","]),
      () => String.fromCharCode(this.int(0x10000)),
    ];
    const length = this.int(maxLength + 1);
    let text = "";
    for (let i = 0; i < length; i++) text += this.pick(pools)();
    return text;
  }

  name(): string {
    switch (this.int(5)) {
      case 0:
        return this.pick(this.names);
      case 1:
        return `r${this.int(8)}`;
      case 2:
        return this.junk(12);
      case 3:
        return "n".repeat(this.pick([1, 32, 33, 200, 4096]));
      default:
        return this.pick(["ａｌｉｃｅ", "STRASSE", "Straße", "dev", "DEV"]);
    }
  }

  /** Any JSON value, depth-limited. */
  value(depth = 0): unknown {
    const kinds = depth > 3 ? 6 : 8;
    switch (this.int(kinds)) {
      case 0:
        return null;
      case 1:
        return this.chance(0.5);
      case 2:
        return this.pick([
          0,
          -1,
          1.5,
          -0,
          2 ** 53,
          -(2 ** 53) - 2,
          1e308,
          -1e308,
          Number.MAX_SAFE_INTEGER,
          this.int(1000),
        ]);
      case 3:
        return this.junk();
      case 4:
        return this.name();
      case 5:
        return "s".repeat(this.int(5000));
      case 6: {
        const out: unknown[] = [];
        for (let i = this.int(4); i > 0; i--) out.push(this.value(depth + 1));
        return out;
      }
      default: {
        const out: Record<string, unknown> = {};
        for (let i = this.int(5); i > 0; i--) {
          const key = this.pick([
            "action",
            "data",
            "id",
            "text",
            "room",
            "__proto__",
            "constructor",
            this.junk(6),
          ]);
          out[key] = this.value(depth + 1);
        }
        return out;
      }
    }
  }

  messageId(): string {
    return this.chance(0.9) ? this.pick(this.messageIds) : this.junk(30);
  }

  /** A room (`room`) or a private conversation (`with`), or neither. */
  place(): Record<string, unknown> {
    const roll = this.float();
    return roll < 0.5
      ? { room: this.name() }
      : roll < 0.8
      ? { with: this.name() }
      : roll < 0.9
      ? {}
      : { room: this.name(), with: this.name() };
  }

  /** Plausible data for a real action. */
  data(action: string): Record<string, unknown> {
    switch (action) {
      case "login":
        return this.chance(0.05)
          ? { username: this.name(), password: this.junk(20) }
          : this.chance(0.05)
          ? { token: this.junk(30) }
          : { username: `${this.pick(["g", "fz", "Ü"])}${this.int(50)}` };
      case "register":
        return {
          username: this.name(),
          password: this.chance(0.7) ? "short" : this.junk(12),
        };
      case "create_room":
        return { room: this.name(), private: this.chance(0.3) };
      case "join_room":
        return this.chance(0.2)
          ? { room: this.name(), invite: this.junk(20) }
          : { room: this.name() };
      case "delete_room":
      case "leave_room":
      case "list_invites":
        return { room: this.name() };
      case "list_users":
        return this.chance(0.5) ? {} : { room: this.name() };
      case "send_message":
        return {
          text: this.chance(0.7) ? `hello ${this.junk(60)}` : this.junk(200),
          ...(this.chance(0.3) ? { client_id: `c${this.int(20)}` } : {}),
          ...(this.chance(0.2) ? { reply_to: this.messageId() } : {}),
        };
      case "history":
        return {
          ...(this.chance(0.6) ? { room: this.name() } : {}),
          ...(this.chance(0.2) ? { with: this.name() } : {}),
          ...(this.chance(0.4) ? { after_seq: this.int(30) } : {}),
          ...(this.chance(0.3) ? { before_seq: this.int(30) } : {}),
          ...(this.chance(0.3) ? { limit: this.int(250) } : {}),
          ...(this.chance(0.1) ? { around_seq: this.int(30) } : {}),
          ...(this.chance(0.1) ? { epoch: this.junk(10) } : {}),
        };
      case "private_message":
        return { to: this.name(), text: this.junk(80) };
      case "kick":
      case "ban":
      case "unban":
        return {
          user: this.name(),
          ...(this.chance(0.5) ? { room: this.name() } : {}),
          ...(this.chance(0.5) ? { reason: this.junk() } : {}),
          ...(this.chance(0.3) ? { duration_s: this.int(100) } : {}),
        };
      case "set_role":
        return {
          user: this.name(),
          role: this.pick(["admin", "moderator", "user", "root"]),
        };
      case "typing":
        return this.chance(0.5) ? {} : { to: this.name() };
      case "visibility":
        return { hidden: this.chance(0.5) };
      case "edit_message":
        return { id: this.messageId(), text: `edited ${this.junk(40)}` };
      case "delete_message":
        return { id: this.messageId() };
      case "change_password":
        return { old_password: this.junk(12), new_password: this.junk(12) };
      case "mark_read":
        return { ...this.place(), seq: this.int(40) };
      case "invite":
      case "remove_member":
        return { room: this.name(), user: this.name() };
      case "create_invite":
        return {
          room: this.name(),
          ...(this.chance(0.5) ? { max_uses: this.int(5) } : {}),
          ...(this.chance(0.5) ? { expires_in_s: this.int(100) } : {}),
        };
      case "revoke_invite":
        return { code: this.junk(20) };
      case "react":
        return {
          id: this.messageId(),
          emoji: this.pick(["👍", "🎉", "x", "", this.junk(8)]),
          ...(this.chance(0.3) ? { on: this.chance(0.5) } : {}),
        };
      case "pin":
        return {
          id: this.messageId(),
          ...(this.chance(0.5) ? { on: this.chance(0.5) } : {}),
        };
      case "list_pins":
        return this.place();
      case "search":
        return {
          query: this.pick(["hello", "he", "h", "", '"*"', this.junk(20)]),
          ...this.place(),
          ...(this.chance(0.2) ? { before: this.messageId() } : {}),
          ...(this.chance(0.3) ? { limit: this.int(60) } : {}),
        };
      case "audit_log":
        return { before: this.int(10), limit: this.int(250) };
      case "list_accounts":
        return { query: this.name(), limit: this.int(250) };
      case "list_bans":
        return { limit: this.int(250) };
      case "reset_password":
        return { user: this.name(), reason: this.junk() };
      case "delete_account":
        return {
          user: this.name(),
          messages: this.pick(["keep", "anonymise", "burn"]),
        };
      case "update_room":
        return {
          room: this.name(),
          ...(this.chance(0.3) ? { name: this.name() } : {}),
          ...(this.chance(0.3) ? { private: this.chance(0.5) } : {}),
          ...(this.chance(0.3)
            ? { owner: this.chance(0.5) ? null : this.name() }
            : {}),
          ...(this.chance(0.3)
            ? { retention_days: this.pick([null, 0, 1, 36500, 36501]) }
            : {}),
        };
      default:
        return {};
    }
  }

  /** Changes one thing in a request: a field's type, a field gone, junk. */
  mutate(request: Record<string, unknown>): void {
    // An earlier mutation may have made data anything: write into a copy.
    const data: Record<string, unknown> = isObject(request.data)
      ? request.data
      : {};
    const keys = Object.keys(data);
    switch (this.int(9)) {
      case 0:
        if (keys.length > 0) delete data[this.pick(keys)];
        break;
      case 1:
        if (keys.length > 0) data[this.pick(keys)] = this.value();
        break;
      case 2:
        data[this.pick(["extra", "__proto__", "constructor", this.junk(5)])] =
          this.value();
        break;
      case 3:
        request.data = this.value();
        break;
      case 4:
        delete request.data;
        break;
      case 5:
        request.action = this.chance(0.5)
          ? this.pick(JUNK_ACTIONS)
          : this.value();
        break;
      case 6:
        request.id = this.pick([
          0,
          "",
          "i".repeat(65),
          "😀".repeat(64),
          null,
          {},
          ["a"],
          this.junk(10),
        ]);
        break;
      case 7:
        request.timestamp = this.value();
        break;
      default:
        if (keys.length > 0) {
          data[this.pick(keys)] = this.pick([
            -1,
            1e300,
            2 ** 31,
            -(2 ** 63),
            0.5,
            "",
            "x".repeat(5000),
            { nested: { deeper: [1, [2, [3]]] } },
          ]);
        }
    }
  }

  /**
   * One frame: text (or bytes) as sent. A `stranger` is never sent a real
   * login or register, so it stays logged out.
   */
  frame(
    n: number,
    conn: number,
    stranger: boolean,
  ): string | Uint8Array<ArrayBuffer> {
    const id = `f${conn}-${n}`;
    const actions = stranger
      ? ACTIONS.filter((a) => a !== "login" && a !== "register")
      : ACTIONS;
    const roll = this.float();
    if (roll < 0.45) {
      const action = this.pick(actions);
      const request: Record<string, unknown> = {
        action,
        data: this.data(action),
        id,
      };
      for (let i = this.int(3); i > 0; i--) this.mutate(request);
      return JSON.stringify(request);
    }
    if (roll < 0.6) return JSON.stringify(this.value());
    if (roll < 0.7) {
      // An object with an action and an id, the rest random.
      return JSON.stringify({
        action: this.pick([...actions, ...JUNK_ACTIONS]),
        id,
        data: this.value(),
      });
    }
    if (roll < 0.8) {
      const action = this.pick(actions);
      const text = JSON.stringify({ action, data: this.data(action), id });
      return text.slice(0, this.int(text.length));
    }
    if (roll < 0.9) return this.junk(200);
    if (roll < 0.95) {
      return this.pick([
        "[".repeat(2000) + "]".repeat(1999),
        "1e999",
        "-0",
        "null",
        '"just a string"',
        "{}",
        '{"action":null}',
        '{"action":"list_rooms","data":[]}',
        '{"action":"list_rooms","id":"' + id + '","data":null}',
        '{"__proto__":{"action":"kick"},"id":"' + id + '"}',
        '{"action":"send_message","id":"' + id +
        '","data":{"text":"dup","text":"dup2"}}',
        JSON.stringify({
          action: "send_message",
          data: { text: "w".repeat(60_000) },
        }),
        JSON.stringify({ action: "history", id, data: { limit: 200 } }),
        "\uFEFF{}",
      ]);
    }
    const bytes = new Uint8Array(this.int(64));
    for (let i = 0; i < bytes.length; i++) bytes[i] = this.int(256);
    return bytes;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The reply id the server must echo for this frame, if any. */
function trackedId(
  frame: string | Uint8Array<ArrayBuffer>,
): string | undefined {
  if (typeof frame !== "string") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(frame);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return undefined;
  }
  const id = (value as { id?: unknown }).id;
  return typeof id === "string" && id.length > 0 && [...id].length <= 64
    ? id
    : undefined;
}

function isReply(frame: Frame): boolean {
  return frame.action === "success" || frame.action === "error";
}

/** Waits until `client` has `count` replies, or fails after `ms`. */
async function replies(client: TestClient, count: number, ms: number) {
  await client.waitFor(
    () => replyCount(client) >= count,
    `${count} replies`,
    { timeoutMs: ms },
  ).catch(() => {});
}

/**
 * Sends each connection its planned frames, concurrently, each keeping at
 * most 100 unanswered; then checks that every connection is still open,
 * was answered once per frame and once per id, and never with `internal`.
 */
async function fuzz(
  clients: TestClient[],
  plans: (string | Uint8Array<ArrayBuffer>)[][],
): Promise<void> {
  const base = clients.map(replyCount);
  const firstFuzzed = clients.map((client) => client.received.length);
  const sent = clients.map(() => 0);
  const expected = clients.map(() => new Map<string, number>());
  const started = performance.now();
  await Promise.all(clients.map(async (client, c) => {
    for (const frame of plans[c]) {
      const id = trackedId(frame);
      if (id !== undefined) {
        expected[c].set(id, (expected[c].get(id) ?? 0) + 1);
      }
      client.socket.send(frame);
      sent[c]++;
      if (sent[c] - (replyCount(client) - base[c]) > 100) {
        await replies(client, base[c] + sent[c] - 50, 60_000);
      }
    }
    await replies(client, base[c] + sent[c], 120_000);
  }));
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  for (const [c, client] of clients.entries()) {
    const where = `connection ${c} (seed ${SEED}, ${seconds} s)`;
    assert.equal(client.closeCode, undefined, `${where} was closed`);
    assert.equal(
      replyCount(client) - base[c],
      sent[c],
      `${where}: replies vs frames sent`,
    );
    const got = new Map<string, number>();
    for (const f of client.received.slice(firstFuzzed[c])) {
      if (isReply(f) && f.id !== undefined) {
        got.set(f.id, (got.get(f.id) ?? 0) + 1);
      }
    }
    for (const [id, count] of expected[c]) {
      assert.equal(got.get(id), count, `${where}: replies to id ${id}`);
    }
    // Bad input gets a clear error; `internal` means a handler threw.
    const crashed = client.received.slice(firstFuzzed[c]).filter((f) =>
      f.action === "error" && f.data.code === "internal"
    ).map((f) => f.data.request);
    assert.deepEqual(crashed, [], `${where}: requests that crashed`);
  }
}

/**
 * The server still serves a newcomer, and its rooms, counts and histories
 * agree: every history is 1..n.
 */
async function assertWhole(pool: ClientPool, server: TestServer) {
  const health = await fetch(`${server.url}/healthz`);
  assert.equal(health.status, 200);
  await health.body?.cancel();
  const checker = await pool.guest("checker");
  const listener = await pool.guest("listener");
  const rooms = (await checker.ok("list_rooms")).rooms as {
    name: string;
    users: number;
  }[];
  assert.ok(rooms.some((r) => r.name === "general"));
  const posted = await checker.ok("send_message", {
    text: "after the storm",
  });
  const seq = (posted.message as { seq: number }).seq;
  await listener.event(
    "receive_message",
    (d) => d.seq === seq && d.text === "after the storm",
  );
  const http = await (await fetch(`${server.url}/api/rooms`)).json();
  assert.deepEqual(http.rooms, rooms);

  // Counts agree with member lists, and every history is 1..n.
  for (const room of rooms) {
    const users = (await checker.ok("list_users", { room: room.name }))
      .users as string[];
    assert.equal(users.length, room.users, `users of ${room.name}`);
    assert.equal(new Set(users).size, users.length, `${room.name} twice`);
    const seqs: number[] = [];
    for (let after = 0;;) {
      const page = (await checker.ok("history", {
        room: room.name,
        after_seq: after,
        limit: 200,
      })).messages as { seq: number }[];
      seqs.push(...page.map((m) => m.seq));
      if (page.length < 200) break;
      after = page[page.length - 1].seq;
    }
    assert.deepEqual(
      seqs,
      seqs.map((_, i) => i + 1),
      `history of ${room.name}`,
    );
  }
}

/** Posts a message for edits, reactions, pins and replies to aim at. */
async function aimAt(gen: Gen, client: TestClient, text: string) {
  const posted = await client.ok("send_message", { text });
  gen.messageIds.push((posted.message as { id: string }).id);
}

const FUZZ_SERVER = {
  rateLimits: NO_RATE_LIMITS,
  loginTimeoutSeconds: 3600,
  // No fuzzed account may become admin and kick the fuzzers.
  admin: "fuzz-admin",
};

Deno.test(`fuzz: ${FRAMES} frames from seed ${SEED} over ${CONNECTIONS} connections get one reply each and leave the server whole`, () =>
  withClients(async (pool, server) => {
    const gen = new Gen(SEED);
    const clients: TestClient[] = [];
    for (let c = 0; c < CONNECTIONS; c++) {
      // Half logged in (one of them in another room), half not.
      clients.push(
        c % 2 === 0 ? await pool.guest(`fz${c}`) : await pool.connect(),
      );
    }
    await clients[2].ok("create_room", { room: "dev" });
    await aimAt(gen, clients[0], "hello from fz0");
    await aimAt(gen, clients[2], "hello from fz2");
    // Frames are drawn in one order from one stream, then sent per
    // connection concurrently.
    const plans: (string | Uint8Array<ArrayBuffer>)[][] = clients.map(() => []);
    for (let n = 0; n < FRAMES; n++) {
      const c = gen.int(CONNECTIONS);
      plans[c].push(gen.frame(n, c, c === 1));
    }
    await fuzz(clients, plans);
    // The stranger never got in.
    assert.ok(
      clients[1].received.every((f) =>
        !(f.action === "success" && f.data.request === "login")
      ),
    );
    await assertWhole(pool, server);
  }, FUZZ_SERVER));

// The admin's actions take effect here (kicks, bans, roles, deleted
// accounts and rooms), on bystanders whose connections are not checked:
// the admin's own must stay open and answer every frame.
Deno.test(`fuzz: ${ADMIN_FRAMES} frames from seed ${SEED} sent by the admin, its actions carried out on others, get one reply each and leave the server whole`, () =>
  withClients(async (pool, server) => {
    const gen = new Gen(SEED ^ 0x5eed);
    const admin = await pool.register("fuzz-admin");
    assert.equal(
      admin.received.find((f) => f.data.request === "register")?.data.role,
      "admin",
    );
    // The names the generator aims at: accounts and guests, in two rooms.
    const fz1 = await pool.register("fz1");
    const fz3 = await pool.register("fz3");
    await pool.register("nobody");
    const fz0 = await pool.guest("fz0");
    const fz2 = await pool.guest("fz2");
    await fz2.ok("create_room", { room: "dev" });
    await fz3.ok("join_room", { room: "dev" });
    await aimAt(gen, fz0, "hello from fz0");
    await aimAt(gen, fz1, "fz1 here");
    // Two frames in five a well-formed moderation or admin request.
    const plan: (string | Uint8Array<ArrayBuffer>)[] = [];
    const adminActions = Object.keys(ADMIN_ACTIONS);
    for (let n = 0; n < ADMIN_FRAMES; n++) {
      if (gen.chance(0.4)) {
        const action = gen.pick(adminActions);
        plan.push(
          JSON.stringify({ action, data: gen.data(action), id: `a${n}` }),
        );
      } else plan.push(gen.frame(n, 0, false));
    }
    await fuzz([admin], [plan]);
    await assertWhole(pool, server);
  }, FUZZ_SERVER));
