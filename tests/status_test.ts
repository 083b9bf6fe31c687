/**
 * Custom statuses: `set_status`, `get_status`, the `status` event, the
 * login's `status` and `GET`/`PUT /api/me/status`, through a real server,
 * on SQLite and, when PostgreSQL is installed, on a database of its own.
 * Across nodes: scaleout_test.ts.
 */
import assert from "node:assert/strict";
import { MAX_DO_NOT_DISTURB_MS } from "../server/handlers/do_not_disturb.ts";
import { DEFAULT_RATE_LIMITS, NO_RATE_LIMITS } from "../server/rate_limit.ts";
import { call } from "./api_helpers.ts";
import { bothStores } from "./both_stores.ts";
import { expectError, roundTrip, type TestClient } from "./harness.ts";
import { STATUS_MIGRATION } from "./store_contract/support.ts";
import { withUpgradedServer } from "./upgraded_server.ts";

const stores = await bothStores();

const HOUR = 3_600_000;

/** The `status` of a client's login reply. */
function loginStatus(client: TestClient): unknown {
  const reply = client.received.find((f) =>
    f.data.request === "login" || f.data.request === "register"
  )!;
  return reply.data.status;
}

stores.clients(
  "set_status: every other connection sees it beside the name at once, the account's other devices too; a later login and get_status carry it; clearing it reaches them all",
  async (pool) => {
    const ann = await pool.register("ann");
    assert.equal(loginStatus(ann), null);
    const phone = await pool.login({ token: ann.token });
    const ben = await pool.register("ben");
    const gus = await pool.guest("gus");
    const until = Date.now() + HOUR;
    const status = { text: "In a meeting", emoji: "📅", until };
    assert.deepEqual(
      await ann.ok("set_status", {
        text: " In a meeting ",
        emoji: "📅",
        until,
      }),
      { request: "set_status", status },
    );
    for (const other of [phone, ben, gus]) {
      const seen = await other.event("status", (d) => d.user === "ann");
      assert.deepEqual(seen.data, { user: "ann", status });
    }
    assert.deepEqual(
      loginStatus(await pool.login({ token: ann.token })),
      status,
    );
    assert.deepEqual(
      await gus.ok("get_status", { users: ["ANN", "ben", "nobody", "ann"] }),
      { request: "get_status", statuses: [{ user: "ANN", status }] },
    );

    await phone.ok("set_status", { text: "" });
    for (const other of [ann, ben, gus]) {
      await other.event("status", (d) => d.user === "ann" && d.status === null);
    }
    assert.deepEqual(
      (await ben.ok("get_status", { users: ["ann"] })).statuses,
      [],
    );
    // The setter's own socket hears only its reply.
    await roundTrip(ann);
    assert.deepEqual(
      ann.events("status").map((f) => f.data.status),
      [null],
    );
  },
);

stores.clients(
  "an account deleted takes its status with it: every connection hears it cleared, so the name's next holder (a guest) is not shown it",
  async (pool) => {
    const root = await pool.register("root");
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    await ann.ok("set_status", { text: "On holiday", emoji: "🌴" });
    await ben.event("status", (d) => d.user === "ann" && d.status !== null);
    await root.ok("delete_account", { user: "ann", messages: "keep" });
    for (const other of [root, ben]) {
      await other.event("status", (d) => d.user === "ann" && d.status === null);
    }
    const guest = await pool.guest("ann");
    assert.deepEqual(
      (await ben.ok("get_status", { users: ["ann"] })).statuses,
      [],
    );
    await guest.close();
  },
);

stores.clients(
  "set_status takes an emoji alone, a :name: of the built-in set, and no until for a status kept until cleared",
  async (pool) => {
    const ann = await pool.register("ann");
    const sick = await ann.ok("set_status", { emoji: ":thumbsup:" });
    assert.deepEqual(sick.status, { text: "", emoji: "👍", until: null });
    const ben = await pool.register("ben");
    assert.deepEqual(
      (await ben.ok("get_status", { users: ["ann"] })).statuses,
      [
        { user: "ann", status: { text: "", emoji: "👍", until: null } },
      ],
    );
    const plain = await ann.ok("set_status", { text: "Out sick" });
    assert.deepEqual(plain.status, {
      text: "Out sick",
      emoji: null,
      until: null,
    });
  },
);

