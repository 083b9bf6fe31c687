/**
 * Archived rooms: `archive_room` and `unarchive_room`, who may, the flag
 * in room lists and `GET /api/rooms`, the `system` notices, the writes an
 * archived room refuses with `room_archived` (WebSocket, REST, incoming
 * webhooks) and the reads it keeps, through a real server on SQLite.
 */
import assert from "node:assert/strict";
import { startServer } from "../server/mod.ts";
import { NO_RATE_LIMITS } from "../server/rate_limit.ts";
import { accountWithToken, call } from "./api_helpers.ts";
import { bothStores } from "./both_stores.ts";
import { ARCHIVED_MIGRATION } from "./store_contract/support.ts";
import { withUpgradedServer } from "./upgraded_server.ts";
import {
  ClientPool,
  clusterSkipReason,
  expectError,
  type Frame,
  roomsOf,
  withClients,
  withCluster,
  withServer,
} from "./harness.ts";

const flagOf = (data: Frame["data"], room: string) =>
  (roomsOf(data).find((r) => r.name === room) as
    | { archived?: boolean }
    | undefined)?.archived;

Deno.test("archive_room: the owner archives a private room; its members hear a notice, every list says archived, and unarchive_room brings it back", async () => {
  await withClients(async (pool) => {
    await pool.register("root");
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    await ann.ok("create_room", { room: "club", private: true });
    await ann.ok("invite", { room: "club", user: "ben" });

    const done = await ann.ok("archive_room", { room: "club" });
    assert.deepEqual([done.room, done.archived], ["club", true]);
    const notice = await ben.event(
      "system",
      (d) => d.kind === "archived" && d.room === "club",
    );
    assert.deepEqual(notice.data, {
      room: "club",
      kind: "archived",
      user: "ann",
      text: "ann archived the room",
    });
    await ben.event("room_list", (d) => flagOf(d, "club") === true);
    const listed = await ben.ok("list_rooms");
    assert.equal(flagOf(listed, "club"), true);
    assert.equal(flagOf(listed, "general"), undefined);
    // Asked again: done, and no second notice.
    assert.equal(
      (await ann.ok("archive_room", { room: "club" })).archived,
      true,
    );

    const back = await ann.ok("unarchive_room", { room: "club" });
    assert.deepEqual([back.room, back.archived], ["club", false]);
    const again = await ben.event("system", (d) => d.kind === "unarchived");
    assert.equal(again.data.text, "ann unarchived the room");
    assert.equal(flagOf(await ben.ok("list_rooms"), "club"), undefined);
    const notices = ben.received.filter((f) =>
      f.action === "system" && f.data.kind === "archived"
    );
    assert.equal(notices.length, 1);
  }, { rateLimits: NO_RATE_LIMITS });
});

Deno.test("archive_room: members who do not own the room (its creator), guests, general and rooms one cannot see are refused; moderators may, and the audit log says so", async () => {
  await withClients(async (pool) => {
    const root = await pool.register("root");
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    const mo = await pool.register("mo");
    await root.ok("set_role", { user: "mo", role: "moderator" });
    const gus = await pool.guest("gus");
    await ann.ok("create_room", { room: "dev" });
    await ann.ok("create_room", { room: "club", private: true });
    await ann.ok("invite", { room: "club", user: "ben" });

    await expectError(ben, "archive_room", { room: "dev" }, "forbidden");
    await expectError(ben, "archive_room", { room: "club" }, "forbidden");
    await expectError(gus, "archive_room", { room: "dev" }, "forbidden");
    await expectError(ben, "unarchive_room", { room: "club" }, "forbidden");
    await expectError(root, "archive_room", { room: "general" }, "forbidden");
    await expectError(mo, "archive_room", { room: "club" }, "room_not_found");
    await expectError(
      mo,
      "archive_room",
      { room: "nowhere" },
      "room_not_found",
    );
    await expectError(mo, "archive_room", {}, "invalid_message");

    await mo.ok("archive_room", { room: "dev" });
    await root.ok("unarchive_room", { room: "dev" });
    await ann.ok("archive_room", { room: "club" });
    await ann.ok("unarchive_room", { room: "dev" });
    const log = await root.ok("audit_log");
    const entries = (log.entries as Record<string, unknown>[])
      .filter((e) => String(e.action).endsWith("archive_room"))
      .map((e) => [e.action, e.by, e.room]);
    // The owner's own archive is no moderation: no entry.
    assert.deepEqual(entries, [
      ["unarchive_room", "root", "dev"],
      ["archive_room", "mo", "dev"],
    ]);
  }, { rateLimits: NO_RATE_LIMITS });
});

