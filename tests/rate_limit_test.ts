/**
 * Request rate limits (server/rate_limit.ts, applied by connection.ts)
 * against a real server: per-connection and per-user buckets,
 * retry_after_ms, and the strikes that close a flooding connection.
 */
import assert from "node:assert/strict";
import { NO_RATE_LIMITS } from "../server/mod.ts";
import {
  type BucketSpec,
  categoryOf,
  DEFAULT_RATE_LIMITS,
  type RateLimitConfig,
} from "../server/rate_limit.ts";
import {
  delay,
  expectError,
  historyOf,
  type Message,
  receivedTexts,
  roundTrip,
  withClients,
  within,
} from "./harness.ts";

/** Rate limits all off but these (strikes off unless given). */
function limits(options: {
  perConnection?: Partial<RateLimitConfig["perConnection"]>;
  perUser?: RateLimitConfig["perUser"];
  strikesBeforeDisconnect?: number;
}): RateLimitConfig {
  return {
    perConnection: {
      ...NO_RATE_LIMITS.perConnection,
      ...options.perConnection,
    },
    perUser: options.perUser ?? {},
    strikesBeforeDisconnect: options.strikesBeforeDisconnect ?? 0,
  };
}

/**
 * For tests that wait for the refill: one token back every 10 s. Their
 * burst is sent at once and limits apply on arrival, but the server may
 * still be held up between two frames: at two a second, a pause of 500 ms
 * there earned the next token back and the refusal did not come.
 */
const FIVE_THEN_ONE_IN_TEN_SECONDS: BucketSpec = {
  burst: 5,
  perSecond: 1 / 10,
};

/**
 * For tests that expect a refusal after several round trips: at two a
 * second, a busy machine taking 500 ms over them earned the next token back
 * and the refusal did not come. A minute per token leaves no such race.
 */
const FIVE_THEN_ONE_A_MINUTE: BucketSpec = { burst: 5, perSecond: 1 / 60 };

Deno.test("rate limits: the message over the burst gets rate_limited with retry_after_ms, the connection stays open", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    const started = performance.now();
    for (let i = 1; i <= 5; i++) {
      await alice.ok("send_message", { text: `m${i}` });
    }
    const refused = await expectError(
      alice,
      "send_message",
      { text: "m6" },
      "rate_limited",
    );
    const elapsed = performance.now() - started;
    // The wait is what is left of the minute the next token takes: the
    // bucket refilled for at most as long as the sends took.
    const wait = refused.data.retry_after_ms as number;
    assert.ok(
      Number.isInteger(wait) && wait <= 60_000 &&
        wait >= 60_000 - Math.ceil(elapsed),
      `${wait} after ${Math.round(elapsed)} ms`,
    );
    assert.equal(alice.closeCode, undefined);
    // Other kinds of request are not held back by the message budget.
    await alice.ok("list_rooms");
  }, {
    rateLimits: limits({ perConnection: { message: FIVE_THEN_ONE_A_MINUTE } }),
  }));

Deno.test("rate limits: a refused message is neither broadcast nor stored", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    const bob = await pool.guest("bob");
    const from = alice.received.length;
    // Sent at once, without waiting: the sixth and seventh are over.
    for (let i = 1; i <= 7; i++) {
      alice.send({
        action: "send_message",
        data: { text: `m${i}` },
        id: `s${i}`,
      });
    }
    await alice.waitFor((f) => f.id === "s7", "the last reply");
    const replies = alice.received.slice(from).filter((f) =>
      f.id?.startsWith("s")
    );
    assert.deepEqual(
      replies.map((f) => f.data.code ?? f.action),
      [
        "success",
        "success",
        "success",
        "success",
        "success",
        "rate_limited",
        "rate_limited",
      ],
    );
    await roundTrip(bob);
    await roundTrip(alice);
    const expected = ["m1", "m2", "m3", "m4", "m5"];
    assert.deepEqual(receivedTexts(bob), expected);
    assert.deepEqual(receivedTexts(alice), expected);
    const stored = await historyOf<Message>(bob, "general");
    assert.deepEqual(
      stored.map((m) => [m.seq, m.text]),
      expected.map((t, i) => [i + 1, t]),
    );
  }, {
    rateLimits: limits({ perConnection: { message: FIVE_THEN_ONE_A_MINUTE } }),
  }));

