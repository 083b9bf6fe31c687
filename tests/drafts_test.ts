/**
 * Drafts that follow an account to its devices: `set_draft`, `list_drafts`
 * and the `draft` event, through a real server, on SQLite and, when
 * PostgreSQL is installed, on a fresh PostgreSQL database of its own.
 */
import assert from "node:assert/strict";
import { DEFAULT_RATE_LIMITS, NO_RATE_LIMITS } from "../server/rate_limit.ts";
import { MAX_DRAFT_CHARACTERS, MAX_DRAFTS } from "../server/handlers/drafts.ts";
import { conversationKey } from "../server/store/mod.ts";
import { call } from "./api_helpers.ts";
import { bothStores } from "./both_stores.ts";
import { expectError, roundTrip } from "./harness.ts";
import { LEFT_DRAFTS_MIGRATION } from "./store_contract/support.ts";
import { leftBefore, withUpgradedServer } from "./upgraded_server.ts";

const stores = await bothStores();

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

stores.clients(
  "set_draft: the account's other devices get the draft, a later login lists it, and an empty text clears it everywhere",
  async (pool) => {
    const ann = await pool.register("ann");
    const phone = await pool.login({ token: ann.token });
    const ben = await pool.register("ben");
    const set = await ann.ok("set_draft", {
      room: "general",
      text: "see you at ",
    });
    assert.equal(set.request, "set_draft");
    assert.equal(set.room, "general");
    assert.equal(set.text, "see you at ");
    assert.match(String(set.updated_at), ISO);
    const seen = await phone.event("draft", (d) => d.room === "general");
    assert.deepEqual(seen.data, {
      room: "general",
      text: "see you at ",
      updated_at: set.updated_at,
    });
    const toBen = await phone.ok("set_draft", { with: "ben", text: "hi" });
    await ann.event("draft", (d) => d.with === "ben");

    const laptop = await pool.login({ token: ann.token });
    const listed = await laptop.ok("list_drafts");
    assert.deepEqual(listed.drafts, [
      { with: "ben", text: "hi", updated_at: toBen.updated_at },
      { room: "general", text: "see you at ", updated_at: set.updated_at },
    ]);

    // The message is sent: the client clears the draft on every device.
    await ann.ok("set_draft", { room: "general", text: "" });
    for (const device of [phone, laptop]) {
      await device.event("draft", (d) => d.room === "general" && d.text === "");
    }
    assert.deepEqual(
      (await laptop.ok("list_drafts")).drafts,
      [{ with: "ben", text: "hi", updated_at: toBen.updated_at }],
    );
    // The sender never hears its own; other accounts never hear any.
    await roundTrip(ann);
    assert.deepEqual(
      ann.events("draft").map((f) => f.data.with ?? f.data.room),
      ["ben"],
    );
    await roundTrip(ben);
    assert.deepEqual(ben.events("draft"), []);
  },
);

stores.clients(
  "leaving a room takes the account's draft there along: back in the room, leave_room's and remove_member's leave none",
  async (pool) => {
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    await ann.ok("create_room", { room: "den" });
    await ben.ok("join_room", { room: "den" });
    await ben.ok("set_draft", { room: "general", text: "kept" });
    const rooms = async () =>
      ((await ben.ok("list_drafts")).drafts as { room?: string }[])
        .map((d) => d.room);
    await ben.ok("set_draft", { room: "den", text: "before leaving" });
    await ben.ok("leave_room", { room: "den" });
    await ben.ok("join_room", { room: "den" });
    assert.deepEqual(await rooms(), ["general"]);
    await ben.ok("set_draft", { room: "den", text: "before removal" });
    await ann.ok("remove_member", { room: "den", user: "ben" });
    await ben.ok("join_room", { room: "den" });
    assert.deepEqual(await rooms(), ["general"]);
  },
);

