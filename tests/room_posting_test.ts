/**
 * Announcement rooms: `set_room_posting`, who may set it, the rule in room
 * lists, `list_all_rooms` and `GET /api/rooms`, the posts it refuses with
 * `posting_restricted` (WebSocket, REST, a scheduled message at its time)
 * and what stays open (reactions, read state, bots, incoming webhooks),
 * through a real server on SQLite and PostgreSQL, and across nodes.
 */
import assert from "node:assert/strict";
import { NO_RATE_LIMITS } from "../server/rate_limit.ts";
import { call } from "./api_helpers.ts";
import { bothStores } from "./both_stores.ts";
import { dueSoon } from "./due_soon.ts";
import { POSTING_MIGRATION } from "./store_contract/support.ts";
import { withUpgradedServer } from "./upgraded_server.ts";
import {
  ClientPool,
  clusterSkipReason,
  expectError,
  type Frame,
  PATIENT_WAIT_MS,
  roomsOf,
  withCluster,
} from "./harness.ts";

const stores = await bothStores();

const postingOf = (data: Frame["data"], room: string) =>
  (roomsOf(data).find((r) => r.name === room) as
    | { posting?: string }
    | undefined)?.posting;

stores.clients(
  "set_room_posting moderators: a member's message and reply answer posting_restricted, its reactions and read state go on; the owner, a moderator and an admin post; every list says so; everyone opens it again",
  async (pool) => {
    const root = await pool.register("root");
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    const mo = await pool.register("mo");
    await root.ok("set_role", { user: "mo", role: "moderator" });
    await ann.ok("create_room", { room: "news" });
    for (const c of [root, ben, mo]) await c.ok("join_room", { room: "news" });
    const first = await ann.ok("send_message", { text: "welcome" });
    const id = (first.message as { id: string; seq: number }).id;

    const done = await ann.ok("set_room_posting", {
      room: "news",
      posting: "moderators",
    });
    assert.deepEqual([done.room, done.posting], ["news", "moderators"]);
    await ben.event("room_list", (d) => postingOf(d, "news") === "moderators");
    assert.equal(postingOf(await ben.ok("list_rooms"), "news"), "moderators");
    assert.equal(postingOf(await ben.ok("list_rooms"), "general"), undefined);

    const refused = await expectError(
      ben,
      "send_message",
      { text: "me too" },
      "posting_restricted",
    );
    assert.match(String(refused.data.message), /^Only the owner of news/);
    await expectError(
      ben,
      "send_message",
      { text: "a reply", reply_to: id },
      "posting_restricted",
    );
    await ben.ok("react", { id, emoji: "👍" });
    await ben.ok("mark_read", { room: "news", seq: 1 });
    for (
      const [c, name] of [[ann, "ann"], [mo, "mo"], [root, "root"]] as const
    ) {
      await c.ok("send_message", { text: `from ${name}` });
    }
    // Asked again: done, nothing changed.
    await ann.ok("set_room_posting", { room: "news", posting: "moderators" });

    await ann.ok("set_room_posting", { room: "news", posting: "everyone" });
    await ben.event("room_list", (d) => postingOf(d, "news") === undefined);
    await ben.ok("send_message", { text: "me too" });
    const page = await ben.ok("history", { room: "news" });
    assert.deepEqual(
      (page.messages as { text: string }[]).map((m) => m.text),
      ["welcome", "from ann", "from mo", "from root", "me too"],
    );
  },
  { rateLimits: NO_RATE_LIMITS },
);

stores.clients(
  "set_room_posting moderators: a member's poll answers posting_restricted, the owner's is sent and the member votes in it",
  async (pool) => {
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    await ann.ok("create_room", { room: "news" });
    await ben.ok("join_room", { room: "news" });
    await ann.ok("set_room_posting", { room: "news", posting: "moderators" });
    const poll = { room: "news", question: "Lunch?", options: ["A", "B"] };
    await expectError(ben, "create_poll", poll, "posting_restricted");
    const sent = await ann.ok("create_poll", poll);
    const id = (sent.message as { id: string }).id;
    await ben.ok("vote", { id, options: [0] });
    const page = await ben.ok("history", { room: "news" });
    assert.deepEqual(
      (page.messages as { text: string }[]).map((m) => m.text),
      ["Lunch?"],
    );
  },
  { rateLimits: NO_RATE_LIMITS },
);

