/**
 * The envelope of every frame (docs/protocol.md, Frames; server/protocol/
 * envelope.ts) against a real server: ids, request names and timestamps in
 * replies, what a malformed frame gets, and frames built to hurt the decoder
 * (deep nesting, huge strings, wide objects) answered quickly without
 * growing the server process.
 */
import assert from "node:assert/strict";
import {
  ClientPool,
  expectError,
  type Frame,
  ISO_MS,
  messageOf,
  replyCount,
  replyTo,
  roomsOf,
  roundTrip,
  rssKiB,
  since,
  spawnServer,
  TestClient,
  withClients,
  within,
} from "./harness.ts";

/**
 * How long a reply that hard frames might delay is waited for: a stuck
 * server never answers, a busy 2-core machine answers in seconds (how fast
 * is for `deno task bench`, not a test).
 */
const ANSWER_MS = 60_000;

/** Sends a raw frame and waits for the next error reply after it. */
async function rawError(client: TestClient, frame: unknown): Promise<Frame> {
  const from = client.received.length;
  client.send(frame);
  return await client.waitFor(
    (f) => f.action === "error",
    `error reply to ${JSON.stringify(frame)}`,
    { from },
  );
}

/**
 * Sends 300 frames (at most 30 unanswered, as TCP would pace a real
 * flood), then checks that a request is still answered.
 */
async function floodRound(client: TestClient, frames: string[]) {
  const base = replyCount(client);
  for (let i = 0; i < 300; i++) {
    client.send(frames[i % frames.length]);
    if (i % 30 === 29) {
      await client.waitFor(
        () => replyCount(client) >= base + i + 1,
        "replies",
        { timeoutMs: ANSWER_MS },
      );
    }
  }
  await within(ANSWER_MS, client.ok("list_rooms"), "list_rooms after a round");
}

Deno.test("envelope: a reply carries the request id and data.request", () =>
  withClients(async (pool) => {
    const client = await pool.connect();
    client.send({ action: "login", data: { username: "alice" }, id: "c7" });
    const ok = await client.waitFor((f) => f.id === "c7");
    assert.equal(ok.action, "success");
    assert.equal(ok.data.request, "login");
    client.send({ action: "join_room", data: { room: "foo" }, id: "c8" });
    const error = await client.waitFor((f) => f.id === "c8");
    assert.equal(error.action, "error");
    assert.deepEqual(Object.keys(error.data).sort(), [
      "code",
      "message",
      "request",
    ]);
    assert.equal(error.data.request, "join_room");
    assert.equal(error.data.code, "room_not_found");
  }));

Deno.test("envelope: a request without id gets a reply without id", () =>
  withClients(async (pool) => {
    const client = await pool.guest("alice");
    const from = client.received.length;
    client.send({ action: "list_rooms" });
    const reply = await client.waitFor(
      (f) => f.action === "success" && f.data.request === "list_rooms",
      "list_rooms reply",
      { from },
    );
    assert.equal("id" in reply, false);
  }));

Deno.test("envelope: every frame carries an ISO timestamp with milliseconds", () =>
  withClients(async (pool) => {
    const before = Date.now();
    const alice = await pool.guest("alice");
    const bob = await pool.guest("bob");
    await alice.event("system");
    await alice.ok("send_message", { text: "hi" });
    await bob.event("receive_message");
    await alice.request("join_room", { room: "nope" });
    alice.send("not json");
    await alice.waitFor((f) => f.data.code === "invalid_json");
    const after = Date.now();
    for (const frame of [...alice.received, ...bob.received]) {
      assert.match(frame.timestamp, ISO_MS, JSON.stringify(frame));
      const t = Date.parse(frame.timestamp);
      assert.ok(t >= before - 1000 && t <= after + 1000, frame.timestamp);
    }
  }));

Deno.test("envelope: events carry no id", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    const bob = await pool.guest("bob");
    await alice.event("system");
    await alice.ok("send_message", { text: "hi" });
    await bob.event("receive_message");
    await bob.event("room_list");
    await roundTrip(bob);
    const events = bob.received.filter((f) => f.action !== "success");
    assert.ok(events.length >= 2);
    for (const event of events) assert.equal("id" in event, false);
  }));

