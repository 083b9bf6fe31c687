/**
 * Team chat, server side: memberships, read state across devices, private
 * rooms and invites. Every scenario runs on SQLite and, when PostgreSQL is
 * installed, on a fresh PostgreSQL database of its own.
 */
import assert from "node:assert/strict";
import type { Config } from "../server/config.ts";
import { startServer } from "../server/mod.ts";
import { NO_RATE_LIMITS } from "../server/rate_limit.ts";
import { rewindServerDatabase } from "./old_schema.ts";
import { OWNERS_MIGRATION } from "./store_contract/support.ts";
import {
  ClientPool,
  delay,
  eventually,
  expectError,
  type Frame,
  notices,
  roomsOf,
  roundTrip,
  startTestServer,
  TEST_PASSWORD,
  type TestClient,
  type TestServer,
} from "./harness.ts";
import { bothStores } from "./both_stores.ts";

const stores = await bothStores();

/** One scenario on every backend, with a server and a client pool. */
function teamTest(
  name: string,
  body: (pool: ClientPool, server: TestServer) => Promise<void>,
  options: Partial<Config> = {},
): void {
  stores.clients(name, body, options);
}

interface Message {
  id: string;
  seq: number;
  room: string;
  user: string;
  text: string;
}

interface Membership {
  room: string;
  last_read_seq: number;
  unread: number;
  mentions: number;
  last_seq: number;
}

function membershipsOf(client: TestClient): Membership[] {
  const reply = client.received.find((f) =>
    f.data.request === "login" || f.data.request === "register"
  )!;
  return reply.data.memberships as Membership[];
}

async function say(
  client: TestClient,
  text: string,
): Promise<Message> {
  return (await client.ok("send_message", { text })).message as Message;
}

function names(data: Frame["data"]): string[] {
  return roomsOf(data).map((r) => r.name);
}

async function getJson(
  url: string,
  headers: HeadersInit = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, { headers });
  return { status: response.status, body: await response.json() };
}

// ------------------------------------------------------------ memberships

teamTest(
  "memberships: login lists an account's rooms with read state, a guest gets none",
  async (pool) => {
    const alice = await pool.register("alice");
    assert.deepEqual(membershipsOf(alice), [
      {
        room: "general",
        last_read_seq: 0,
        unread: 0,
        mentions: 0,
        last_seq: 0,
      },
    ]);
    await alice.ok("create_room", { room: "dev" });
    await say(alice, "one");
    const bob = await pool.register("bob");
    await say(bob, "hi @alice");
    await say(bob, "and more");
    const again = await pool.login({ token: alice.token });
    assert.deepEqual(membershipsOf(again), [
      {
        room: "general",
        last_read_seq: 0,
        unread: 2,
        mentions: 1,
        last_seq: 2,
      },
      // One's own messages are never unread, whatever the position says.
      { room: "dev", last_read_seq: 0, unread: 0, mentions: 0, last_seq: 1 },
    ]);
    const zoe = await pool.guest("zoe");
    assert.equal(membershipsOf(zoe), undefined);
  },
);

teamTest(
  "list_members names a room's accounts that start with a prefix, offline ones too; general every account; a private room only to its members",
  async (pool) => {
    const bob = await pool.register("bob");
    const bonnie = await pool.register("Bonnie");
    const carol = await pool.register("carol");
    await bob.ok("create_room", { room: "dev" });
    await bonnie.ok("join_room", { room: "dev" });
    await bonnie.close();
    // Bonnie is offline: list_users no longer names her, list_members does.
    assert.deepEqual((await carol.ok("list_users", { room: "dev" })).users, [
      "bob",
    ]);
    assert.deepEqual(
      await carol.ok("list_members", { room: "dev", prefix: "BO" }),
      { request: "list_members", room: "dev", members: ["bob", "Bonnie"] },
    );
    assert.deepEqual(
      (await carol.ok("list_members", { room: "dev" })).members,
      ["bob", "Bonnie"],
    );
    assert.deepEqual(
      (await carol.ok("list_members", { room: "dev", prefix: "c" })).members,
      [],
    );
    // Every account belongs to general; a guest is nobody's member.
    const visitor = await pool.guest("visitor");
    assert.deepEqual((await visitor.ok("list_members", {})).members, [
      "bob",
      "Bonnie",
      "carol",
    ]);
    await bob.ok("create_room", { room: "secret", private: true });
    assert.deepEqual(
      (await bob.ok("list_members", { prefix: "b" })).members,
      ["bob"],
    );
    await expectError(
      carol,
      "list_members",
      { room: "secret" },
      "room_not_found",
    );
    await expectError(
      carol,
      "list_members",
      { prefix: "b".repeat(65) },
      "invalid_message",
    );
  },
);

teamTest(
  "memberships: an account hears messages of all its rooms, typing only where it looks",
  async (pool) => {
    const alice = await pool.register("alice");
    const bob = await pool.register("bob");
    await alice.ok("create_room", { room: "dev" });
    await bob.ok("join_room", { room: "dev" });
    await alice.ok("join_room", { room: "general" });
    await bob.ok("typing");
    const sent = await say(bob, "in dev");
    const heard = await alice.event("receive_message", (d) => d.id === sent.id);
    assert.equal(heard.data.room, "dev");
    await roundTrip(alice);
    assert.deepEqual(alice.events("typing"), []);
    // A guest keeps one room at a time.
    const zoe = await pool.guest("zoe");
    await zoe.ok("join_room", { room: "dev" });
    await zoe.ok("join_room", { room: "general" });
    const later = await say(bob, "zoe is gone");
    await alice.event("receive_message", (d) => d.id === later.id);
    await roundTrip(zoe);
    assert.equal(
      zoe.events("receive_message").some((f) => f.data.id === later.id),
      false,
    );
  },
);

