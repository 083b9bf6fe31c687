/**
 * Rooms (server/handlers/rooms.ts) against a real server: create_room,
 * join_room, leave_room, list_rooms, list_users and the room_list event.
 */
import assert from "node:assert/strict";
import { DEFAULT_RATE_LIMITS } from "../server/rate_limit.ts";
import {
  type ClientPool,
  expectError,
  ISO_MS,
  type Message,
  messageOf,
  range,
  roomsOf,
  roundTrip,
  sendMany,
  since,
  usersIn,
  withClients,
} from "./harness.ts";

Deno.test("create_room: the creator moves in with empty history and the old room hears left", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    const bob = await pool.guest("bob");
    await alice.event("system", (d) => d.user === "bob");
    await alice.ok("send_message", { text: "in general" });
    const created = await alice.ok("create_room", { room: "dev" });
    assert.deepEqual(created, {
      request: "create_room",
      room: "dev",
      epoch: created.epoch,
      history: [],
    });
    assert.equal(typeof created.epoch, "string");
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
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    await alice.ok("create_room", { room: "Dev" });
    for (const room of ["Dev", "dev", "DEV", "general", "General"]) {
      await expectError(alice, "create_room", { room }, "room_exists");
    }
    const rooms = roomsOf(await alice.ok("list_rooms"));
    assert.deepEqual(rooms.map((r) => r.name), ["general", "Dev"]);
  }));

Deno.test("create_room: a name outside the rules gets room_name_invalid", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
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
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    for (const room of ["\u3164", "dev\u3164", "\uffa0"]) {
      await expectError(alice, "create_room", { room }, "room_name_invalid");
    }
  }));

Deno.test("create_room: a room is shown as first written", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    const bob = await pool.guest("bob");
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
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    await alice.ok("create_room", { room: "busy" });
    await sendMany(alice, range(1, 55).map((n) => `m${n}`));
    const bob = await pool.guest("bob");
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
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    await expectError(alice, "join_room", { room: "nope" }, "room_not_found");
    await expectError(alice, "join_room", { room: "" }, "room_not_found");
    await expectError(alice, "join_room", {}, "invalid_message");
    assert.equal((await alice.ok("list_users")).room, "general");
  }));

Deno.test("join_room: moving hears left in the old room, joined in the new, room_list everywhere", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    await alice.ok("create_room", { room: "dev" });
    const carol = await pool.guest("carol");
    const bob = await pool.guest("bob");
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
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    await alice.ok("create_room", { room: "Rust" });
    await alice.ok("send_message", { text: "hello" });
    const bob = await pool.guest("bob");
    const joined = await bob.ok("join_room", { room: "RUST" });
    assert.equal(joined.room, "Rust");
    const history = joined.history as Message[];
    assert.deepEqual(history.map((m) => [m.room, m.text]), [["Rust", "hello"]]);
    const back = await bob.ok("join_room", { room: "GENERAL" });
    assert.equal(back.room, "general");
  }));

Deno.test("leave_room: the user goes back to general with its history", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
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
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    await expectError(alice, "leave_room", {}, "cannot_leave_general");
    await alice.ok("create_room", { room: "dev" });
    await alice.ok("leave_room");
    await expectError(alice, "leave_room", undefined, "cannot_leave_general");
    assert.equal((await alice.ok("list_users")).room, "general");
  }));

Deno.test("list_rooms: every room with its number of users, empty rooms included", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    const bob = await pool.guest("bob");
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
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    const bob = await pool.guest("bob");
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
  withClients(async (pool) => {
    const names = ["carol", "Alice", "bob", "Émile", "dave"];
    for (const name of names) await pool.guest(name);
    const viewer = await pool.guest("zed");
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

Deno.test("list_users: a room's names are sorted with one collator, not one made per comparison", () =>
  withClients(async (pool) => {
    // String.prototype.localeCompare with options makes a collator each
    // call: 180 to 250 ms of the server's thread for a list of 2,000
    // names (load 10), 1.5 to 3 ms with one collator; and list_users is
    // any request's, 200 a second a socket, a guest's too.
    for (let i = 0; i < 40; i++) await pool.guest(`guest${(i * 17) % 40}`);
    const viewer = await pool.guest("viewer");
    const localeCompare = Object.getOwnPropertyDescriptor(
      String.prototype,
      "localeCompare",
    )!;
    let calls = 0;
    Object.defineProperty(String.prototype, "localeCompare", {
      ...localeCompare,
      value(this: string, ...args: Parameters<string["localeCompare"]>) {
        calls++;
        return localeCompare.value.apply(this, args);
      },
    });
    let users: string[];
    try {
      users = (await viewer.ok("list_users")).users as string[];
    } finally {
      Object.defineProperty(String.prototype, "localeCompare", localeCompare);
    }
    assert.equal(users.length, 41);
    assert.deepEqual(users.slice(0, 3), ["guest0", "guest1", "guest10"]);
    assert.equal(calls, 0, "a collator made per comparison");
  }));

Deno.test("list_users: a long list costs its socket's list bucket a token per KiB past the first, a short one one token, so a socket asks a room of thousands no more often than its length allows", () => {
  // One socket at the request bucket's 200 a second got 2,915 lists of
  // 2,002 names (15 KB each) in 10 s; another client's list_rooms went
  // from 0.3 to 4.3 ms (p50).
  const users = { burst: 10, perSecond: 0.001 };
  return withClients(async (pool) => {
    await longNames(pool);
    const asker = await pool.guest("asker");
    const length = JSON.stringify(await asker.ok("list_users")).length;
    assert.ok(length >= 2048 && length < 3072, `${length} bytes`);
    // 10 tokens: 3 a list, so the first three lists and a fourth pass.
    for (let i = 0; i < 3; i++) await asker.ok("list_users");
    await expectError(asker, "list_users", {}, "rate_limited");
    // A short list costs one token, as before: a room of two names.
    const ann = await pool.guest("ann");
    await ann.ok("create_room", { room: "nook" });
    const bo = await pool.guest("bo");
    await bo.ok("join_room", { room: "nook" });
    for (let i = 0; i < 8; i++) await bo.ok("list_users");
  }, {
    rateLimits: {
      ...DEFAULT_RATE_LIMITS,
      perConnection: { ...DEFAULT_RATE_LIMITS.perConnection, users },
    },
  });
});

Deno.test("list_users: a long list costs the account's list bucket a token per KiB past the first too, whichever of its sockets asks", () => {
  const users = { burst: 10, perSecond: 0.001 };
  return withClients(async (pool) => {
    await longNames(pool);
    const asker = await pool.register("asker");
    const again = await pool.login({ token: asker.token });
    // The account's 10 tokens: 3 a list, so four lists pass, from either.
    await asker.ok("list_users");
    await again.ok("list_users");
    await asker.ok("list_users");
    await again.ok("list_users");
    await expectError(asker, "list_users", {}, "rate_limited");
    await expectError(again, "list_users", {}, "rate_limited");
  }, {
    rateLimits: {
      ...DEFAULT_RATE_LIMITS,
      perUser: { ...DEFAULT_RATE_LIMITS.perUser, users },
    },
  });
});

// 60 guests of 32 letters online in general: a list of about 2.1 KiB, two
// tokens more than a short one.
async function longNames(pool: ClientPool): Promise<void> {
  for (let i = 0; i < 60; i++) {
    await pool.guest(`g${String(i).padStart(31, "0")}`);
  }
}

Deno.test("room_list: counts go up and down as users move and leave", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    const bob = await pool.guest("bob");
    const carol = await pool.guest("carol");
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

Deno.test("create_room: the creator's reply comes before the room_list it causes", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
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
