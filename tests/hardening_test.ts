/**
 * Hardening: what a hostile or careless client, a slow reader, a locked
 * database or a look-alike name does to a real server (real sockets, real
 * SQLite files), one scenario each.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { NO_RATE_LIMITS } from "../server/mod.ts";
import type { BucketSpec, RateLimitConfig } from "../server/rate_limit.ts";
import {
  ClientPool,
  delay,
  expectError,
  type Frame,
  historyOf,
  RawSocket,
  replyCount,
  roundTrip,
  spawnServer,
  TestClient,
  withClients,
  withServer,
} from "./harness.ts";

/** A message object as the contract defines it. */
interface Message {
  id: string;
  seq: number;
  room: string;
  user: string;
  text: string;
  client_id?: string;
}

/** Rate limits all off but these (strikes off unless given). */
function limits(options: {
  perConnection?: Partial<RateLimitConfig["perConnection"]>;
  perUser?: RateLimitConfig["perUser"];
  strikesBeforeDisconnect?: number;
}): RateLimitConfig {
  return {
    perConnection: {
      ...NO_RATE_LIMITS.perConnection,
      ...options.perConnection,
    },
    perUser: options.perUser ?? {},
    strikesBeforeDisconnect: options.strikesBeforeDisconnect ?? 0,
  };
}

const FIVE_THEN_TWO_A_SECOND: BucketSpec = { burst: 5, perSecond: 2 };

/** Rejects when `promise` takes longer than `ms`; resolves with its value. */
async function within<T>(ms: number, promise: Promise<T>, what: string) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${what}: no answer within ${ms} ms`)),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Sends a raw frame and returns the next reply (success or error) after it. */
async function replyTo(client: TestClient, frame: unknown): Promise<Frame> {
  const from = client.received.length;
  client.send(frame);
  return await client.waitFor(
    (f) => f.action === "success" || f.action === "error",
    "a reply",
    { from },
  );
}

function receivedTexts(client: TestClient): string[] {
  return client.events("receive_message").map((f) => f.data.text as string);
}

/** Resident memory of a process in KiB. */
async function rssKiB(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? NaN);
}

// ------------------------------------------------------------------ upgrade

// Loopback addresses are never capped (a local proxy, the operator's
// tools): these tests reach the server "from" 192.0.2.7 through a trusted
// proxy's X-Forwarded-For.
const FROM_AWAY = { "x-forwarded-for": "192.0.2.7" };

Deno.test("upgrade: past maxConnectionsPerAddress the next socket gets 429 rate_limited", () =>
  withClients(async (pool, server) => {
    for (let i = 0; i < 3; i++) await pool.connect({ headers: FROM_AWAY });
    const response = await fetch(server.wsUrl.replace("ws", "http"), {
      headers: {
        upgrade: "websocket",
        connection: "Upgrade",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
        "sec-websocket-version": "13",
        ...FROM_AWAY,
      },
    });
    assert.equal(response.status, 429);
    assert.match(response.headers.get("content-type") ?? "", /json/);
    const body = await response.json();
    assert.equal(body.error, "rate_limited");
    assert.equal(typeof body.message, "string");
    await assert.rejects(
      TestClient.connect(server.wsUrl, { headers: FROM_AWAY }),
    );
    // Another address is not affected.
    await pool.connect({ headers: { "x-forwarded-for": "192.0.2.8" } });
  }, { maxConnectionsPerAddress: 3, trustProxy: true }));

Deno.test("upgrade: loopback addresses are never capped", () =>
  withClients(async (pool) => {
    for (let i = 0; i < 4; i++) await pool.connect();
  }, { maxConnectionsPerAddress: 2 }));

Deno.test("upgrade: closing one of the sockets at the cap lets the next one in", () =>
  withClients(async (pool, server) => {
    const first = await pool.connect({ headers: FROM_AWAY });
    await pool.connect({ headers: FROM_AWAY });
    await pool.connect({ headers: FROM_AWAY });
    const refused = await RawSocket.open(server.wsUrl, FROM_AWAY);
    refused.abort();
    assert.equal(refused.status, 429);
    await first.close();
    // The slot is given back when the server sees the close: poll briefly.
    let status = 0;
    for (let i = 0; i < 50 && status !== 101; i++) {
      const raw = await RawSocket.open(server.wsUrl, FROM_AWAY);
      raw.abort();
      status = raw.status;
      if (status !== 101) await delay(20);
    }
    assert.equal(status, 101);
  }, { maxConnectionsPerAddress: 3, trustProxy: true }));

Deno.test("upgrade: an Origin of another site, 'null' or a look-alike host is refused with 403", () =>
  withClients(async (_pool, server) => {
    const port = new URL(server.url).port;
    for (
      const origin of [
        "http://evil.example",
        "null",
        `http://127.0.0.1.evil.example:${port}`,
        `http://evil.example:${port}`,
        "file://",
      ]
    ) {
      const raw = await RawSocket.open(server.wsUrl, { Origin: origin });
      raw.abort();
      assert.equal(raw.status, 403, origin);
    }
    const bare = await RawSocket.open(server.wsUrl);
    bare.abort();
    assert.equal(bare.status, 101);
  }));

Deno.test("upgrade: a connection that does not log in within loginTimeoutSeconds is closed with 4001", () =>
  withClients(async (pool) => {
    const idle = await pool.connect();
    const started = Date.now();
    const event = await within(3000, idle.closed, "close of a silent client");
    assert.equal(event.code, 4001);
    assert.ok(Date.now() - started >= 800, "not closed before the timeout");
  }, { loginTimeoutSeconds: 1 }));