teamTest(
  "memberships: message_updated and room notices reach members looking elsewhere",
  async (pool) => {
    const alice = await pool.register("alice");
    const bob = await pool.register("bob");
    await alice.ok("create_room", { room: "dev" });
    await bob.ok("join_room", { room: "dev" });
    const sent = await say(bob, "typo");
    await alice.ok("join_room", { room: "general" });
    await bob.ok("edit_message", { id: sent.id, text: "fixed" });
    await alice.event(
      "message_updated",
      (d) => d.id === sent.id && d.text === "fixed",
    );
    const carol = await pool.register("carol");
    await carol.ok("join_room", { room: "dev" });
    const joined = await alice.event(
      "system",
      (d) => d.kind === "joined" && d.user === "carol",
    );
    assert.equal(joined.data.room, "dev");
  },
);

teamTest(
  "memberships: leave_room ends one, is heard once, and a second tab follows",
  async (pool) => {
    const alice = await pool.register("alice");
    const tab = await pool.login({ token: alice.token });
    const bob = await pool.register("bob");
    await alice.ok("create_room", { room: "dev" });
    await bob.ok("join_room", { room: "dev" });
    await tab.ok("join_room", { room: "dev" });
    await tab.ok("join_room", { room: "general" });
    await tab.ok("join_room", { room: "dev" });
    await roundTrip(bob);
    assert.deepEqual(notices(bob, "left", "alice"), []);
    // Leaving by name from general: this tab stays where it looks.
    await alice.ok("join_room", { room: "general" });
    const reply = await alice.ok("leave_room", { room: "dev" });
    assert.equal(reply.room, "general");
    assert.equal(reply.left, "dev");
    await bob.event("system", (d) => d.kind === "left" && d.user === "alice");
    // The tab looking at dev is told and moved to general.
    await tab.event(
      "membership",
      (d) => d.room === "dev" && d.member === false,
    );
    const users = await bob.ok("list_users", { room: "dev" });
    assert.deepEqual(users.users, ["bob"]);
    const after = await say(bob, "after");
    await roundTrip(alice);
    assert.equal(
      alice.events("receive_message").some((f) => f.data.id === after.id),
      false,
    );
    await expectError(alice, "leave_room", { room: "dev" }, "room_not_found");
    await expectError(alice, "leave_room", {}, "cannot_leave_general");
    await expectError(
      alice,
      "leave_room",
      { room: "nowhere" },
      "room_not_found",
    );
    await roundTrip(bob);
    assert.equal(notices(bob, "left", "alice").length, 1);
  },
);

teamTest(
  "memberships: a join on one device shows on the others",
  async (pool) => {
    const alice = await pool.register("alice");
    const phone = await pool.login({ token: alice.token });
    const bob = await pool.register("bob");
    await bob.ok("create_room", { room: "dev" });
    await alice.ok("join_room", { room: "dev" });
    const told = await phone.event("membership", (d) => d.room === "dev");
    assert.equal(told.data.member, true);
    assert.equal(told.data.unread, 0);
    const sent = await say(bob, "to both");
    await phone.event("receive_message", (d) => d.id === sent.id);
  },
);

