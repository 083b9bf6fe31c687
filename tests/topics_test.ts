/**
 * Room topics: `set_topic`, `PUT /api/rooms/{room}/topic`, the topic in
 * room lists and join replies, the `system` `topic` notice, who may set
 * it, and that it is stored, through a real server on SQLite.
 */
import assert from "node:assert/strict";
import { startServer } from "../server/mod.ts";
import { NO_RATE_LIMITS } from "../server/rate_limit.ts";
import { accountWithToken, call } from "./api_helpers.ts";
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

const topicOf = (data: Frame["data"], room: string) =>
  roomsOf(data).find((r) => r.name === room) as
    | { topic?: string }
    | undefined;

Deno.test("set_topic: a member's topic is trimmed, shown in every room list, join reply and list_rooms, and the room hears a notice", async () => {
  await withClients(async (pool) => {
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    await ann.ok("create_room", { room: "dev" });
    await ben.ok("join_room", { room: "dev" });
    const gus = await pool.guest("gus");

    const set = await ben.ok("set_topic", {
      room: "dev",
      topic: "  Release on Friday: https://example.com/plan  ",
    });
    const topic = "Release on Friday: https://example.com/plan";
    assert.equal(set.room, "dev");
    assert.equal(set.topic, topic);

    const notice = await ann.event(
      "system",
      (d) => d.kind === "topic" && d.room === "dev",
    );
    assert.deepEqual(notice.data, {
      room: "dev",
      kind: "topic",
      user: "ben",
      text: `ben set the topic: ${topic}`,
      topic,
    });
    // A guest elsewhere sees it in the list, as every connection does.
    await gus.event("room_list", (d) => topicOf(d, "dev")?.topic === topic);
    assert.equal(topicOf(await gus.ok("list_rooms"), "dev")?.topic, topic);
    assert.equal(
      topicOf(await gus.ok("list_rooms"), "general")?.topic,
      undefined,
    );
    const joined = await gus.ok("join_room", { room: "dev" });
    assert.equal(joined.topic, topic);

    // "" clears it; the current room is the default.
    await ann.ok("join_room", { room: "dev" });
    const cleared = await ann.ok("set_topic", { topic: "" });
    assert.deepEqual(
      { room: cleared.room, topic: cleared.topic },
      { room: "dev", topic: undefined },
    );
    const gone = await ben.event(
      "system",
      (d) => d.kind === "topic" && d.user === "ann",
    );
    assert.equal(gone.data.text, "ann cleared the topic");
    assert.equal(gone.data.topic, undefined);
    await gus.event("room_list", (d) => {
      const dev = topicOf(d, "dev");
      return dev !== undefined && dev.topic === undefined;
    });
  }, { rateLimits: NO_RATE_LIMITS });
});

Deno.test("set_topic: guests, non-members and plain users in general or another's private room are refused; moderators may, and the audit log says so", async () => {
  await withClients(async (pool) => {
    const root = await pool.register("root");
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    const mod = await pool.register("mo");
    await root.ok("set_role", { user: "mo", role: "moderator" });
    const gus = await pool.guest("gus");
    await ann.ok("create_room", { room: "dev" });
    await ann.ok("create_room", { room: "club", private: true });
    await ann.ok("invite", { room: "club", user: "ben" });
    await ann.ok("invite", { room: "club", user: "mo" });

    await expectError(
      gus,
      "set_topic",
      { room: "dev", topic: "x" },
      "forbidden",
    );
    await expectError(
      ben,
      "set_topic",
      { room: "dev", topic: "x" },
      "forbidden",
    );
    await expectError(
      ben,
      "set_topic",
      { room: "general", topic: "x" },
      "forbidden",
    );
    await expectError(
      ben,
      "set_topic",
      { room: "club", topic: "x" },
      "forbidden",
    );
    await expectError(
      root,
      "set_topic",
      { room: "club", topic: "x" },
      "room_not_found",
    );
    await expectError(
      ben,
      "set_topic",
      { room: "nowhere", topic: "x" },
      "room_not_found",
    );
    // Its owner may; staff may in general and in a private room they are in.
    await ann.ok("set_topic", { room: "club", topic: "members only" });
    await mod.ok("set_topic", { room: "general", topic: "Be kind" });
    await mod.ok("set_topic", { room: "club", topic: "members, be kind" });

    const log = await root.ok("audit_log");
    const entries = (log.entries as Record<string, unknown>[])
      .filter((e) => e.action === "set_topic")
      .map((e) => [e.by, e.room, e.details]);
    assert.deepEqual(entries, [
      ["mo", "club", { topic: "members, be kind" }],
      ["mo", "general", { topic: "Be kind" }],
    ]);
  }, { rateLimits: NO_RATE_LIMITS });
});

Deno.test("set_topic: a second line, a control or text-direction character, or more than 250 characters is invalid_message", async () => {
  await withClients(async (pool) => {
    const ann = await pool.register("ann");
    await ann.ok("create_room", { room: "dev" });
    for (
      const topic of [
        "one\ntwo",
        "tab\there",
        "\u202Egnp.exe",
        "a\u200Bb",
        "é".repeat(251),
      ]
    ) {
      const refused = await expectError(
        ann,
        "set_topic",
        { room: "dev", topic },
        "invalid_message",
      );
      assert.match(String(refused.data.message), /one line of at most 250/);
    }
    await expectError(ann, "set_topic", { room: "dev" }, "invalid_message");
    // 250 characters of two UTF-16 units each fit.
    const long = "😀".repeat(250);
    assert.equal(
      (await ann.ok("set_topic", { room: "dev", topic: long })).topic,
      long,
    );
  }, { rateLimits: NO_RATE_LIMITS });
});