Deno.test("upgrade: a client that keeps failing to log in is still closed with 4001", () =>
  withClients(async (pool) => {
    const client = await pool.connect();
    // Busy but never logged in: activity must not reset the clock.
    const timer = setInterval(() => {
      if (client.socket.readyState === WebSocket.OPEN) {
        client.send({ action: "login", data: { username: "" } });
      }
    }, 100);
    try {
      const event = await within(3000, client.closed, "close");
      assert.equal(event.code, 4001);
    } finally {
      clearInterval(timer);
    }
  }, { loginTimeoutSeconds: 1 }));

Deno.test("upgrade: a logged-in connection outlives the login timeout", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    await delay(1800);
    assert.equal(alice.closeCode, undefined);
    await alice.ok("send_message", { text: "still here" });
  }, { loginTimeoutSeconds: 1 }));

// ------------------------------------------------------------------- frames

Deno.test("frames: a frame of exactly maxFrameBytes is read, one byte more closes with 1009", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    const frame = (size: number) => {
      const head = '{"action":"list_rooms","id":"x","pad":"';
      return head + "p".repeat(size - head.length - 2) + '"}';
    };
    const exact = frame(2048);
    assert.equal(new TextEncoder().encode(exact).length, 2048);
    const reply = await replyTo(alice, exact);
    assert.equal(reply.action, "success");
    alice.send(frame(2049));
    assert.equal((await within(2000, alice.closed, "close")).code, 1009);
  }, { maxFrameBytes: 2048 }));

Deno.test("frames: 30,000 nested brackets get invalid_message and the server answers the next request within 1 s", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    const deep = "[".repeat(30_000) + "]".repeat(30_000);
    assert.ok(deep.length < 64 * 1024);
    const started = performance.now();
    const reply = await within(1000, replyTo(alice, deep), "nested arrays");
    assert.equal(reply.action, "error");
    assert.ok(
      reply.data.code === "invalid_message" ||
        reply.data.code === "invalid_json",
      JSON.stringify(reply.data),
    );
    await within(1000, alice.ok("list_rooms"), "list_rooms after it");
    assert.ok(performance.now() - started < 2000);
  }));

Deno.test("frames: unbalanced, nested-in-data and nested-in-text brackets are refused or ignored quickly", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    const bob = await pool.guest("bob");
    const nest = (n: number) => "[".repeat(n) + "]".repeat(n);
    const cases: [string, string][] = [
      ["[".repeat(60_000), "invalid_json"],
      ["{".repeat(60_000), "invalid_json"],
      [
        `{"action":"send_message","id":"a","data":{"text":${nest(25_000)}}}`,
        "invalid_message",
      ],
      [`{"action":${nest(25_000)},"id":"b"}`, "invalid_message"],
      [`{"action":"list_rooms","id":${nest(25_000)}}`, "invalid_message"],
      [`{"action":"join_room","data":${nest(25_000)}}`, "invalid_message"],
    ];
    for (const [frame, code] of cases) {
      const reply = await within(
        1000,
        replyTo(alice, frame),
        frame.slice(0, 40),
      );
      assert.equal(reply.action, "error", frame.slice(0, 40));
      assert.equal(reply.data.code, code, frame.slice(0, 40));
    }
    // An unknown field may hold anything: it is ignored, the message goes.
    const ignored = await within(
      1000,
      replyTo(
        alice,
        `{"action":"send_message","id":"c","data":{"text":"deep","x":${
          nest(25_000)
        }}}`,
      ),
      "nested unknown field",
    );
    assert.equal(ignored.action, "success");
    await bob.event("receive_message", (d) => d.text === "deep");
    await within(1000, bob.ok("list_rooms"), "another client's request");
  }));

Deno.test("frames: a 60 KiB string and a 10,000-key object get a normal reply quickly", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    const started = performance.now();
    const long = await within(
      1000,
      alice.request("send_message", { text: "y".repeat(60 * 1024) }),
      "60 KiB text",
    );
    assert.equal(long.data.code, "message_too_long");
    const keys: Record<string, number> = {};
    for (let i = 0; i < 10_000; i++) keys[`k${i.toString(36)}`] = i;
    // Unknown keys of data are ignored.
    const wide = await within(
      1000,
      replyTo(alice, {
        action: "send_message",
        id: "wide",
        data: { text: "wide", ...keys },
      }),
      "10,000 keys in data",
    );
    assert.equal(wide.action, "success", JSON.stringify(wide.data));
    assert.deepEqual(
      Object.keys(wide.data.message as object).sort(),
      ["id", "room", "seq", "text", "ts", "user"],
    );
    // And so are those of the envelope.
    const envelope = await within(
      1000,
      replyTo(alice, { action: "list_rooms", id: "env", ...keys }),
      "10,000 keys in the envelope",
    );
    assert.equal(envelope.action, "success", JSON.stringify(envelope.data));
    const asData = await within(
      1000,
      alice.request("create_room", keys),
      "10,000 keys without room",
    );
    assert.equal(asData.data.code, "invalid_message");
    await within(1000, alice.ok("list_rooms"), "list_rooms after them");
    assert.ok(performance.now() - started < 3000);
    // 10,000 keys take about 80 KB: the frame limit is raised for this one.
  }, { maxFrameBytes: 128 * 1024 }));

/**
 * Sends 300 frames (at most 30 unanswered, as TCP would pace a real
 * flood), then checks that a request is answered within 1 s.
 */
