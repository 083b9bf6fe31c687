/**
 * RedisThrottle against a real Redis started for this file: the throttle
 * contract with several nodes on one Redis emptied before each test, then
 * windows on Redis's clock, and a node that loses Redis counting on its own.
 */
import assert from "node:assert/strict";
import { RedisThrottle } from "../server/accounts/redis_throttle.ts";
import { throttleContract } from "./login_throttle_contract.ts";
import {
  REDIS,
  redisClient,
  type RedisService,
  testsOnService,
} from "./services.ts";
import { closeAll, redisNodes } from "./nodes_fixture.ts";

await testsOnService("RedisThrottle", REDIS, registerTests);

function registerTests(redis: RedisService): void {
  throttleContract(
    "RedisThrottle",
    () =>
      redisNodes(
        redis.url,
        (connection, options) => new RedisThrottle(connection, options),
      ),
    { nodes: true },
  );

  Deno.test("RedisThrottle: windows run on Redis's clock, so guesses through a node whose clock is an hour behind still count", async () => {
    const connections = [redisClient(redis.url), redisClient(redis.url)];
    const realNow = Date.now;
    try {
      await connections[0].flushall();
      const [behind, right] = connections.map((connection) =>
        new RedisThrottle(connection, { name: "login" })
      );
      Date.now = () => realNow() - 3_600_000;
      for (let i = 0; i < 3; i++) {
        assert.ok((await behind.admit("alice", "192.0.2.1")).admitted);
      }
      Date.now = realNow;
      for (let i = 0; i < 2; i++) {
        assert.ok((await right.admit("alice", "192.0.2.1")).admitted);
      }
      // Five failures of the pair, wherever they were counted.
      assert.equal((await right.admit("alice", "192.0.2.1")).admitted, false);
    } finally {
      Date.now = realNow;
      await closeAll(connections);
    }
  });

  Deno.test("RedisThrottle: a node that cannot reach Redis counts attempts on its own instead of refusing logins", async () => {
    const connection = redisClient(redis.url);
    try {
      const throttle = new RedisThrottle(connection, { name: "login" });
      connection.disconnect();
      for (let i = 0; i < 5; i++) {
        const attempt = await throttle.admit("alice", "192.0.2.1");
        assert.ok(attempt.admitted);
        attempt.withdrawn();
        attempt.succeeded();
      }
      const sixth = await throttle.admit("alice", "192.0.2.1");
      assert.ok(sixth.admitted);
      for (let i = 0; i < 4; i++) await throttle.admit("alice", "192.0.2.1");
      assert.equal(
        (await throttle.admit("alice", "192.0.2.1")).admitted,
        false,
      );
    } finally {
      await closeAll([connection]);
    }
  });
}