Deno.test("update_room archived: an admin archives any room, a private one it is not in too, and brings it back; members hear it, the audit log says update_room; alone, never general, admins only", async () => {
  await withClients(async (pool) => {
    const root = await pool.register("root");
    const ann = await pool.register("ann");
    const mo = await pool.register("mo");
    await root.ok("set_role", { user: "mo", role: "moderator" });
    await ann.ok("create_room", { room: "club", private: true });
    // archive_room keeps its rule: a private room one is not in is not found.
    await expectError(root, "archive_room", { room: "club" }, "room_not_found");

    const done = await root.ok("update_room", {
      room: "club",
      archived: true,
      reason: "project over",
    });
    assert.deepEqual([done.room, done.archived], ["club", true]);
    await ann.event(
      "system",
      (d) => d.kind === "archived" && d.user === "root",
    );
    await ann.event("room_list", (d) => flagOf(d, "club") === true);
    await expectError(ann, "send_message", { text: "hi" }, "room_archived");
    // Asked again: done, no second entry.
    await root.ok("update_room", { room: "club", archived: true });

    await expectError(
      root,
      "update_room",
      { room: "club", archived: false, private: false },
      "invalid_message",
    );
    await expectError(
      root,
      "update_room",
      { room: "general", archived: true },
      "forbidden",
    );
    await expectError(
      mo,
      "update_room",
      { room: "club", archived: false },
      "forbidden",
    );
    const back = await root.ok("update_room", {
      room: "club",
      archived: false,
    });
    assert.equal(back.archived, false);
    await ann.event("system", (d) => d.kind === "unarchived");
    await ann.ok("send_message", { text: "back" });

    const log = await root.ok("audit_log");
    const entries = (log.entries as Record<string, unknown>[])
      .filter((e) => e.action === "update_room")
      .map((e) => [e.by, e.room, e.details, e.reason]);
    assert.deepEqual(entries, [
      ["root", "club", { archived: false }, undefined],
      ["root", "club", { archived: true }, "project over"],
    ]);
  }, { rateLimits: NO_RATE_LIMITS });
});

