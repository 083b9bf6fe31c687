/**
 * The budget of right-password logins (docs/protocol.md, "Right
 * passwords"; server/accounts/password_budget.ts) is kept per account and
 * address, under a cap per account: someone who holds the password and
 * spends it from their address leaves the owner's password logins from
 * elsewhere going, and the cap holds however many addresses take part.
 * Through a real server, its budget in memory, then in a real Redis
 * started for this file; the addresses are played with `--trust-proxy`
 * and X-Forwarded-For. Refills are an hour long, so no real time a busy
 * machine takes matters; password checks are awaited as long as they take.
 */
import assert from "node:assert/strict";
import { NO_RATE_LIMITS, type RateLimitConfig } from "../server/rate_limit.ts";
import type { Config } from "../server/mod.ts";
import {
  type PageReply,
  PATIENT_WAIT_MS,
  postAsPage,
  TEST_PASSWORD,
  type TestServer,
  withClients,
} from "./harness.ts";
import { closeAll } from "./nodes_fixture.ts";
import { REDIS, redisClient, testsOnService } from "./services.ts";

const patiently = { timeoutMs: PATIENT_WAIT_MS };
const HOUR = 1 / 3600;

/** Two right-password logins per account and address; the account's cap left out. */
const PER_ADDRESS: RateLimitConfig = {
  ...NO_RATE_LIMITS,
  perPasswordLogin: { burst: 2, perSecond: HOUR },
};

/** Two per account and address, three per account from everywhere. */
const WITH_CAP: RateLimitConfig = {
  ...PER_ADDRESS,
  perAccountPasswordLogin: { burst: 3, perSecond: HOUR },
};

async function register(server: TestServer, username: string): Promise<void> {
  const created = await postAsPage(server.url, "/api/register", {
    body: { username, password: TEST_PASSWORD },
  });
  assert.equal(created.status, 201, created.text);
}

/** `POST /api/login` with the right password, from `address`. */
function loginFrom(
  server: TestServer,
  username: string,
  address: string,
): Promise<PageReply> {
  return postAsPage(server.url, "/api/login", {
    body: { username, password: TEST_PASSWORD },
    headers: { "x-forwarded-for": address },
  });
}

function budgetTests(backend: string, options: Partial<Config>): void {
  Deno.test(`password budget (${backend}): someone who holds the password and spends the budget from their address leaves the owner's password logins from another address going, over HTTP and the WebSocket`, () =>
    withClients(async (pool, server) => {
      await register(server, "alice");
      const thief = "203.0.113.7";
      for (let i = 1; i <= 2; i++) {
        const right = await loginFrom(server, "alice", thief);
        assert.equal(right.status, 200, `thief ${i}: ${right.text}`);
      }
      const spent = await loginFrom(server, "alice", thief);
      assert.equal(spent.status, 429, spent.text);
      assert.equal(spent.body?.error, "rate_limited");
      assert.match(String(spent.body?.message), /from your address/);
      assert.ok(Number(spent.body?.retry_after_ms) > 0, spent.text);
      // The owner, elsewhere: another IPv6 /64 than the thief's too.
      const owner = "2001:db8:1:2::1";
      const byHttp = await loginFrom(server, "alice", owner);
      assert.equal(byHttp.status, 200, byHttp.text);
      const socket = await pool.connect({
        headers: { "x-forwarded-for": owner },
      });
      const bySocket = await socket.request("login", {
        username: "alice",
        password: TEST_PASSWORD,
      }, patiently);
      assert.equal(bySocket.action, "success", JSON.stringify(bySocket.data));
      // The addresses of one /64 are one address, with one budget: the
      // owner's, spent by now.
      const sameMachine = await loginFrom(server, "alice", "2001:db8:1:2::99");
      assert.equal(sameMachine.status, 429, sameMachine.text);
    }, { ...options, trustProxy: true, rateLimits: PER_ADDRESS }));

  Deno.test(`password budget (${backend}): an account's right-password logins from every address together stop at its cap, one after another or all at once, and a login its address's budget refused takes none of the cap`, () =>
    withClients(async (_pool, server) => {
      await register(server, "bob");
      const statuses = [];
      for (let i = 1; i <= 3; i++) {
        statuses.push((await loginFrom(server, "bob", "198.51.100.1")).status);
      }
      assert.deepEqual(statuses, [200, 200, 429]);
      // The third took none of the cap: its last login is this one.
      const second = await loginFrom(server, "bob", "198.51.100.2");
      assert.equal(second.status, 200, second.text);
      const capped = await loginFrom(server, "bob", "198.51.100.3");
      assert.equal(capped.status, 429, capped.text);
      // The account's, not the address's: no "from your address".
      assert.match(
        String(capped.body?.message),
        /^Too many logins with this account's password: try again in \d+ s\.$/,
      );
      assert.ok(Number(capped.body?.retry_after_ms) > 0, capped.text);

      // Five addresses at once, each with a budget to spare: three pass.
      await register(server, "carol");
      const replies = await Promise.all(
        [1, 2, 3, 4, 5].map((i) => loginFrom(server, "carol", `192.0.2.${i}`)),
      );
      assert.deepEqual(
        replies.map((reply) => reply.status).sort(),
        [200, 200, 200, 429, 429],
        replies.map((reply) => reply.text).join("\n"),
      );
    }, { ...options, trustProxy: true, rateLimits: WITH_CAP }));
}

budgetTests("memory", {});

await testsOnService("password budget (Redis)", REDIS, (redis) => {
  budgetTests("Redis", { redisUrl: redis.url });

  Deno.test("password budget (Redis): the budget is counted in Redis, per address and per account", async () => {
    // After the tests above (Deno runs a file's tests in order): their
    // buckets are Redis's, not a node's own.
    const connection = redisClient(redis.url);
    try {
      const keys = await connection.keys("chat:v1:buckets:password_login*");
      const prefix = "chat:v1:buckets:";
      assert.ok(
        keys.includes(`${prefix}password_login_address:["bob","198.51.100.1"]`),
        keys.join("\n"),
      );
      assert.ok(keys.includes(`${prefix}password_login:bob`), keys.join("\n"));
    } finally {
      await closeAll([connection]);
    }
  });
});