stores.clients(
  "set_draft is refused with a clear code to guests, outside the account's rooms, past a message's length and past the drafts an account keeps",
  async (pool, server) => {
    const guest = await pool.guest("gus");
    await expectError(
      guest,
      "set_draft",
      { room: "general", text: "x" },
      "forbidden",
    );
    await expectError(guest, "list_drafts", {}, "forbidden");
    const ann = await pool.register("ann");
    await expectError(
      ann,
      "set_draft",
      { room: "nowhere", text: "x" },
      "room_not_found",
    );
    await expectError(ann, "set_draft", { text: "x" }, "invalid_message");
    await expectError(
      ann,
      "set_draft",
      { room: "general", with: "ben", text: "x" },
      "invalid_message",
    );
    await expectError(
      ann,
      "set_draft",
      { room: "general", text: "é".repeat(4001) },
      "message_too_long",
    );
    // 4000 characters, each two UTF-16 units, is a message's length.
    await ann.ok("set_draft", { room: "general", text: "😀".repeat(4000) });
    // A private room one is not in reads as one that does not exist.
    const ben = await pool.register("ben");
    await ben.ok("create_room", { room: "secret", private: true });
    await expectError(
      ann,
      "set_draft",
      { room: "secret", text: "x" },
      "room_not_found",
    );

    // Drafts to people who need not exist: straight into the store (a
    // draft to nobody is refused), so that the cap is reached without
    // registering 200 accounts.
    for (let i = 1; i < MAX_DRAFTS - 1; i++) {
      const stream = conversationKey("ann", `p${i}`);
      const draft = { stream, with: `p${i}`, text: "x", updatedAt: i };
      assert.equal(
        await server.node.store.setDraft("ann", draft, MAX_DRAFTS),
        "written",
      );
    }
    await ann.ok("set_draft", { with: "ben", text: "x" });
    await pool.register("cat");
    await expectError(
      ann,
      "set_draft",
      { with: "cat", text: "x" },
      "too_many_drafts",
    );
    // The ones kept may still change or go.
    await ann.ok("set_draft", { with: "ben", text: "y" });
    await ann.ok("set_draft", { with: "p2", text: "" });
    await ann.ok("set_draft", { with: "cat", text: "x" });
    const kept = (await ann.ok("list_drafts")).drafts as unknown[];
    assert.equal(kept.length, MAX_DRAFTS);
  },
  { rateLimits: NO_RATE_LIMITS },
);

stores.clients(
  "set_draft and PUT .../draft past the account's 200,000 characters of drafts are drafts_too_long, nothing stored nor told; a shorter one fits",
  async (pool, server) => {
    const ann = await pool.register("ann");
    const phone = await pool.login({ token: ann.token });
    await pool.register("ben");
    // 49 drafts of a message's 4,000 emoji, straight into the store (49
    // accounts to write to would be 49 password hashes): 196,000.
    const annKey = (await server.node.accounts.find("ann"))!.key;
    for (let i = 0; i < 49; i++) {
      const stream = conversationKey(annKey, `p${i}`);
      const draft = {
        stream,
        with: `p${i}`,
        text: "😀".repeat(4000),
        updatedAt: i,
      };
      assert.equal(
        await server.node.store.setDraft(
          annKey,
          draft,
          MAX_DRAFTS,
          MAX_DRAFT_CHARACTERS,
        ),
        "written",
      );
    }
    await ann.ok("set_draft", { room: "general", text: "x".repeat(3999) });
    const refused = await expectError(
      ann,
      "set_draft",
      { with: "ben", text: "hi" },
      "drafts_too_long",
    );
    assert.match(String(refused.data.message), /200000 characters/);
    const rest = await call(server, "PUT", "/api/private/ben/draft", {
      token: ann.token!,
      body: { text: "hi" },
    });
    assert.equal(rest.status, 403);
    assert.equal(rest.body.error, "drafts_too_long");
    // general's draft counted as its new text: 4,000 make exactly 200,000.
    await ann.ok("set_draft", { room: "general", text: "x".repeat(4000) });
    await ann.ok("set_draft", { room: "general", text: "" });
    await ann.ok("set_draft", { with: "ben", text: "hi" });
    await phone.event("draft", (d) => d.with === "ben" && d.text === "hi");
    const listed = (await ann.ok("list_drafts")).drafts as { text: string }[];
    assert.equal(listed.length, 50);
    // Nothing was told about the refused ones before.
    assert.equal(
      phone.events("draft").filter((d) => d.data.with === "ben").length,
      1,
    );
  },
  { rateLimits: NO_RATE_LIMITS },
);

