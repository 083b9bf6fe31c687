/**
 * What the contracts of limits counted in memory or in Redis share
 * (login_throttle_contract.ts, buckets_contract.ts): a fixture that opens
 * one implementation per node, a `test` that makes a fresh fixture for
 * each test and disposes of it, and the Redis fixture both run on.
 */
import type { Redis } from "ioredis";
import { redisClient } from "./services.ts";

/** How a contract opens one implementation, once per node. */
export interface NodesFixture<O, T> {
  /**
   * One for one node. Where the implementation is shared (`nodes`), those
   * opened with the same name in one test count together, as on nodes
   * sharing one Redis.
   */
  open(options: O): Promise<T>;
  /** Closes what the fixture opened; once per test. */
  dispose(): Promise<void>;
}

/** A contract's test: its body opens with `open` (`defaults` unless told). */
export type NodesTest<O, T> = (
  title: string,
  body: (open: (options?: O) => Promise<T>) => Promise<void>,
  more?: { nodes?: boolean },
) => void;

/**
 * Registers a contract's tests as `name: title`, each on a fresh fixture;
 * those marked `nodes` only where the implementation is shared.
 */
export function nodesTest<O, T>(
  name: string,
  makeFixture: () => Promise<NodesFixture<O, T>>,
  options: { nodes: boolean; defaults: O },
): NodesTest<O, T> {
  return (title, body, more = {}) => {
    if (more.nodes && !options.nodes) return;
    Deno.test(`${name}: ${title}`, async () => {
      const fixture = await makeFixture();
      try {
        await body((o = options.defaults) => fixture.open(o));
      } finally {
        await fixture.dispose();
      }
    });
  };
}

/** Closes Redis connections, those already gone too. */
export async function closeAll(connections: Redis[]): Promise<void> {
  for (const connection of connections) {
    if (connection.status === "end") continue;
    await connection.quit().catch(() => connection.disconnect());
  }
}

/**
 * A fixture whose every node has its own connection to one Redis, emptied
 * first: `make` builds the implementation on a node's connection.
 */
export async function redisNodes<O, T>(
  url: string,
  make: (connection: Redis, options: O) => T,
): Promise<NodesFixture<O, T>> {
  const admin = redisClient(url);
  await admin.flushall();
  const connections = [admin];
  return {
    async open(options) {
      const connection = redisClient(url);
      connections.push(connection);
      // Connected, as a node's is, even if the test never uses it.
      await connection.ping();
      return make(connection, options);
    },
    dispose: () => closeAll(connections),
  };
}