Deno.test("an archived room refuses messages, replies, edits, authors' deletes, reactions, pins, topics and invitations with room_archived, and keeps history, search, joins, leaves, pins, saved messages and a retry's first copy", async () => {
  await withClients(async (pool) => {
    const root = await pool.register("root");
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    await root.ok("create_room", { room: "dev" });
    await ann.ok("join_room", { room: "dev" });
    const sent = await ann.ok("send_message", {
      text: "kept for the record",
      client_id: "c1",
    });
    const id = (sent.message as { id: string }).id;
    await root.ok("pin", { id });
    await root.ok("archive_room", { room: "dev" });

    const refused = await expectError(
      ann,
      "send_message",
      { text: "one more" },
      "room_archived",
    );
    assert.match(String(refused.data.message), /dev is archived/);
    await expectError(
      ann,
      "send_message",
      { text: "a reply", reply_to: id },
      "room_archived",
    );
    await expectError(
      ann,
      "edit_message",
      { id, text: "changed" },
      "room_archived",
    );
    await expectError(ann, "delete_message", { id }, "room_archived");
    await expectError(ann, "react", { id, emoji: "👍" }, "room_archived");
    await expectError(root, "pin", { id, on: false }, "room_archived");
    await expectError(
      root,
      "set_topic",
      { room: "dev", topic: "done" },
      "room_archived",
    );
    await expectError(
      ann,
      "invite",
      { room: "dev", user: "ben" },
      "room_archived",
    );
    await expectError(root, "create_invite", { room: "dev" }, "room_archived");

    // A retry of what was stored before the archive gets its first copy.
    const retry = await ann.ok("send_message", {
      text: "kept for the record",
      client_id: "c1",
    });
    assert.equal((retry.message as { id: string }).id, id);

    // Reads go on; anyone may come in to read and leave again.
    const page = await ann.ok("history", { room: "dev" });
    assert.deepEqual(
      (page.messages as { text: string }[]).map((m) => m.text),
      ["kept for the record"],
    );
    const found = await ann.ok("search", { query: "record", room: "dev" });
    assert.equal((found.results as unknown[]).length, 1);
    const joined = await ben.ok("join_room", { room: "dev" });
    assert.equal((joined.history as unknown[]).length, 1);
    await ben.ok("leave_room", { room: "dev" });
    const pins = await ann.ok("list_pins", { room: "dev" });
    assert.deepEqual((pins.messages as { id: string }[]).map((m) => m.id), [
      id,
    ]);
    await ann.ok("save_message", { id });
    assert.deepEqual((await ann.ok("list_saved", { ids: true })).ids, [id]);

    // A moderator or an admin still takes down what should not stay.
    await root.ok("delete_message", { id });
    await root.ok("unarchive_room", { room: "dev" });
    await ann.ok("send_message", { text: "back to work" });
  }, { rateLimits: NO_RATE_LIMITS });
});

Deno.test("an author removed from a private room does not learn through edit_message or delete_message that it was archived, nor its new name", async () => {
  await withClients(async (pool) => {
    const root = await pool.register("root");
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    await ann.ok("create_room", { room: "club", private: true });
    await ann.ok("invite", { room: "club", user: "ben" });
    await ben.ok("join_room", { room: "club" });
    const ids: string[] = [];
    for (const text of ["one", "two"]) {
      const sent = await ben.ok("send_message", { text });
      ids.push((sent.message as { id: string }).id);
    }
    await ben.ok("join_room", { room: "general" });
    await ann.ok("remove_member", { room: "club", user: "ben" });
    await root.ok("update_room", { room: "club", name: "vault" });
    await ann.ok("archive_room", { room: "vault" });

    // What the author got before the archive: an edit is refused as for
    // any room it was shut out of, and its own delete goes on.
    const edit = await expectError(
      ben,
      "edit_message",
      { id: ids[0], text: "changed" },
      "forbidden",
    );
    assert.doesNotMatch(JSON.stringify(edit.data), /vault|archived/);
    const deleted = await ben.ok("delete_message", { id: ids[1] });
    assert.equal((deleted.message as { deleted?: boolean }).deleted, true);
  }, { rateLimits: NO_RATE_LIMITS });
});

Deno.test("archive_room and unarchive_room asked on a node that has not heard another's change yet still make it: a stale flag is not taken for 'already so'", async () => {
  await withClients(async (pool, server) => {
    const ann = await pool.register("ann");
    await ann.ok("create_room", { room: "dev" });
    const store = server.node.store;
    const stored = async () =>
      (await store.listRooms()).find((r) => r.key === "dev")?.archived ??
        false;
    // As another node does: the store changed, this node's flag not yet
    // (its `room_archived` control event is on its way).
    await store.setRoomArchived("dev", true);
    const back = await ann.ok("unarchive_room", { room: "dev" });
    assert.equal(back.archived, false);
    assert.equal(await stored(), false);
    await ann.event("system", (d) => d.kind === "unarchived");

    // The other way: archived by the other node already, this one's ask
    // is done without a second notice (the other node's was the one).
    await store.setRoomArchived("dev", true);
    const done = await ann.ok("archive_room", { room: "dev" });
    assert.equal(done.archived, true);
    assert.equal(await stored(), true);
    await ann.ok("list_rooms");
    const notices = ann.received.filter((f) =>
      f.action === "system" && f.data.kind === "archived"
    );
    assert.equal(notices.length, 0);
  }, { rateLimits: NO_RATE_LIMITS });
});