async function floodRound(client: TestClient, frames: string[]) {
  const base = replyCount(client);
  for (let i = 0; i < 300; i++) {
    client.send(frames[i % frames.length]);
    if (i % 30 === 29) {
      await client.waitFor(
        () => replyCount(client) >= base + i + 1,
        "replies",
        { timeoutMs: 10_000 },
      );
    }
  }
  const started = performance.now();
  await within(5000, client.ok("list_rooms"), "list_rooms after a round");
  assert.ok(performance.now() - started < 1000, "answered within 1 s");
}

Deno.test("frames: rounds of 300 nested, huge and wide frames stop growing a server process's memory after three", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-frames-" });
  const server = await spawnServer([
    "--db",
    `${dir}/chat.db`,
    "--rate-limits",
    "off",
  ]);
  const pool = new ClientPool(server.wsUrl);
  try {
    const alice = await pool.guest("alice");
    const deep = "[".repeat(30_000) + "]".repeat(30_000);
    const longText = JSON.stringify({
      action: "send_message",
      data: { text: "z".repeat(60 * 1024) },
    });
    const keys: Record<string, number> = {};
    for (let i = 0; i < 6_000; i++) keys[`k${i.toString(36)}`] = 0;
    const wide = JSON.stringify({ action: "list_rooms", ...keys });
    const frames = [deep, longText, wide];
    const start = await rssKiB(server.process.pid);
    const rss: number[] = [];
    for (let i = 0; i < 7; i++) {
      await floodRound(alice, frames);
      rss.push(await rssKiB(server.process.pid));
    }
    const mib = (kib: number) => (kib / 1024).toFixed(0);
    const trace = [start, ...rss].map(mib).join(" -> ");
    // The heap grows over the first rounds (about 100 MiB here) until the
    // garbage collector settles; after that each round must reuse it.
    assert.ok(Math.max(...rss) - start < 256 * 1024, `RSS MiB ${trace}`);
    assert.ok(
      Math.max(...rss.slice(4)) - rss[3] < 24 * 1024,
      `RSS MiB ${trace}`,
    );
  } finally {
    await pool.closeAll();
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

// -------------------------------------------------------------- rate limits

Deno.test("rate limits: the message over the burst gets rate_limited with retry_after_ms, the connection stays open", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    for (let i = 1; i <= 5; i++) {
      await alice.ok("send_message", { text: `m${i}` });
    }
    const refused = await expectError(
      alice,
      "send_message",
      { text: "m6" },
      "rate_limited",
    );
    const wait = refused.data.retry_after_ms as number;
    assert.ok(Number.isInteger(wait) && wait > 0 && wait <= 500, `${wait}`);
    assert.equal(alice.closeCode, undefined);
    // Other kinds of request are not held back by the message budget.
    await alice.ok("list_rooms");
  }, {
    rateLimits: limits({ perConnection: { message: FIVE_THEN_TWO_A_SECOND } }),
  }));

Deno.test("rate limits: a refused message is neither broadcast nor stored", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    const bob = await pool.guest("bob");
    const from = alice.received.length;
    // Sent at once, without waiting: the sixth and seventh are over.
    for (let i = 1; i <= 7; i++) {
      alice.send({
        action: "send_message",
        data: { text: `m${i}` },
        id: `s${i}`,
      });
    }
    await alice.waitFor((f) => f.id === "s7", "the last reply");
    const replies = alice.received.slice(from).filter((f) =>
      f.id?.startsWith("s")
    );
    assert.deepEqual(
      replies.map((f) => f.data.code ?? f.action),
      [
        "success",
        "success",
        "success",
        "success",
        "success",
        "rate_limited",
        "rate_limited",
      ],
    );
    await roundTrip(bob);
    await roundTrip(alice);
    const expected = ["m1", "m2", "m3", "m4", "m5"];
    assert.deepEqual(receivedTexts(bob), expected);
    assert.deepEqual(receivedTexts(alice), expected);
    const stored = await historyOf<Message>(bob, "general");
    assert.deepEqual(
      stored.map((m) => [m.seq, m.text]),
      expected.map((t, i) => [i + 1, t]),
    );
  }, {
    rateLimits: limits({ perConnection: { message: FIVE_THEN_TWO_A_SECOND } }),
  }));

Deno.test("rate limits: after waiting retry_after_ms the sender can post again", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    for (let i = 1; i <= 5; i++) {
      alice.send({ action: "send_message", data: { text: `m${i}` } });
    }
    const refused = await expectError(
      alice,
      "send_message",
      { text: "m6" },
      "rate_limited",
    );
    await delay(refused.data.retry_after_ms as number);
    const sent = await alice.ok("send_message", { text: "m6 again" });
    assert.equal((sent.message as Message).seq, 6);
  }, {
    rateLimits: limits({ perConnection: { message: FIVE_THEN_TWO_A_SECOND } }),
  }));

Deno.test("rate limits: two connections of one account share its per-user message budget", () =>
  withClients(async (pool) => {
    const first = await pool.register("carol");
    const second = await pool.login({ token: first.token });
    for (let i = 1; i <= 3; i++) {
      await first.ok("send_message", { text: `a${i}` });
    }
    for (let i = 1; i <= 2; i++) {
      await second.ok("send_message", { text: `b${i}` });
    }
    // Each connection alone is far under its own (unlimited) budget.
    await expectError(second, "send_message", { text: "b3" }, "rate_limited");
    await expectError(first, "send_message", { text: "a4" }, "rate_limited");
    // Another user is not affected.
    const dave = await pool.guest("dave");
    await dave.ok("send_message", { text: "d1" });
  }, { rateLimits: limits({ perUser: { message: FIVE_THEN_TWO_A_SECOND } }) }));