stores.clients(
  "set_draft to a name nobody has is user_not_found and stores nothing; a draft to a guest online is kept, and clearing one to any name is allowed",
  async (pool) => {
    const ann = await pool.register("ann");
    const phone = await pool.login({ token: ann.token });
    await expectError(
      ann,
      "set_draft",
      { with: "nobody", text: "hello?" },
      "user_not_found",
    );
    await pool.guest("gus");
    await ann.ok("set_draft", { with: "gus", text: "hi guest" });
    await ann.ok("set_draft", { with: "nobody", text: "" });
    assert.deepEqual(
      ((await phone.ok("list_drafts")).drafts as { with: string }[]).map((
        d,
      ) => d.with),
      ["gus"],
    );
    // Nothing was told about the refused one.
    await phone.event("draft", (d) => d.with === "gus");
    assert.ok(!phone.events("draft").some((d) => d.data.text === "hello?"));
  },
);

// A bucket that refills once an hour: what is counted, not how fast.
const SLOW = { burst: 3, perSecond: 1 / 3600 };

stores.clients(
  "set_draft has a rate limit of its own: past its bucket it is rate_limited, and other requests still pass",
  async (pool) => {
    const ann = await pool.register("ann");
    for (let i = 0; i < SLOW.burst; i++) {
      await ann.ok("set_draft", { room: "general", text: `x${i}` });
    }
    const refused = await expectError(
      ann,
      "set_draft",
      { room: "general", text: "one more" },
      "rate_limited",
    );
    assert.equal(typeof refused.data.retry_after_ms, "number");
    await ann.ok("list_rooms");
    await ann.ok("list_drafts");
  },
  {
    rateLimits: {
      ...DEFAULT_RATE_LIMITS,
      perConnection: { ...DEFAULT_RATE_LIMITS.perConnection, draft: SLOW },
    },
  },
);

stores.clients(
  "list_drafts and GET /api/drafts name no room the account left or was removed from, even when a set_draft's write lands after the leave; a rejoin shows it again",
  async (pool, server) => {
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    await ann.ok("create_room", { room: "plans", private: true });
    await ann.ok("invite", { room: "plans", user: "ben" });
    await ann.ok("create_room", { room: "dev" });
    await ben.ok("join_room", { room: "dev" });
    await ben.ok("set_draft", { room: "general", text: "stays" });
    await ann.ok("remove_member", { room: "plans", user: "ben" });
    await ben.ok("leave_room", { room: "dev" });
    // What a set_draft whose membership check passed just before the
    // removal and the leave writes after them: rows of rooms he left.
    const { store } = server.node;
    const benKey = (await server.node.accounts.find("ben"))!.key;
    for (const room of ["plans", "dev"]) {
      const stream = server.node.findRoom(room)!;
      const draft = { stream, text: `late in ${room}`, updatedAt: Date.now() };
      assert.equal(
        await store.setDraft(benKey, draft, MAX_DRAFTS),
        "written",
      );
    }
    const listed = (await ben.ok("list_drafts")).drafts as {
      room?: string;
    }[];
    assert.deepEqual(listed.map((d) => d.room), ["general"]);
    const rest = await call(server, "GET", "/api/drafts", {
      token: ben.token!,
    });
    assert.equal(rest.status, 200);
    assert.deepEqual(rest.body.drafts, listed);
    // The row is kept: joined again, the room shows its draft back.
    await ben.ok("join_room", { room: "dev" });
    const back = (await ben.ok("list_drafts")).drafts as { room?: string }[];
    assert.deepEqual(back.map((d) => d.room).sort(), ["dev", "general"]);
  },
);

stores.clients(
  "REST drafts: PUT sets a room's or a conversation's draft, GET /api/drafts lists them, DELETE clears one, and every socket of the account hears each",
  async (pool, server) => {
    const ann = await pool.register("ann");
    await pool.register("ben");
    const token = ann.token!;
    const set = await call(server, "PUT", "/api/rooms/general/draft", {
      token,
      body: { text: "see you at " },
    });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.equal(set.body.room, "general");
    assert.equal(set.body.text, "see you at ");
    assert.match(set.body.updated_at, ISO);
    // A request is no socket of hers: the one she has open hears it.
    const seen = await ann.event("draft", (d) => d.room === "general");
    assert.deepEqual(seen.data, set.body);
    const toBen = await call(server, "PUT", "/api/private/Ben/draft", {
      token,
      body: { text: "hi" },
    });
    assert.equal(toBen.status, 200, JSON.stringify(toBen.body));
    assert.deepEqual(toBen.body, {
      with: "Ben",
      text: "hi",
      updated_at: toBen.body.updated_at,
    });
    await ann.event("draft", (d) => d.with === "Ben" && d.text === "hi");

    const listed = await call(server, "GET", "/api/drafts", { token });
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.body, {
      drafts: [toBen.body, set.body],
    });
    assert.deepEqual(listed.body.drafts, (await ann.ok("list_drafts")).drafts);

    const cleared = await call(server, "DELETE", "/api/rooms/general/draft", {
      token,
    });
    assert.equal(cleared.status, 200);
    assert.equal(cleared.body.text, "");
    await ann.event("draft", (d) => d.room === "general" && d.text === "");
    const gone = await call(server, "DELETE", "/api/private/ben/draft", {
      token,
    });
    assert.equal(gone.status, 200);
    assert.deepEqual((await ann.ok("list_drafts")).drafts, []);
  },
);