Deno.test("a send to a room archived by another node before this one heard of it answers room_archived and is not stored; a retry of a message stored before gets its first copy", async () => {
  await withClients(async (pool, server) => {
    const ann = await pool.register("ann");
    await ann.ok("create_room", { room: "dev" });
    const kept = await ann.ok("send_message", { text: "one", client_id: "c1" });
    // As another node does: the store archived it, this node's flag not
    // yet (its `room_archived` control event is on its way).
    await server.node.store.setRoomArchived("dev", true);
    const refused = await expectError(
      ann,
      "send_message",
      { text: "too late" },
      "room_archived",
    );
    assert.match(String(refused.data.message), /^dev is archived/);
    const retry = await ann.ok("send_message", {
      text: "one",
      client_id: "c1",
    });
    assert.deepEqual(retry.message, kept.message);
    const page = await ann.ok("history", { room: "dev" });
    assert.deepEqual(
      (page.messages as { text: string }[]).map((m) => m.text),
      ["one"],
    );
  }, { rateLimits: NO_RATE_LIMITS });
});

Deno.test("REST: GET /api/rooms says archived, and POST /api/rooms/{room}/messages and an incoming webhook into an archived room answer 403 room_archived, archived on another node too", async () => {
  await withServer(async (server) => {
    const root = await accountWithToken(server, "root");
    const pool = new ClientPool(server.wsUrl);
    try {
      const socket = await pool.login({ token: root.token });
      await socket.ok("create_room", { room: "dev" });
      const made = await call(server, "POST", "/api/rooms/dev/hooks", {
        body: { name: "CI" },
        token: root.token,
      });
      assert.equal(made.status, 201);
      await socket.ok("archive_room", { room: "dev" });

      const rooms = await call(server, "GET", "/api/rooms", {
        token: root.token,
      });
      assert.equal(flagOf(rooms.body, "dev"), true);
      assert.equal(flagOf(rooms.body, "general"), undefined);
      const posted = await call(server, "POST", "/api/rooms/dev/messages", {
        token: root.token,
        body: { text: "hello" },
      });
      assert.equal(posted.status, 403);
      assert.equal(posted.body.error, "room_archived");
      const hooked = await call(
        server,
        "POST",
        new URL(made.body.url).pathname,
        { body: { text: "build 12 passed" } },
      );
      assert.equal(hooked.status, 403);
      assert.equal(hooked.body.error, "room_archived");

      await socket.ok("unarchive_room", { room: "dev" });
      const after = await call(server, "POST", "/api/rooms/dev/messages", {
        token: root.token,
        body: { text: "hello" },
      });
      assert.equal(after.status, 201);

      // Archived by another node, which this one has not heard of yet: the
      // store refuses the post as the flag would have.
      await server.node.store.setRoomArchived("dev", true);
      const raced = await call(
        server,
        "POST",
        new URL(made.body.url).pathname,
        { body: { text: "build 13 passed" } },
      );
      assert.equal(raced.status, 403);
      assert.equal(raced.body.error, "room_archived");
    } finally {
      await pool.closeAll();
    }
  });
});