Deno.test("rate limits: the tenth refusal within 10 s closes the connection with 1008, after its reply", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    const bob = await pool.guest("bob");
    for (let i = 1; i <= 14; i++) {
      alice.send({
        action: "send_message",
        data: { text: `m${i}` },
        id: `s${i}`,
      });
    }
    await alice.waitFor((f) => f.id === "s14", "the 14th reply");
    // Nine strikes: still open.
    await alice.ok("list_rooms");
    assert.equal(alice.closeCode, undefined);
    alice.send({ action: "send_message", data: { text: "m15" }, id: "s15" });
    const closed = await within(2000, alice.closed, "close");
    assert.equal(closed.code, 1008);
    const codes = alice.received.filter((f) => f.id?.startsWith("s")).map((f) =>
      f.data.code ?? f.action
    );
    assert.deepEqual(codes, [
      ...Array(5).fill("success"),
      ...Array(10).fill("rate_limited"),
    ]);
    await bob.event("system", (d) => d.kind === "left" && d.user === "alice");
  }, {
    rateLimits: limits({
      perConnection: { message: FIVE_THEN_TWO_A_SECOND },
      strikesBeforeDisconnect: 10,
    }),
  }));

Deno.test("rate limits: create_room has its own bucket, messages and joins still pass", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    await alice.ok("create_room", { room: "one" });
    await alice.ok("create_room", { room: "two" });
    const refused = await expectError(
      alice,
      "create_room",
      { room: "three" },
      "rate_limited",
    );
    assert.ok((refused.data.retry_after_ms as number) > 0);
    await alice.ok("send_message", { text: "still talking" });
    await alice.ok("join_room", { room: "one" });
    const rooms = (await alice.ok("list_rooms")).rooms as { name: string }[];
    assert.deepEqual(rooms.map((r) => r.name), ["general", "one", "two"]);
  }, {
    rateLimits: limits({
      perConnection: {
        room: { burst: 2, perSecond: 0.1 },
        message: FIVE_THEN_TWO_A_SECOND,
      },
    }),
  }));

Deno.test("rate limits: login attempts have their own bucket: the fourth is refused, then allowed after the wait", () =>
  withClients(async (pool) => {
    const client = await pool.connect();
    for (let i = 0; i < 3; i++) {
      await expectError(client, "login", { username: "" }, "username_invalid");
    }
    const refused = await expectError(
      client,
      "login",
      { username: "alice" },
      "rate_limited",
    );
    // Other requests are answered as usual.
    await expectError(client, "list_rooms", undefined, "not_logged_in");
    await delay(refused.data.retry_after_ms as number);
    await client.ok("login", { username: "alice" });
  }, {
    rateLimits: limits({
      perConnection: { login: { burst: 3, perSecond: 2 } },
    }),
  }));

// ----------------------------------------------------------- slow consumers

/** What a flood of one room did while a reader stood still. */
interface Flood {
  /** Messages acknowledged, in order. */
  sent: Message[];
  /** Slowest reply to the sender, in ms. */
  maxReplyMs: number;
  /** Slowest delivery to a reading member, in ms after the reply. */
  maxLagMs: number;
  /** Bytes of text sent. */
  bytes: number;
  /** Whether the slow reader left list_users before the flood ended. */
  dropped: boolean;
}

/**
 * Floods general with 4 KiB messages (at most 32 in flight) until `slow`
 * is no longer in list_users, 20 MB have gone, or 10 s have passed.
 */
async function floodUntilGone(
  sender: TestClient,
  reader: TestClient,
  slow: string,
): Promise<Flood> {
  const flood: Flood = {
    sent: [],
    maxReplyMs: 0,
    maxLagMs: 0,
    bytes: 0,
    dropped: false,
  };
  const deadline = Date.now() + 10_000;
  const pad = "x".repeat(3900);
  let next = 0;
  const inFlight = new Set<Promise<void>>();
  while (flood.bytes < 20_000_000 && Date.now() < deadline) {
    const n = next++;
    const started = performance.now();
    const from = reader.received.length;
    const done = sender.ok("send_message", { text: `${n} ${pad}` }).then(
      async (data) => {
        const replied = performance.now();
        flood.maxReplyMs = Math.max(flood.maxReplyMs, replied - started);
        const message = data.message as Message;
        flood.sent[n] = message;
        await reader.event("receive_message", (d) => d.seq === message.seq, {
          from,
          timeoutMs: 5000,
        });
        flood.maxLagMs = Math.max(flood.maxLagMs, performance.now() - replied);
      },
    );
    inFlight.add(done);
    done.finally(() => inFlight.delete(done));
    flood.bytes += pad.length;
    if (inFlight.size >= 32) await Promise.race(inFlight);
    if (n % 50 === 49) {
      const users = (await sender.ok("list_users")).users as string[];
      if (!users.includes(slow)) {
        flood.dropped = true;
        break;
      }
    }
  }
  await Promise.all(inFlight);
  return flood;
}

/** A member that logs in over raw TCP, then never reads. */
async function stalledMember(
  wsUrl: string,
  username: string,
): Promise<RawSocket> {
  const raw = await RawSocket.open(wsUrl);
  assert.equal(raw.status, 101);
  await raw.sendText(
    JSON.stringify({ action: "login", data: { username }, id: "1" }),
  );
  const reply = JSON.parse((await raw.readText()).split("\n")[0]);
  assert.equal(reply.action, "success");
  return raw;
}

/** What a raw socket was sent, read until it closed or went quiet. */
interface Drained {
  /** Seqs of the receive_message events, in order. */
  seqs: number[];
  /** Code of the close frame, if one came. */
  closeCode?: number;
  /** True when nothing came for `quietMs` and the socket was cut here. */
  cutOff: boolean;
}

