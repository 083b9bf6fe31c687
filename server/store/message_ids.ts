/**
 * Message ids: ULIDs, monotonic within a millisecond, their random part
 * drawn from a pool of the system's random bytes.
 *
 * The `ulid` package's own source asks `crypto.getRandomValues` for one
 * byte at a time, a fresh `Uint8Array` and a call into the runtime for each
 * of an id's 16 random characters: 3.2% of the server's busy samples in the
 * chat bench (docs/performance.md, "Chat's CPU outside the store"). The
 * pool asks for 4 KiB at once (256 ids' worth) and hands out one byte a
 * character, as the package's source does, so the ids are as random: a byte
 * over 256 maps to one of the 32 characters with no bias (256 = 8 × 32).
 * The cost is 4 KiB kept per store.
 */
import { monotonicFactory } from "ulid";

const POOL_BYTES = 4096;

/** A source of fractions in [0, 1) from pooled random bytes. */
export function pooledRandom(poolBytes = POOL_BYTES): () => number {
  const pool = new Uint8Array(poolBytes);
  let next = poolBytes;
  return () => {
    if (next === poolBytes) {
      crypto.getRandomValues(pool);
      next = 0;
    }
    return pool[next++] / 256;
  };
}

/** A factory of monotonic message ids over a pooled random source. */
export function messageIds(): ReturnType<typeof monotonicFactory> {
  return monotonicFactory(pooledRandom());
}
