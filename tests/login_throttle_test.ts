/**
 * The throttle on password logins (docs/protocol.md, Accounts over HTTP):
 * an attempt counts before its password is checked, so attempts sent all
 * at once cannot slip past the limits; guesses from elsewhere slow a name
 * down but never lock its owner out. Several client addresses are played
 * with `--trust-proxy` and X-Forwarded-For.
 *
 * Password checks wait their turn behind each other (two at a time), so
 * every reply that needs one is awaited as long as the machine takes.
 */
import assert from "node:assert/strict";
import {
  ClientPool,
  expectError,
  type Frame,
  type PageReply,
  PATIENT_WAIT_MS,
  postAsPage,
  TEST_PASSWORD,
  TestClient,
  type TestServer,
  withClients,
} from "./harness.ts";

const patiently = { timeoutMs: PATIENT_WAIT_MS };

/** POSTs JSON as the web client does, from `address` when the server trusts the proxy. */
function post(
  server: TestServer,
  path: string,
  body: unknown,
  address?: string,
): Promise<PageReply> {
  return postAsPage(server.url, path, {
    body,
    headers: address === undefined ? {} : { "x-forwarded-for": address },
  });
}

/** A socket that sends one `login` at once; its reply is awaited later. */
async function attempt(
  pool: ClientPool,
  data: Record<string, unknown>,
  address?: string,
): Promise<{ client: TestClient; reply: Promise<Frame> }> {
  const client = await pool.connect(
    address === undefined
      ? undefined
      : { headers: { "x-forwarded-for": address } },
  );
  client.send({ action: "login", data, id: "try" });
  const reply = client.waitFor((f) => f.id === "try", "login reply", patiently);
  // A socket closed before its reply is a test that moved on.
  reply.catch(() => {});
  return { client, reply };
}

/** Resolves once `count` of the replies have the error code `code`. */
function whenCounted(
  replies: Promise<Frame>[],
  code: string,
  count: number,
): Promise<void> {
  const { promise, resolve } = Promise.withResolvers<void>();
  let seen = 0;
  for (const reply of replies) {
    reply.then((frame) => {
      if (frame.data.code === code && ++seen === count) resolve();
    }, () => {});
  }
  return promise;
}

Deno.test("login: 60 wrong passwords sent at once for one name from one address get 5 checked and 55 rate_limited", () =>
  withClients(async (_pool, server) => {
    await post(server, "/api/register", {
      username: "alice",
      password: TEST_PASSWORD,
    });
    const replies = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        post(server, "/api/login", {
          username: "alice",
          password: `wrong password ${i}`,
        })),
    );
    const statuses = replies.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 401).length, 5);
    assert.equal(statuses.filter((s) => s === 429).length, 55);
    for (const reply of replies.filter((r) => r.status === 429)) {
      assert.equal(reply.body!.error, "rate_limited");
      assert.match(reply.body!.message as string, /try again in \d+ s/);
    }
  }));

Deno.test("login: 10 wrong passwords sent at once over WebSocket get 5 bad_credentials and 5 rate_limited", () =>
  withClients(async (pool) => {
    await pool.register("alice");
    const tries = await Promise.all(
      Array.from(
        { length: 10 },
        (_, i) => attempt(pool, { username: "alice", password: `wrong ${i}` }),
      ),
    );
    const codes = (await Promise.all(tries.map((t) => t.reply)))
      .map((f) => f.data.code).sort();
    assert.deepEqual(codes, [
      ...Array(5).fill("bad_credentials"),
      ...Array(5).fill("rate_limited"),
    ]);
  }));

Deno.test("login: the right password sent with 23 wrong ones, before they are answered, gets rate_limited", () =>
  withClients(async (_pool, server) => {
    await post(server, "/api/register", {
      username: "alice",
      password: TEST_PASSWORD,
    });
    const wrong = Array.from(
      { length: 23 },
      (_, i) =>
        post(server, "/api/login", {
          username: "alice",
          password: `wrong password ${i}`,
        }),
    );
    // Eighteen refusals mean all 23 arrived: five are being checked.
    const refused = Promise.withResolvers<void>();
    let count = 0;
    for (const reply of wrong) {
      reply.then((r) => {
        if (r.status === 429 && ++count === 18) refused.resolve();
      });
    }
    await refused.promise;
    const right = await post(server, "/api/login", {
      username: "alice",
      password: TEST_PASSWORD,
    });
    assert.equal(right.status, 429);
    assert.equal(right.body!.error, "rate_limited");
    const statuses = (await Promise.all(wrong)).map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 401).length, 5);
  }));

Deno.test("login: guesses from ten other addresses slow the owner down but never lock it out, over HTTP and WebSocket", () =>
  withClients(async (pool, server) => {
    const owner = "10.0.0.1";
    const created = await post(server, "/api/register", {
      username: "alice",
      password: TEST_PASSWORD,
    }, owner);
    assert.equal(created.status, 201);
    // Six guesses from each of ten addresses: five each are admitted (50
    // for the name, its slow-down threshold), the sixth is refused.
    const guessers = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        attempt(
          pool,
          { username: "alice", password: `guess ${i}` },
          `10.9.0.${i % 10 + 1}`,
        )),
    );
    await whenCounted(guessers.map((g) => g.reply), "rate_limited", 10);
    // Gone before their checks: those checks are dropped, still counted.
    await Promise.all(guessers.map((g) => g.client.close()));

    // The lock of each guessing address stays, even for the right password.
    const locked = await pool.connect({
      headers: { "x-forwarded-for": "10.9.0.3" },
    });
    await expectError(
      locked,
      "login",
      { username: "alice", password: TEST_PASSWORD },
      "rate_limited",
    );

    // The owner, from an address that has not failed, gets in: slowed
    // down over HTTP, then over the WebSocket.
    const started = Date.now();
    const byHttp = await post(server, "/api/login", {
      username: "alice",
      password: TEST_PASSWORD,
    }, owner);
    assert.equal(byHttp.status, 200, JSON.stringify(byHttp.body));
    assert.ok(Date.now() - started >= 1000, "the name was slowed down");
    const socket = await pool.connect({
      headers: { "x-forwarded-for": owner },
    });
    const byWebSocket = await socket.request("login", {
      username: "alice",
      password: TEST_PASSWORD,
    }, patiently);
    assert.equal(byWebSocket.action, "success", JSON.stringify(byWebSocket));
    assert.equal(byWebSocket.data.username, "alice");
  }, { trustProxy: true }));

Deno.test("register: the addresses of one IPv6 /64 share the 20 registrations an hour of an address", () =>
  withClients(async (_pool, server) => {
    // One machine holds a whole /64 and picks a new address in it for each.
    const statuses: number[] = [];
    for (let i = 1; i <= 21; i++) {
      const reply = await post(server, "/api/register", {
        username: `user${i}`,
        password: TEST_PASSWORD,
      }, `2001:db8:1:2::${i.toString(16)}`);
      statuses.push(reply.status);
    }
    assert.deepEqual(statuses, [...Array(20).fill(201), 429]);
    // Another /64 is another address.
    const elsewhere = await post(server, "/api/register", {
      username: "elsewhere",
      password: TEST_PASSWORD,
    }, "2001:db8:1:3::1");
    assert.equal(elsewhere.status, 201);
  }, { trustProxy: true }));