/**
 * Reads everything the server had queued for a stalled socket: until its
 * close frame, the end of the TCP stream, or `quietMs` without data (then
 * `cutOff`). Then drops the TCP connection, as a client giving up would.
 */
async function drain(raw: RawSocket, quietMs = 1000): Promise<Drained> {
  try {
    return await readUntilClosed(raw, quietMs);
  } finally {
    raw.abort();
  }
}

async function readUntilClosed(
  raw: RawSocket,
  quietMs: number,
): Promise<Drained> {
  const drained: Drained = { seqs: [], cutOff: false };
  const decoder = new TextDecoder();
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const next = raw.readFrame();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const quiet = new Promise<"quiet">((resolve) => {
      timer = setTimeout(() => resolve("quiet"), quietMs);
    });
    const frame = await Promise.race([next, quiet]);
    clearTimeout(timer);
    if (frame === "quiet") break;
    if (frame === null) return drained;
    if (frame.opcode === 0x8) {
      drained.closeCode = frame.payload.length >= 2
        ? (frame.payload[0] << 8) | frame.payload[1]
        : 1005;
      return drained;
    }
    if (frame.opcode !== 0x1) continue;
    for (const line of decoder.decode(frame.payload).split("\n")) {
      const object = JSON.parse(line);
      if (object.action === "receive_message") {
        drained.seqs.push(object.data.seq);
      }
    }
  }
  drained.cutOff = true;
  return drained;
}

Deno.test("slow consumer: a member that stops reading is dropped while the room keeps getting messages promptly", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-slow-" });
  const server = await spawnServer([
    "--db",
    `${dir}/chat.db`,
    "--rate-limits",
    "off",
    "--max-buffered-bytes",
    "65536",
  ]);
  const pool = new ClientPool(server.wsUrl);
  let slow: RawSocket | undefined;
  try {
    const sender = await pool.guest("sender");
    const reader = await pool.guest("reader");
    slow = await stalledMember(server.wsUrl, "slow");
    await reader.event(
      "system",
      (d) => d.kind === "joined" && d.user === "slow",
    );
    const before = await rssKiB(server.process.pid);
    const flood = await floodUntilGone(sender, reader, "slow");
    const after = await rssKiB(server.process.pid);
    const summary =
      `${flood.sent.length} messages, ${(flood.bytes / 1e6).toFixed(1)} MB, ` +
      `replies <= ${flood.maxReplyMs.toFixed(0)} ms, lag <= ${
        flood.maxLagMs.toFixed(0)
      } ms, ` +
      `RSS ${before >> 10} -> ${after >> 10} MiB`;
    assert.ok(flood.dropped, `slow reader still listed after ${summary}`);
    assert.ok(flood.maxReplyMs < 1000, summary);
    assert.ok(flood.maxLagMs < 1000, summary);
    assert.ok(after - before < 128 * 1024, summary);
    await reader.event("system", (d) => d.kind === "left" && d.user === "slow");
    const drained = await drain(slow);
    // Closed with 4008 behind what it was sent, or its TCP stream ended.
    assert.ok(!drained.cutOff, "the server left the socket open");
    assert.ok(
      drained.closeCode === undefined || drained.closeCode === 4008,
      `close ${drained.closeCode}`,
    );
    assert.equal(reader.closeCode, undefined);
    assert.equal(sender.closeCode, undefined);
  } finally {
    slow?.abort();
    await pool.closeAll();
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("slow consumer: a reader left behind logs in again and catches up from history after_seq with no gap", () =>
  withClients(async (pool, server) => {
    const sender = await pool.guest("sender");
    const reader = await pool.guest("reader");
    const slow = await stalledMember(server.wsUrl, "slow");
    try {
      await reader.event(
        "system",
        (d) => d.kind === "joined" && d.user === "slow",
      );
      const flood = await floodUntilGone(sender, reader, "slow");
      // Whether the server dropped it (the test above) or it gives up
      // itself: what it got is the start of the room's stream, in order.
      const { seqs } = await drain(slow);
      assert.deepEqual(seqs, seqs.map((_, i) => i + 1));
      await reader.event(
        "system",
        (d) => d.kind === "left" && d.user === "slow",
      );
      const back = await pool.guest("slow");
      const last = seqs.at(-1) ?? 0;
      const missed = await historyOf<Message>(back, "general", last);
      const all = [...seqs, ...missed.map((m) => m.seq)];
      const total = flood.sent.length;
      assert.equal(
        all.length,
        total,
        `got ${seqs.length} live and ${missed.length} from history`,
      );
      assert.deepEqual(all, flood.sent.map((m) => m.seq));
    } finally {
      slow.abort();
    }
  }, { rateLimits: NO_RATE_LIMITS, maxBufferedBytes: 65536 }));

// ------------------------------------------------------------------ schemas

Deno.test("requests: a field of the wrong type or size gets invalid_message for every action", () =>
  withClients(async (pool) => {
    const client = await pool.connect();
    for (
      const data of [
        { username: 5 },
        { username: ["alice"] },
        { username: "alice", password: 12345678 },
        { token: "" },
        { token: 5 },
      ]
    ) {
      await expectError(client, "login", data, "invalid_message");
    }
    await expectError(
      client,
      "register",
      { username: "alice" },
      "invalid_message",
    );
    await client.ok("login", { username: "alice" });
    const cases: [string, Record<string, unknown>][] = [
      ["send_message", {}],
      ["send_message", { text: 5 }],
      ["send_message", { text: null }],
      ["send_message", { text: { toString: "hi" } }],
      ["send_message", { text: "hi", client_id: 5 }],
      ["send_message", { text: "hi", client_id: "" }],
      ["send_message", { text: "hi", client_id: "c".repeat(65) }],
      ["create_room", {}],
      ["create_room", { room: 5 }],
      ["create_room", { room: "r".repeat(5000) }],
      ["join_room", { room: null }],
      ["join_room", { room: ["dev"] }],
      ["list_users", { room: 5 }],
      ["history", { room: 5 }],
      ["history", { before_seq: -1 }],
      ["history", { after_seq: 1.5 }],
      ["history", { after_seq: "3" }],
      ["history", { after_seq: 1e300 }],
      ["history", { limit: 0 }],
      ["history", { limit: 201 }],
      ["history", { limit: "10" }],
      ["history", { with: 5 }],
      ["private_message", { to: "bob" }],
      ["private_message", { to: {}, text: "hi" }],
      ["private_message", { to: "bob", text: 5 }],
    ];
    for (const [action, data] of cases) {
      await expectError(client, action, data, "invalid_message");
    }
    // Moderation, as an admin, so that the role is not what is refused.
    const admin = await pool.register("boss");
    const moderation: [string, Record<string, unknown>][] = [
      ["kick", {}],
      ["kick", { user: 5 }],
      ["ban", { user: "bob", reason: "r".repeat(501) }],
      ["ban", { user: "bob", room: 5 }],
      ["unban", { user: null }],
      ["delete_room", { room: 5 }],
      ["set_role", { user: "bob", role: "god" }],
      ["set_role", { user: "bob" }],
    ];
    for (const [action, data] of moderation) {
      await expectError(admin, action, data, "invalid_message");
    }
    // Nothing of it reached the room.
    assert.deepEqual(await historyOf<Message>(client, "general"), []);
  }));

Deno.test("requests: unknown fields ('extra' in the envelope, 'color' and 'nested' in data) are ignored", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    const bob = await pool.guest("bob");
    const reply = await replyTo(alice, {
      action: "send_message",
      id: "x1",
      extra: { deep: [1, 2, 3] },
      data: { text: "hello", color: "red", nested: { a: { b: 1 } } },
    });
    assert.equal(reply.action, "success");
    const message = reply.data.message as Record<string, unknown>;
    assert.deepEqual(Object.keys(message).sort(), [
      "id",
      "room",
      "seq",
      "text",
      "ts",
      "user",
    ]);
    const event = await bob.event("receive_message", (d) => d.text === "hello");
    assert.deepEqual(event.data, message);
    const joined = await replyTo(alice, {
      action: "create_room",
      data: { room: "dev", topic: "ops" },
      id: "x2",
    });
    assert.equal(joined.action, "success");
    assert.equal(joined.data.room, "dev");
  }));