Deno.test("envelope: data may be left out", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    alice.send({ action: "list_rooms", id: "no-data" });
    const reply = await alice.waitFor((f) => f.id === "no-data");
    assert.equal(reply.action, "success");
    assert.deepEqual(roomsOf(reply.data), [{ name: "general", users: 1 }]);
    await alice.ok("create_room", { room: "dev" });
    alice.send({ action: "leave_room", id: "leave" });
    const left = await alice.waitFor((f) => f.id === "leave");
    assert.equal(left.action, "success");
    assert.equal(left.data.room, "general");
  }));

Deno.test("envelope: a timestamp sent by the client is ignored", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    alice.send({
      action: "send_message",
      data: { text: "hi" },
      id: "t1",
      timestamp: "1999-01-01T00:00:00.000Z",
    });
    const reply = await alice.waitFor((f) => f.id === "t1");
    assert.equal(reply.action, "success");
    assert.notEqual(reply.timestamp, "1999-01-01T00:00:00.000Z");
    assert.notEqual(messageOf(reply.data).ts, "1999-01-01T00:00:00.000Z");
  }));

Deno.test("envelope: a frame that is not JSON gets invalid_json and the connection stays open", () =>
  withClients(async (pool) => {
    const client = await pool.connect();
    for (const text of ["not json", "{", '{"action": "login"', ""]) {
      const reply = await rawError(client, text);
      assert.equal(reply.data.code, "invalid_json", JSON.stringify(text));
      assert.equal(typeof reply.data.message, "string");
    }
    // Still not logged in, still open: login works now.
    const login = await client.request("login", { username: "alice" });
    assert.equal(login.action, "success");
  }));

Deno.test("envelope: a frame that is not an object with a string action gets invalid_message", () =>
  withClients(async (pool) => {
    const client = await pool.connect();
    const frames: unknown[] = [
      "[]",
      '[{"action": "list_rooms"}]',
      '"list_rooms"',
      "42",
      "null",
      "true",
      {},
      { data: {} },
      { action: 5 },
      { action: null },
      { action: ["login"] },
      { action: { name: "login" } },
    ];
    for (const frame of frames) {
      const reply = await rawError(client, frame);
      assert.equal(
        reply.data.code,
        "invalid_message",
        `${JSON.stringify(frame)} -> ${JSON.stringify(reply)}`,
      );
    }
    const login = await client.request("login", { username: "alice" });
    assert.equal(login.action, "success");
  }));

Deno.test("envelope: data that is not an object gets invalid_message with id and request", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    for (const [i, data] of [[], "x", 5, true, ["room"]].entries()) {
      const id = `d${i}`;
      alice.send({ action: "list_rooms", data, id });
      const reply = await alice.waitFor((f) => f.id === id);
      assert.equal(reply.action, "error", JSON.stringify(data));
      assert.equal(reply.data.code, "invalid_message", JSON.stringify(data));
      assert.equal(reply.data.request, "list_rooms");
    }
  }));

Deno.test("envelope: a bad id gets invalid_message", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    for (const id of ["", "x".repeat(65), 5, { id: "x" }, ["x"], true]) {
      const reply = await rawError(alice, { action: "list_rooms", id });
      assert.equal(reply.data.code, "invalid_message", JSON.stringify(id));
    }
    const longest = "x".repeat(64);
    alice.send({ action: "list_rooms", id: longest });
    const reply = await alice.waitFor((f) => f.id === longest);
    assert.equal(reply.action, "success");
  }));

Deno.test("envelope: an unknown action gets unknown_action with id and request", () =>
  withClients(async (pool) => {
    const client = await pool.connect();
    const before = await expectError(client, "fly", {}, "unknown_action");
    assert.ok(before.id);
    await client.ok("login", { username: "alice" });
    await expectError(client, "fly", { to: "moon" }, "unknown_action");
    await expectError(client, "LIST_ROOMS", undefined, "unknown_action");
  }));