stores.database(
  "memberships: survive a restart and are there on a new device",
  async (store) => {
    const dir = await Deno.makeTempDir({ prefix: "chat-team-" });
    const options = {
      hostname: "127.0.0.1",
      port: 0,
      db: `${dir}/chat.db`,
      ...store,
    };
    try {
      // Its uploads on PostgreSQL stage in `dir`, removed below.
      let server = await startServer(options, { tempDir: dir });
      let pool = new ClientPool(`${server.url.replace("http", "ws")}/ws`);
      let token: string | undefined;
      try {
        const alice = await pool.register("alice");
        token = alice.token;
        await alice.ok("create_room", { room: "dev" });
        await alice.ok("create_room", { room: "secret", private: true });
        await alice.ok("leave_room", { room: "dev" });
      } finally {
        await pool.closeAll();
        await server.shutdown();
      }
      server = await startServer(options, { tempDir: dir });
      pool = new ClientPool(`${server.url.replace("http", "ws")}/ws`);
      try {
        const again = await pool.login({ token });
        assert.deepEqual(
          membershipsOf(again).map((m) => m.room),
          ["general", "secret"],
        );
        const rooms = await again.ok("list_rooms");
        assert.deepEqual(names(rooms), ["general", "dev", "secret"]);
      } finally {
        await pool.closeAll();
        await server.shutdown();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

teamTest(
  "memberships: room counts are online members; guests count where they look",
  async (pool) => {
    const alice = await pool.register("alice");
    await alice.ok("create_room", { room: "dev" });
    await alice.ok("join_room", { room: "general" });
    const zoe = await pool.guest("zoe");
    const rooms = await zoe.ok("list_rooms");
    assert.deepEqual(roomsOf(rooms), [
      { name: "general", users: 2 },
      { name: "dev", users: 1 },
    ]);
    assert.deepEqual((await zoe.ok("list_users", { room: "dev" })).users, [
      "alice",
    ]);
  },
);

teamTest(
  "memberships: an account in --max-memberships rooms (general and private rooms counted) gets too_many_rooms joining, creating, by code or invited; leaving one makes room",
  async (pool) => {
    const alice = await pool.register("alice");
    const bob = await pool.register("bob");
    // A guest's rooms: it belongs to none.
    const zoe = await pool.guest("zoe");
    await zoe.ok("create_room", { room: "open1" });
    await zoe.ok("create_room", { room: "open2" });
    await bob.ok("create_room", { room: "secret", private: true });
    const { code } = await bob.ok("create_invite", {
      room: "secret",
      max_uses: 1,
    });
    // general + one private room + one public room: 3, the cap.
    await alice.ok("create_room", { room: "mine", private: true });
    await alice.ok("join_room", { room: "open1" });
    const refused = await expectError(
      alice,
      "join_room",
      { room: "open2" },
      "too_many_rooms",
    );
    assert.match(refused.data.message as string, /belong to 3 rooms/);
    await expectError(
      alice,
      "create_room",
      { room: "another" },
      "too_many_rooms",
    );
    // The refused creation made no room.
    await expectError(bob, "join_room", { room: "another" }, "room_not_found");
    await expectError(
      alice,
      "join_room",
      { room: "secret", invite: code },
      "too_many_rooms",
    );
    const invited = await expectError(
      bob,
      "invite",
      { room: "secret", user: "alice" },
      "too_many_rooms",
    );
    assert.match(
      invited.data.message as string,
      /alice belongs to too many rooms/,
    );
    assert.equal(
      membershipsOf(await pool.login({ token: alice.token })).length,
      3,
    );
    // Leaving one frees a place, and the one-use code was not spent.
    await alice.ok("leave_room", { room: "open1" });
    await alice.ok("join_room", { room: "secret", invite: code });
    await expectError(alice, "join_room", { room: "open1" }, "too_many_rooms");
  },
  { maxMemberships: 3 },
);

teamTest(
  "memberships: others' invites fill at most nine tenths of an account's --max-memberships, the rest is for the rooms it joins itself",
  async (pool) => {
    const alice = await pool.register("alice");
    const mallory = await pool.register("mallory");
    const bob = await pool.guest("bob");
    await bob.ok("create_room", { room: "open" });
    // Nobody asks alice before adding her: mallory makes private rooms
    // and invites her to each (10 places: general and 9).
    for (let i = 1; i <= 8; i++) {
      await mallory.ok("create_room", { room: `trap${i}`, private: true });
      await mallory.ok("invite", { room: `trap${i}`, user: "alice" });
    }
    await mallory.ok("create_room", { room: "trap9", private: true });
    // Before, this invite took alice's last place, and every room she
    // then tried to join herself was too_many_rooms.
    const refused = await expectError(
      mallory,
      "invite",
      { room: "trap9", user: "alice" },
      "too_many_rooms",
    );
    assert.match(refused.data.message as string, /alice/);
    await alice.ok("join_room", { room: "open" });
    assert.equal(
      membershipsOf(await pool.login({ token: alice.token })).length,
      10,
    );
    // Inviting a member again still changes nothing and succeeds.
    await mallory.ok("invite", { room: "trap1", user: "alice" });
  },
  { maxMemberships: 10 },
);

teamTest(
  "memberships: joins of one account at once on several connections never pass --max-memberships (the store counts)",
  async (pool) => {
    const zoe = await pool.guest("zoe");
    const rooms = ["r1", "r2", "r3", "r4", "r5", "r6"];
    for (const room of rooms) await zoe.ok("create_room", { room });
    const alice = await pool.register("alice");
    const devices = [
      alice,
      ...await Promise.all(
        [1, 2].map(() => pool.login({ token: alice.token })),
      ),
    ];
    // general + 2: every join starts before any is stored.
    const replies = await Promise.all(
      rooms.map((room, i) =>
        devices[i % devices.length].request("join_room", { room })
      ),
    );
    const codes = replies.map((r) => r.action === "error" ? r.data.code : "ok");
    assert.equal(codes.filter((c) => c === "ok").length, 2, String(codes));
    assert.equal(codes.filter((c) => c === "too_many_rooms").length, 4);
    const again = await pool.login({ token: alice.token });
    assert.equal(membershipsOf(again).length, 3);
  },
  { maxMemberships: 3, rateLimits: NO_RATE_LIMITS },
);

// ------------------------------------------------------------- read state

teamTest(
  "mark_read: two connections of one account clear each other's read state",
  async (pool) => {
    const alice = await pool.register("alice");
    const phone = await pool.login({ token: alice.token });
    const bob = await pool.register("bob");
    await say(bob, "one");
    const two = await say(bob, "two @alice");
    const reply = await alice.ok("mark_read", { room: "general", seq: 1 });
    assert.deepEqual(reply, {
      request: "mark_read",
      room: "general",
      last_read_seq: 1,
      unread: 1,
      mentions: 1,
    });
    const synced = await phone.event(
      "read_state",
      (d) => d.last_read_seq === 1,
    );
    assert.deepEqual(synced.data, {
      room: "general",
      last_read_seq: 1,
      unread: 1,
      mentions: 1,
    });
    await phone.ok("mark_read", { room: "general", seq: two.seq });
    const cleared = await alice.event(
      "read_state",
      (d) => d.last_read_seq === 2,
    );
    assert.deepEqual(cleared.data, {
      room: "general",
      last_read_seq: 2,
      unread: 0,
      mentions: 0,
    });
    // Never backwards (which tells nobody); the sender never hears its own.
    const back = await alice.ok("mark_read", { room: "general", seq: 1 });
    assert.equal(back.last_read_seq, 2);
    await roundTrip(alice);
    await roundTrip(phone);
    assert.equal(alice.events("read_state").length, 1);
    assert.equal(phone.events("read_state").length, 1);
    const laptop = await pool.login({ token: alice.token });
    assert.deepEqual(membershipsOf(laptop)[0], {
      room: "general",
      last_read_seq: 2,
      unread: 0,
      mentions: 0,
      last_seq: 2,
    });
  },
);

teamTest(
  "mark_read: a position that does not move answers the counts and sends no read_state to the account's other connections",
  async (pool) => {
    const alice = await pool.register("alice");
    const phone = await pool.login({ token: alice.token });
    const bob = await pool.register("bob");
    await say(bob, "one");
    await say(bob, "two @alice");
    await alice.ok("mark_read", { room: "general", seq: 1 });
    await phone.event("read_state", (d) => d.last_read_seq === 1);
    // The same seq, one behind, and one past the newest of a stream read
    // to its end: each answers where the account is, and nobody hears it.
    for (const seq of [1, 0, 1, 1]) {
      assert.deepEqual(await alice.ok("mark_read", { room: "general", seq }), {
        request: "mark_read",
        room: "general",
        last_read_seq: 1,
        unread: 1,
        mentions: 1,
      });
    }
    await alice.ok("mark_read", { room: "general", seq: 2 });
    await phone.event("read_state", (d) => d.last_read_seq === 2);
    assert.equal(
      (await alice.ok("mark_read", { room: "general", seq: 99 }))
        .last_read_seq,
      2,
    );
    await roundTrip(alice);
    await roundTrip(phone);
    assert.deepEqual(
      phone.events("read_state").map((e) => e.data.last_read_seq),
      [1, 2],
    );
  },
);

teamTest(
  "mark_read: a private conversation has read state of its own",
  async (pool) => {
    const alice = await pool.register("alice");
    const phone = await pool.login({ token: alice.token });
    const bob = await pool.register("bob");
    await bob.ok("private_message", { to: "alice", text: "psst" });
    const second = await bob.ok("private_message", {
      to: "alice",
      text: "hey",
    });
    const reply = await alice.ok("mark_read", { with: "Bob", seq: 1 });
    assert.deepEqual(reply, {
      request: "mark_read",
      with: "Bob",
      last_read_seq: 1,
      unread: 1,
      mentions: 0,
    });
    await phone.event("read_state", (d) => d.with === "Bob" && d.unread === 1);
    const seq = (second.message as Message).seq;
    const done = await phone.ok("mark_read", { with: "bob", seq: seq + 50 });
    assert.equal(done.last_read_seq, seq);
  },
);

teamTest(
  "mark_read: guests, other rooms and bad data are refused",
  async (pool) => {
    const alice = await pool.register("alice");
    const bob = await pool.register("bob");
    await bob.ok("create_room", { room: "dev" });
    const zoe = await pool.guest("zoe");
    await expectError(
      zoe,
      "mark_read",
      { room: "general", seq: 1 },
      "forbidden",
    );
    await expectError(
      alice,
      "mark_read",
      { room: "dev", seq: 1 },
      "room_not_found",
    );
    await expectError(
      alice,
      "mark_read",
      { room: "nowhere", seq: 1 },
      "room_not_found",
    );
    await expectError(alice, "mark_read", { seq: 1 }, "invalid_message");
    await expectError(alice, "mark_read", {
      room: "general",
      with: "bob",
      seq: 1,
    }, "invalid_message");
    await expectError(
      alice,
      "mark_read",
      { room: "general", seq: -1 },
      "invalid_message",
    );
    await expectError(
      alice,
      "mark_read",
      { room: "general" },
      "invalid_message",
    );
  },
);

teamTest(
  "mark_unread: a message marked unread is unread again on every device of the account, and the next mark_read reads it",
  async (pool) => {
    const alice = await pool.register("alice");
    const phone = await pool.login({ token: alice.token });
    const bob = await pool.register("bob");
    await say(bob, "one");
    const two = await say(bob, "two @alice");
    await say(bob, "three");
    await alice.ok("mark_read", { room: "general", seq: 3 });
    await phone.event("read_state", (d) => d.last_read_seq === 3);
    const reply = await alice.ok("mark_unread", {
      room: "general",
      seq: two.seq,
    });
    const state = {
      room: "general",
      last_read_seq: 1,
      unread: 2,
      mentions: 1,
    };
    assert.deepEqual(reply, { request: "mark_unread", ...state });
    assert.deepEqual(
      (await phone.event("read_state", (d) => d.last_read_seq === 1)).data,
      { ...state, marked_unread: true },
    );
    // Never forward (message 3 is unread already), which tells nobody.
    assert.equal(
      (await alice.ok("mark_unread", { room: "general", seq: 3 }))
        .last_read_seq,
      1,
    );
    // The position now moves forward again, and it was stored.
    const laptop = await pool.login({ token: alice.token });
    assert.deepEqual(membershipsOf(laptop)[0], {
      ...state,
      room: "general",
      last_seq: 3,
    });
    await phone.ok("mark_read", { room: "general", seq: 3 });
    await alice.event("read_state", (d) => d.last_read_seq === 3);
    await roundTrip(phone);
    assert.deepEqual(
      phone.events("read_state").map((e) => e.data.last_read_seq),
      [3, 1],
    );
  },
);

teamTest(
  "mark_unread: a private conversation's message is unread again; guests, other rooms and bad data are refused",
  async (pool) => {
    const alice = await pool.register("alice");
    const bob = await pool.register("bob");
    await bob.ok("create_room", { room: "dev" });
    await bob.ok("private_message", { to: "alice", text: "psst" });
    await bob.ok("private_message", { to: "alice", text: "hey" });
    await alice.ok("mark_read", { with: "bob", seq: 2 });
    assert.deepEqual(await alice.ok("mark_unread", { with: "Bob", seq: 2 }), {
      request: "mark_unread",
      with: "Bob",
      last_read_seq: 1,
      unread: 1,
      mentions: 0,
    });
    const zoe = await pool.guest("zoe");
    await expectError(
      zoe,
      "mark_unread",
      { room: "general", seq: 1 },
      "forbidden",
    );
    await expectError(
      alice,
      "mark_unread",
      { room: "dev", seq: 1 },
      "room_not_found",
    );
    await expectError(alice, "mark_unread", { seq: 1 }, "invalid_message");
    await expectError(
      alice,
      "mark_unread",
      { room: "general", seq: -1 },
      "invalid_message",
    );
  },
);

// ---------------------------------------------------------- private rooms

teamTest(
  "private rooms: invisible to non-members in every listing, over the WebSocket and HTTP",
  async (pool, server) => {
    const alice = await pool.register("alice");
    const bob = await pool.register("bob");
    const zoe = await pool.guest("zoe");
    const from = bob.received.length;
    const created = await alice.ok("create_room", {
      room: "Secret",
      private: true,
    });
    assert.equal(created.room, "Secret");
    await say(alice, "classified");
    const own = await alice.ok("list_rooms");
    assert.deepEqual(roomsOf(own).find((r) => r.name === "Secret"), {
      name: "Secret",
      users: 1,
      private: true,
    });
    for (const outsider of [bob, zoe]) {
      assert.deepEqual(names(await outsider.ok("list_rooms")), ["general"]);
      await expectError(
        outsider,
        "history",
        { room: "secret" },
        "room_not_found",
      );
      await expectError(
        outsider,
        "list_users",
        { room: "secret" },
        "room_not_found",
      );
      await expectError(
        outsider,
        "join_room",
        { room: "secret" },
        "room_not_found",
      );
      await expectError(outsider, "join_room", {
        room: "secret",
        invite: "guess",
      }, "room_not_found");
      await expectError(
        outsider,
        "leave_room",
        { room: "secret" },
        "room_not_found",
      );
    }
    await roundTrip(bob);
    // No event told bob anything of it (replies only echo his own asks).
    for (const frame of bob.received.slice(from).filter((f) => !f.id)) {
      assert.equal(
        JSON.stringify(frame).includes("ecret"),
        false,
        JSON.stringify(frame),
      );
    }
    const listed = await getJson(`${server.url}/api/rooms`);
    assert.deepEqual(names(listed.body), ["general"]);
    const messages = await getJson(`${server.url}/api/rooms/secret/messages`);
    assert.equal(messages.status, 404);
    assert.equal(messages.body.error, "room_not_found");
    const asBob = { authorization: `Bearer ${bob.token}` };
    assert.equal(
      (await getJson(`${server.url}/api/rooms/secret/messages`, asBob)).status,
      404,
    );
    // The member sees it over HTTP with a bearer token or the cookie.
    const asAlice = { authorization: `Bearer ${alice.token}` };
    const mine = await getJson(
      `${server.url}/api/rooms/secret/messages`,
      asAlice,
    );
    assert.equal(mine.status, 200);
    assert.deepEqual((mine.body.messages as Message[]).map((m) => m.text), [
      "classified",
    ]);
    const cookie = { cookie: `chat_session=${alice.token}` };
    assert.deepEqual(
      names((await getJson(`${server.url}/api/rooms`, cookie)).body),
      ["general", "Secret"],
    );
    // Its name stays taken.
    await expectError(bob, "create_room", { room: "SECRET" }, "room_exists");
  },
);

teamTest(
  "private rooms: guests cannot create one or join one",
  async (pool) => {
    const alice = await pool.register("alice");
    const zoe = await pool.guest("zoe");
    await expectError(
      zoe,
      "create_room",
      { room: "hideout", private: true },
      "forbidden",
    );
    await alice.ok("create_room", { room: "secret", private: true });
    const invite = await alice.ok("create_invite", { room: "secret" });
    await expectError(
      zoe,
      "join_room",
      { room: "secret", invite: invite.code },
      "forbidden",
    );
    await expectError(
      zoe,
      "invite",
      { room: "general", user: "alice" },
      "forbidden",
    );
    await expectError(zoe, "create_invite", { room: "general" }, "forbidden");
    await expectError(
      zoe,
      "create_room",
      { room: "hideout", private: "yes" },
      "invalid_message",
    );
  },
);

teamTest(
  "invite: a member adds an account, whose devices are told and see the room",
  async (pool) => {
    const alice = await pool.register("alice");
    const bob = await pool.register("bob");
    const bobPhone = await pool.login({ token: bob.token });
    await alice.ok("create_room", { room: "secret", private: true });
    await say(alice, "before bob");
    const reply = await alice.ok("invite", { room: "secret", user: "BOB" });
    assert.deepEqual(reply, { request: "invite", room: "secret", user: "bob" });
    for (const device of [bob, bobPhone]) {
      const told = await device.event("membership", (d) => d.room === "secret");
      assert.deepEqual(told.data, {
        room: "secret",
        member: true,
        last_read_seq: 1,
        unread: 0,
        mentions: 0,
        last_seq: 1,
        private: true,
      });
      const invited = await device.event(
        "system",
        (d) => d.kind === "invited" && d.room === "secret",
      );
      // Who added it, as a field too: a client says it in its own words.
      assert.equal(invited.data.text, "alice added you to secret");
      assert.equal(invited.data.by, "alice");
      await device.event("room_list", (d) => names(d).includes("secret"));
    }
    await alice.event("system", (d) => d.kind === "joined" && d.user === "bob");
    const sent = await say(alice, "welcome");
    await bobPhone.event("receive_message", (d) => d.id === sent.id);
    const page = await bob.ok("history", { room: "secret" });
    assert.equal((page.messages as Message[]).length, 2);
    // bob may now invite too; joining needs no code.
    await bob.ok("join_room", { room: "secret" });
    await pool.register("carol");
    await bob.ok("invite", { room: "secret", user: "carol" });
    await expectError(
      bob,
      "invite",
      { room: "secret", user: "nobody" },
      "user_not_found",
    );
    await expectError(
      bob,
      "invite",
      { room: "nowhere", user: "carol" },
      "room_not_found",
    );
  },
);

teamTest(
  "invite: only a member may invite, and only accounts",
  async (pool) => {
    const alice = await pool.register("alice");
    const bob = await pool.register("bob");
    await pool.guest("zoe");
    await alice.ok("create_room", { room: "secret", private: true });
    await expectError(
      bob,
      "invite",
      { room: "secret", user: "bob" },
      "room_not_found",
    );
    await expectError(
      alice,
      "invite",
      { room: "secret", user: "zoe" },
      "user_not_found",
    );
    await alice.ok("create_room", { room: "dev" });
    await expectError(
      bob,
      "invite",
      { room: "dev", user: "bob" },
      "room_not_found",
    );
    await expectError(alice, "invite", { room: "secret" }, "invalid_message");
  },
);

teamTest(
  "create_invite: a room keeps at most 100 usable invites, and the dead ones are not kept",
  async (pool) => {
    const alice = await pool.register("alice");
    await alice.ok("create_room", { room: "secret", private: true });
    // Each invite was a row for ever, made at the request rate: a steady
    // way to grow the database and every list_invites reply.
    const codes: string[] = [];
    for (let i = 0; i < 100; i++) {
      codes.push(
        (await alice.ok("create_invite", { room: "secret" })).code as string,
      );
    }
    const refused = await expectError(
      alice,
      "create_invite",
      { room: "secret" },
      "forbidden",
    );
    assert.equal(
      refused.data.message,
      "A room has at most 100 usable invites: revoke one first.",
    );
    await alice.ok("revoke_invite", { code: codes[0] });
    await alice.ok("create_invite", { room: "secret" });
    // Making it dropped the revoked one: it is not even there to revoke.
    await expectError(
      alice,
      "revoke_invite",
      { code: codes[0] },
      "invite_invalid",
    );
    const listed = await alice.ok("list_invites", { room: "secret" });
    assert.equal((listed.invites as unknown[]).length, 100);
  },
  // A hundred invites at once, past the room-making limit.
  { rateLimits: NO_RATE_LIMITS },
);

teamTest(
  "create_invite: the code joins once per use; used-up, expired and revoked codes are invite_invalid",
  async (pool) => {
    const alice = await pool.register("alice");
    const bob = await pool.register("bob");
    const carol = await pool.register("carol");
    const dave = await pool.register("dave");
    await alice.ok("create_room", { room: "secret", private: true });
    const once = await alice.ok("create_invite", {
      room: "secret",
      max_uses: 1,
    });
    assert.equal(once.url, `/#/invite/${once.code}`);
    assert.equal(once.max_uses, 1);
    assert.equal(once.uses, 0);
    assert.equal(once.room, "secret");
    assert.equal(once.created_by, "alice");
    const joined = await bob.ok("join_room", {
      room: "secret",
      invite: once.code,
    });
    assert.equal(joined.room, "secret");
    await expectError(
      carol,
      "join_room",
      { room: "secret", invite: once.code },
      "invite_invalid",
    );
    // A member who opens a used-up link again just enters.
    await bob.ok("join_room", { room: "secret", invite: once.code });
    // Long enough to be listed below on a busy machine; waited out after.
    const brief = await alice.ok("create_invite", {
      room: "secret",
      expires_in_s: 10,
    });
    assert.equal(typeof brief.expires_at, "string");
    const open = await alice.ok("create_invite", { room: "secret" });
    const listed = await alice.ok("list_invites", { room: "secret" });
    // Two made in one millisecond may list in either order.
    assert.deepEqual(
      (listed.invites as { code: string }[]).map((i) => i.code).sort(),
      [brief.code, open.code].sort(),
    );
    await alice.ok("revoke_invite", { code: open.code });
    await expectError(
      carol,
      "join_room",
      { room: "secret", invite: open.code },
      "invite_invalid",
    );
    await delay(Date.parse(brief.expires_at as string) - Date.now() + 200);
    await expectError(
      dave,
      "join_room",
      { room: "secret", invite: brief.code },
      "invite_invalid",
    );
    assert.deepEqual(
      (await alice.ok("list_invites", { room: "secret" })).invites,
      [],
    );
    await expectError(
      alice,
      "revoke_invite",
      { code: "no-such-code" },
      "invite_invalid",
    );
    // A code of another room opens nothing here.
    await alice.ok("create_room", { room: "other", private: true });
    const elsewhere = await alice.ok("create_invite", { room: "other" });
    await expectError(carol, "join_room", {
      room: "secret",
      invite: elsewhere.code,
    }, "room_not_found");
    await expectError(
      alice,
      "create_invite",
      { room: "secret", max_uses: 0 },
      "invalid_message",
    );
  },
);

teamTest(
  "create_invite: a use is spent only by a join that made a member: one account's devices opening the link at once spend one",
  async (pool) => {
    const alice = await pool.register("alice");
    const bob = await pool.register("bob");
    const bobPhone = await pool.login({ token: bob.token });
    const carol = await pool.register("carol");
    for (const room of ["one", "two", "three"]) {
      await alice.ok("create_room", { room, private: true });
      const { code } = await alice.ok("create_invite", { room, max_uses: 2 });
      // Both devices enter: one of them made bob a member.
      const joins = await Promise.all(
        [bob, bobPhone].map((device) =>
          device.request("join_room", { room, invite: code })
        ),
      );
      assert.deepEqual(joins.map((j) => j.data.room), [room, room]);
      const { invites } = await alice.ok("list_invites", { room });
      assert.deepEqual(
        (invites as { code: string; uses: number }[]).map((i) => i.uses),
        [1],
        room,
      );
      // The second use is carol's.
      await carol.ok("join_room", { room, invite: code });
    }
  },
);

teamTest(
  "create_invite: only the owner or a moderator manages invites",
  async (pool) => {
    const root = await pool.register("root");
    const alice = await pool.register("alice");
    const bob = await pool.register("bob");
    await alice.ok("create_room", { room: "secret", private: true });
    await alice.ok("invite", { room: "secret", user: "bob" });
    await expectError(bob, "create_invite", { room: "secret" }, "forbidden");
    await expectError(bob, "list_invites", { room: "secret" }, "forbidden");
    const code = (await alice.ok("create_invite", { room: "secret" })).code;
    await expectError(bob, "revoke_invite", { code }, "forbidden");
    // An admin who is no member does not see the room at all.
    await expectError(
      root,
      "create_invite",
      { room: "secret" },
      "room_not_found",
    );
    await alice.ok("invite", { room: "secret", user: "root" });
    await root.ok("create_invite", { room: "secret" });
    await root.ok("revoke_invite", { code });
  },
);

teamTest(
  "create_invite: a public room's link opens it, for guests too",
  async (pool) => {
    const alice = await pool.register("alice");
    await alice.ok("create_room", { room: "lobby" });
    const invite = await alice.ok("create_invite", {
      room: "lobby",
      max_uses: 5,
    });
    const zoe = await pool.guest("zoe");
    const joined = await zoe.ok("join_room", {
      room: "lobby",
      invite: invite.code,
    });
    assert.equal(joined.room, "lobby");
    const listed = await alice.ok("list_invites", { room: "lobby" });
    assert.equal((listed.invites as { uses: number }[])[0].uses, 1);
  },
);

teamTest(
  "update_room: a room made private ends the links made while it was public; new ones admit",
  async (pool) => {
    const root = await pool.register("root");
    const alice = await pool.register("alice");
    const mallory = await pool.register("mallory");
    await alice.ok("create_room", { room: "lobby" });
    const open = (await alice.ok("create_invite", { room: "lobby" }))
      .code as string;
    const limited = (await alice.ok("create_invite", {
      room: "lobby",
      max_uses: 5,
      expires_in_s: 3600,
    })).code as string;
    await root.ok("update_room", { room: "lobby", private: true });
    for (const code of [open, limited]) {
      await expectError(
        mallory,
        "join_room",
        { room: "lobby", invite: code },
        "invite_invalid",
      );
    }
    assert.deepEqual(
      (await alice.ok("list_invites", { room: "lobby" })).invites,
      [],
    );
    await expectError(mallory, "history", { room: "lobby" }, "room_not_found");
    // The owner admits whom it wants with a new link, which a change of
    // the room that keeps it private leaves alone.
    const fresh = (await alice.ok("create_invite", { room: "lobby" }))
      .code as string;
    await root.ok("update_room", { room: "lobby", private: true });
    const joined = await mallory.ok("join_room", {
      room: "lobby",
      invite: fresh,
    });
    assert.equal(joined.room, "lobby");
  },
);

teamTest(
  "update_room: a guest looking at a room made private is told so in fields (private, no by) and moved to general",
  async (pool) => {
    const root = await pool.register("root");
    const alice = await pool.register("alice");
    await alice.ok("create_room", { room: "lobby" });
    const zoe = await pool.guest("zoe");
    await zoe.ok("join_room", { room: "lobby" });
    await root.ok("update_room", { room: "lobby", private: true });
    const told = await zoe.event(
      "system",
      (d) => d.kind === "removed" && d.room === "lobby",
    );
    assert.deepEqual(told.data, {
      room: "lobby",
      kind: "removed",
      user: "zoe",
      text: "lobby is now private: for its members only",
      private: true,
    });
    assert.equal((await zoe.ok("list_users")).room, "general");
  },
);

teamTest(
  "remove_member: the removed account's devices are told, leave the room and lose access",
  async (pool) => {
    const alice = await pool.register("alice");
    const bob = await pool.register("bob");
    const bobPhone = await pool.login({ token: bob.token });
    const carol = await pool.register("carol");
    await alice.ok("create_room", { room: "secret", private: true });
    await alice.ok("invite", { room: "secret", user: "bob" });
    await alice.ok("invite", { room: "secret", user: "carol" });
    await bobPhone.ok("join_room", { room: "secret" });
    await expectError(
      carol,
      "remove_member",
      { room: "secret", user: "bob" },
      "forbidden",
    );
    await expectError(
      carol,
      "remove_member",
      { room: "secret", user: "alice" },
      "forbidden",
    );
    await expectError(
      alice,
      "remove_member",
      { room: "secret", user: "alice" },
      "forbidden",
    );
    const reply = await alice.ok("remove_member", {
      room: "secret",
      user: "bob",
    });
    assert.deepEqual(reply, {
      request: "remove_member",
      room: "secret",
      user: "bob",
    });
    for (const device of [bob, bobPhone]) {
      await device.event(
        "membership",
        (d) => d.room === "secret" && d.member === false,
      );
      const told = await device.event(
        "system",
        (d) => d.kind === "removed" && d.room === "secret",
      );
      assert.equal(told.data.text, "alice removed you from secret");
      assert.equal(told.data.by, "alice");
    }
    const heard = await carol.event(
      "system",
      (d) => d.kind === "removed" && d.user === "bob",
    );
    assert.equal(heard.data.by, "alice");
    await expectError(
      bobPhone,
      "history",
      { room: "secret" },
      "room_not_found",
    );
    await expectError(
      bobPhone,
      "join_room",
      { room: "secret" },
      "room_not_found",
    );
    // The phone looked at it: it is back in general, and hears no more.
    const sent = await say(bobPhone, "back in general");
    assert.equal(sent.room, "general");
    const secret = await say(alice, "bob is gone");
    await roundTrip(bobPhone);
    assert.equal(
      bobPhone.events("receive_message").some((f) => f.data.id === secret.id),
      false,
    );
    assert.deepEqual(names(await bob.ok("list_rooms")), ["general"]);
    await expectError(
      alice,
      "remove_member",
      { room: "secret", user: "bob" },
      "user_not_found",
    );
    await expectError(alice, "remove_member", {
      room: "secret",
      user: "nobody",
    }, "user_not_found");
  },
);

teamTest(
  "list_users: names the room's owner by name key, the new one after update_room, none in general, a guest's room or once the owner's account is deleted",
  async (pool) => {
    const root = await pool.register("root");
    const alice = await pool.register("Alice");
    const bob = await pool.register("bob");
    const gus = await pool.guest("gus");
    await alice.ok("create_room", { room: "Den" });
    await bob.ok("join_room", { room: "den" });
    assert.deepEqual(await bob.ok("list_users"), {
      request: "list_users",
      room: "Den",
      users: ["Alice", "bob"],
      owner: "alice",
    });
    assert.equal((await bob.ok("list_users", { room: "den" })).owner, "alice");
    assert.equal(
      "owner" in await bob.ok("list_users", { room: "general" }),
      false,
    );
    await gus.ok("create_room", { room: "nook" });
    assert.equal("owner" in await gus.ok("list_users"), false);

    await root.ok("update_room", { room: "den", owner: "bob" });
    assert.equal((await alice.ok("list_users")).owner, "bob");
    await root.ok("delete_account", { user: "bob", messages: "keep" });
    await bob.closed;
    assert.equal("owner" in await alice.ok("list_users"), false);
  },
);

teamTest(
  "delete_room: a private room's members are told, their memberships end",
  async (pool) => {
    const root = await pool.register("root");
    const alice = await pool.register("alice");
    await alice.ok("create_room", { room: "secret", private: true });
    await alice.ok("join_room", { room: "general" });
    await alice.ok("invite", { room: "secret", user: "root" });
    await root.ok("delete_room", { room: "secret" });
    await alice.event(
      "system",
      (d) => d.kind === "deleted" && d.room === "secret",
    );
    const again = await pool.login({ token: alice.token });
    assert.deepEqual(membershipsOf(again).map((m) => m.room), ["general"]);
    await eventually(async () => {
      assert.deepEqual(names(await alice.ok("list_rooms")), ["general"]);
    });
  },
);

teamTest(
  "invites: an owner banned from its public room no longer lists, makes or revokes its links",
  async (pool) => {
    const root = await pool.register("root");
    const alice = await pool.register("alice");
    await alice.ok("create_room", { room: "lobby" });
    const made = await alice.ok("create_invite", { room: "lobby" });
    await root.ok("ban", { user: "alice", room: "lobby", reason: "spam" });
    await expectError(alice, "list_invites", { room: "lobby" }, "forbidden");
    await expectError(alice, "create_invite", { room: "lobby" }, "forbidden");
    await expectError(
      alice,
      "revoke_invite",
      { code: made.code },
      "forbidden",
    );
    const left = await root.ok("list_invites", { room: "lobby" });
    assert.equal((left.invites as unknown[]).length, 1);
  },
);

teamTest(
  "delete_account: a deleted account's rooms go to nobody: the next account registered under its name manages none of them, and they stay",
  async (pool, server) => {
    const root = await pool.register("root");
    const carol = await pool.register("carol");
    const bob = await pool.register("bob");
    await bob.ok("create_room", { room: "lobby" });
    await bob.ok("create_room", { room: "den", private: true });
    await bob.ok("invite", { room: "den", user: "carol" });
    await carol.ok("join_room", { room: "lobby" });
    const said = await say(carol, "hello lobby");
    await root.ok("delete_account", { user: "bob", messages: "keep" });
    await bob.closed;

    const heir = await pool.register("bob");
    await expectError(heir, "create_invite", { room: "lobby" }, "forbidden");
    await expectError(heir, "list_invites", { room: "lobby" }, "forbidden");
    await expectError(heir, "pin", { id: said.id }, "forbidden");
    await expectError(
      heir,
      "remove_member",
      { room: "lobby", user: "carol" },
      "forbidden",
    );
    const hook = await fetch(`${server.url}/api/rooms/lobby/hooks`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${heir.token}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({ name: "heir" }),
    });
    assert.equal(hook.status, 403);
    await hook.body?.cancel();
    // Both rooms are kept, shown without an owner; an admin may give one.
    const { rooms } = await root.ok("list_all_rooms");
    assert.deepEqual(
      (rooms as { name: string; owner?: string }[])
        .filter((r) => r.name !== "general")
        .map((r) => [r.name, r.owner]),
      [["lobby", undefined], ["den", undefined]],
    );
    const given = await root.ok("update_room", {
      room: "lobby",
      owner: "carol",
    });
    assert.equal(given.owner, "carol");
    await carol.ok("create_invite", { room: "lobby" });
  },
);

/**
 * Deletes an account as servers did before its rooms were given an owner
 * nobody can be (its row and memberships go, its rooms keep its key), and
 * sets the schema back to before the owners' migration, to the database
 * such a server left.
 */
async function deleteAccountTheOldWay(
  options: Partial<Config>,
  dbPath: string,
  key: string,
): Promise<void> {
  await rewindServerDatabase(options, dbPath, {
    marker: OWNERS_MIGRATION,
    postgres: async (sql) => {
      await sql`DELETE FROM memberships WHERE user_key = ${key}`;
      await sql`DELETE FROM accounts WHERE key = ${key}`;
    },
    sqlite: (db) => {
      db.prepare("DELETE FROM memberships WHERE user_key = ?").run(key);
      db.prepare("DELETE FROM accounts WHERE key = ?").run(key);
    },
  });
}

stores.database(
  `upgrading: the rooms of an account deleted before the upgrade go to nobody at start-up: the next account registered under its name manages none of them; other accounts' and guests' rooms keep their owners`,
  async (store) => {
    const old = await startTestServer(store);
    const dbPath = `${old.dir}/chat.db`;
    let server: TestServer | undefined;
    try {
      const before = new ClientPool(old.wsUrl);
      try {
        await before.register("root");
        const bob = await before.register("Bob");
        const carol = await before.register("carol");
        const gus = await before.guest("gus");
        await bob.ok("create_room", { room: "lobby" });
        await bob.ok("create_room", { room: "den", private: true });
        await carol.ok("create_room", { room: "kitchen" });
        await gus.ok("create_room", { room: "porch" });
        await carol.ok("join_room", { room: "lobby" });
      } finally {
        await before.closeAll();
        await old.shutdown();
      }
      // Registered as Bob, owning under the name key bob: the heir's bob.
      await deleteAccountTheOldWay(store, dbPath, "bob");

      server = await startTestServer({ ...store, db: dbPath });
      const pool = new ClientPool(server.wsUrl);
      try {
        const root = await pool.login({
          username: "root",
          password: TEST_PASSWORD,
        });
        const heir = await pool.register("bob");
        await expectError(
          heir,
          "create_invite",
          { room: "lobby" },
          "forbidden",
        );
        await expectError(
          heir,
          "remove_member",
          { room: "lobby", user: "carol" },
          "forbidden",
        );
        const { rooms } = await root.ok("list_all_rooms");
        assert.deepEqual(
          (rooms as { name: string; owner?: string }[])
            .filter((r) => r.name !== "general")
            .map((r) => [r.name, r.owner])
            .sort(),
          [
            ["den", undefined],
            ["kitchen", "carol"],
            ["lobby", undefined],
            ["porch", undefined],
          ],
        );
        const carol = await pool.login({
          username: "carol",
          password: TEST_PASSWORD,
        });
        await carol.ok("create_invite", { room: "kitchen" });
      } finally {
        await pool.closeAll();
      }
    } finally {
      await server?.close();
      await Deno.remove(old.dir, { recursive: true }).catch(() => {});
    }
  },
);
