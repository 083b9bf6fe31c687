/**
 * The user directory (docs/protocol.md, `find_people`, `GET /api/people`):
 * accounts by the start of their name, folded as names are, online ones
 * first; guests and bad input refused; a bucket of its own.
 */
import assert from "node:assert/strict";
import { DEFAULT_RATE_LIMITS } from "../server/rate_limit.ts";
import { accountWithToken, call } from "./api_helpers.ts";
import {
  ClientPool,
  expectError,
  TEST_PASSWORD,
  type TestClient,
  withClients,
  withPool,
  withServer,
} from "./harness.ts";

/** The people a `find_people` finds, as [name, online] pairs in order. */
async function found(
  client: TestClient,
  data: Record<string, unknown>,
): Promise<[string, boolean][]> {
  const reply = await client.ok("find_people", data);
  return (reply.people as { username: string; online: boolean }[])
    .map((p) => [p.username, p.online]);
}

Deno.test("find_people: finds accounts by the start of the name, any case, online ones first, among those who share a room with the caller or are in a public one", () =>
  withServer((server) =>
    withPool(server, async (pool) => {
      const alice = await pool.register("alice");
      // Made over HTTP, never connected: offline, and in general from its
      // creation, as every account is.
      await accountWithToken(server, "Bobby");
      await alice.ok("create_room", { room: "team", private: true });
      await alice.ok("invite", { room: "team", user: "Bobby" });
      await pool.register("Boris");
      const bob = await pool.register("bob");
      await pool.register("carol");
      const online: [string, boolean][] = [
        ["bob", true],
        ["Boris", true],
        ["Bobby", false],
      ];
      assert.deepEqual(await found(alice, { query: "BO" }), online);
      assert.deepEqual(await found(alice, { query: " @bo " }), online);
      assert.deepEqual(await found(alice, { query: "bob" }), [
        ["bob", true],
        ["Bobby", false],
      ]);
      assert.deepEqual(await found(alice, { query: "bo", limit: 1 }), [
        ["bob", true],
      ]);
      assert.deepEqual(await found(alice, { query: "al" }), []);
      assert.deepEqual(await found(alice, { query: "zed" }), []);
      // Folded as names are compared: full-width letters meet plain ones.
      assert.deepEqual(await found(alice, { query: "ＣＡＲ" }), [
        ["carol", true],
      ]);
      // bob shares only general, a public room, with Boris and Bobby.
      assert.deepEqual(await found(bob, { query: "bo" }), [
        ["Boris", true],
        ["Bobby", false],
      ]);
    })
  ));

Deno.test("find_people: a guest gets forbidden, and an empty or overlong name or a limit out of bounds invalid_message", () =>
  withClients(async (pool) => {
    const guest = await pool.guest("visitor");
    const error = await expectError(
      guest,
      "find_people",
      { query: "a" },
      "forbidden",
    );
    assert.match(String(error.data.message), /account/);
    const alice = await pool.register("alice");
    for (
      const data of [
        {},
        { query: "" },
        { query: "  " },
        { query: "@" },
        { query: "a".repeat(33) },
        { query: 7 },
        { query: "a\0" },
        { query: "a", limit: 0 },
        { query: "a", limit: 21 },
        { query: "a", limit: 1.5 },
      ]
    ) {
      await expectError(alice, "find_people", data, "invalid_message");
    }
  }));

Deno.test("find_people: its own bucket runs out without touching the others'", () =>
  withClients(async (pool) => {
    const alice = await pool.register("alice");
    await pool.register("bob");
    for (let i = 0; i < 3; i++) await found(alice, { query: "b" });
    const refused = await expectError(
      alice,
      "find_people",
      { query: "b" },
      "rate_limited",
    );
    assert.ok((refused.data.retry_after_ms as number) > 0);
    // Other requests still pass.
    await alice.ok("list_rooms", {});
  }, {
    rateLimits: {
      ...DEFAULT_RATE_LIMITS,
      perConnection: {
        ...DEFAULT_RATE_LIMITS.perConnection,
        people: { burst: 3, perSecond: 1 / 3600 },
      },
    },
  }));

Deno.test("GET /api/people: the same directory over HTTP with the account's token; none without one", () =>
  withServer((server) =>
    withPool(server, async (pool) => {
      const alice = await pool.register("alice");
      const bob = await pool.register("bob");
      await accountWithToken(server, "bobby");
      await alice.ok("create_room", { room: "team", private: true });
      await alice.ok("invite", { room: "team", user: "bobby" });
      const asked = await call(server, "GET", "/api/people?q=BO&limit=5", {
        token: alice.token,
      });
      assert.equal(asked.status, 200, JSON.stringify(asked.body));
      assert.deepEqual(asked.body, {
        people: [
          { username: "bob", online: true },
          { username: "bobby", online: false },
        ],
      });
      const { request: _, ...over } = await bob.ok("find_people", {
        query: "al",
      });
      assert.deepEqual(over, { people: [{ username: "alice", online: true }] });
      // An account made over HTTP that never logged in belongs to general
      // from its creation: it is found, offline.
      await accountWithToken(server, "albert");
      assert.deepEqual(await found(bob, { query: "al" }), [
        ["alice", true],
        ["albert", false],
      ]);
      const empty = await call(server, "GET", "/api/people?q=", {
        token: alice.token,
      });
      assert.equal(empty.status, 400);
      assert.equal(empty.body.error, "invalid_message");
      const anonymous = await call(server, "GET", "/api/people?q=bo");
      assert.equal(anonymous.status, 401);
    })
  ));