Deno.test("envelope: bad frames change nothing for the sender or the others", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    await alice.ok("create_room", { room: "dev" });
    const bob = await pool.guest("bob");
    await bob.ok("join_room", { room: "dev" });
    await alice.event("system", (d) => d.kind === "joined");
    const aliceFrom = alice.received.length;
    const bobFrom = bob.received.length;
    const bad: unknown[] = [
      "nope",
      "[]",
      { data: {} },
      { action: "send_message", data: [] },
      { action: "list_rooms", id: "" },
      { action: "teleport" },
      { action: "join_room" },
      { action: "send_message", data: { text: 5 } },
    ];
    for (const frame of bad) alice.send(frame);
    await alice.waitFor(
      () => since(alice, aliceFrom).length >= bad.length,
      "one reply per bad frame",
    );
    await roundTrip(alice);
    await roundTrip(bob);
    const replies = since(alice, aliceFrom);
    assert.equal(replies.length, bad.length + 1);
    assert.ok(replies.slice(0, bad.length).every((f) => f.action === "error"));
    assert.ok(since(bob, bobFrom).every((f) => f.action === "success"));
    const users = await alice.ok("list_users");
    assert.deepEqual(users.users, ["alice", "bob"]);
    assert.equal(users.room, "dev");
    const history = await alice.ok("history");
    assert.deepEqual(history.messages, []);
  }));

Deno.test("frames: 30,000 nested brackets get invalid_message and the server answers the next request", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    const deep = "[".repeat(30_000) + "]".repeat(30_000);
    assert.ok(deep.length < 64 * 1024);
    const reply = await within(
      ANSWER_MS,
      replyTo(alice, deep),
      "nested arrays",
    );
    assert.equal(reply.action, "error");
    assert.ok(
      reply.data.code === "invalid_message" ||
        reply.data.code === "invalid_json",
      JSON.stringify(reply.data),
    );
    await within(ANSWER_MS, alice.ok("list_rooms"), "list_rooms after it");
  }));

Deno.test("frames: unbalanced, nested-in-data and nested-in-text brackets are refused or ignored, and others are still answered", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    const bob = await pool.guest("bob");
    const nest = (n: number) => "[".repeat(n) + "]".repeat(n);
    // Deeper than 32: refused before the parse (invalid_message).
    const cases: [string, string][] = [
      ["[".repeat(60_000), "invalid_message"],
      ["{".repeat(60_000), "invalid_message"],
      ["[".repeat(30), "invalid_json"],
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
        ANSWER_MS,
        replyTo(alice, frame),
        frame.slice(0, 40),
      );
      assert.equal(reply.action, "error", frame.slice(0, 40));
      assert.equal(reply.data.code, code, frame.slice(0, 40));
    }
    // An unknown field may hold anything up to that depth: it is
    // ignored, the message goes.
    const ignored = await within(
      ANSWER_MS,
      replyTo(
        alice,
        `{"action":"send_message","id":"c","data":{"text":"deep","x":${
          nest(30)
        }}}`,
      ),
      "nested unknown field",
    );
    assert.equal(ignored.action, "success");
    await bob.event("receive_message", (d) => d.text === "deep");
    await within(ANSWER_MS, bob.ok("list_rooms"), "another client's request");
  }));

Deno.test("frames: a 60 KiB string and a 10,000-key object get a normal reply", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    const long = await within(
      ANSWER_MS,
      alice.request("send_message", { text: "y".repeat(60 * 1024) }),
      "60 KiB text",
    );
    assert.equal(long.data.code, "message_too_long");
    const keys: Record<string, number> = {};
    for (let i = 0; i < 10_000; i++) keys[`k${i.toString(36)}`] = i;
    // Unknown keys of data are ignored.
    const wide = await within(
      ANSWER_MS,
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
      ANSWER_MS,
      replyTo(alice, { action: "list_rooms", id: "env", ...keys }),
      "10,000 keys in the envelope",
    );
    assert.equal(envelope.action, "success", JSON.stringify(envelope.data));
    const asData = await within(
      ANSWER_MS,
      alice.request("create_room", keys),
      "10,000 keys without room",
    );
    assert.equal(asData.data.code, "invalid_message");
    await within(ANSWER_MS, alice.ok("list_rooms"), "list_rooms after them");
    // 10,000 keys take about 80 KB: the frame limit is raised for this one.
  }, { maxFrameBytes: 128 * 1024 }));

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
