/**
 * RedisRateLimits against a real Redis started for this file: the rate
 * limits contract with several nodes on one Redis emptied before each
 * test, then syncs that go by themselves only while something is taken,
 * and a node that loses Redis counting on its own.
 */
import assert from "node:assert/strict";
import { RedisRateLimits } from "../server/buckets/redis_rate_limits.ts";
import type { Category } from "./rate_limits_contract.ts";
import { rateLimitsContract } from "./rate_limits_contract.ts";
import { closeAll, redisNodes } from "./nodes_fixture.ts";
import {
  REDIS,
  redisClient,
  type RedisService,
  testsOnService,
} from "./services.ts";
import { eventually } from "./harness.ts";

await testsOnService("RedisRateLimits", REDIS, registerTests);

const FIVE = { message: { burst: 5, perSecond: 1 / 60 } };

function registerTests(redis: RedisService): void {
  const opened: RedisRateLimits<Category>[] = [];
  rateLimitsContract(
    "RedisRateLimits",
    async () => {
      const fixture = await redisNodes(
        redis.url,
        (connection, options: { name: string; specs: typeof FIVE }) => {
          const limits = new RedisRateLimits<Category>(connection, options);
          opened.push(limits);
          return limits;
        },
      );
      return {
        open: fixture.open,
        async dispose() {
          for (const limits of opened.splice(0)) await limits.close();
          await fixture.dispose();
        },
      };
    },
    { nodes: true },
  );

  Deno.test("RedisRateLimits: what a node takes reaches Redis by itself within a period, and nothing is sent while nothing is taken", async () => {
    const [admin, a, b] = [0, 1, 2].map(() => redisClient(redis.url));
    const limits = [a, b].map((connection) =>
      new RedisRateLimits<Category>(connection, {
        name: "user",
        specs: FIVE,
        periodMs: 20,
      })
    );
    try {
      await admin.flushall();
      const calls = async () =>
        Number(
          /cmdstat_eval(?:sha)?:calls=(\d+)/.exec(
            await admin.info("commandstats"),
          )?.[1] ?? 0,
        );
      await admin.config("RESETSTAT");
      for (let i = 0; i < 4; i++) limits[0].take("ann", "message");
      // Node b takes once and learns from Redis that a took four.
      await eventually(async () => {
        const t = await admin.hget("chat:v1:limits:user:message:ann", "t");
        assert.ok(t !== null && Number(t) < 1.1, `${t}`);
      });
      assert.equal(limits[1].take("ann", "message"), 0);
      await limits[1].sync();
      assert.ok(limits[1].take("ann", "message") > 0);
      const sent = await calls();
      // Ten periods with nothing taken: not one call.
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(await calls(), sent);
    } finally {
      for (const l of limits) await l.close();
      await closeAll([admin, a, b]);
    }
  });

  Deno.test("RedisRateLimits: a node that cannot reach Redis counts on its own", async () => {
    const connection = redisClient(redis.url);
    const limits = new RedisRateLimits<Category>(connection, {
      name: "user",
      specs: FIVE,
    });
    try {
      connection.disconnect();
      for (let i = 0; i < 5; i++) {
        assert.equal(limits.take("ann", "message"), 0);
      }
      await limits.sync();
      assert.ok(limits.take("ann", "message") > 0);
      limits.give("ann", "message", 1);
      await limits.sync();
      assert.equal(limits.take("ann", "message"), 0);
    } finally {
      await limits.close();
      await closeAll([connection]);
    }
  });
}