// -------------------------------------------------------------- store errors

/** Holds the write lock of a SQLite file from another connection. */
function lockDatabase(path: string): DatabaseSync {
  const db = new DatabaseSync(path);
  db.exec("PRAGMA busy_timeout = 5000");
  // In WAL mode readers are never blocked: take the writer's lock.
  db.exec("BEGIN IMMEDIATE");
  db.exec("UPDATE streams SET last_seq = last_seq WHERE key = 'no such key'");
  return db;
}

function unlock(db: DatabaseSync): void {
  db.exec("ROLLBACK");
  db.close();
}

Deno.test("store: while another process holds the write lock, send_message gets internal and the server stays up", () =>
  withClients(async (pool, server) => {
    const alice = await pool.guest("alice");
    const bob = await pool.guest("bob");
    await alice.ok("send_message", { text: "before" });
    const lock = lockDatabase(`${server.dir}/chat.db`);
    try {
      await expectError(alice, "send_message", { text: "during" }, "internal");
      // Reads and other connections still work.
      await bob.ok("list_rooms");
      assert.equal(alice.closeCode, undefined);
    } finally {
      unlock(lock);
    }
    const after = await alice.ok("send_message", { text: "after" });
    // The failed message took no seq and left no trace.
    assert.equal((after.message as Message).seq, 2);
    const stored = await historyOf<Message>(bob, "general");
    assert.deepEqual(stored.map((m) => m.text), ["before", "after"]);
    await roundTrip(bob);
    assert.deepEqual(receivedTexts(bob), ["before", "after"]);
  }, { dbBusyTimeoutMs: 100 }));

Deno.test("store: /healthz answers 503 while the database is locked and 200 once it is released", () =>
  withClients(async (_pool, server) => {
    const lock = lockDatabase(`${server.dir}/chat.db`);
    try {
      const locked = await fetch(`${server.url}/healthz`);
      assert.equal(locked.status, 503);
      await locked.body?.cancel();
    } finally {
      unlock(lock);
    }
    const healthy = await fetch(`${server.url}/healthz`);
    assert.equal(healthy.status, 200);
    assert.deepEqual(await healthy.json(), { status: "ok" });
  }, { dbBusyTimeoutMs: 100 }));

// -------------------------------------------------------------------- names

const INVISIBLE_OR_CONTROL = [
  "ali\u200Bce", // zero-width space
  "\u200Balice",
  "alice\u200B",
  "\u202Eecila", // right-to-left override
  "ali\u202Dce", // left-to-right override
  "ali\u2066ce", // left-to-right isolate
  "\u3164", // Hangul filler
  "ali\u3164ce",
  "ali\u0000ce",
  "ali\u0008ce",
  "ali\u001Bce",
  "ali\u0085ce", // next line (C1)
  "ali\u2028ce", // line separator
  "ali\u034Fce", // combining grapheme joiner
  "alice\uFE0F", // variation selector
];

