/**
 * RedisBuckets against a real Redis started for this file: the buckets
 * contract with several nodes on one Redis emptied before each test, then
 * a bucket's key that expires when it would be full again, refills on
 * Redis's clock, and a node that loses Redis counting on its own.
 */
import assert from "node:assert/strict";
import { RedisBuckets } from "../server/buckets/redis.ts";
import { bucketsContract } from "./buckets_contract.ts";
import {
  REDIS,
  redisClient,
  type RedisService,
  testsOnService,
} from "./services.ts";
import { closeAll, redisNodes } from "./nodes_fixture.ts";

await testsOnService("RedisBuckets", REDIS, registerTests);

const UPLOADS = { name: "upload", spec: { burst: 30, perSecond: 1 / 60 } };

function registerTests(redis: RedisService): void {
  bucketsContract(
    "RedisBuckets",
    () =>
      redisNodes(
        redis.url,
        (connection, options) => new RedisBuckets(connection, options),
      ),
    { nodes: true },
  );

  Deno.test("RedisBuckets: a bucket's key expires when the bucket would be full again, and a full one has none", async () => {
    const connection = redisClient(redis.url);
    try {
      await connection.flushall();
      const buckets = new RedisBuckets(connection, UPLOADS);
      const key = "chat:v1:buckets:upload:ann";
      await buckets.give("ann", 1);
      assert.equal(await connection.exists(key), 0);
      await buckets.take("ann");
      // One token a minute: full again a minute after one was taken...
      const one = await connection.pttl(key);
      assert.ok(one > 50_000 && one <= 60_000, `${one} ms`);
      for (let i = 0; i < 29; i++) await buckets.take("ann");
      // ...and half an hour after all thirty were.
      const all = await connection.pttl(key);
      assert.ok(all > 29 * 60_000 && all <= 30 * 60_000, `${all} ms`);
    } finally {
      await closeAll([connection]);
    }
  });

  Deno.test("RedisBuckets: a node whose clock is behind the last taker's drains nothing", async () => {
    const connection = redisClient(redis.url);
    try {
      await connection.flushall();
      const buckets = new RedisBuckets(connection, UPLOADS);
      const now = Date.now();
      assert.equal(await buckets.take("ann", 29, now), 0);
      assert.equal(await buckets.take("ann", 1, now - 60_000), 0);
      assert.equal(await buckets.take("ann", 1, now), 60_000);
    } finally {
      await closeAll([connection]);
    }
  });

  Deno.test("RedisBuckets: refills follow Redis's clock, so a node whose clock runs an hour ahead holds up no one's", async () => {
    const connections = [redisClient(redis.url), redisClient(redis.url)];
    const realNow = Date.now;
    try {
      await connections[0].flushall();
      // Three at once, then a token every 20 ms.
      const spec = { burst: 3, perSecond: 50 };
      const [ahead, right] = connections.map((connection) =>
        new RedisBuckets(connection, { name: "upload", spec })
      );
      Date.now = () => realNow() + 3_600_000;
      assert.equal(await ahead.take("ann"), 0);
      Date.now = realNow;
      assert.equal(await right.take("ann", 2), 0);
      // Ten refills' time later, whatever the machine's load.
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(await right.take("ann"), 0);
    } finally {
      Date.now = realNow;
      await closeAll(connections);
    }
  });

  Deno.test("RedisBuckets: a node that cannot reach Redis counts on its own instead of refusing uploads", async () => {
    const connection = redisClient(redis.url);
    try {
      const buckets = new RedisBuckets(connection, UPLOADS);
      connection.disconnect();
      for (let i = 0; i < 30; i++) {
        assert.equal(await buckets.take("ann"), 0);
      }
      await buckets.give("ann", 1);
      assert.equal(await buckets.take("ann"), 0);
      assert.ok(await buckets.take("ann") > 0);
    } finally {
      await closeAll([connection]);
    }
  });
}
