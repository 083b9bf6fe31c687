/**
 * Notification levels kept on the server: `set_notify_level`,
 * `list_notify_levels`, the login's `notify_levels` and the `notify_level`
 * event, through a real server, on SQLite and, when PostgreSQL is
 * installed, on a fresh PostgreSQL database of its own.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import postgres from "postgres";
import type { Config } from "../server/config.ts";
import { NO_RATE_LIMITS } from "../server/rate_limit.ts";
import { MAX_NOTIFY_LEVELS } from "../server/handlers/notify_levels.ts";
import {
  conversationKey,
  type StoredNotifyLevel,
} from "../server/store/mod.ts";
import { bothStores } from "./both_stores.ts";
import { expectError, roomsOf, roundTrip, type TestClient } from "./harness.ts";
import {
  GONE_ROOMS_PLACES_MIGRATION,
  PLACES_BY_ROOM_MIGRATION,
} from "./store_contract/support.ts";
import { leftBefore, withUpgradedServer } from "./upgraded_server.ts";

const stores = await bothStores();

/** The `notify_levels` of a client's login reply. */
function loginLevels(client: TestClient): unknown {
  const reply = client.received.find((f) =>
    f.data.request === "login" || f.data.request === "register"
  )!;
  return reply.data.notify_levels;
}

stores.clients(
  "set_notify_level: the account's other devices get the level, a later login and list_notify_levels carry it, 'mentions' clears it everywhere",
  async (pool) => {
    const ann = await pool.register("ann");
    assert.deepEqual(loginLevels(ann), []);
    const phone = await pool.login({ token: ann.token });
    const ben = await pool.register("ben");
    await ann.ok("create_room", { room: "Dev" });
    const set = await ann.ok("set_notify_level", {
      room: "dev",
      level: "none",
    });
    assert.deepEqual(set, {
      request: "set_notify_level",
      room: "Dev",
      level: "none",
    });
    const seen = await phone.event("notify_level", (d) => d.room === "Dev");
    assert.deepEqual(seen.data, { room: "Dev", level: "none" });
    await phone.ok("set_notify_level", { with: "Ben", level: "all" });
    await ann.event("notify_level", (d) => d.with === "Ben");

    const laptop = await pool.login({ token: ann.token });
    const expected = [
      { with: "Ben", level: "all" },
      { room: "Dev", level: "none" },
    ];
    const sorted = (levels: unknown) =>
      (levels as { room?: string; with?: string }[]).toSorted((a, b) =>
        (a.room ?? a.with!) < (b.room ?? b.with!) ? -1 : 1
      );
    assert.deepEqual(sorted(loginLevels(laptop)), expected);
    assert.deepEqual(
      sorted((await laptop.ok("list_notify_levels")).levels),
      expected,
    );

    await ann.ok("set_notify_level", { room: "Dev", level: "mentions" });
    for (const device of [phone, laptop]) {
      await device.event(
        "notify_level",
        (d) => d.room === "Dev" && d.level === "mentions",
      );
    }
    assert.deepEqual((await laptop.ok("list_notify_levels")).levels, [
      { with: "Ben", level: "all" },
    ]);
    // The sender never hears its own; other accounts never hear any.
    await roundTrip(ann);
    assert.deepEqual(
      ann.events("notify_level").map((f) => f.data.with ?? f.data.room),
      ["Ben"],
    );
    await roundTrip(ben);
    assert.deepEqual(ben.events("notify_level"), []);
  },
);

stores.clients(
  "set_notify_level is refused with a clear code to guests, outside the account's rooms, for an unknown level and past the levels an account keeps",
  async (pool, server) => {
    const guest = await pool.guest("gus");
    await expectError(
      guest,
      "set_notify_level",
      { room: "general", level: "none" },
      "forbidden",
    );
    await expectError(guest, "list_notify_levels", {}, "forbidden");
    const ann = await pool.register("ann");
    await expectError(
      ann,
      "set_notify_level",
      { room: "nowhere", level: "none" },
      "room_not_found",
    );
    await expectError(
      ann,
      "set_notify_level",
      { room: "general", level: "loud" },
      "invalid_message",
    );
    await expectError(
      ann,
      "set_notify_level",
      { level: "none" },
      "invalid_message",
    );
    await expectError(
      ann,
      "set_notify_level",
      { room: "general", with: "ben", level: "none" },
      "invalid_message",
    );
    // A private room one is not in reads as one that does not exist.
    const ben = await pool.register("ben");
    await ben.ok("create_room", { room: "secret", private: true });
    await expectError(
      ann,
      "set_notify_level",
      { room: "secret", level: "none" },
      "room_not_found",
    );

    // Levels with people who need not exist: straight into the store (a
    // level with nobody is refused), so that the cap is reached without
    // registering 1,000 accounts.
    const annKey = (await server.node.accounts.find("ann"))!.key;
    for (let i = 0; i < MAX_NOTIFY_LEVELS - 1; i++) {
      const stream = conversationKey(annKey, `p${i}`);
      const setting = { stream, with: `p${i}`, level: "none", updatedAt: i };
      assert.ok(
        await server.node.store.setNotifyLevel(
          annKey,
          setting as StoredNotifyLevel,
          MAX_NOTIFY_LEVELS,
        ),
      );
    }
    await ann.ok("set_notify_level", { with: "ben", level: "none" });
    await pool.register("cat");
    await expectError(
      ann,
      "set_notify_level",
      { with: "cat", level: "none" },
      "forbidden",
    );
    // The ones kept may still change or go.
    await ann.ok("set_notify_level", { with: "ben", level: "all" });
    await ann.ok("set_notify_level", { with: "p2", level: "mentions" });
    await ann.ok("set_notify_level", { with: "cat", level: "none" });
    const kept = (await ann.ok("list_notify_levels")).levels as unknown[];
    assert.equal(kept.length, MAX_NOTIFY_LEVELS);
  },
  { rateLimits: NO_RATE_LIMITS },
);