stores.clients(
  "set_room_posting: a member who does not own the room and a guest are refused, a bad value is invalid; a moderator may, audited; an admin's update_room posting too, on its own",
  async (pool) => {
    const root = await pool.register("root");
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    const mo = await pool.register("mo");
    await root.ok("set_role", { user: "mo", role: "moderator" });
    const gus = await pool.guest("gus");
    await ann.ok("create_room", { room: "news" });
    const limit = { room: "news", posting: "moderators" };

    await expectError(ben, "set_room_posting", limit, "forbidden");
    await expectError(gus, "set_room_posting", limit, "forbidden");
    await expectError(
      mo,
      "set_room_posting",
      { room: "news", posting: "owner" },
      "invalid_message",
    );
    await expectError(
      mo,
      "set_room_posting",
      { room: "nowhere", posting: "moderators" },
      "room_not_found",
    );
    await mo.ok("set_room_posting", limit);
    await expectError(
      root,
      "update_room",
      { room: "news", posting: "everyone", private: true },
      "invalid_message",
    );
    await expectError(
      ann,
      "update_room",
      { room: "news", posting: "everyone" },
      "forbidden",
    );
    const opened = await root.ok("update_room", {
      room: "news",
      posting: "everyone",
    });
    assert.equal(opened.posting, "everyone");
    await root.ok("update_room", { room: "news", posting: "moderators" });
    const all = await root.ok("list_all_rooms");
    assert.equal(postingOf(all, "news"), "moderators");

    const log = await root.ok("audit_log");
    const entries = (log.entries as Record<string, unknown>[])
      .filter((e) => JSON.stringify(e.details ?? {}).includes("posting"))
      .map((e) => [e.action, e.by, e.room, e.details]);
    assert.deepEqual(entries, [
      ["update_room", "root", "news", { posting: "moderators" }],
      ["update_room", "root", "news", { posting: "everyone" }],
      ["set_room_posting", "mo", "news", { posting: "moderators" }],
    ]);
  },
  { rateLimits: NO_RATE_LIMITS },
);

stores.clients(
  "set_room_posting moderators: a member's set_topic answers posting_restricted (a topic is shown in every room list and told to the room as a notice: a post by another door), the owner's and a moderator's are set",
  async (pool) => {
    const root = await pool.register("root");
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    const mo = await pool.register("mo");
    await root.ok("set_role", { user: "mo", role: "moderator" });
    await ann.ok("create_room", { room: "news" });
    for (const c of [ben, mo]) await c.ok("join_room", { room: "news" });
    await ann.ok("set_room_posting", { room: "news", posting: "moderators" });

    const refused = await expectError(
      ben,
      "set_topic",
      { room: "news", topic: "FREE CRYPTO at https://example.com" },
      "posting_restricted",
    );
    assert.match(String(refused.data.message), /^Only the owner of news/);
    await ann.ok("set_topic", { room: "news", topic: "Releases" });
    await mo.ok("set_topic", { room: "news", topic: "Releases, weekly" });
    await ann.event("system", (d) => d.topic === "Releases, weekly");
    const topics = ann.received
      .filter((f) => f.action === "system" && f.data.kind === "topic")
      .map((f) => f.data.topic);
    assert.deepEqual(topics, ["Releases", "Releases, weekly"]);
    const rooms = roomsOf(await ben.ok("list_rooms"));
    const news = rooms.find((r) => r.name === "news") as { topic?: string };
    assert.equal(news.topic, "Releases, weekly");
  },
  { rateLimits: NO_RATE_LIMITS },
);