Deno.test("rate limits: after waiting retry_after_ms the sender can post again", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    for (let i = 1; i <= 5; i++) {
      alice.send({ action: "send_message", data: { text: `m${i}` } });
    }
    const refused = await expectError(
      alice,
      "send_message",
      { text: "m6" },
      "rate_limited",
    );
    await delay(refused.data.retry_after_ms as number);
    const sent = await alice.ok("send_message", { text: "m6 again" });
    assert.equal((sent.message as Message).seq, 6);
  }, {
    rateLimits: limits({
      perConnection: { message: FIVE_THEN_ONE_IN_TEN_SECONDS },
    }),
  }));

Deno.test("rate limits: two connections of one account share its per-user message budget", () =>
  withClients(async (pool) => {
    const first = await pool.register("carol");
    const second = await pool.login({ token: first.token });
    for (let i = 1; i <= 3; i++) {
      await first.ok("send_message", { text: `a${i}` });
    }
    for (let i = 1; i <= 2; i++) {
      await second.ok("send_message", { text: `b${i}` });
    }
    // Each connection alone is far under its own (unlimited) budget.
    await expectError(second, "send_message", { text: "b3" }, "rate_limited");
    await expectError(first, "send_message", { text: "a4" }, "rate_limited");
    // Another user is not affected.
    const dave = await pool.guest("dave");
    await dave.ok("send_message", { text: "d1" });
  }, { rateLimits: limits({ perUser: { message: FIVE_THEN_ONE_A_MINUTE } }) }));

Deno.test("rate limits: mark_read (and mark_unread) draws on a per-user bucket of its own: an account's connections together get rate_limited past it, while they still send and another account still marks", () =>
  withClients(async (pool) => {
    const alice = await pool.register("alice");
    const again = await pool.login({ token: alice.token });
    await alice.ok("send_message", { text: "one" });
    for (let i = 1; i <= 3; i++) {
      await alice.ok("mark_read", { room: "general", seq: 1 });
    }
    for (let i = 1; i <= 2; i++) {
      await again.ok("mark_read", { room: "general", seq: 1 });
    }
    // Each connection alone is far under its own (unlimited) budget.
    const refused = await expectError(
      again,
      "mark_read",
      { room: "general", seq: 1 },
      "rate_limited",
    );
    assert.ok((refused.data.retry_after_ms as number) > 0);
    await expectError(
      alice,
      "mark_read",
      { room: "general", seq: 1 },
      "rate_limited",
    );
    // mark_unread draws on the same bucket.
    await expectError(
      alice,
      "mark_unread",
      { room: "general", seq: 1 },
      "rate_limited",
    );
    await again.ok("send_message", { text: "still talking" });
    const bob = await pool.register("bob");
    await bob.ok("mark_read", { room: "general", seq: 2 });
  }, { rateLimits: limits({ perUser: { read: FIVE_THEN_ONE_A_MINUTE } }) }));

Deno.test("rate limits: by default an account's mark_reads are 100 at once, then 10 a second, whatever its connections", () => {
  assert.deepEqual(DEFAULT_RATE_LIMITS.perUser.read, {
    burst: 100,
    perSecond: 10,
  });
  assert.equal(categoryOf("mark_read"), "read");
});

Deno.test("rate limits: join_room and leave_room draw on a per-user bucket of their own: an account's connections together get rate_limited past it, while they still send and another account still joins", () =>
  withClients(async (pool) => {
    const alice = await pool.register("alice");
    const again = await pool.login({ token: alice.token });
    const bob = await pool.register("bob");
    await bob.ok("create_room", { room: "den" });
    await alice.ok("join_room", { room: "den" });
    await alice.ok("leave_room", { room: "den" });
    await alice.ok("join_room", { room: "den" });
    await again.ok("leave_room", { room: "den" });
    await again.ok("join_room", { room: "den" });
    // Each connection alone is far under its own (unlimited) budget.
    const refused = await expectError(
      again,
      "leave_room",
      { room: "den" },
      "rate_limited",
    );
    assert.ok((refused.data.retry_after_ms as number) > 0);
    await expectError(alice, "leave_room", { room: "den" }, "rate_limited");
    // Refused, she is still in the room: her message is heard there.
    await again.ok("send_message", { room: "den", text: "still here" });
    await bob.event("receive_message", (data) => data.text === "still here");
    const carol = await pool.register("carol");
    await carol.ok("join_room", { room: "den" });
  }, {
    rateLimits: limits({ perUser: { membership: FIVE_THEN_ONE_A_MINUTE } }),
  }));

Deno.test("rate limits: by default an account's join_room and leave_room are 100 at once, then 10 a second, whatever its connections", () => {
  assert.deepEqual(DEFAULT_RATE_LIMITS.perUser.membership, {
    burst: 100,
    perSecond: 10,
  });
  assert.equal(categoryOf("join_room"), "membership");
  assert.equal(categoryOf("leave_room"), "membership");
});