Deno.test("names: control, zero-width, bidi-override and Hangul-filler characters in a username get username_invalid", () =>
  withClients(async (pool) => {
    const client = await pool.connect();
    for (const username of INVISIBLE_OR_CONTROL) {
      await expectError(client, "login", { username }, "username_invalid");
    }
    await client.ok("login", { username: "alice" });
  }));

Deno.test("names: the same characters in a room name get room_name_invalid", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    for (const room of INVISIBLE_OR_CONTROL) {
      await expectError(alice, "create_room", { room }, "room_name_invalid");
    }
    const rooms = (await alice.ok("list_rooms")).rooms as { name: string }[];
    assert.deepEqual(rooms.map((r) => r.name), ["general"]);
  }));

Deno.test("names: full-width 'ａｌｉｃｅ' and 'STRASSE' are taken while 'alice' and 'Straße' are online", () =>
  withClients(async (pool) => {
    await pool.guest("alice");
    await pool.guest("Straße");
    const client = await pool.connect();
    for (
      const username of [
        "ａｌｉｃｅ",
        "ＡＬＩＣＥ",
        "STRASSE",
        "strasse",
        "Strasse",
      ]
    ) {
      await expectError(client, "login", { username }, "username_taken");
    }
    await client.ok("login", { username: "bob" });
  }));

Deno.test("names: a guest cannot take a look-alike of a registered account's name", () =>
  withClients(async (pool) => {
    const owner = await pool.register("Straße");
    await owner.close();
    const client = await pool.connect();
    await expectError(
      client,
      "login",
      { username: "STRASSE" },
      "username_taken",
    );
    await expectError(client, "register", {
      username: "ｓｔｒａｓｓｅ",
      password: "another good password",
    }, "username_taken");
  }));

Deno.test("names: look-alike room names (full-width, ß, ligature, decomposed accent) get room_exists", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    for (const room of ["dev", "Straße", "file", "Café"]) {
      await alice.ok("create_room", { room });
    }
    for (
      const room of [
        "ｄｅｖ",
        "ＤＥＶ",
        "STRASSE",
        "strasse",
        "\uFB01le", // "ﬁle": the fi ligature
        "Cafe\u0301", // e + combining acute
        "CAFÉ",
      ]
    ) {
      await expectError(alice, "create_room", { room }, "room_exists");
    }
    const joined = await alice.ok("join_room", { room: "ＳＴＲＡＳＳＥ" });
    assert.equal(joined.room, "Straße");
  }));

Deno.test("messages: emoji, combining marks, RTL text and markup come back identical in the reply, receive_message, history and the HTTP API", () =>
  withClients(async (pool, server) => {
    const alice = await pool.guest("alice");
    const bob = await pool.guest("bob");
    const texts = [
      "👩‍👩‍👧‍👦 family, 🏳️‍🌈 flag, 👍🏽 thumb",
      "e\u0301 decomposed vs é precomposed",
      "Z\u0324\u0308a\u0338l\u0337g\u0335o",
      "مرحبا بالعالم",
      "שלום עולם",
      "mixed \u202Eevil\u202C text and \u2067isolate\u2069",
      "<script>alert('x')</script><img src=x onerror=alert(1)>",
      "&lt;b&gt; &amp; \"quotes\" 'single' \\backslash",
      "tab\tinside and\nnew line",
      "zero\u200Bwidth\uFEFFjoiner\u200D",
      "𝕏 𝔸 mathematical, \uD834\uDD1E clef",
      "\u3164 Hangul filler inside text",
    ];
    const replies: Message[] = [];
    for (const text of texts) {
      replies.push(
        (await alice.ok("send_message", { text })).message as Message,
      );
    }
    await roundTrip(bob);
    const events = bob.events("receive_message").map((f) => f.data.text);
    const stored = (await historyOf<Message>(bob, "general")).map((m) =>
      m.text
    );
    const response = await fetch(`${server.url}/api/rooms/general/messages`);
    const http = ((await response.json()).messages as Message[]).map((m) =>
      m.text
    );
    const encoder = new TextEncoder();
    for (const [i, text] of texts.entries()) {
      const bytes = encoder.encode(text);
      for (
        const [where, got] of [
          ["reply", replies[i].text],
          ["receive_message", events[i]],
          ["history", stored[i]],
          ["HTTP API", http[i]],
        ] as const
      ) {
        assert.equal(got, text, `${where} of ${JSON.stringify(text)}`);
        assert.deepEqual(encoder.encode(got as string), bytes, where);
      }
    }
  }));

Deno.test("messages: only the ends are trimmed, spaces inside stay as sent", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    const sent = await alice.ok("send_message", {
      text: " \t\n  two  spaces,\u00A0nbsp and  \t tab \n ",
    });
    assert.equal(
      (sent.message as Message).text,
      "two  spaces,\u00A0nbsp and  \t tab",
    );
  }));

// --------------------------------------------------------------------- HTTP

/** A login body of 70 KiB. */
function bigLogin(): string {
  return JSON.stringify({ username: "alice", password: "x".repeat(70 * 1024) });
}

/**
 * POSTs `body` with Transfer-Encoding: chunked (no Content-Length) over a
 * raw TCP connection, and returns the status of the reply. Sending stops
 * early if the server answers first.
 */
