/**
 * RedisPresence against a real Redis started for this file: the presence
 * contract with several nodes, and a node that dies, on one Redis emptied
 * before each test.
 */
import assert from "node:assert/strict";
import type { Redis } from "ioredis";
import { DEFAULT_CONFIG } from "../server/config.ts";
import { MemoryPresence } from "../server/presence/memory.ts";
import type { PresenceManager } from "../server/presence/mod.ts";
import { RedisPresence } from "../server/presence/redis.ts";
import { RoomRegistry } from "../server/registry.ts";
import { delay, eventually } from "./harness.ts";
import { presenceContract } from "./presence_contract.ts";
import {
  REDIS,
  redisClient,
  type RedisService,
  testsOnService,
} from "./services.ts";

await testsOnService("RedisPresence", REDIS, registerTests);

function registerTests(redis: RedisService): void {
  presenceContract("RedisPresence", async () => {
    const admin = redisClient(redis.url);
    await admin.flushall();
    const connections = new Map<PresenceManager, Redis>();
    return {
      async open(registry, nodeId, options = {}) {
        const connection = redisClient(redis.url);
        const presence = new RedisPresence(connection, {
          nodeId,
          fallback: new MemoryPresence(registry),
          ttlMs: options.ttlMs ?? DEFAULT_CONFIG.presenceTtlSeconds * 1000,
        });
        connections.set(presence, connection);
        await presence.start();
        return presence;
      },
      crash(presence) {
        // Its heartbeats fail from now on, and nothing is cleaned up.
        connections.get(presence)!.disconnect();
      },
      async dispose() {
        for (const connection of [admin, ...connections.values()]) {
          if (connection.status === "end") continue;
          await connection.quit().catch(() => connection.disconnect());
        }
      },
    };
  }, { nodes: true, crash: true });

  Deno.test("RedisPresence: after Redis lost everything, a node is listed again only with its users, and a lookup that finds nobody waits for the nodes not back yet", async () => {
    const admin = redisClient(redis.url);
    await admin.flushall();
    // n2 hears publications again only when the test says (its broker's
    // subscription, in a node): it writes its users back only then.
    let held = false;
    const { promise: heard, resolve: hear } = Promise.withResolvers<void>();
    const connections = [redisClient(redis.url), redisClient(redis.url)];
    // A TTL no step of the test comes near: nothing here waits on a clock.
    const ttlMs = 600_000;
    const [a, b] = connections.map((connection, i) =>
      new RedisPresence(connection, {
        nodeId: `n${i + 1}`,
        fallback: new MemoryPresence(new RoomRegistry()),
        ttlMs,
        hearing: () => i === 1 && held ? heard : Promise.resolve(),
      })
    );
    try {
      await a.start();
      await b.start();
      await b.add({
        id: "n2:1",
        userKey: "ann",
        username: "ann",
        roomKey: "general",
        guest: true,
        since: 1,
        address: "127.0.0.1",
      });
      assert.equal(await a.onlineName("ann"), "ann");
      // Redis restarted empty, as both nodes see it: data gone, connections cut.
      held = true;
      await admin.flushall();
      await admin.client("KILL", "TYPE", "normal", "SKIPME", "yes");
      await eventually(async () => {
        assert.deepEqual(await admin.zrange("chat:v1:nodes", 0, -1), ["n1"]);
        assert.equal(a.settling(), true);
      }, { timeoutMs: 60_000 });
      // What a kick asks: nobody, while n2 is not back; so it waits.
      const lookup = (async () =>
        await a.onlineName("ann") ??
          (await a.settled(), await a.onlineName("ann")))();
      // n2's renewals meanwhile do not list it without ann.
      assert.deepEqual(await admin.zrange("chat:v1:nodes", 0, -1), ["n1"]);
      hear();
      assert.equal(await lookup, "ann");
      assert.equal(a.settling(), false);
    } finally {
      await a.close();
      await b.close();
      for (const client of [...connections, admin]) {
        await client.quit().catch(() => client.disconnect());
      }
    }
  });

  Deno.test("RedisPresence: watchingAmong of 2,500 users on two nodes is one write to Redis and one answer, with no read a user; with Redis away, this node's own connections answer", async () => {
    const admin = redisClient(redis.url);
    await admin.flushall();
    const connections = [redisClient(redis.url), redisClient(redis.url)];
    const registry = new RoomRegistry();
    // A TTL no step of the test comes near: no heartbeat in the count.
    const [a, b] = connections.map((connection, i) =>
      new RedisPresence(connection, {
        nodeId: `n${i + 1}`,
        fallback: new MemoryPresence(i === 0 ? registry : new RoomRegistry()),
        ttlMs: 600_000,
      })
    );
    try {
      await a.start();
      await b.start();
      const entry = (id: string, userKey: string) => ({
        id,
        userKey,
        username: userKey,
        roomKey: "general",
        guest: false,
        since: 0,
        address: "127.0.0.1",
      });
      assert.ok(await a.add(entry("n1:1", "u10")));
      assert.ok(await b.add(entry("n2:1", "u2400")));
      const keys = Array.from({ length: 2_500 }, (_, i) => `u${i}`);
      await admin.config("RESETSTAT");
      const { result: found, writes } = await writesOf(
        connections[0],
        () => a.watchingAmong(keys),
      );
      assert.deepEqual([...found].sort(), ["u10", "u2400"]);
      assert.equal(writes, 1);
      const stats = await admin.info("commandstats");
      assert.match(stats, /cmdstat_eval:calls=3,/);
      assert.doesNotMatch(stats, /cmdstat_hget:/);
      // Redis away: what this node's registry knows (u10 logged in here).
      registry.claim({
        id: 1,
        outbox: { push() {} },
        username: "u10",
        userKey: "u10",
        address: "127.0.0.1",
        roomKey: "",
        role: "user",
        guest: false,
        since: 0,
        identity: "a:u10",
        disconnect() {},
      });
      connections[0].disconnect();
      assert.deepEqual([...await a.watchingAmong(keys)], ["u10"]);
      assert.equal(a.healthy(), false);
    } finally {
      await a.close();
      await b.close();
      for (const client of [...connections, admin]) {
        if (client.status === "end") continue;
        await client.quit().catch(() => client.disconnect());
      }
    }
  });

  Deno.test("RedisPresence: connectionsIn asked for a thousand users in one turn (a room deleted moves each) is one read of everyone, each answered alone", async () => {
    const admin = redisClient(redis.url);
    await admin.flushall();
    const connections = [redisClient(redis.url), redisClient(redis.url)];
    const [a, b] = connections.map((connection, i) =>
      new RedisPresence(connection, {
        nodeId: `n${i + 1}`,
        fallback: new MemoryPresence(new RoomRegistry()),
        ttlMs: 600_000,
      })
    );
    try {
      await a.start();
      await b.start();
      const users = Array.from({ length: 1_000 }, (_, i) => `u${i}`);
      for (const [i, user] of users.entries()) {
        // Odd ones on both nodes, even ones in dev on n2 only.
        const entry = (id: string, roomKey: string) => ({
          id,
          userKey: user,
          username: user,
          roomKey,
          guest: false,
          since: 0,
          address: "127.0.0.1",
        });
        if (i % 2 === 1) assert.ok(await a.add(entry(`n1:${i}`, "general")));
        assert.ok(
          await b.add(entry(`n2:${i}`, i % 2 === 1 ? "general" : "dev")),
        );
      }
      await eventually(async () =>
        assert.equal(await a.connectionsIn("u1", "general"), 2)
      );
      const { result: counts, writes } = await writesOf(
        connections[0],
        () =>
          Promise.all(users.map((user) => a.connectionsIn(user, "general"))),
      );
      assert.deepEqual(counts, users.map((_, i) => i % 2 === 1 ? 2 : 0));
      // The live nodes, then their entries: one pipeline.
      assert.equal(writes, 2);
      // A read asked for once the shared one was sent is a read of its own.
      const { result: later, writes: again } = await writesOf(
        connections[0],
        () => a.connectionsIn("u0", "dev"),
      );
      assert.equal(later, 1);
      assert.equal(again, 2);
    } finally {
      await a.close();
      await b.close();
      for (const client of [...connections, admin]) {
        await client.quit().catch(() => client.disconnect());
      }
    }
  });

  Deno.test("RedisPresence: a node whose entries expired while Redis was frozen past the TTL counts its users again once Redis answers, its guests' logins and their names' skeletons too", async () => {
    const admin = redisClient(redis.url);
    await admin.flushall();
    const info = await admin.info("server");
    const pid = Number(/process_id:(\d+)/.exec(info)![1]);
    const connection = redisClient(redis.url);
    const presence = new RedisPresence(connection, {
      nodeId: "n1",
      fallback: new MemoryPresence(new RoomRegistry()),
      ttlMs: 600,
    });
    await presence.start();
    try {
      await presence.add({
        id: "n1:1",
        userKey: "alice",
        username: "alice",
        roomKey: "general",
        guest: false,
        since: 0,
        address: "127.0.0.1",
      });
      await presence.add({
        id: "n1:2",
        userKey: "gus",
        username: "gus",
        roomKey: "general",
        guest: true,
        since: 1_700_000_000_123,
        address: "127.0.0.1",
      });
      // A busy machine can hold this process past the 600 ms TTL between
      // the adds and this read: the next beat writes them again.
      await eventually(async () => {
        assert.deepEqual([...await presence.roomCounts()], [["general", 2]]);
      }, { timeoutMs: 60_000 });
      // Frozen (a VM paused, SIGSTOP) for three TTLs: the connection stays
      // up, so ioredis never reconnects, and the node's hashes expire the
      // moment Redis runs again.
      Deno.kill(pid, "SIGSTOP");
      try {
        await delay(1800);
      } finally {
        Deno.kill(pid, "SIGCONT");
      }
      await eventually(async () => {
        assert.deepEqual([...await presence.roomCounts()], [["general", 2]]);
        assert.equal(await presence.guestSince("gus"), 1_700_000_000_123);
        assert.equal(await presence.guestLookingLike("GUS"), "gus");
      }, { timeoutMs: 60_000 });
    } finally {
      await presence.close();
      for (const client of [connection, admin]) {
        await client.quit().catch(() => client.disconnect());
      }
    }
  });
}

/**
 * What `work` answers, and how many writes it made to the socket of
 * `connection`: a command alone, or a whole pipeline, each a round trip.
 */
async function writesOf<T>(
  connection: Redis,
  work: () => Promise<T>,
): Promise<{ result: T; writes: number }> {
  const stream = (connection as unknown as {
    stream: { write: (...args: unknown[]) => boolean };
  }).stream;
  const write = stream.write;
  let writes = 0;
  stream.write = (...args) => {
    writes++;
    return write.apply(stream, args);
  };
  try {
    return { result: await work(), writes };
  } finally {
    stream.write = write;
  }
}