Deno.test("REST: an archived room's owner cannot make an incoming or outgoing webhook for it (403 room_archived, nothing made), lists and removes the ones it has, and makes them again once unarchived", async () => {
  await withServer(async (server) => {
    const ann = await accountWithToken(server, "ann");
    const pool = new ClientPool(server.wsUrl);
    try {
      const socket = await pool.login({ token: ann.token });
      await socket.ok("create_room", { room: "dev" });
      const owner = { token: ann.token };
      const made = await call(server, "POST", "/api/rooms/dev/hooks", {
        ...owner,
        body: { name: "CI" },
      });
      assert.equal(made.status, 201);
      const outgoing = { url: "http://127.0.0.1:9/hook" };
      await socket.ok("archive_room", { room: "dev" });

      const incoming = await call(server, "POST", "/api/rooms/dev/hooks", {
        ...owner,
        body: { name: "CD" },
      });
      assert.equal(incoming.status, 403);
      assert.equal(incoming.body.error, "room_archived");
      const out = await call(server, "POST", "/api/rooms/dev/outgoing-hooks", {
        ...owner,
        body: outgoing,
      });
      assert.equal(out.status, 403);
      assert.equal(out.body.error, "room_archived");
      const listed = await call(server, "GET", "/api/rooms/dev/hooks", owner);
      assert.deepEqual(
        (listed.body.hooks as { name: string }[]).map((h) => h.name),
        ["CI"],
      );
      const outs = await call(
        server,
        "GET",
        "/api/rooms/dev/outgoing-hooks",
        owner,
      );
      assert.deepEqual(outs.body.hooks, []);
      const removed = await call(
        server,
        "DELETE",
        `/api/hooks/${made.body.id}`,
        owner,
      );
      assert.equal(removed.status, 204);

      await socket.ok("unarchive_room", { room: "dev" });
      const again = await call(server, "POST", "/api/rooms/dev/hooks", {
        ...owner,
        body: { name: "CD" },
      });
      assert.equal(again.status, 201);
      const outAgain = await call(
        server,
        "POST",
        "/api/rooms/dev/outgoing-hooks",
        { ...owner, body: outgoing },
      );
      assert.equal(outAgain.status, 201);
    } finally {
      await pool.closeAll();
    }
  }, { webhookAllow: ["127.0.0.1"] });
});

