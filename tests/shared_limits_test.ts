/**
 * Per-user limits over several nodes: servers in this process on one
 * PostgreSQL database and one Redis, each on its own loopback port, and one
 * account with a connection on each. Two sending at once, as fast as their
 * replies come, get about one per-user budget, not one per node; three in
 * turn, each granting a burst before it hears of the others, owe all they
 * got past it. Small limits (a burst of 300 or 10 messages, then one a
 * minute; no per-connection limit) keep it quick and leave refills out of
 * the count.
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

const MINUTE = 60_000;
const SMALL_BUDGET = 10;
const SMALL: RateLimitConfig = {
  ...LIMITS,
  perUser: { message: { burst: SMALL_BUDGET, perSecond: 1 / 60 } },
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

/**
 * Sends `count` messages without waiting for replies (a node limits each
 * as it arrives); how many were accepted.
 */
async function sendAtOnce(client: TestClient, count: number): Promise<number> {
  const replies = await Promise.all(
    Array.from(
      { length: count },
      (_, n) => client.request("send_message", { text: `m${n}` }),
    ),
  );
  for (const reply of replies) {
    if (reply.action === "error") {
      assert.equal(reply.data.code, "rate_limited");
    }
  }
  return replies.filter((reply) => reply.action === "success").length;
}

/**
 * `count` servers on one new database and one Redis, with these limits,
 * and one account logged in on each (the first registers it); all stopped
 * after `run`.
 */
async function onNodes(
  pg: PostgresService,
  database: string,
  count: number,
  rateLimits: RateLimitConfig,
  run: (clients: TestClient[]) => Promise<void>,
): Promise<void> {
  const databaseUrl = await pg.createDatabase(database);
  const redis = (await startRedis())!;
  const servers: TestServer[] = [];
  const pools: ClientPool[] = [];
  try {
    for (let i = 0; i < count; i++) {
      servers.push(
        await startTestServer({ databaseUrl, redisUrl: redis.url, rateLimits }),
      );
      pools.push(new ClientPool(servers[i].wsUrl));
    }
    const first = await pools[0].register("ann");
    const clients = [first];
    for (const pool of pools.slice(1)) {
      clients.push(await pool.login({ token: first.token }));
    }
    await run(clients);
  } finally {
    await Promise.all(pools.map((pool) => pool.closeAll()));
    for (const server of servers) await server.close();
    await redis?.stop();
    await pg.dropDatabase(database);
  }
}

function registerTests(pg: PostgresService): void {
  Deno.test("shared limits: one account sending through two nodes at once gets about one per-user budget, not two", async () => {
    await onNodes(pg, "shared_limits", 2, LIMITS, async ([a, b]) => {
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
    });
  });

  Deno.test("shared limits: what three nodes granted past one budget, each before it heard of the others, is a debt paid in full before the account sends again", async () => {
    await onNodes(pg, "shared_limits_debt", 3, SMALL, async (clients) => {
      // One node after another: each grants the burst it holds for a key
      // it has not taken for yet, whatever the others took. Sent at once,
      // as limits apply on arrival: the node's sync 100 ms after its first
      // grant tells it what the others took, and one after another (a
      // commit each) a busy machine's sends outlasted it, the burst was
      // cut short (12 to 15 in all, 3 of 3 runs under three busy loops).
      let total = 0;
      for (const client of clients) {
        total += await sendAtOnce(client, SMALL_BUDGET + 1);
      }
      assert.ok(total > SMALL_BUDGET * 2, `${total} messages accepted`);
      // The last node learns what all three took at its sync (100 ms).
      const last = clients[2];
      let wait = 0;
      const deadline = Date.now() + 60_000;
      while (wait <= 2 * MINUTE && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        const reply = await last.request("send_message", { text: "again" });
        assert.equal(reply.data.code, "rate_limited");
        wait = reply.data.retry_after_ms as number;
      }
      // Over the wait the account gets its budget and the refill, no more:
      // every message granted past the budget is paid before the next one.
      const owed = total - SMALL_BUDGET + 1;
      assert.ok(
        wait > (owed - 0.1) * MINUTE,
        `${total} accepted, ${(wait / MINUTE).toFixed(2)} min to wait`,
      );
    });
  });
}