stores.clients(
  "set_status refuses with invalid_message a long, two-line, disguised or control-character text, a bad emoji and an until past or over 7 days ahead; guests get forbidden; nothing changes",
  async (pool) => {
    const ann = await pool.register("ann");
    await ann.ok("set_status", { text: "Focusing" });
    const now = Date.now();
    for (
      const data of [
        { text: "x".repeat(101) },
        { text: "two\nlines" },
        { text: "bell\u0007" },
        { text: "\u202Emaps" },
        { text: "wait", emoji: "not an emoji" },
        { text: "wait", emoji: "👍👍" },
        { text: "wait", until: now - 1 },
        { text: "wait", until: now + MAX_DO_NOT_DISTURB_MS + HOUR },
        { text: 7 },
      ]
    ) {
      await expectError(ann, "set_status", data, "invalid_message");
    }
    // 100 characters, emoji counted as one each, pass.
    await ann.ok("set_status", { text: "🌴".repeat(100) });
    await ann.ok("set_status", { text: "Focusing" });
    const gus = await pool.guest("gus");
    await expectError(gus, "set_status", { text: "hi" }, "forbidden");
    assert.equal(loginStatus(gus), undefined);
    for (const data of [{}, { users: [] }, { users: "ann" }]) {
      await expectError(gus, "get_status", data, "invalid_message");
    }
    const users = Array.from({ length: 101 }, (_, i) => `u${i}`);
    await expectError(gus, "get_status", { users }, "invalid_message");
    assert.deepEqual(
      (await gus.ok("get_status", { users: ["ann"] })).statuses,
      [{ user: "ann", status: { text: "Focusing", emoji: null, until: null } }],
    );
  },
  // Each refusal draws on set_status's bucket too.
  { rateLimits: NO_RATE_LIMITS },
);

stores.clients(
  "a status whose until has passed is never shown: not in the login, not in get_status, not over HTTP",
  async (pool, server) => {
    const ann = await pool.register("ann");
    // One that ended a minute ago, as the store keeps it.
    await server.node.store.setStatus("ann", {
      text: "In a meeting",
      emoji: null,
      until: Date.now() - 60_000,
    });
    assert.equal(loginStatus(await pool.login({ token: ann.token })), null);
    assert.deepEqual(
      (await ann.ok("get_status", { users: ["ann"] })).statuses,
      [],
    );
    const read = await call(server, "GET", "/api/me/status", {
      token: ann.token,
    });
    assert.equal(read.status, 200);
    assert.deepEqual(read.body, { status: null });
  },
);

stores.clients(
  "/api/me/status: PUT sets the caller's status with the WebSocket's rules and the sockets hear it; GET reads it",
  async (pool, server) => {
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    const status = { text: "On holiday", emoji: "🌴", until: null };
    const set = await call(server, "PUT", "/api/me/status", {
      token: ann.token,
      body: { text: "On holiday", emoji: "🌴" },
    });
    assert.equal(set.status, 200);
    assert.deepEqual(set.body, { status });
    for (const socket of [ann, ben]) {
      await socket.event("status", (d) => d.user === "ann");
    }
    const read = await call(server, "GET", "/api/me/status", {
      token: ann.token,
    });
    assert.deepEqual(read.body, { status });
    const bad = await call(server, "PUT", "/api/me/status", {
      token: ann.token,
      body: { text: "a\nb" },
    });
    assert.equal(bad.status, 400);
    assert.equal((bad.body as { error: string }).error, "invalid_message");
    const nobody = await call(server, "GET", "/api/me/status");
    assert.equal(nobody.status, 401);
  },
);

const SLOW = { burst: 3, perSecond: 1 / 3600 };

stores.clients(
  "set_status has a rate limit of its own: past its bucket it is rate_limited, and other requests still pass",
  async (pool) => {
    const ann = await pool.register("ann");
    for (let i = 0; i < SLOW.burst; i++) {
      await ann.ok("set_status", { text: `x${i}` });
    }
    await expectError(ann, "set_status", { text: "more" }, "rate_limited");
    await ann.ok("set_draft", { room: "general", text: "still here" });
    await ann.ok("get_status", { users: ["ann"] });
  },
  {
    rateLimits: {
      ...DEFAULT_RATE_LIMITS,
      perConnection: { ...DEFAULT_RATE_LIMITS.perConnection, status: SLOW },
    },
  },
);

stores.database(
  "upgrading: an account of a server of before has no status after the first start, and may set one",
  (options) =>
    withUpgradedServer({
      options,
      async setUp(pool) {
        await pool.register("ann");
      },
      old: {
        marker: STATUS_MIGRATION,
        postgres: () => Promise.resolve(),
        sqlite: () => {},
      },
    }, async (server) => {
      // The rewind dropped the columns: the migration made them again.
      const store = server.node.store;
      assert.deepEqual(await store.statuses(["ann"]), []);
      const status = { text: "Back", emoji: null, until: null };
      assert.equal(await store.setStatus("ann", status), true);
      assert.deepEqual(await store.statuses(["ann"]), [
        { userKey: "ann", ...status },
      ]);
    }),
);

stores.finish();