Deno.test("archive_room: the flag is stored, survives a restart and follows its room through a rename", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-archive-" });
  const options = { hostname: "127.0.0.1", port: 0, db: `${dir}/chat.db` };
  try {
    let server = await startServer(options);
    let pool = new ClientPool(`${server.url.replace("http", "ws")}/ws`);
    const root = await pool.register("root");
    await root.ok("create_room", { room: "dev" });
    await root.ok("archive_room", { room: "dev" });
    await root.ok("update_room", { room: "dev", name: "devs" });
    await pool.closeAll();
    await server.shutdown();

    server = await startServer(options);
    pool = new ClientPool(`${server.url.replace("http", "ws")}/ws`);
    const ann = await pool.register("ann");
    assert.equal(flagOf(await ann.ok("list_rooms"), "devs"), true);
    await ann.ok("join_room", { room: "devs" });
    await expectError(ann, "send_message", { text: "hi" }, "room_archived");
    await pool.closeAll();
    await server.shutdown();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const stores = await bothStores();

stores.database(
  "upgrading: the rooms of a server of before are not archived after the first start, and may be archived and renamed",
  (options) =>
    withUpgradedServer({
      options,
      async setUp(pool) {
        const root = await pool.register("root");
        await root.ok("create_room", { room: "dev" });
      },
      old: {
        marker: ARCHIVED_MIGRATION,
        postgres: () => Promise.resolve(),
        sqlite: () => {},
      },
    }, async (server) => {
      // The rewind dropped the column: the migration made it again.
      const store = server.node.store;
      const dev = (await store.listRooms()).find((r) => r.key === "dev");
      assert.equal(dev?.archived, undefined);
      assert.equal((await store.setRoomArchived("dev", true))?.archived, true);
      const renamed = await store.renameRoom("dev", "ops", "ops");
      assert.equal(typeof renamed === "object" && renamed.archived, true);
    }),
);

stores.clients(
  "edits, authors' deletes, reactions, pins and topics in a room archived by another node before this one heard of it answer room_archived and change nothing; a moderator's delete goes on",
  async (pool, server) => {
    const root = await pool.register("root");
    const ann = await pool.register("ann");
    await root.ok("create_room", { room: "dev" });
    await ann.ok("join_room", { room: "dev" });
    const sent = await ann.ok("send_message", { text: "kept" });
    const id = (sent.message as { id: string }).id;
    await root.ok("set_topic", { room: "dev", topic: "ship it" });
    // As another node does: the store archived it, this node's flag not
    // yet (its `room_archived` control event is on its way).
    await server.node.store.setRoomArchived("dev", true);

    const refused = await expectError(
      ann,
      "edit_message",
      { id, text: "changed" },
      "room_archived",
    );
    assert.match(String(refused.data.message), /^dev is archived/);
    await expectError(ann, "delete_message", { id }, "room_archived");
    await expectError(ann, "react", { id, emoji: "👍" }, "room_archived");
    await expectError(root, "pin", { id }, "room_archived");
    await expectError(
      root,
      "set_topic",
      { room: "dev", topic: "done" },
      "room_archived",
    );
    const page = await ann.ok("history", { room: "dev" });
    const [kept] = page.messages as Record<string, unknown>[];
    assert.deepEqual(
      [kept.text, kept.edited_at, kept.reactions, kept.pinned_at],
      ["kept", undefined, undefined, undefined],
    );
    const rooms = await ann.ok("list_rooms");
    const dev = roomsOf(rooms).find((r) => r.name === "dev") as
      | { topic?: string }
      | undefined;
    assert.equal(dev?.topic, "ship it");
    const deleted = await root.ok("delete_message", { id });
    assert.equal((deleted.message as { deleted?: boolean }).deleted, true);
  },
  { rateLimits: NO_RATE_LIMITS },
);

stores.clients(
  "an author removed from a private room that another node archived deletes its own message there as before the archive, and learns nothing of it",
  async (pool, server) => {
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    await ann.ok("create_room", { room: "club", private: true });
    await ann.ok("invite", { room: "club", user: "ben" });
    await ben.ok("join_room", { room: "club" });
    const sent = await ben.ok("send_message", { text: "mine" });
    const id = (sent.message as { id: string }).id;
    await ben.ok("join_room", { room: "general" });
    await ann.ok("remove_member", { room: "club", user: "ben" });
    // Archived by another node: this one's flag has not heard of it.
    await server.node.store.setRoomArchived("club", true);
    const deleted = await ben.ok("delete_message", { id });
    assert.equal((deleted.message as { deleted?: boolean }).deleted, true);
    assert.doesNotMatch(JSON.stringify(deleted), /archived/);
  },
  { rateLimits: NO_RATE_LIMITS },
);

stores.clients(
  "invite and create_invite to a room that another node archived are refused by the store with room_archived, nothing written, before this node's flag heard of it",
  async (pool, server) => {
    const ann = await pool.register("ann");
    await pool.register("ben");
    await ann.ok("create_room", { room: "dev" });
    // Archived by another node: this one's flag has not heard of it.
    await server.node.store.setRoomArchived("dev", true);
    await expectError(
      ann,
      "invite",
      { room: "dev", user: "ben" },
      "room_archived",
    );
    await expectError(ann, "create_invite", { room: "dev" }, "room_archived");
    assert.equal(await server.node.store.isMember("ben", "dev"), false);
    assert.deepEqual(
      await server.node.store.listInvites("dev", Date.now()),
      [],
    );
  },
);

const clusterSkip = clusterSkipReason();

Deno.test({
  name:
    "scale-out: a room archived on one node refuses sends on the other, whose room lists and readers hear it",
  ignore: clusterSkip !== undefined,
  fn: () =>
    withCluster(2, async (_cluster, [one, two]) => {
      const root = await one.register("root");
      await root.ok("create_room", { room: "dev" });
      const ben = await two.register("ben");
      await ben.ok("join_room", { room: "dev" });

      await root.ok("archive_room", { room: "dev" });
      await ben.event("system", (d) => d.kind === "archived");
      await ben.event("room_list", (d) => flagOf(d, "dev") === true);
      await expectError(ben, "send_message", { text: "hi" }, "room_archived");
      await root.ok("unarchive_room", { room: "dev" });
      await ben.event("system", (d) => d.kind === "unarchived");
      await ben.ok("send_message", { text: "hi" });
    }),
});

stores.finish();
