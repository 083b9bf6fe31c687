/**
 * Per-user limits over several nodes: two servers in this process on one
 * PostgreSQL database and one Redis, each on its own loopback port, and one
 * account with a connection on each, both sending as fast as their replies
 * come. Together they get about one per-user budget, not one per node.
 * Small limits (a burst of 300 messages, then one a minute; no
 * per-connection limit) keep it quick and leave refills out of the count.
 */
import assert from "node:assert/strict";
import {
  ClientPool,
  startTestServer,
  type TestClient,
  type TestServer,
} from "./harness.ts";
import {
  needing,
  POSTGRES,
  type PostgresService,
  redisSkipReason,
  startRedis,
  testsOnService,
} from "./services.ts";
import { NO_RATE_LIMITS, type RateLimitConfig } from "../server/rate_limit.ts";

await testsOnService(
  "shared limits",
  needing(POSTGRES, redisSkipReason),
  registerTests,
);

const BUDGET = 300;

const LIMITS: RateLimitConfig = {
  perConnection: NO_RATE_LIMITS.perConnection,
  perUser: { message: { burst: BUDGET, perSecond: 1 / 60 } },
  strikesBeforeDisconnect: 0,
};

/** Sends one message after another until one is refused; how many passed. */
async function sendUntilRefused(client: TestClient): Promise<number> {
  for (let sent = 0;; sent++) {
    const reply = await client.request("send_message", { text: `m${sent}` });
    if (reply.action === "error") {
      assert.equal(reply.data.code, "rate_limited");
      return sent;
    }
  }
}

function registerTests(pg: PostgresService): void {
  Deno.test("shared limits: one account sending through two nodes at once gets about one per-user budget, not two", async () => {
    const database = "shared_limits";
    const databaseUrl = await pg.createDatabase(database);
    const redis = (await startRedis())!;
    const servers: TestServer[] = [];
    const pools: ClientPool[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        servers.push(
          await startTestServer({
            databaseUrl,
            redisUrl: redis.url,
            rateLimits: LIMITS,
          }),
        );
        pools.push(new ClientPool(servers[i].wsUrl));
      }
      const a = await pools[0].register("ann");
      const b = await pools[1].login({ token: a.token });
      const [throughA, throughB] = await Promise.all([
        sendUntilRefused(a),
        sendUntilRefused(b),
      ]);
      const total = throughA + throughB;
      // Each node alone would grant the whole budget (600 in all); shared,
      // the nodes grant one, plus what the other granted in its last
      // 100 ms before it heard (a few dozen sends here).
      assert.ok(
        total >= BUDGET && total < BUDGET * 1.5,
        `${throughA} + ${throughB} = ${total} messages accepted`,
      );
    } finally {
      await Promise.all(pools.map((pool) => pool.closeAll()));
      for (const server of servers) await server.close();
      await redis?.stop();
      await pg.dropDatabase(database);
    }
  });
}
