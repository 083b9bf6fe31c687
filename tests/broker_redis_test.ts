/**
 * RedisBroker against a real Redis started for this file: the broker
 * contract with several nodes on one Redis, then what only Redis does
 * (foreign frames on the channel, losing Redis and getting it back).
 */
import assert from "node:assert/strict";
import { REDIS_CHANNEL, RedisBroker } from "../server/broker/redis.ts";
import type { Publication } from "../server/broker/mod.ts";
import { brokerContract } from "./broker_contract.ts";
import { eventually } from "./harness.ts";
import {
  REDIS,
  redisClient,
  type RedisService,
  startRedis,
  startRedisOnPort,
  testsOnService,
} from "./services.ts";

await testsOnService("RedisBroker", REDIS, registerTests);

let nodes = 0;

/** A started broker on `url`, as the node `nodeId`. */
async function openBroker(url: string, nodeId = `n${++nodes}`) {
  const broker = new RedisBroker({
    nodeId,
    publisher: redisClient(url),
    subscriber: redisClient(url),
  });
  await broker.start();
  return broker;
}

function registerTests(redis: RedisService): void {
  brokerContract("RedisBroker", () =>
    Promise.resolve({
      open: () => openBroker(redis.url),
      dispose: () => Promise.resolve(),
    }), { nodes: true });

  Deno.test("RedisBroker: frames of another format version, or not JSON, are ignored", async () => {
    const broker = await openBroker(redis.url);
    const raw = redisClient(redis.url);
    try {
      const received: Publication[] = [];
      broker.onDelivery((publication) => received.push(publication));
      const publication: Publication = {
        type: "control",
        event: { kind: "presence_changed" },
      };
      await raw.publish(REDIS_CHANNEL, "not json");
      await raw.publish(
        REDIS_CHANNEL,
        JSON.stringify({ v: 2, node: "future", p: publication }),
      );
      await raw.publish(
        REDIS_CHANNEL,
        JSON.stringify({ v: 1, node: "other", p: publication }),
      );
      // The valid frame went last on one channel: once it is here, the
      // ones before it have been read (and ignored).
      await eventually(() => assert.equal(received.length, 1));
      assert.deepEqual(received, [publication]);
    } finally {
      raw.disconnect();
      await broker.close();
    }
  });

  Deno.test("RedisBroker: without Redis it is unhealthy and delivers locally, then recovers", async () => {
    // Its own Redis: this test stops it.
    const own = (await startRedis())!;
    let back: RedisService | undefined;
    const a = await openBroker(own.url);
    const b = await openBroker(own.url);
    try {
      const got: Publication[] = [];
      const gotB: Publication[] = [];
      a.onDelivery((p) => got.push(p));
      b.onDelivery((p) => gotB.push(p));
      const ping = (n: number): Publication => ({
        type: "event",
        topic: { kind: "everyone" },
        frame: String(n),
      });
      await own.stop();
      await eventually(() => assert.equal(a.healthy(), false));
      a.publish(ping(1));
      assert.deepEqual(got, [ping(1)]);
      back = (await startRedisOnPort(own.port))!;
      await eventually(() => assert.equal(a.healthy(), true), {
        timeoutMs: 60_000,
      });
      await eventually(() => assert.equal(b.healthy(), true), {
        timeoutMs: 60_000,
      });
      a.publish(ping(2));
      // What was published during the outage may reach b late (the
      // driver's offline queue) or never; what comes after does.
      await eventually(() => assert.deepEqual(gotB.at(-1), ping(2)));
      assert.ok(gotB.length <= 2, JSON.stringify(gotB));
    } finally {
      await a.close();
      await b.close();
      await back?.stop();
      await own.stop();
    }
  });
}
