/**
 * Logging in as a guest (server/handlers/session.ts) against a real
 * server: which names are accepted, what the reply carries and what the
 * others hear. Accounts, passwords and tokens are in accounts_test.ts.
 */
import assert from "node:assert/strict";
import {
  expectError,
  roomsOf,
  roundTrip,
  since,
  withClients,
} from "./harness.ts";

Deno.test("login: every member action before login gets not_logged_in", () =>
  withClients(async (pool) => {
    const client = await pool.connect();
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
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
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
  withClients(async (pool) => {
    const client = await pool.connect();
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
  withClients(async (pool) => {
    const client = await pool.connect();
    // Hangul fillers are "letters" to Unicode but render as nothing.
    for (
      const username of ["\u3164", "a\u3164b", "\u115f", "\u1160", "\uffa0"]
    ) {
      await expectError(client, "login", { username }, "username_invalid");
    }
    await client.ok("login", { username: "alice" });
  }));

Deno.test("login: a username that is not a string gets invalid_message", () =>
  withClients(async (pool) => {
    const client = await pool.connect();
    for (const data of [{}, { username: 5 }, { username: null }]) {
      await expectError(client, "login", data, "invalid_message");
    }
    await client.ok("login", { username: "alice" });
  }));

Deno.test("login: names of 32 characters and Unicode letters are accepted", () =>
  withClients(async (pool) => {
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
      const client = await pool.connect();
      const data = await client.ok("login", { username });
      assert.equal(data.username, username);
    }
  }));

Deno.test("login: a name online in another case gets username_taken", () =>
  withClients(async (pool) => {
    await pool.guest("Alice");
    const client = await pool.connect();
    for (const username of ["Alice", "alice", "ALICE", "aLiCe"]) {
      await expectError(client, "login", { username }, "username_taken");
    }
    const zoe = await pool.guest("Zoë");
    assert.ok(zoe);
    await expectError(client, "login", { username: "ZOË" }, "username_taken");
    await client.ok("login", { username: "alice2" });
  }));

Deno.test("login: a guest name is free again once its user disconnects", () =>
  withClients(async (pool) => {
    const watcher = await pool.guest("watcher");
    const alice = await pool.guest("alice");
    await alice.close();
    await watcher.event(
      "system",
      (d) => d.kind === "left" && d.user === "alice",
    );
    const again = await pool.guest("alice");
    const users = await again.ok("list_users");
    assert.deepEqual(users.users, ["alice", "watcher"]);
  }));

Deno.test("login: success shows the name, role user, room general and the rooms with counts", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    await alice.ok("create_room", { room: "dev" });
    const client = await pool.connect();
    const reply = await client.request("login", { username: "Bob" });
    assert.equal(reply.action, "success");
    assert.deepEqual(Object.keys(reply.data).sort(), [
      "guest_key",
      "limits",
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
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    const carol = await pool.guest("carol");
    await carol.ok("create_room", { room: "dev" });
    const aliceFrom = alice.received.length;
    const carolFrom = carol.received.length;
    const bob = await pool.guest("bob");
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