Deno.test("set_topic: the topic is stored, survives a restart and follows its room through a rename", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-topic-" });
  const options = { hostname: "127.0.0.1", port: 0, db: `${dir}/chat.db` };
  try {
    let server = await startServer(options);
    let pool = new ClientPool(`${server.url.replace("http", "ws")}/ws`);
    const root = await pool.register("root");
    await root.ok("create_room", { room: "dev" });
    await root.ok("set_topic", { room: "dev", topic: "ship it" });
    await root.ok("update_room", { room: "dev", name: "devs" });
    await pool.closeAll();
    await server.shutdown();

    server = await startServer(options);
    pool = new ClientPool(`${server.url.replace("http", "ws")}/ws`);
    const ann = await pool.register("ann");
    assert.equal(topicOf(await ann.ok("list_rooms"), "devs")?.topic, "ship it");
    await pool.closeAll();
    await server.shutdown();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("PUT /api/rooms/{room}/topic sets the topic as set_topic does, with its rules", async () => {
  await withServer(async (server) => {
    await accountWithToken(server, "root");
    const ann = await accountWithToken(server, "ann");
    const ben = await accountWithToken(server, "ben");
    const pool = new ClientPool(server.wsUrl);
    try {
      const socket = await pool.login({ token: ann.token });
      await socket.ok("create_room", { room: "dev" });
      const put = (token: string, body: unknown) =>
        call(server, "PUT", "/api/rooms/dev/topic", { token, body });

      const refused = await put(ben.token, { topic: "mine" });
      assert.equal(refused.status, 403);
      assert.equal(refused.body.error, "forbidden");
      const bad = await put(ann.token, { topic: "two\nlines" });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error, "invalid_message");

      const done = await put(ann.token, { topic: " standup at 10 " });
      assert.equal(done.status, 200);
      assert.deepEqual(done.body, { room: "dev", topic: "standup at 10" });
      await socket.event("system", (d) => d.kind === "topic");
      const rooms = await call(server, "GET", "/api/rooms", {
        token: ben.token,
      });
      assert.equal(topicOf(rooms.body, "dev")?.topic, "standup at 10");
    } finally {
      await pool.closeAll();
    }
  });
});

Deno.test("set_topic and PUT /api/rooms/{room}/topic: a letter under more than 4 combining marks is invalid_message; 4, and Vietnamese, fit", async () => {
  await withServer(async (server) => {
    const ann = await accountWithToken(server, "ann");
    const pool = new ClientPool(server.wsUrl);
    try {
      const socket = await pool.login({ token: ann.token });
      await socket.ok("create_room", { room: "dev" });
      // One letter under 249 combining marks covered the room's header.
      for (
        const topic of ["a" + "\u0301".repeat(249), "x" + "\u0301".repeat(5)]
      ) {
        const refused = await expectError(
          socket,
          "set_topic",
          { room: "dev", topic },
          "invalid_message",
        );
        assert.match(String(refused.data.message), /at most 4 marks/);
        const put = await call(server, "PUT", "/api/rooms/dev/topic", {
          token: ann.token,
          body: { topic },
        });
        assert.equal(put.status, 400);
        assert.equal(put.body.error, "invalid_message");
      }
      // NFC leaves these uncomposed: four marks on one letter stay allowed.
      const four = "x" + "\u0301\u0302\u0303\u0304";
      assert.equal(
        (await socket.ok("set_topic", { room: "dev", topic: four })).topic,
        four,
      );
      const vietnamese = "Ti\u1EBFng Vi\u1EC7t";
      const put = await call(server, "PUT", "/api/rooms/dev/topic", {
        token: ann.token,
        body: { topic: vietnamese },
      });
      assert.equal(put.status, 200);
      assert.equal(put.body.topic, vietnamese);
    } finally {
      await pool.closeAll();
    }
  });
});

const clusterSkip = clusterSkipReason();

Deno.test({
  name:
    "scale-out: a topic set on one node reaches the other node's room lists and the room's readers there",
  ignore: clusterSkip !== undefined,
  fn: () =>
    withCluster(2, async (_cluster, [one, two]) => {
      const ann = await one.register("ann");
      await ann.ok("create_room", { room: "dev" });
      const ben = await two.register("ben");
      await ben.ok("join_room", { room: "dev" });
      const gus = await two.guest("gus");

      await ann.ok("set_topic", { room: "dev", topic: "from node one" });
      const notice = await ben.event("system", (d) => d.kind === "topic");
      assert.equal(notice.data.topic, "from node one");
      await gus.event(
        "room_list",
        (d) => topicOf(d, "dev")?.topic === "from node one",
      );
      assert.equal(
        (await gus.ok("join_room", { room: "dev" })).topic,
        "from node one",
      );
    }),
});