stores.test(
  "REST: in an announcement room a member's POST /api/rooms/{room}/messages answers 403 posting_restricted, a bot's and an incoming webhook's post go in, and GET /api/rooms says posting",
  async (server) => {
    const pool = new ClientPool(server.wsUrl);
    try {
      const root = await pool.register("root");
      const ben = await pool.register("ben");
      const admin = { token: root.token! };
      await root.ok("create_room", { room: "news" });
      await ben.ok("join_room", { room: "news" });
      const bot = await call(server, "POST", "/api/bots", {
        ...admin,
        body: { name: "ci" },
      });
      assert.equal(bot.status, 201);
      const botToken = await call(server, "POST", "/api/bots/ci/tokens", {
        ...admin,
        body: { name: "deploy" },
      });
      const hook = await call(server, "POST", "/api/rooms/news/hooks", {
        ...admin,
        body: { name: "alerts" },
      });
      assert.equal(hook.status, 201);
      await root.ok("set_room_posting", {
        room: "news",
        posting: "moderators",
      });

      const rooms = await call(server, "GET", "/api/rooms", admin);
      assert.equal(postingOf(rooms.body, "news"), "moderators");
      const posted = await call(server, "POST", "/api/rooms/news/messages", {
        token: ben.token!,
        body: { text: "me too" },
      });
      assert.equal(posted.status, 403);
      assert.equal(posted.body.error, "posting_restricted");
      const byBot = await call(server, "POST", "/api/rooms/news/messages", {
        token: botToken.body.token as string,
        body: { text: "deployed" },
      });
      assert.equal(byBot.status, 201);
      const hooked = await call(
        server,
        "POST",
        new URL(hook.body.url as string).pathname,
        { body: { text: "build 12 passed" } },
      );
      assert.equal(hooked.status, 200, JSON.stringify(hooked.body));
    } finally {
      await pool.closeAll();
    }
  },
  { rateLimits: NO_RATE_LIMITS },
);

stores.clients(
  "a member's scheduled message to a room made an announcement room meanwhile is checked at its time: scheduled_failed posting_restricted, nothing stored",
  async (pool) => {
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    await ann.ok("create_room", { room: "news" });
    await ben.ok("join_room", { room: "news" });
    const { scheduled } = await ben.ok("schedule_message", {
      room: "news",
      text: "later",
      send_at: new Date(Date.now() + 3600_000).toISOString(),
    });
    const id = (scheduled as { id: string }).id;
    await ann.ok("set_room_posting", { room: "news", posting: "moderators" });
    await dueSoon(ben, "update_scheduled", { id }, {
      field: "send_at",
      ms: 1000,
    });
    const failed = await ben.event("scheduled_failed", (d) => d.id === id, {
      timeoutMs: PATIENT_WAIT_MS,
    });
    assert.deepEqual(failed.data, { id, code: "posting_restricted" });
    const page = await ben.ok("history", { room: "news" });
    assert.deepEqual(page.messages, []);
  },
  { rateLimits: NO_RATE_LIMITS, reminderSweepMs: 100 },
);

stores.database(
  "upgrading: the rooms of a server of before are open to everyone after the first start, and may be limited and renamed",
  (options) =>
    withUpgradedServer({
      options,
      async setUp(pool) {
        const root = await pool.register("root");
        await root.ok("create_room", { room: "dev" });
      },
      old: {
        marker: POSTING_MIGRATION,
        postgres: () => Promise.resolve(),
        sqlite: () => {},
      },
    }, async (server) => {
      // The rewind dropped the column: the migration made it again.
      const store = server.node.store;
      const dev = (await store.listRooms()).find((r) => r.key === "dev");
      assert.equal(dev?.posting, undefined);
      assert.equal(
        (await store.setRoomPosting("dev", "moderators"))?.posting,
        "moderators",
      );
      const renamed = await store.renameRoom("dev", "ops", "ops");
      assert.equal(
        typeof renamed === "object" && renamed.posting,
        "moderators",
      );
    }),
);

const clusterSkip = clusterSkipReason();

Deno.test({
  name:
    "scale-out: an announcement room made on one node refuses a member's post on the other, whose room lists hear it",
  ignore: clusterSkip !== undefined,
  fn: () =>
    withCluster(2, async (_cluster, [one, two]) => {
      const root = await one.register("root");
      await root.ok("create_room", { room: "news" });
      const ben = await two.register("ben");
      await ben.ok("join_room", { room: "news" });

      await root.ok("set_room_posting", {
        room: "news",
        posting: "moderators",
      });
      await ben.event(
        "room_list",
        (d) => postingOf(d, "news") === "moderators",
      );
      await expectError(
        ben,
        "send_message",
        { text: "hi" },
        "posting_restricted",
      );
      // The lists from here on: those from before the limit say none too.
      const from = ben.received.length;
      await root.ok("set_room_posting", { room: "news", posting: "everyone" });
      await ben.event("room_list", (d) => postingOf(d, "news") === undefined, {
        from,
      });
      await ben.ok("send_message", { text: "hi" });
    }),
});

stores.finish();