Deno.test("rate limits: list_drafts and GET /api/drafts draw on a per-user bucket of their own: an account's connections and tokens together get rate_limited past it, while they still set drafts and another account still lists", () =>
  withClients(async (pool, server) => {
    const alice = await pool.register("alice");
    const again = await pool.login({ token: alice.token });
    const api = (token: string) =>
      fetch(`${server.url}/api/drafts`, {
        headers: { authorization: `Bearer ${token}` },
      });
    await alice.ok("list_drafts");
    await again.ok("list_drafts");
    assert.equal((await (await api(alice.token!)).json()).drafts.length, 0);
    await alice.ok("list_drafts");
    await again.ok("list_drafts");
    // Each connection alone is far under its own (unlimited) budget.
    await expectError(again, "list_drafts", {}, "rate_limited");
    await expectError(alice, "list_drafts", {}, "rate_limited");
    const refused = await api(alice.token!);
    assert.equal(refused.status, 429);
    assert.equal((await refused.json()).error, "rate_limited");
    await alice.ok("set_draft", { room: "general", text: "still typing" });
    const bob = await pool.register("bob");
    await bob.ok("list_drafts");
  }, {
    rateLimits: limits({ perUser: { drafts: FIVE_THEN_ONE_A_MINUTE } }),
  }));

Deno.test("rate limits: by default an account's list_drafts are 20 at once, then 1 every 3 s, whatever its connections, as its list_conversations", () => {
  assert.deepEqual(DEFAULT_RATE_LIMITS.perUser.drafts, {
    burst: 20,
    perSecond: 1 / 3,
  });
  assert.deepEqual(
    DEFAULT_RATE_LIMITS.perUser.drafts,
    DEFAULT_RATE_LIMITS.perUser.conversations,
  );
  assert.equal(categoryOf("list_drafts"), "drafts");
});

Deno.test("rate limits: list_users draws on a socket's bucket of its own, not the one every other request shares: past it the lists get rate_limited while list_rooms still passes", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    for (let i = 0; i < 5; i++) await alice.ok("list_users");
    const refused = await expectError(alice, "list_users", {}, "rate_limited");
    assert.ok((refused.data.retry_after_ms as number) > 0);
    for (let i = 0; i < 5; i++) await alice.ok("list_rooms");
  }, {
    rateLimits: limits({
      perConnection: {
        users: FIVE_THEN_ONE_A_MINUTE,
        request: FIVE_THEN_ONE_A_MINUTE,
      },
    }),
  }));

Deno.test("rate limits: list_users and GET /api/rooms/:room/members draw on a per-user bucket of their own: an account's connections and tokens together get rate_limited past it, while they still list rooms and another account still lists", () =>
  withClients(async (pool, server) => {
    const alice = await pool.register("alice");
    const again = await pool.login({ token: alice.token });
    const api = (token: string) =>
      fetch(`${server.url}/api/rooms/general/members`, {
        headers: { authorization: `Bearer ${token}` },
      });
    await alice.ok("list_users");
    await again.ok("list_users");
    assert.deepEqual((await (await api(alice.token!)).json()).users, [
      "alice",
    ]);
    await alice.ok("list_users");
    await again.ok("list_users");
    // Each connection alone is far under its own (unlimited) budget.
    await expectError(again, "list_users", {}, "rate_limited");
    await expectError(alice, "list_users", {}, "rate_limited");
    const refused = await api(alice.token!);
    assert.equal(refused.status, 429);
    assert.equal((await refused.json()).error, "rate_limited");
    await alice.ok("list_rooms");
    const bob = await pool.register("bob");
    await bob.ok("list_users");
  }, {
    rateLimits: limits({ perUser: { users: FIVE_THEN_ONE_A_MINUTE } }),
  }));

Deno.test("rate limits: by default a socket's list_users are 200 at once, then 20 a second (a poll every 50 ms never waits), an account's 400, then 40", () => {
  assert.deepEqual(DEFAULT_RATE_LIMITS.perConnection.users, {
    burst: 200,
    perSecond: 20,
  });
  assert.deepEqual(DEFAULT_RATE_LIMITS.perUser.users, {
    burst: 400,
    perSecond: 40,
  });
  assert.equal(categoryOf("list_users"), "users");
});

