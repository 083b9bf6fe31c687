/**
 * The wire contract (PROTOCOL.md), scenario by scenario, against a real
 * server on a free loopback port with a temporary SQLite file and real
 * WebSocket clients.
 */
import assert from "node:assert/strict";
import type { Config } from "../server/config.ts";
import {
  expectError,
  type Frame,
  metric,
  RawSocket,
  roomsOf,
  roundTrip,
  TestClient,
  type TestServer,
  usersIn,
  withServer,
} from "./harness.ts";

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** A message object as the contract defines it. */
interface Message {
  id: string;
  seq: number;
  room: string;
  user: string;
  text: string;
  ts: string;
  client_id?: string;
}

/** A test's server plus every client it opened, all closed at the end. */
interface Scenario {
  server: TestServer;
  /** Connects and logs in as a guest. */
  login(username: string): Promise<TestClient>;
  /** Connects without logging in. */
  connect(init?: { headers?: HeadersInit }): Promise<TestClient>;
}

/** Runs a scenario on a fresh server; closes its clients, then the server. */
function scenario(
  body: (s: Scenario) => Promise<void>,
  options: Partial<Config> = {},
): Promise<void> {
  return withServer(async (server) => {
    const clients: TestClient[] = [];
    const s: Scenario = {
      server,
      async login(username) {
        const client = await TestClient.login(server.wsUrl, username);
        clients.push(client);
        return client;
      },
      async connect(init) {
        const client = await TestClient.connect(server.wsUrl, init);
        clients.push(client);
        return client;
      },
    };
    try {
      await body(s);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  }, options);
}

/** Received frames from index `from` on. */
function since(client: TestClient, from: number): Frame[] {
  return client.received.slice(from);
}

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

function messageOf(data: Frame["data"]): Message {
  return data.message as Message;
}

function messagesOf(frames: Frame[]): Message[] {
  return frames.map((f) => f.data as unknown as Message);
}

async function sendMany(
  client: TestClient,
  texts: string[],
): Promise<Message[]> {
  const messages: Message[] = [];
  for (const text of texts) {
    messages.push(messageOf(await client.ok("send_message", { text })));
  }
  return messages;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

// ---------------------------------------------------------------- envelope

Deno.test("envelope: a reply carries the request id and data.request", () =>
  scenario(async (s) => {
    const client = await s.connect();
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
  scenario(async (s) => {
    const client = await s.login("alice");
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
  scenario(async (s) => {
    const before = Date.now();
    const alice = await s.login("alice");
    const bob = await s.login("bob");
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
  scenario(async (s) => {
    const alice = await s.login("alice");
    const bob = await s.login("bob");
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
  scenario(async (s) => {
    const alice = await s.login("alice");
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
  scenario(async (s) => {
    const alice = await s.login("alice");
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
  scenario(async (s) => {
    const client = await s.connect();
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
  scenario(async (s) => {
    const client = await s.connect();
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
  scenario(async (s) => {
    const alice = await s.login("alice");
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
  scenario(async (s) => {
    const alice = await s.login("alice");
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
  scenario(async (s) => {
    const client = await s.connect();
    const before = await expectError(client, "fly", {}, "unknown_action");
    assert.ok(before.id);
    await client.ok("login", { username: "alice" });
    await expectError(client, "fly", { to: "moon" }, "unknown_action");
    await expectError(client, "LIST_ROOMS", undefined, "unknown_action");
  }));

Deno.test("envelope: bad frames change nothing for the sender or the others", () =>
  scenario(async (s) => {
    const alice = await s.login("alice");
    await alice.ok("create_room", { room: "dev" });
    const bob = await s.login("bob");
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

// ------------------------------------------------------------------- login

Deno.test("login: every member action before login gets not_logged_in", () =>
  scenario(async (s) => {
    const client = await s.connect();
    const requests: [string, Record<string, unknown>][] = [
      ["list_rooms", {}],
      ["create_room", { room: "dev" }],
      ["join_room", { room: "general" }],
      ["leave_room", {}],
      ["list_users", {}],
      ["send_message", { text: "hi" }],
      ["history", {}],
    ];
    for (const [action, data] of requests) {
      await expectError(client, action, data, "not_logged_in");
    }
    await client.ok("login", { username: "alice" });
    const rooms = await client.ok("list_rooms");
    assert.deepEqual(roomsOf(rooms), [{ name: "general", users: 1 }]);
    const history = await client.ok("history");
    assert.deepEqual(history.messages, []);
  }));

Deno.test("login: a second login gets already_logged_in", () =>
  scenario(async (s) => {
    const alice = await s.login("alice");
    await expectError(
      alice,
      "login",
      { username: "alice" },
      "already_logged_in",
    );
    await expectError(alice, "login", { username: "bob" }, "already_logged_in");
    const users = await alice.ok("list_users");
    assert.deepEqual(users.users, ["alice"]);
  }));

Deno.test("login: a name outside the rules gets username_invalid", () =>
  scenario(async (s) => {
    const client = await s.connect();
    const names = [
      "",
      "a".repeat(33),
      "al ice",
      " alice",
      "alice ",
      "a\tb",
      "a\nb",
      "a\u0007b",
      "a\u0000b",
      "\u007f",
      "😀",
      "alice😀",
      "a\u200bb", // zero-width space
      "a\u200db", // zero-width joiner
      "\u2060alice", // word joiner
      "a\u00adb", // soft hyphen
      "a\ufeffb", // byte-order mark
      "a/b",
      "a@b",
      "<script>",
      "a\u202eb", // right-to-left override
    ];
    for (const username of names) {
      await expectError(client, "login", { username }, "username_invalid");
    }
    await client.ok("login", { username: "alice" });
  }));

Deno.test("login: a name made of invisible letters gets username_invalid", () =>
  scenario(async (s) => {
    const client = await s.connect();
    // Hangul fillers are "letters" to Unicode but render as nothing.
    for (
      const username of ["\u3164", "a\u3164b", "\u115f", "\u1160", "\uffa0"]
    ) {
      await expectError(client, "login", { username }, "username_invalid");
    }
    await client.ok("login", { username: "alice" });
  }));

Deno.test("login: a username that is not a string gets invalid_message", () =>
  scenario(async (s) => {
    const client = await s.connect();
    for (const data of [{}, { username: 5 }, { username: null }]) {
      await expectError(client, "login", data, "invalid_message");
    }
    await client.ok("login", { username: "alice" });
  }));

Deno.test("login: names of 32 characters and Unicode letters are accepted", () =>
  scenario(async (s) => {
    const names = [
      "a".repeat(32),
      "Zoë",
      "李雷",
      "a_b-c.d",
      "Ωμέγα9",
      "Юлия",
      "x",
      "007",
      "李".repeat(32),
    ];
    for (const username of names) {
      const client = await s.connect();
      const data = await client.ok("login", { username });
      assert.equal(data.username, username);
    }
  }));

Deno.test("login: a name online in another case gets username_taken", () =>
  scenario(async (s) => {
    await s.login("Alice");
    const client = await s.connect();
    for (const username of ["Alice", "alice", "ALICE", "aLiCe"]) {
      await expectError(client, "login", { username }, "username_taken");
    }
    const zoe = await s.login("Zoë");
    assert.ok(zoe);
    await expectError(client, "login", { username: "ZOË" }, "username_taken");
    await client.ok("login", { username: "alice2" });
  }));

Deno.test("login: a guest name is free again once its user disconnects", () =>
  scenario(async (s) => {
    const watcher = await s.login("watcher");
    const alice = await s.login("alice");
    await alice.close();
    await watcher.event(
      "system",
      (d) => d.kind === "left" && d.user === "alice",
    );
    const again = await s.login("alice");
    const users = await again.ok("list_users");
    assert.deepEqual(users.users, ["alice", "watcher"]);
  }));

Deno.test("login: success shows the name, role user, room general and the rooms with counts", () =>
  scenario(async (s) => {
    const alice = await s.login("alice");
    await alice.ok("create_room", { room: "dev" });
    const client = await s.connect();
    const reply = await client.request("login", { username: "Bob" });
    assert.equal(reply.action, "success");
    assert.deepEqual(Object.keys(reply.data).sort(), [
      "guest_key",
      "request",
      "role",
      "room",
      "rooms",
      "username",
    ]);
    assert.equal(reply.data.request, "login");
    assert.equal(reply.data.username, "Bob");
    assert.equal(reply.data.role, "user");
    assert.equal(reply.data.room, "general");
    assert.equal("token" in reply.data, false);
    assert.deepEqual(roomsOf(reply.data), [
      { name: "general", users: 1 },
      { name: "dev", users: 1 },
    ]);
  }));

Deno.test("login: the others in general hear joined, the newcomer does not, everyone gets room_list", () =>
  scenario(async (s) => {
    const alice = await s.login("alice");
    const carol = await s.login("carol");
    await carol.ok("create_room", { room: "dev" });
    const aliceFrom = alice.received.length;
    const carolFrom = carol.received.length;
    const bob = await s.login("bob");
    const joined = await alice.event(
      "system",
      (d) => d.kind === "joined",
      { from: aliceFrom },
    );
    assert.deepEqual(Object.keys(joined.data).sort(), [
      "kind",
      "room",
      "text",
      "user",
    ]);
    assert.equal(joined.data.room, "general");
    assert.equal(joined.data.user, "bob");
    assert.match(joined.data.text as string, /bob/);
    assert.match(joined.data.text as string, /general/);
    const froms = [[alice, aliceFrom], [bob, 0], [carol, carolFrom]] as const;
    for (const [client, from] of froms) {
      const list = await client.event("room_list", () => true, { from });
      assert.deepEqual(roomsOf(list.data), [
        { name: "general", users: 2 },
        { name: "dev", users: 1 },
      ]);
    }
    await roundTrip(bob);
    await roundTrip(carol);
    assert.deepEqual(bob.events("system"), []);
    assert.deepEqual(
      since(carol, carolFrom).filter((f) => f.action === "system"),
      [],
    );
  }));

// ------------------------------------------------------------------- rooms

Deno.test("create_room: the creator moves in with empty history and the old room hears left", () =>
  scenario(async (s) => {
    const alice = await s.login("alice");
    const bob = await s.login("bob");
    await alice.event("system", (d) => d.user === "bob");
    await alice.ok("send_message", { text: "in general" });
    const created = await alice.ok("create_room", { room: "dev" });
    assert.deepEqual(created, {
      request: "create_room",
      room: "dev",
      history: [],
    });
    const left = await bob.event("system", (d) => d.kind === "left");
    assert.equal(left.data.room, "general");
    assert.equal(left.data.user, "alice");
    assert.match(left.data.text as string, /alice/);
    for (const client of [alice, bob]) {
      const list = await client.event(
        "room_list",
        (d) => usersIn(roomsOf(d), "dev") === 1,
      );
      assert.deepEqual(roomsOf(list.data), [
        { name: "general", users: 1 },
        { name: "dev", users: 1 },
      ]);
    }
    assert.deepEqual((await alice.ok("list_users")).users, ["alice"]);
    assert.equal((await alice.ok("list_users")).room, "dev");
    await roundTrip(alice);
    assert.deepEqual(
      alice.events("system").filter((e) => e.data.user === "alice"),
      [],
    );
  }));

Deno.test("create_room: a name taken in any case gets room_exists", () =>
  scenario(async (s) => {
    const alice = await s.login("alice");
    await alice.ok("create_room", { room: "Dev" });
    for (const room of ["Dev", "dev", "DEV", "general", "General"]) {
      await expectError(alice, "create_room", { room }, "room_exists");
    }
    const rooms = roomsOf(await alice.ok("list_rooms"));
    assert.deepEqual(rooms.map((r) => r.name), ["general", "Dev"]);
  }));

Deno.test("create_room: a name outside the rules gets room_name_invalid", () =>
  scenario(async (s) => {
    const alice = await s.login("alice");
    for (
      const room of [
        "",
        "a b",
        " dev",
        "r".repeat(33),
        "x/y",
        "#dev",
        "😀",
        "a\u200bb",
        "a\u0000b",
        // Latin mixed with Cyrillic (UTS #39: not Highly Restrictive).
        "r\u043e\u043et",
      ]
    ) {
      await expectError(alice, "create_room", { room }, "room_name_invalid");
    }
    await expectError(alice, "create_room", {}, "invalid_message");
    await expectError(alice, "create_room", { room: 7 }, "invalid_message");
    const ok = await alice.ok("create_room", { room: "r".repeat(32) });
    assert.equal(ok.room, "r".repeat(32));
    const uni = await alice.ok("create_room", { room: "Café_b-1.0" });
    assert.equal(uni.room, "Café_b-1.0");
  }));

Deno.test("create_room: a name made of invisible letters gets room_name_invalid", () =>
  scenario(async (s) => {
    const alice = await s.login("alice");
    for (const room of ["\u3164", "dev\u3164", "\uffa0"]) {
      await expectError(alice, "create_room", { room }, "room_name_invalid");
    }
  }));

Deno.test("create_room: a room is shown as first written", () =>
  scenario(async (s) => {
    const alice = await s.login("alice");
    const bob = await s.login("bob");
    await alice.ok("create_room", { room: "DevOps" });
    const joined = await bob.ok("join_room", { room: "devops" });
    assert.equal(joined.room, "DevOps");
    const rooms = roomsOf(await bob.ok("list_rooms"));
    assert.deepEqual(rooms, [
      { name: "general", users: 0 },
      { name: "DevOps", users: 2 },
    ]);
    const users = await bob.ok("list_users", { room: "DEVOPS" });
    assert.deepEqual(users.users, ["alice", "bob"]);
    const sent = await bob.ok("send_message", { text: "hi" });
    assert.equal(messageOf(sent).room, "DevOps");
  }));

Deno.test("join_room: the history is the newest 50 messages, oldest first", () =>
  scenario(async (s) => {
    const alice = await s.login("alice");
    await alice.ok("create_room", { room: "busy" });
    await sendMany(alice, range(1, 55).map((n) => `m${n}`));
    const bob = await s.login("bob");
    const joined = await bob.ok("join_room", { room: "busy" });
    const history = joined.history as Message[];
    assert.equal(joined.room, "busy");
    assert.deepEqual(history.map((m) => m.seq), range(6, 55));
    assert.deepEqual(
      history.map((m) => m.text),
      range(6, 55).map((n) => `m${n}`),
    );
    for (const m of history) {
      assert.equal(m.room, "busy");
      assert.equal(m.user, "alice");
      assert.match(m.ts, ISO_MS);
    }
  }));

Deno.test("join_room: a room that does not exist gets room_not_found", () =>
  scenario(async (s) => {
    const alice = await s.login("alice");
    await expectError(alice, "join_room", { room: "nope" }, "room_not_found");
    await expectError(alice, "join_room", { room: "" }, "room_not_found");
    await expectError(alice, "join_room", {}, "invalid_message");
    assert.equal((await alice.ok("list_users")).room, "general");
  }));

Deno.test("join_room: moving hears left in the old room, joined in the new, room_list everywhere", () =>
  scenario(async (s) => {
    const alice = await s.login("alice");
    await alice.ok("create_room", { room: "dev" });
    const carol = await s.login("carol");
    const bob = await s.login("bob");
    await carol.event("system", (d) => d.user === "bob");
    const carolFrom = carol.received.length;
    const aliceFrom = alice.received.length;
    const bobFrom = bob.received.length;
    const joined = await bob.ok("join_room", { room: "dev" });
    assert.equal(joined.room, "dev");
    assert.deepEqual(joined.history, []);
    const left = await carol.event("system", () => true, { from: carolFrom });
    assert.deepEqual(
      { room: left.data.room, kind: left.data.kind, user: left.data.user },
      { room: "general", kind: "left", user: "bob" },
    );
    const arrived = await alice.event("system", () => true, {
      from: aliceFrom,
    });
    assert.deepEqual(
      {
        room: arrived.data.room,
        kind: arrived.data.kind,
        user: arrived.data.user,
      },
      { room: "dev", kind: "joined", user: "bob" },
    );
    for (
      const [client, from] of [[alice, aliceFrom], [bob, bobFrom], [
        carol,
        carolFrom,
      ]] as const
    ) {
      const list = await client.event("room_list", () => true, { from });
      assert.deepEqual(roomsOf(list.data), [
        { name: "general", users: 1 },
        { name: "dev", users: 2 },
      ]);
    }
    await roundTrip(bob);
    await roundTrip(alice);
    await roundTrip(carol);
    assert.equal(
      since(bob, bobFrom).filter((f) => f.action === "system").length,
      0,
    );
    // Each hears exactly one notice about the move.
    assert.equal(
      since(carol, carolFrom).filter((f) => f.action === "system").length,
      1,
    );
    assert.equal(
      since(alice, aliceFrom).filter((f) => f.action === "system").length,
      1,
    );
  }));

Deno.test("join_room: a room joined in another case answers with its display name", () =>
  scenario(async (s) => {
    const alice = await s.login("alice");
    await alice.ok("create_room", { room: "Rust" });
    await alice.ok("send_message", { text: "hello" });
    const bob = await s.login("bob");
    const joined = await bob.ok("join_room", { room: "RUST" });
    assert.equal(joined.room, "Rust");
    const history = joined.history as Message[];
    assert.deepEqual(history.map((m) => [m.room, m.text]), [["Rust", "hello"]]);
    const back = await bob.ok("join_room", { room: "GENERAL" });
    assert.equal(back.room, "general");
  }));

Deno.test("leave_room: the user goes back to general with its history", () =>
  scenario(async (s) => {
    const alice = await s.login("alice");
    await sendMany(alice, ["one", "two"]);
    await alice.ok("create_room", { room: "dev" });
    await alice.ok("send_message", { text: "in dev" });
    const left = await alice.ok("leave_room", {});
    assert.equal(left.room, "general");
    const history = left.history as Message[];
    assert.deepEqual(history.map((m) => [m.seq, m.text, m.room]), [
      [1, "one", "general"],
      [2, "two", "general"],
    ]);
    assert.equal((await alice.ok("list_users")).room, "general");
  }));

Deno.test("leave_room: general cannot be left", () =>
  scenario(async (s) => {
    const alice = await s.login("alice");
    await expectError(alice, "leave_room", {}, "cannot_leave_general");
    await alice.ok("create_room", { room: "dev" });
    await alice.ok("leave_room");
    await expectError(alice, "leave_room", undefined, "cannot_leave_general");
    assert.equal((await alice.ok("list_users")).room, "general");
  }));

Deno.test("list_rooms: every room with its number of users, empty rooms included", () =>
  scenario(async (s) => {
    const alice = await s.login("alice");
    const bob = await s.login("bob");
    await alice.ok("create_room", { room: "dev" });
    await alice.ok("create_room", { room: "ops" });
    const data = await bob.ok("list_rooms");
    assert.deepEqual(data, {
      request: "list_rooms",
      rooms: [
        { name: "general", users: 1 },
        { name: "dev", users: 0 },
        { name: "ops", users: 1 },
      ],
    });
  }));

Deno.test("list_users: the current room by default, or a named room", () =>
  scenario(async (s) => {
    const alice = await s.login("alice");
    const bob = await s.login("bob");
    await alice.ok("create_room", { room: "dev" });
    assert.deepEqual((await alice.ok("list_users")).users, ["alice"]);
    assert.deepEqual((await alice.ok("list_users", {})).users, ["alice"]);
    assert.deepEqual(
      (await alice.ok("list_users", { room: "general" })).users,
      ["bob"],
    );
    assert.deepEqual((await bob.ok("list_users")).users, ["bob"]);
    assert.deepEqual((await bob.ok("list_users", { room: "Dev" })).users, [
      "alice",
    ]);
    await expectError(bob, "list_users", { room: "nope" }, "room_not_found");
    await expectError(bob, "list_users", { room: 3 }, "invalid_message");
  }));

Deno.test("list_users: names are distinct and sorted", () =>
  scenario(async (s) => {
    const names = ["carol", "Alice", "bob", "Émile", "dave"];
    for (const name of names) await s.login(name);
    const viewer = await s.login("zed");
    const data = await viewer.ok("list_users");
    const users = data.users as string[];
    assert.equal(new Set(users).size, users.length);
    assert.deepEqual(
      [...users].sort((a, b) =>
        a.localeCompare(b, "en", { sensitivity: "base" })
      ),
      users,
    );
    assert.deepEqual(new Set(users), new Set([...names, "zed"]));
    assert.deepEqual(users.slice(0, 3), ["Alice", "bob", "carol"]);
  }));

Deno.test("room_list: counts go up and down as users move and leave", () =>
  scenario(async (s) => {
    const alice = await s.login("alice");
    const bob = await s.login("bob");
    const carol = await s.login("carol");
    await alice.event("room_list", (d) => usersIn(roomsOf(d), "general") === 3);
    await bob.ok("create_room", { room: "dev" });
    await alice.event(
      "room_list",
      (d) =>
        usersIn(roomsOf(d), "general") === 2 &&
        usersIn(roomsOf(d), "dev") === 1,
    );
    await carol.ok("join_room", { room: "dev" });
    await alice.event(
      "room_list",
      (d) =>
        usersIn(roomsOf(d), "general") === 1 &&
        usersIn(roomsOf(d), "dev") === 2,
    );
    await carol.close();
    const last = await alice.event(
      "room_list",
      (d) =>
        usersIn(roomsOf(d), "general") === 1 &&
        usersIn(roomsOf(d), "dev") === 1,
    );
    assert.deepEqual(roomsOf(last.data), [
      { name: "general", users: 1 },
      { name: "dev", users: 1 },
    ]);
  }));

// ---------------------------------------------------------------- messages

Deno.test("send_message: the text is trimmed and the message has the contract's shape", () =>
  scenario(async (s) => {
    const alice = await s.login("alice");
    const before = Date.now();
    const data = await alice.ok("send_message", { text: "  hello world \n" });
    const after = Date.now();
    assert.deepEqual(Object.keys(data).sort(), ["message", "request"]);
    const m = messageOf(data);
    assert.deepEqual(Object.keys(m).sort(), [
      "id",
      "room",
      "seq",
      "text",
      "ts",
      "user",
    ]);
    assert.equal(typeof m.id, "string");
    assert.ok(m.id.length > 0);
    assert.equal(m.seq, 1);
    assert.equal(m.room, "general");
    assert.equal(m.user, "alice");
    assert.equal(m.text, "hello world");
    assert.match(m.ts, ISO_MS);
    const ts = Date.parse(m.ts);
    assert.ok(ts >= before - 1000 && ts <= after + 1000);
    const event = await alice.event("receive_message");
    assert.deepEqual(event.data, m);
  }));

Deno.test("send_message: blank text gets empty_message", () =>
  scenario(async (s) => {
    const alice = await s.login("alice");
    for (const text of ["", "   ", "\n\t  \r\n"]) {
      await expectError(alice, "send_message", { text }, "empty_message");
    }
    await expectError(alice, "send_message", {}, "invalid_message");
    await expectError(alice, "send_message", { text: 5 }, "invalid_message");
    await roundTrip(alice);
    assert.deepEqual(alice.events("receive_message"), []);
    assert.deepEqual((await alice.ok("history")).messages, []);
  }));

Deno.test("send_message: 4000 characters are accepted, 4001 get message_too_long", () =>
  scenario(async (s) => {
    const alice = await s.login("alice");
    await expectError(
      alice,
      "send_message",
      { text: "a".repeat(4001) },
      "message_too_long",
    );
    const ok = await alice.ok("send_message", { text: "b".repeat(4000) });
    assert.equal(messageOf(ok).text.length, 4000);
    assert.equal(messageOf(ok).seq, 1);
    const padded = await alice.ok("send_message", {
      text: `  ${"c".repeat(4000)}  `,
    });
    assert.equal(messageOf(padded).text, "c".repeat(4000));
  }));

Deno.test("send_message: every member of the room gets it, the sender included, other rooms do not", () =>
  scenario(async (s) => {
    const alice = await s.login("alice");
    const bob = await s.login("bob");
    const dave = await s.login("dave");
    await dave.ok("create_room", { room: "dev" });
    const data = await alice.ok("send_message", { text: "hi all" });
    const m = messageOf(data);
    const atAlice = await alice.event("receive_message");
    const atBob = await bob.event("receive_message");
    assert.deepEqual(atAlice.data, m);
    assert.deepEqual(atBob.data, m);
    // The reply comes before the sender's own event.
    assert.ok(
      alice.received.indexOf(atAlice) > alice.received.findIndex(
        (f) => f.action === "success" && f.data.request === "send_message",
      ),
    );
    await roundTrip(dave);
    await roundTrip(alice);
    await roundTrip(bob);
    assert.deepEqual(dave.events("receive_message"), []);
    assert.equal(alice.events("receive_message").length, 1);
    assert.equal(bob.events("receive_message").length, 1);
  }));

Deno.test("send_message: seq counts from 1 per room, with no gaps", () =>
  scenario(async (s) => {
    const alice = await s.login("alice");
    const bob = await s.login("bob");
    await bob.ok("create_room", { room: "dev" });
    const a = await sendMany(alice, ["a1", "a2", "a3"]);
    const b = await sendMany(bob, ["b1", "b2"]);
    const a4 = await sendMany(alice, ["a4"]);
    assert.deepEqual([...a, ...a4].map((m) => m.seq), [1, 2, 3, 4]);
    assert.deepEqual(b.map((m) => m.seq), [1, 2]);
    assert.deepEqual(b.map((m) => m.room), ["dev", "dev"]);
    assert.equal(new Set([...a, ...b, ...a4].map((m) => m.id)).size, 6);
  }));

Deno.test("send_message: client_id is echoed in the reply and the event", () =>
  scenario(async (s) => {
    const alice = await s.login("alice");
    const bob = await s.login("bob");
    const data = await alice.ok("send_message", {
      text: "hi",
      client_id: "k1",
    });
    assert.equal(messageOf(data).client_id, "k1");
    const event = await bob.event("receive_message");
    assert.equal(event.data.client_id, "k1");
    const history = (await bob.ok("history")).messages as Message[];
    assert.equal(history[0].client_id, "k1");
  }));

Deno.test("send_message: a retry with the same client_id returns the first message and broadcasts nothing", () =>
  scenario(async (s) => {
    const alice = await s.login("alice");
    const bob = await s.login("bob");
    const first = messageOf(
      await alice.ok("send_message", { text: "hi", client_id: "k1" }),
    );
    const retry = messageOf(
      await alice.ok("send_message", { text: "hi again", client_id: "k1" }),
    );
    assert.deepEqual(retry, first);
    const next = messageOf(await alice.ok("send_message", { text: "next" }));
    assert.equal(next.seq, 2);
    await bob.event("receive_message", (d) => d.seq === 2);
    await alice.event("receive_message", (d) => d.seq === 2);
    assert.deepEqual(
      bob.events("receive_message").map((e) => e.data.seq),
      [1, 2],
    );
    assert.deepEqual(
      alice.events("receive_message").map((e) => e.data.seq),
      [1, 2],
    );
    const history = (await bob.ok("history")).messages as Message[];
    assert.deepEqual(history.map((m) => m.text), ["hi", "next"]);
  }));

Deno.test("send_message: the same client_id in another room or from another user is a new message", () =>
  scenario(async (s) => {
    const alice = await s.login("alice");
    const bob = await s.login("bob");
    const inGeneral = messageOf(
      await alice.ok("send_message", { text: "one", client_id: "k1" }),
    );
    const fromBob = messageOf(
      await bob.ok("send_message", { text: "bob's", client_id: "k1" }),
    );
    assert.notEqual(fromBob.id, inGeneral.id);
    assert.equal(fromBob.seq, 2);
    assert.equal(fromBob.text, "bob's");
    await alice.ok("create_room", { room: "dev" });
    const inDev = messageOf(
      await alice.ok("send_message", { text: "two", client_id: "k1" }),
    );
    assert.notEqual(inDev.id, inGeneral.id);
    assert.deepEqual([inDev.room, inDev.seq, inDev.text], ["dev", 1, "two"]);
    await alice.event("receive_message", (d) => d.room === "dev");
  }));

Deno.test("send_message: concurrent senders give every member the same order, seq 1..200", () =>
  scenario(async (s) => {
    const names = ["s1", "s2", "s3", "s4", "s5"];
    const clients: TestClient[] = [];
    for (const name of names) clients.push(await s.login(name));
    const perClient = 40;
    for (let i = 0; i < perClient; i++) {
      for (const [c, client] of clients.entries()) {
        client.send({
          action: "send_message",
          data: { text: `${names[c]}:${i}` },
          id: `m${i}`,
        });
      }
    }
    const total = perClient * clients.length;
    const orders: string[][] = [];
    for (const client of clients) {
      await client.waitFor(
        () => client.events("receive_message").length >= total,
        "all messages",
      );
      await roundTrip(client);
      const events = messagesOf(client.events("receive_message"));
      assert.equal(events.length, total);
      assert.deepEqual(events.map((m) => m.seq), range(1, total));
      orders.push(events.map((m) => m.id));
      const replies = client.received.filter(
        (f) => f.action === "success" && f.data.request === "send_message",
      );
      assert.equal(replies.length, perClient);
    }
    for (const order of orders) assert.deepEqual(order, orders[0]);
    // Each sender's messages keep the order it sent them in.
    for (const [c, name] of names.entries()) {
      const texts = messagesOf(clients[c].events("receive_message"))
        .filter((m) => m.user === name)
        .map((m) => m.text);
      assert.deepEqual(
        texts,
        range(0, perClient - 1).map((i) => `${name}:${i}`),
      );
    }
    const history = await clients[0].ok("history", { limit: 200 });
    assert.deepEqual(
      (history.messages as Message[]).map((m) => m.id),
      orders[0],
    );
  }));

Deno.test("send_message: messages sent at once are answered in order and share commits", () =>
  scenario(async (s) => {
    const alice = await s.login("alice");
    const commitsBefore = await metric(
      s.server.url,
      "chat_store_append_commits_total",
    );
    const count = 100;
    for (let i = 0; i < count; i++) {
      alice.send({
        action: "send_message",
        data: { text: `m${i}` },
        id: `m${i}`,
      });
    }
    await alice.waitFor((f) => f.id === `m${count - 1}`, "the last reply");
    const replies = alice.received.filter((f) => f.id?.startsWith("m"));
    assert.deepEqual(
      replies.map((f) => f.id),
      range(0, count - 1).map((i) => `m${i}`),
    );
    const stored = replies.map((f) => f.data.message as unknown as Message);
    assert.deepEqual(stored.map((m) => m.seq), range(1, count));
    assert.deepEqual(
      stored.map((m) => m.text),
      range(0, count - 1).map((i) => `m${i}`),
    );
    // One commit each would be 100: the client's next message starts as
    // soon as the one before is queued in the store, not once it is stored.
    const commits =
      (await metric(s.server.url, "chat_store_append_commits_total")) -
      commitsBefore;
    assert.ok(commits <= count / 2, `${commits} commits for ${count} messages`);
  }));

Deno.test("send_message: a message, a room change and a message sent at once take effect in that order", () =>
  scenario(async (s) => {
    const alice = await s.login("alice");
    await alice.ok("create_room", { room: "dev" }); // moves her there
    await alice.ok("join_room", { room: "general" });
    const from = alice.received.length;
    alice.send({ action: "send_message", data: { text: "before" }, id: "a" });
    alice.send({ action: "send_message", data: { text: "" }, id: "b" });
    alice.send({ action: "join_room", data: { room: "dev" }, id: "c" });
    alice.send({ action: "send_message", data: { text: "after" }, id: "d" });
    await alice.waitFor((f) => f.id === "d", "the last reply");
    const replies = since(alice, from).filter((f) => f.id !== undefined);
    assert.deepEqual(replies.map((f) => [f.id, f.action]), [
      ["a", "success"],
      ["b", "error"],
      ["c", "success"],
      ["d", "success"],
    ]);
    assert.equal(replies[1].data.code, "empty_message");
    const before = replies[0].data.message as unknown as Message;
    const after = replies[3].data.message as unknown as Message;
    assert.deepEqual([before.room, before.seq], ["general", 1]);
    assert.deepEqual([after.room, after.seq], ["dev", 1]);
    // Alice was still in general when "before" went out, so she saw it.
    const seen = messagesOf(
      since(alice, from).filter((f) => f.action === "receive_message"),
    );
    assert.deepEqual(seen.map((m) => [m.room, m.text]), [
      ["general", "before"],
      ["dev", "after"],
    ]);
  }));

Deno.test("send_message: a burst arrives intact to a client that splits frames on newlines", () =>
  scenario(async (s) => {
    const alice = await s.login("alice");
    const bob = await s.login("bob");
    const count = 150;
    for (let i = 0; i < count; i++) {
      alice.send({
        action: "send_message",
        data: { text: `burst ${i} "quoted" \\ back\\nslash` },
        id: `b${i}`,
      });
    }
    await bob.waitFor(
      () => bob.events("receive_message").length >= count,
      "the whole burst",
    );
    const got = messagesOf(bob.events("receive_message"));
    assert.deepEqual(got.map((m) => m.seq), range(1, count));
    assert.deepEqual(
      got.map((m) => m.text),
      range(0, count - 1).map((i) => `burst ${i} "quoted" \\ back\\nslash`),
    );
    // Every raw frame is one or more whole JSON objects separated by "\n".
    for (const raw of [...bob.rawFrames, ...alice.rawFrames]) {
      for (const line of raw.split("\n")) {
        assert.equal(typeof JSON.parse(line).action, "string");
      }
    }
  }));

// ----------------------------------------------------------------- history

Deno.test("history: the current room by default, oldest first", () =>
  scenario(async (s) => {
    const alice = await s.login("alice");
    await sendMany(alice, ["g1", "g2"]);
    await alice.ok("create_room", { room: "dev" });
    await sendMany(alice, ["d1", "d2", "d3"]);
    const data = await alice.ok("history");
    assert.deepEqual(Object.keys(data).sort(), ["messages", "request", "room"]);
    assert.equal(data.room, "dev");
    const messages = data.messages as Message[];
    assert.deepEqual(messages.map((m) => [m.seq, m.text]), [
      [1, "d1"],
      [2, "d2"],
      [3, "d3"],
    ]);
    const general = await alice.ok("history", { room: "General" });
    assert.equal(general.room, "general");
    assert.deepEqual(
      (general.messages as Message[]).map((m) => m.text),
      ["g1", "g2"],
    );
  }));

Deno.test("history: before_seq, after_seq and limit pick a page", () =>
  scenario(async (s) => {
    const alice = await s.login("alice");
    await sendMany(alice, range(1, 10).map((n) => `m${n}`));
    async function seqs(data: Record<string, unknown>): Promise<number[]> {
      const page = await alice.ok("history", data);
      return (page.messages as Message[]).map((m) => m.seq);
    }
    assert.deepEqual(await seqs({}), range(1, 10));
    assert.deepEqual(await seqs({ limit: 3 }), [8, 9, 10]);
    assert.deepEqual(await seqs({ before_seq: 5 }), [1, 2, 3, 4]);
    assert.deepEqual(await seqs({ before_seq: 5, limit: 2 }), [3, 4]);
    assert.deepEqual(await seqs({ after_seq: 7 }), [8, 9, 10]);
    assert.deepEqual(await seqs({ after_seq: 3, limit: 2 }), [4, 5]);
    assert.deepEqual(await seqs({ after_seq: 2, before_seq: 6 }), [3, 4, 5]);
    assert.deepEqual(await seqs({ after_seq: 10 }), []);
    assert.deepEqual(await seqs({ after_seq: 0, limit: 1 }), [1]);
    assert.deepEqual(await seqs({ before_seq: 1 }), []);
    assert.deepEqual(await seqs({ limit: 200 }), range(1, 10));
  }));

Deno.test("history: a reconnecting client asks after_seq and misses nothing", () =>
  scenario(async (s) => {
    const alice = await s.login("alice");
    const bob = await s.login("bob");
    await sendMany(alice, ["one", "two"]);
    await bob.event("receive_message", (d) => d.seq === 2);
    const lastSeen = 2;
    await bob.close();
    await sendMany(alice, ["three", "four"]);
    const back = await s.login("bob");
    const page = await back.ok("history", { after_seq: lastSeen });
    assert.deepEqual(
      (page.messages as Message[]).map((m) => [m.seq, m.text]),
      [[3, "three"], [4, "four"]],
    );
  }));

Deno.test("history: limit outside 1..200 gets invalid_message", () =>
  scenario(async (s) => {
    const alice = await s.login("alice");
    for (const limit of [0, 201, -1, 1.5, "5", null]) {
      await expectError(alice, "history", { limit }, "invalid_message");
    }
    for (const bad of [{ before_seq: "3" }, { after_seq: -1 }, { room: 4 }]) {
      await expectError(alice, "history", bad, "invalid_message");
    }
    await alice.ok("history", { limit: 1 });
    await alice.ok("history", { limit: 200 });
  }));

Deno.test("history: a room that does not exist gets room_not_found", () =>
  scenario(async (s) => {
    const alice = await s.login("alice");
    await expectError(alice, "history", { room: "nope" }, "room_not_found");
  }));

Deno.test("history: more than 200 messages are paged back with before_seq", () =>
  scenario(async (s) => {
    const alice = await s.login("alice");
    const total = 230;
    for (let i = 1; i <= total; i++) {
      alice.send({
        action: "send_message",
        data: { text: `m${i}` },
        id: `p${i}`,
      });
    }
    await alice.waitFor((f) => f.id === `p${total}`, "the last reply");
    const latest = await alice.ok("history", { limit: 200 });
    const newest = latest.messages as Message[];
    assert.deepEqual(newest.map((m) => m.seq), range(31, 230));
    const older = await alice.ok("history", { before_seq: 31, limit: 200 });
    assert.deepEqual(
      (older.messages as Message[]).map((m) => m.seq),
      range(1, 30),
    );
    const fallback = await alice.ok("history");
    assert.deepEqual(
      (fallback.messages as Message[]).map((m) => m.seq).at(-1),
      230,
    );
  }));

// -------------------------------------------------------------------- HTTP

Deno.test("http: /healthz answers 200 {status: ok}", () =>
  scenario(async (s) => {
    const response = await fetch(`${s.server.url}/healthz`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: "ok" });
  }));

Deno.test("http: /healthz answers 503 once the store is down", () =>
  scenario(async (s) => {
    await s.server.node.store.close();
    const response = await fetch(`${s.server.url}/healthz`);
    assert.equal(response.status, 503);
    await response.body?.cancel();
  }));

Deno.test("http: /metrics is Prometheus text with connections, messages and rooms", () =>
  scenario(async (s) => {
    const alice = await s.login("alice");
    await alice.ok("send_message", { text: "counted" });
    await alice.ok("create_room", { room: "dev" });
    const response = await fetch(`${s.server.url}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/plain/);
    const body = await response.text();
    assert.match(body, /^# TYPE chat_connections gauge$/m);
    assert.match(body, /^chat_connections 1$/m);
    assert.match(body, /^chat_rooms 2$/m);
    assert.match(body, /^chat_messages_stored_total 1$/m);
    assert.match(body, /^# HELP /m);
    for (const line of body.split("\n")) {
      if (line === "" || line.startsWith("#")) continue;
      assert.match(
        line,
        /^[a-zA-Z_:][\w:]*(\{[^}]*\})? -?[\d.e+-]+|NaN|\+Inf$/,
        line,
      );
    }
  }));

Deno.test("http: /api/rooms lists rooms with their user counts", () =>
  scenario(async (s) => {
    const alice = await s.login("alice");
    await s.login("bob");
    await alice.ok("create_room", { room: "Dev" });
    const response = await fetch(`${s.server.url}/api/rooms`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), {
      rooms: [{ name: "general", users: 1 }, { name: "Dev", users: 1 }],
    });
  }));

Deno.test("http: /api/rooms/:room/messages pages history like the history action", () =>
  scenario(async (s) => {
    const alice = await s.login("alice");
    const sent = await sendMany(alice, range(1, 8).map((n) => `m${n}`));
    async function page(query: string): Promise<Message[]> {
      const response = await fetch(
        `${s.server.url}/api/rooms/general/messages${query}`,
      );
      assert.equal(response.status, 200, query);
      const body = await response.json();
      assert.equal(body.room, "general");
      return body.messages;
    }
    assert.deepEqual(await page(""), sent);
    assert.deepEqual((await page("?limit=2")).map((m) => m.seq), [7, 8]);
    assert.deepEqual((await page("?before_seq=4")).map((m) => m.seq), [
      1,
      2,
      3,
    ]);
    assert.deepEqual(
      (await page("?after_seq=5&limit=2")).map((m) => m.seq),
      [6, 7],
    );
    assert.deepEqual(
      (await page("?after_seq=1&before_seq=4")).map((m) => m.seq),
      [2, 3],
    );
    const missing = await fetch(`${s.server.url}/api/rooms/nope/messages`);
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
  }));

Deno.test("http: GET / serves the web client when it is built", () =>
  scenario(async (s) => {
    const response = await fetch(`${s.server.url}/`);
    const built = await Deno.stat(
      new URL("../static/index.html", import.meta.url),
    ).then(() => true, () => false);
    if (built) {
      assert.equal(response.status, 200);
      assert.match(response.headers.get("content-type") ?? "", /text\/html/);
      assert.match(await response.text(), /<html|<!doctype html/i);
    } else {
      // The client is not built in this checkout: nothing to serve yet.
      await response.body?.cancel();
    }
  }));

Deno.test("http: responses carry nosniff and a CSP that forbids framing", () =>
  scenario(async (s) => {
    for (const path of ["/", "/healthz", "/api/rooms", "/no-such-page"]) {
      const response = await fetch(`${s.server.url}${path}`);
      await response.body?.cancel();
      assert.equal(
        response.headers.get("x-content-type-options"),
        "nosniff",
        path,
      );
      const csp = response.headers.get("content-security-policy") ?? "";
      assert.match(csp, /frame-ancestors 'none'/, path);
    }
  }));

// --------------------------------------------------------------- transport

Deno.test("transport: a frame over the size limit closes the socket with 1009", () =>
  scenario(async (s) => {
    const alice = await s.login("alice");
    const bob = await s.login("bob");
    alice.send({ action: "send_message", data: { text: "x".repeat(2000) } });
    const event = await alice.closed;
    assert.equal(event.code, 1009);
    await bob.event("system", (d) => d.kind === "left" && d.user === "alice");
  }, { maxFrameBytes: 1024 }));

Deno.test("transport: the limit counts bytes, not characters", () =>
  scenario(async (s) => {
    const alice = await s.login("alice");
    // 400 characters of 3 bytes each: 1200 bytes.
    alice.send({ action: "send_message", data: { text: "李".repeat(400) } });
    assert.equal((await alice.closed).code, 1009);
  }, { maxFrameBytes: 1024 }));

Deno.test("transport: the default limit is 64 KiB", () =>
  scenario(async (s) => {
    const alice = await s.login("alice");
    // Under the limit: refused for its text, not for its size.
    await expectError(
      alice,
      "send_message",
      { text: "x".repeat(60_000) },
      "message_too_long",
    );
    const bob = await s.login("bob");
    bob.send({ action: "send_message", data: { text: "x".repeat(64 * 1024) } });
    assert.equal((await bob.closed).code, 1009);
    await alice.ok("list_rooms");
  }));

Deno.test("transport: a binary frame gets invalid_message and the connection stays open", () =>
  scenario(async (s) => {
    const alice = await s.login("alice");
    const from = alice.received.length;
    alice.socket.send(new TextEncoder().encode('{"action":"list_rooms"}'));
    const reply = await alice.waitFor((f) => f.action === "error", "error", {
      from,
    });
    assert.equal(reply.data.code, "invalid_message");
    await alice.ok("send_message", { text: "still here" });
  }));

Deno.test("transport: an upgrade from another site's Origin is refused with 403", () =>
  scenario(async (s) => {
    const raw = await RawSocket.open(s.server.wsUrl, {
      Origin: "http://evil.example",
    });
    raw.abort();
    assert.equal(raw.status, 403);
    await assert.rejects(
      TestClient.connect(s.server.wsUrl, {
        headers: { origin: "http://evil.example" },
      }),
    );
  }));

Deno.test("transport: an upgrade without Origin or from the server's own origin is allowed", () =>
  scenario(async (s) => {
    const bare = await RawSocket.open(s.server.wsUrl);
    bare.abort();
    assert.equal(bare.status, 101);
    const own = await RawSocket.open(s.server.wsUrl, {
      Origin: s.server.url,
    });
    own.abort();
    assert.equal(own.status, 101);
    const client = await s.connect({ headers: { origin: s.server.url } });
    await client.ok("login", { username: "alice" });
  }));

Deno.test("transport: an origin the operator allowed may connect", () =>
  scenario(async (s) => {
    const ok = await RawSocket.open(s.server.wsUrl, {
      Origin: "http://ok.example",
    });
    ok.abort();
    assert.equal(ok.status, 101);
    const evil = await RawSocket.open(s.server.wsUrl, {
      Origin: "http://evil.example",
    });
    evil.abort();
    assert.equal(evil.status, 403);
    const client = await s.connect({
      headers: { origin: "http://ok.example" },
    });
    await client.ok("login", { username: "alice" });
  }, { allowOrigins: ["http://ok.example"] }));

Deno.test("transport: an idle connection that answers pings stays, one that does not is closed", () =>
  scenario(async (s) => {
    const alice = await s.login("alice");
    const raw = await RawSocket.open(s.server.wsUrl);
    try {
      assert.equal(raw.status, 101);
      const started = Date.now();
      // RawSocket never answers a ping: the server must drop it.
      await assert.rejects(async () => {
        for (;;) await raw.readText();
      });
      assert.ok(Date.now() - started < 4000);
      // alice's WebSocket answered every ping while as idle as raw was.
      assert.equal(alice.closeCode, undefined);
      await alice.ok("list_rooms");
    } finally {
      raw.abort();
    }
  }, { idleTimeoutSeconds: 1 }));

// ------------------------------------------------------------- disconnects

Deno.test("disconnect: a client that closes without waiting is gone for everyone", () =>
  scenario(async (s) => {
    const bob = await s.login("bob");
    const alice = await TestClient.login(s.server.wsUrl, "alice");
    await bob.event("system", (d) => d.kind === "joined" && d.user === "alice");
    const from = bob.received.length;
    alice.socket.close();
    try {
      const left = await bob.event("system", (d) => d.kind === "left", {
        from,
      });
      assert.equal(left.data.user, "alice");
      assert.equal(left.data.room, "general");
      await bob.event(
        "room_list",
        (d) => usersIn(roomsOf(d), "general") === 1,
        { from },
      );
      const again = await s.login("alice");
      assert.equal((await again.ok("list_users")).users instanceof Array, true);
    } finally {
      await alice.closed;
    }
  }));

Deno.test("disconnect: a client whose TCP connection drops is gone for everyone", () =>
  scenario(async (s) => {
    const bob = await s.login("bob");
    await bob.ok("create_room", { room: "dev" });
    const raw = await RawSocket.open(s.server.wsUrl);
    try {
      assert.equal(raw.status, 101);
      await raw.sendText(
        JSON.stringify({
          action: "login",
          data: { username: "alice" },
          id: "1",
        }),
      );
      const reply = JSON.parse((await raw.readText()).split("\n")[0]);
      assert.equal(reply.action, "success");
      await raw.sendText(
        JSON.stringify({ action: "join_room", data: { room: "dev" }, id: "2" }),
      );
      await bob.event(
        "system",
        (d) => d.kind === "joined" && d.user === "alice",
      );
      await bob.event("room_list", (d) => usersIn(roomsOf(d), "dev") === 2);
      const from = bob.received.length;
      raw.abort();
      const left = await bob.event("system", (d) => d.kind === "left", {
        from,
      });
      assert.equal(left.data.user, "alice");
      assert.equal(left.data.room, "dev");
      await bob.event("room_list", (d) => usersIn(roomsOf(d), "dev") === 1, {
        from,
      });
      const again = await s.login("ALICE");
      const rooms = roomsOf(await again.ok("list_rooms"));
      assert.deepEqual(rooms, [
        { name: "general", users: 1 },
        { name: "dev", users: 1 },
      ]);
    } finally {
      raw.abort();
    }
  }));

Deno.test("create_room: the creator's reply comes before the room_list it causes", () =>
  scenario(async (s) => {
    const alice = await s.login("alice");
    const from = alice.received.length;
    await alice.ok("create_room", { room: "dev" });
    await alice.event("room_list", (d) => JSON.stringify(d).includes("dev"), {
      from,
    });
    const actions = alice.received.slice(from).map((f) => f.action);
    assert.ok(
      actions.indexOf("success") < actions.indexOf("room_list"),
      actions.join(", "),
    );
  }));
