/**
 * RedisPresence against a real Redis started for this file: the presence
 * contract with several nodes, and a node that dies, on one Redis emptied
 * before each test.
 */
import type { Redis } from "ioredis";
import { DEFAULT_CONFIG } from "../server/config.ts";
import { MemoryPresence } from "../server/presence/memory.ts";
import type { PresenceManager } from "../server/presence/mod.ts";
import { RedisPresence } from "../server/presence/redis.ts";
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
}