Deno.test("rate limits: the tenth refusal within 10 s closes the connection with 1008, after its reply", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    const bob = await pool.guest("bob");
    for (let i = 1; i <= 14; i++) {
      alice.send({
        action: "send_message",
        data: { text: `m${i}` },
        id: `s${i}`,
      });
    }
    await alice.waitFor((f) => f.id === "s14", "the 14th reply");
    // Nine strikes: still open.
    await alice.ok("list_rooms");
    assert.equal(alice.closeCode, undefined);
    alice.send({ action: "send_message", data: { text: "m15" }, id: "s15" });
    const closed = await within(60_000, alice.closed, "close");
    assert.equal(closed.code, 1008);
    const codes = alice.received.filter((f) => f.id?.startsWith("s")).map((f) =>
      f.data.code ?? f.action
    );
    assert.deepEqual(codes, [
      ...Array(5).fill("success"),
      ...Array(10).fill("rate_limited"),
    ]);
    await bob.event("system", (d) => d.kind === "left" && d.user === "alice");
  }, {
    rateLimits: limits({
      perConnection: { message: FIVE_THEN_ONE_A_MINUTE },
      strikesBeforeDisconnect: 10,
    }),
  }));

Deno.test("rate limits: create_room has its own bucket, messages and joins still pass", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    await alice.ok("create_room", { room: "one" });
    await alice.ok("create_room", { room: "two" });
    const refused = await expectError(
      alice,
      "create_room",
      { room: "three" },
      "rate_limited",
    );
    assert.ok((refused.data.retry_after_ms as number) > 0);
    await alice.ok("send_message", { text: "still talking" });
    await alice.ok("join_room", { room: "one" });
    const rooms = (await alice.ok("list_rooms")).rooms as { name: string }[];
    assert.deepEqual(rooms.map((r) => r.name), ["general", "one", "two"]);
  }, {
    rateLimits: limits({
      perConnection: {
        room: { burst: 2, perSecond: 0.1 },
        message: FIVE_THEN_ONE_IN_TEN_SECONDS,
      },
    }),
  }));

Deno.test("rate limits: login attempts have their own bucket: the fourth is refused, then allowed after the wait", () =>
  withClients(async (pool) => {
    const client = await pool.connect();
    // Sent at once: limits apply on arrival, so the refill (a token every
    // 10 s, not to be earned during a busy machine's pause between two of
    // these frames) has no round trips to catch up during.
    const from = client.received.length;
    for (let i = 1; i <= 3; i++) {
      client.send({ action: "login", data: { username: "" }, id: `l${i}` });
    }
    client.send({ action: "login", data: { username: "alice" }, id: "l4" });
    const refused = await client.waitFor((f) => f.id === "l4", "l4's reply");
    const codes = client.received.slice(from)
      .filter((f) => f.id?.startsWith("l"))
      .map((f) => f.data.code ?? f.action);
    assert.deepEqual(codes, [
      "username_invalid",
      "username_invalid",
      "username_invalid",
      "rate_limited",
    ]);
    // Other requests are answered as usual.
    await expectError(client, "list_rooms", undefined, "not_logged_in");
    await delay(refused.data.retry_after_ms as number);
    await client.ok("login", { username: "alice" });
  }, {
    rateLimits: limits({
      perConnection: { login: { burst: 3, perSecond: 1 / 10 } },
    }),
    // Not logged in through that wait: the login timeout (10 s by default)
    // must not close the connection first.
    loginTimeoutSeconds: 60,
  }));

Deno.test("rate limits: an account's logins share one bucket across sockets: past 20 at once they get rate_limited, another account still logs in", () =>
  withClients(async (pool) => {
    const carol = await pool.register("carol");
    const dave = await pool.register("dave");
    const codes: string[] = [];
    let refused: Record<string, unknown> | undefined;
    // One every 3 s refills: 60 logins would have to take a minute for the
    // refusal not to come within them, on any machine.
    while (refused === undefined && codes.length < 60) {
      const socket = await pool.connect();
      const reply = await socket.request("login", { token: carol.token });
      codes.push(reply.data.code ?? reply.action);
      if (reply.data.code === "rate_limited") refused = reply.data;
      await socket.close();
    }
    assert.ok(refused, `never refused: ${codes.join(", ")}`);
    // The register was the first of the 20; no other code came before.
    assert.ok(codes.length >= 20, `refused after ${codes.length - 1} logins`);
    assert.deepEqual(new Set(codes.slice(0, -1)), new Set(["success"]));
    assert.ok((refused.retry_after_ms as number) > 0);
    // The socket logged in already is untouched; another account logs in.
    await carol.ok("list_rooms");
    await pool.login({ token: dave.token });
  }));