async function chunkedPost(
  base: string,
  path: string,
  body: string,
): Promise<number> {
  const url = new URL(base);
  const conn = await Deno.connect({
    hostname: url.hostname,
    port: Number(url.port),
  });
  try {
    const encoder = new TextEncoder();
    const reading = (async () => {
      const buffer = new Uint8Array(4096);
      let head = "";
      while (!head.includes("\r\n")) {
        const n = await conn.read(buffer);
        if (n === null) break;
        head += new TextDecoder().decode(buffer.subarray(0, n));
      }
      return Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
    })();
    let answered = false;
    reading.finally(() => answered = true);
    const write = async (text: string) => {
      const bytes = encoder.encode(text);
      for (let done = 0; done < bytes.length;) {
        done += await conn.write(bytes.subarray(done));
      }
    };
    try {
      await write(
        `POST ${path} HTTP/1.1\r\nHost: ${url.host}\r\n` +
          "Content-Type: application/json\r\n" +
          "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
      );
      for (let i = 0; i < body.length && !answered; i += 8192) {
        const chunk = body.slice(i, i + 8192);
        await write(
          `${encoder.encode(chunk).length.toString(16)}\r\n${chunk}\r\n`,
        );
      }
      if (!answered) await write("0\r\n\r\n");
    } catch {
      // The server closed its side after answering early.
    }
    return await reading;
  } finally {
    conn.close();
  }
}

Deno.test("http: every page has a CSP without 'unsafe-inline' scripts that forbids framing, nosniff and a Referrer-Policy", () =>
  withClients(async (_pool, server) => {
    const paths = [
      "/",
      "/healthz",
      "/metrics",
      "/api/rooms",
      "/api/rooms/general/messages",
      "/api/rooms/nope/messages",
      "/api/session",
      "/ws",
      "/no-such-page",
      "/app.js",
    ];
    for (const path of paths) {
      const response = await fetch(`${server.url}${path}`);
      await response.body?.cancel();
      const headers = response.headers;
      const csp = headers.get("content-security-policy");
      assert.ok(csp, `${path}: no Content-Security-Policy`);
      const directives = new Map(
        csp.split(";").map((d) => d.trim().split(/\s+/)).filter((d) => d[0])
          .map(([name, ...values]) => [name, values]),
      );
      const scripts = directives.get("script-src") ??
        directives.get("default-src");
      assert.ok(scripts, `${path}: no script-src nor default-src`);
      assert.ok(!scripts.includes("'unsafe-inline'"), `${path}: ${csp}`);
      assert.ok(!scripts.includes("'unsafe-eval'"), `${path}: ${csp}`);
      assert.deepEqual(directives.get("frame-ancestors"), ["'none'"], path);
      assert.equal(headers.get("x-content-type-options"), "nosniff", path);
      assert.ok(headers.get("referrer-policy"), `${path}: no Referrer-Policy`);
    }
  }));

Deno.test("http: POST /api/login with a body over 64 KiB gets 413", () =>
  withClients(async (_pool, server) => {
    const response = await fetch(`${server.url}/api/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: bigLogin(),
    });
    assert.equal(response.status, 413);
    await response.body?.cancel();
  }));

Deno.test("http: POST /api/login streamed over 64 KiB without Content-Length gets 413 and leaves nothing open", () =>
  withClients(async (_pool, server) => {
    // Chunked: the server cannot trust a declared length. Sanitizers check
    // that the unread rest of the body is let go of.
    const status = await chunkedPost(server.url, "/api/login", bigLogin());
    assert.equal(status, 413);
  }));

Deno.test("messages: a text with a lone surrogate is refused, or the same in the reply, receive_message and history", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    // JSON may escape half of a surrogate pair; UTF-8 cannot store it.
    const reply = await replyTo(
      alice,
      '{"action":"send_message","id":"s","data":{"text":"half \\ud800 pair"}}',
    );
    if (reply.action === "error") {
      assert.equal(reply.data.code, "invalid_message");
      return;
    }
    const sent = reply.data.message as Message;
    const event = await alice.event("receive_message", (d) => d.seq === 1);
    const [stored] = await historyOf<Message>(alice, "general");
    assert.deepEqual(event.data, sent, "receive_message vs reply");
    assert.deepEqual(stored, sent, "history vs reply");
  }));

Deno.test("upgrade: behind a trusted proxy the per-address cap counts the forwarded address, not the proxy's", () =>
  withServer(async (server) => {
    const as = (address: string) => ({
      headers: { "x-forwarded-for": `10.9.9.9, ${address}` },
    });
    const open = [
      await TestClient.connect(server.wsUrl, as("192.0.2.1")),
      await TestClient.connect(server.wsUrl, as("192.0.2.1")),
      // Another client behind the same proxy is another address.
      await TestClient.connect(server.wsUrl, as("192.0.2.2")),
    ];
    try {
      const refused = await fetch(`${server.url}/ws`, {
        headers: {
          upgrade: "websocket",
          connection: "Upgrade",
          "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
          "sec-websocket-version": "13",
          "x-forwarded-for": "192.0.2.1",
        },
      });
      await refused.body?.cancel();
      assert.equal(refused.status, 429);
    } finally {
      for (const client of open) await client.close();
    }
  }, { trustProxy: true, maxConnectionsPerAddress: 2 }));

Deno.test("upgrade: without --trust-proxy, X-Forwarded-For is ignored", () =>
  withClients(async (pool) => {
    // Claiming one far address three times past a cap of one: the claim is
    // ignored, so these are loopback connections, which are not capped.
    for (let i = 0; i < 3; i++) {
      await pool.connect({ headers: { "x-forwarded-for": "192.0.2.1" } });
    }
  }, { maxConnectionsPerAddress: 1 }));
