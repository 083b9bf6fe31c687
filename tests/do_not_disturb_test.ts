/**
 * Do not disturb: `set_do_not_disturb`, the `do_not_disturb` event, the
 * login's `do_not_disturb` and `GET`/`PUT /api/do-not-disturb`, through a
 * real server. What it does to Web Push is in push_test.ts.
 */
import assert from "node:assert/strict";
import { MAX_DO_NOT_DISTURB_MS } from "../server/handlers/do_not_disturb.ts";
import { call } from "./api_helpers.ts";
import {
  ClientPool,
  expectError,
  roundTrip,
  startTestServer,
  type TestClient,
  type TestServer,
} from "./harness.ts";

const HOUR = 3_600_000;

/** The `do_not_disturb` of a client's login reply. */
function loginPause(client: TestClient): unknown {
  const reply = client.received.find((f) =>
    f.data.request === "login" || f.data.request === "register"
  )!;
  return reply.data.do_not_disturb;
}

async function withServer(
  body: (server: TestServer, pool: ClientPool) => Promise<void>,
): Promise<void> {
  const server = await startTestServer();
  const pool = new ClientPool(server.wsUrl);
  try {
    await body(server, pool);
  } finally {
    await pool.closeAll();
    await server.close();
  }
}

Deno.test("set_do_not_disturb: the account's other devices get the pause, a later login carries it, null resumes everywhere; other accounts hear nothing", async () => {
  await withServer(async (_server, pool) => {
    const ann = await pool.register("ann");
    assert.equal(loginPause(ann), null);
    const phone = await pool.login({ token: ann.token });
    const ben = await pool.register("ben");
    const until = Date.now() + HOUR;
    assert.deepEqual(await ann.ok("set_do_not_disturb", { until }), {
      request: "set_do_not_disturb",
      until,
    });
    const seen = await phone.event("do_not_disturb", (d) => d.until === until);
    assert.deepEqual(seen.data, { until });
    const laptop = await pool.login({ token: ann.token });
    assert.equal(loginPause(laptop), until);

    await laptop.ok("set_do_not_disturb", { until: null });
    for (const device of [ann, phone]) {
      await device.event("do_not_disturb", (d) => d.until === null);
    }
    assert.equal(loginPause(await pool.login({ token: ann.token })), null);
    // The sender never hears its own; other accounts never hear any.
    await roundTrip(ann);
    assert.deepEqual(
      ann.events("do_not_disturb").map((f) => f.data.until),
      [null],
    );
    await roundTrip(ben);
    assert.deepEqual(ben.events("do_not_disturb"), []);
  });
});

Deno.test("set_do_not_disturb refuses with a clear code a time past, one more than 7 days ahead, a missing or non-number until, and guests", async () => {
  await withServer(async (_server, pool) => {
    const ann = await pool.register("ann");
    const now = Date.now();
    for (
      const data of [
        { until: now - 1 },
        { until: now + MAX_DO_NOT_DISTURB_MS + HOUR },
        {},
        { until: "tomorrow" },
        { until: now + 0.5 },
      ]
    ) {
      const reply = await expectError(
        ann,
        "set_do_not_disturb",
        data,
        "invalid_message",
      );
      assert.match(String(reply.data.message), /until/);
    }
    assert.equal(loginPause(await pool.login({ token: ann.token })), null);
    const gus = await pool.guest("gus");
    await expectError(
      gus,
      "set_do_not_disturb",
      { until: now + HOUR },
      "forbidden",
    );
    assert.equal(loginPause(gus), undefined);
  });
});

Deno.test("do not disturb whose time has passed reads as null in the login and over HTTP", async () => {
  await withServer(async (server, pool) => {
    const ann = await pool.register("ann");
    // A pause that ended a minute ago, as the store keeps it.
    await server.node.store.setDoNotDisturb("ann", Date.now() - 60_000);
    assert.equal(loginPause(await pool.login({ token: ann.token })), null);
    const read = await call(server, "GET", "/api/do-not-disturb", {
      token: ann.token,
    });
    assert.equal(read.status, 200);
    assert.deepEqual(read.body, { until: null });
  });
});

Deno.test("/api/do-not-disturb: PUT sets the caller's pause with the WebSocket's rules and its sockets hear it; GET reads it", async () => {
  await withServer(async (server, pool) => {
    const ann = await pool.register("ann");
    const until = Date.now() + 2 * HOUR;
    const set = await call(server, "PUT", "/api/do-not-disturb", {
      token: ann.token,
      body: { until },
    });
    assert.equal(set.status, 200);
    assert.deepEqual(set.body, { until });
    await ann.event("do_not_disturb", (d) => d.until === until);
    const read = await call(server, "GET", "/api/do-not-disturb", {
      token: ann.token,
    });
    assert.deepEqual(read.body, { until });
    const past = await call(server, "PUT", "/api/do-not-disturb", {
      token: ann.token,
      body: { until: Date.now() - HOUR },
    });
    assert.equal(past.status, 400);
    assert.equal((past.body as { error: string }).error, "invalid_message");
    const nobody = await call(server, "GET", "/api/do-not-disturb");
    assert.equal(nobody.status, 401);
  });
});