Deno.test("find_people: someone online comes first however many accounts share the prefix before them in name order", () =>
  withServer((server) =>
    withPool(server, async (pool) => {
      const alice = await pool.register("alice");
      // 150 offline accounts whose names sort before "bz", written to the
      // store as registration would (each in general from its creation).
      for (let i = 0; i < 150; i++) {
        const key = `b${String(i).padStart(3, "0")}`;
        await server.node.store.createAccount({
          key,
          username: key,
          passwordHash: "never logs in",
          role: "user",
        });
      }
      await pool.register("bz");
      assert.deepEqual(await found(alice, { query: "b", limit: 3 }), [
        ["bz", true],
        ["b000", false],
        ["b001", false],
      ]);
    })
  ));

Deno.test("find_people: an account banned from the server is not listed while the ban lasts; a room ban keeps it", () =>
  withServer((server) =>
    withPool(server, async (pool) => {
      const root = await pool.register("root");
      await pool.register("bob");
      await accountWithToken(server, "bobby");
      await root.ok("create_room", { room: "dev" });
      await root.ok("ban", { user: "bobby", reason: "spam" });
      await root.ok("ban", { user: "bob", room: "dev" });
      assert.deepEqual(await found(root, { query: "bo" }), [["bob", true]]);
      const asked = await call(server, "GET", "/api/people?q=bo", {
        token: root.token,
      });
      assert.deepEqual(asked.body, {
        people: [{ username: "bob", online: true }],
      });
      await root.ok("unban", { user: "bobby" });
      assert.deepEqual(await found(root, { query: "bo" }), [
        ["bob", true],
        ["bobby", false],
      ]);
    })
  ));
/** Default limits with the directory's buckets made small. */
function smallDirectory(
  people: {
    perConnection?: number;
    perUser?: number;
    perAddress?: number;
  },
): typeof DEFAULT_RATE_LIMITS {
  const spent = (burst: number) => ({ burst, perSecond: 1 / 3600 });
  const d = DEFAULT_RATE_LIMITS;
  return {
    ...d,
    perConnection: {
      ...d.perConnection,
      ...(people.perConnection ? { people: spent(people.perConnection) } : {}),
    },
    perUser: {
      ...d.perUser,
      ...(people.perUser ? { people: spent(people.perUser) } : {}),
    },
    perAddress: {
      ...d.perAddress,
      ...(people.perAddress ? { people: spent(people.perAddress) } : {}),
    },
  };
}

// list_members of general names every account, 20 at a time by prefix: a
// script walking the prefixes listed 2,000 accounts in 0.7 s (973 requests
// on one guest's socket, at the 200/s any request may) where find_people
// holds an account to 10 a second.
Deno.test("list_members draws on the directory's bucket: a script walking prefixes goes at find_people's pace, not at any request's", () =>
  withClients(async (pool) => {
    const alice = await pool.register("alice");
    await pool.register("bob");
    for (let i = 0; i < 3; i++) await alice.ok("list_members", { prefix: "b" });
    const refused = await expectError(
      alice,
      "list_members",
      { prefix: "c" },
      "rate_limited",
    );
    assert.ok((refused.data.retry_after_ms as number) > 0);
    await expectError(alice, "find_people", { query: "b" }, "rate_limited");
    await alice.ok("list_rooms", {});
  }, { rateLimits: smallDirectory({ perConnection: 3 }) }));

Deno.test("list_members by guests draws on their address's directory bucket: new sockets and names from it start with what is left", () =>
  withServer(async (server) => {
    const from = (address: string) =>
      new ClientPool(server.wsUrl, {
        headers: { "x-forwarded-for": address },
      });
    const school = from("198.51.100.7");
    const elsewhere = from("198.51.100.8");
    try {
      await school.register("bob");
      const first = await school.guest("visitor1");
      await first.ok("list_members", { prefix: "b" });
      await first.ok("list_members", { prefix: "bo" });
      const second = await school.guest("visitor2");
      await second.ok("list_members", { prefix: "b" });
      const refused = await expectError(
        second,
        "list_members",
        { prefix: "a" },
        "rate_limited",
      );
      assert.match(String(refused.data.message), /account/);
      // Another address has its own; an account its own user's.
      const away = await elsewhere.guest("visitor3");
      assert.deepEqual((await away.ok("list_members", {})).members, ["bob"]);
      const bob = await school.login({
        username: "bob",
        password: TEST_PASSWORD,
      });
      await bob.ok("list_members", { prefix: "b" });
    } finally {
      await school.closeAll();
      await elsewhere.closeAll();
    }
  }, { trustProxy: true, rateLimits: smallDirectory({ perAddress: 3 }) }));

Deno.test("GET /api/rooms/:room/accounts draws on the account's directory bucket, as GET /api/people does", () =>
  withServer(async (server) => {
    const bot = await accountWithToken(server, "bot");
    const ask = (path: string) =>
      call(server, "GET", path, { token: bot.token });
    assert.equal(
      (await ask("/api/rooms/general/accounts?prefix=b")).status,
      200,
    );
    assert.equal((await ask("/api/people?q=b")).status, 200);
    const refused = await ask("/api/rooms/general/accounts?prefix=c");
    assert.equal(refused.status, 429, JSON.stringify(refused.body));
    assert.equal(refused.body.error, "rate_limited");
    assert.equal((await ask("/api/rooms")).status, 200);
  }, { rateLimits: smallDirectory({ perUser: 2 }) }));