stores.clients(
  "REST drafts are refused with the WebSocket's codes: no token, a room the account is not in, nobody of that name, past a message's length, no text",
  async (pool, server) => {
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    await ben.ok("create_room", { room: "secret", private: true });
    const token = ann.token!;
    const put = (path: string, body: unknown, auth = token) =>
      call(server, "PUT", path, { token: auth, body });
    const refusals: [
      Promise<{ status: number; body: { error: string } }>,
      number,
      string,
    ][] = [
      [call(server, "GET", "/api/drafts"), 401, "not_logged_in"],
      [put("/api/rooms/nowhere/draft", { text: "x" }), 404, "room_not_found"],
      [put("/api/rooms/secret/draft", { text: "x" }), 404, "room_not_found"],
      [
        call(server, "DELETE", "/api/rooms/secret/draft", { token }),
        404,
        "room_not_found",
      ],
      [
        put("/api/rooms/general/draft", { text: "é".repeat(4001) }),
        400,
        "message_too_long",
      ],
      [put("/api/rooms/general/draft", {}), 400, "invalid_message"],
      [put("/api/private/a%00b/draft", { text: "x" }), 400, "invalid_message"],
      [put("/api/private/nobody/draft", { text: "x" }), 404, "user_not_found"],
    ];
    for (const [answer, status, code] of refusals) {
      const { status: got, body } = await answer;
      assert.deepEqual([got, body.error], [status, code], JSON.stringify(body));
    }
    assert.deepEqual((await ann.ok("list_drafts")).drafts, []);
  },
);

stores.clients(
  "REST drafts draw on the account's set_draft bucket: past it, PUT gets 429 and the socket's set_draft rate_limited",
  async (pool, server) => {
    const ann = await pool.register("ann");
    await ann.ok("set_draft", { room: "general", text: "a" });
    const put = () =>
      call(server, "PUT", "/api/rooms/general/draft", {
        token: ann.token,
        body: { text: "b" },
      });
    for (let i = 1; i < SLOW.burst; i++) {
      assert.equal((await put()).status, 200);
    }
    const refused = await put();
    assert.equal(refused.status, 429, JSON.stringify(refused.body));
    assert.equal(refused.body.error, "rate_limited");
    await expectError(
      ann,
      "set_draft",
      { room: "general", text: "c" },
      "rate_limited",
    );
    // Reading them is any request's.
    assert.equal(
      (await call(server, "GET", "/api/drafts", { token: ann.token })).status,
      200,
    );
  },
  {
    rateLimits: {
      ...DEFAULT_RATE_LIMITS,
      perUser: { ...DEFAULT_RATE_LIMITS.perUser, draft: SLOW },
    },
  },
);

stores.database(
  "upgrading: the drafts a server of before kept of rooms their account had left are gone at the first start",
  (options) =>
    withUpgradedServer({
      options,
      async setUp(pool) {
        const ann = await pool.register("ann");
        await ann.ok("create_room", { room: "den" });
        await ann.ok("set_draft", { room: "general", text: "kept" });
        await ann.ok("set_draft", { room: "den", text: "kept too" });
        await pool.register("ben");
      },
      // What a server of before left: Ben's draft of den, which he left.
      old: leftBefore(
        LEFT_DRAFTS_MIGRATION,
        `INSERT INTO drafts (user_key, stream, text, updated_at)
           VALUES ('ben', 'den', 'left behind', 1)`,
      ),
    }, async (server) => {
      assert.deepEqual(await server.node.store.listDrafts("ben"), []);
      assert.deepEqual(
        (await server.node.store.listDrafts("ann")).map((d) => d.text).sort(),
        ["kept", "kept too"],
      );
    }),
);

stores.finish();