stores.clients(
  "set_notify_level with a name nobody has is user_not_found and stores nothing; setting one back to 'mentions' with any name is allowed",
  async (pool) => {
    const ann = await pool.register("ann");
    await expectError(
      ann,
      "set_notify_level",
      { with: "nobody", level: "all" },
      "user_not_found",
    );
    await pool.guest("gus");
    await ann.ok("set_notify_level", { with: "gus", level: "none" });
    await ann.ok("set_notify_level", { with: "nobody", level: "mentions" });
    assert.deepEqual((await ann.ok("list_notify_levels")).levels, [
      { with: "gus", level: "none" },
    ]);
  },
);

stores.clients(
  "list_notify_levels and the login name no private room the account was removed from, nor one made again under its name by others",
  async (pool) => {
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    await ann.ok("create_room", { room: "plans", private: true });
    await ann.ok("invite", { room: "plans", user: "ben" });
    await ben.ok("set_notify_level", { room: "plans", level: "none" });
    assert.deepEqual((await ben.ok("list_notify_levels")).levels, [
      { room: "plans", level: "none" },
    ]);
    await ann.ok("remove_member", { room: "plans", user: "ben" });
    // Removed, ben is told no more of plans than of any private room he
    // is not in: not that it still exists.
    assert.deepEqual((await ben.ok("list_notify_levels")).levels, []);
    assert.deepEqual(loginLevels(await pool.login({ token: ben.token })), []);
    // Nor of a private room someone else makes under the name.
    await ann.ok("delete_room", { room: "plans" });
    const cat = await pool.register("cat");
    await cat.ok("create_room", { room: "plans", private: true });
    assert.deepEqual((await ben.ok("list_notify_levels")).levels, []);
    assert.deepEqual(loginLevels(await pool.login({ token: ben.token })), []);
  },
);

stores.clients(
  "a room an admin renames keeps its members' levels and drafts under the new name, on every device; a room made again under the old name starts at 'mentions' with no draft",
  async (pool) => {
    const root = await pool.register("root");
    const ann = await pool.register("ann");
    const phone = await pool.login({ token: ann.token });
    await root.ok("create_room", { room: "dev" });
    await ann.ok("join_room", { room: "dev" });
    await ann.ok("set_notify_level", { room: "dev", level: "none" });
    await ann.ok("set_draft", { room: "dev", text: "half a thought" });
    await root.ok("update_room", { room: "dev", name: "Lab" });
    // Each node learns the new name from the rename's announcement, which
    // follows the reply: root's `renamed` says this node has it.
    await root.event("system", (d) => d.kind === "renamed");
    assert.deepEqual((await phone.ok("list_notify_levels")).levels, [
      { room: "Lab", level: "none" },
    ]);
    const drafts = (await phone.ok("list_drafts")).drafts as {
      room: string;
      text: string;
    }[];
    assert.deepEqual(
      drafts.map((d) => [d.room, d.text]),
      [["Lab", "half a thought"]],
    );
    const later = await pool.login({ token: ann.token });
    assert.deepEqual(loginLevels(later), [{ room: "Lab", level: "none" }]);

    await root.ok("create_room", { room: "dev" });
    await ann.ok("join_room", { room: "dev" });
    assert.deepEqual((await phone.ok("list_notify_levels")).levels, [
      { room: "Lab", level: "none" },
    ]);
    assert.equal(
      ((await phone.ok("list_drafts")).drafts as unknown[]).length,
      1,
    );
  },
);

stores.clients(
  "a deleted room takes every account's level there, a member's and one who left: a room made again under the name starts at 'mentions'",
  async (pool) => {
    const root = await pool.register("root");
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    await root.ok("create_room", { room: "den" });
    for (const who of [ann, ben]) await who.ok("join_room", { room: "den" });
    await ann.ok("set_notify_level", { room: "den", level: "none" });
    await ben.ok("set_notify_level", { room: "den", level: "all" });
    await ann.ok("set_notify_level", { room: "general", level: "all" });
    await ben.ok("leave_room", { room: "den" });
    await root.ok("delete_room", { room: "den" });
    await root.ok("create_room", { room: "den" });
    for (const who of [ann, ben]) await who.ok("join_room", { room: "den" });
    assert.deepEqual((await ann.ok("list_notify_levels")).levels, [
      { room: "general", level: "all" },
    ]);
    assert.deepEqual((await ben.ok("list_notify_levels")).levels, []);
  },
);

stores.clients(
  "a guest's room that expires takes the levels accounts set there: made again under the name, it starts at 'mentions'",
  async (pool) => {
    const ann = await pool.register("ann");
    const dave = await pool.guest("dave");
    await dave.ok("create_room", { room: "passing" });
    await ann.ok("join_room", { room: "passing" });
    await ann.ok("set_notify_level", { room: "passing", level: "none" });
    await ann.ok("leave_room", { room: "passing" });
    const listed = ann.received.length;
    await dave.ok("join_room", { room: "general" });
    // The server deletes the empty room by itself and says so in the list.
    await ann.event(
      "room_list",
      (d) => !roomsOf(d).some((r) => r.name === "passing"),
      { from: listed, timeoutMs: 30_000 },
    );
    await dave.ok("create_room", { room: "passing" });
    await ann.ok("join_room", { room: "passing" });
    assert.deepEqual((await ann.ok("list_notify_levels")).levels, []);
  },
  { guestRoomTtlSeconds: 1 },
);

stores.database(
  "upgrading: the levels and drafts a server of before left under a renamed or deleted room's key are gone at the first start; those of rooms there stay",
  (options) =>
    withUpgradedServer({
      options,
      async setUp(pool) {
        const ann = await pool.register("ann");
        await pool.register("ben");
        await ann.ok("set_notify_level", { room: "general", level: "none" });
        await ann.ok("set_notify_level", { with: "ben", level: "all" });
        await ann.ok("set_draft", { room: "general", text: "kept" });
      },
      // What a server of before left: rows of a room renamed away from.
      old: leftBefore(
        GONE_ROOMS_PLACES_MIGRATION,
        `INSERT INTO notification_levels (user_key, stream, level, updated_at)
           VALUES ('ann', 'dev', 'none', 1);
         INSERT INTO drafts (user_key, stream, text, updated_at)
           VALUES ('ann', 'dev', 'left behind', 1)`,
      ),
    }, async (server) => {
      const { store } = server.node;
      assert.deepEqual(
        (await store.listNotifyLevels("ann")).map((l) => [l.stream, l.level]),
        [["@ann:ben", "all"], ["general", "none"]],
      );
      assert.deepEqual(
        (await store.listDrafts("ann")).map((d) => [d.stream, d.text]),
        [["general", "kept"]],
      );
    }),
);

/**
 * The plans of the statements a room's deletion and rename run on the
 * levels and drafts by room, one string each. PostgreSQL is told not to
 * scan (its tables here are a few rows, which a scan reads fastest), so
 * that it names an index whenever one fits.
 */
async function plansByRoom(
  options: Partial<Config>,
  dbPath: string,
): Promise<string[]> {
  const statements = [
    "DELETE FROM notification_levels WHERE stream = 'dev'",
    "UPDATE notification_levels SET stream = 'ops' WHERE stream = 'dev'",
    "UPDATE drafts SET stream = 'ops' WHERE stream = 'dev'",
  ];
  if (options.databaseUrl) {
    const sql = postgres(options.databaseUrl, { max: 1, onnotice: () => {} });
    try {
      await sql`SET enable_seqscan = off`;
      const plans = [];
      for (const statement of statements) {
        const rows = await sql.unsafe(`EXPLAIN ${statement}`);
        plans.push(rows.map((row) => row["QUERY PLAN"]).join("\n"));
      }
      return plans;
    } finally {
      await sql.end();
    }
  }
  const db = new DatabaseSync(dbPath, { readOnly: true });
  try {
    return statements.map((statement) =>
      db.prepare(`EXPLAIN QUERY PLAN ${statement}`).all()
        .map((row) => row.detail).join("\n")
    );
  } finally {
    db.close();
  }
}

stores.database(
  "upgrading: a server of before's levels and drafts get an index by room, which a room's deletion and rename read instead of every account's rows",
  (options) =>
    withUpgradedServer({
      options,
      async setUp(pool) {
        const ann = await pool.register("ann");
        await ann.ok("create_room", { room: "dev" });
        await ann.ok("set_notify_level", { room: "dev", level: "none" });
        await ann.ok("set_draft", { room: "dev", text: "soon" });
      },
      old: {
        marker: PLACES_BY_ROOM_MIGRATION,
        postgres: () => Promise.resolve(),
        sqlite: () => {},
      },
    }, async (server, dbPath) => {
      const [deleted, levelsMoved, draftsMoved] = await plansByRoom(
        options,
        dbPath,
      );
      assert.match(deleted, /notification_levels_stream/);
      assert.match(levelsMoved, /notification_levels_stream/);
      assert.match(draftsMoved, /drafts_stream/);
      // The rows are the same: the deletion still takes the room's level.
      const { store } = server.node;
      assert.equal(await store.notifyLevel("ann", "dev"), "none");
      assert.ok(await store.deleteRoom("dev"));
      assert.equal(await store.notifyLevel("ann", "dev"), "mentions");
    }),
);

stores.finish();
