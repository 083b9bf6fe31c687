/**
 * Token buckets by key for the rare requests that each cost the server a
 * lot (an upload, an incoming webhook's post), counted in this process
 * (MemoryBuckets) or in Redis for every node sharing it (RedisBuckets), so
 * that a client spread over N nodes gets the budget of one. One contract
 * (tests/buckets_contract.ts) for both. The per-message limits stay in
 * memory (rate_limit.ts): a Redis round trip for every chat message would
 * cost more than what a flood spread over the nodes can do.
 */
import type { BucketSpec } from "../rate_limit.ts";

/** Options of a {@link KeyedBuckets}, named apart from the server's others. */
export interface BucketsOptions {
  /** `upload`, `hook`...: a Redis implementation's keys (redis.ts). */
  name: string;
  /** Each key's bucket; left out (or `perSecond` 0), nothing is limited. */
  spec?: BucketSpec;
}

/** A token bucket per key, with TokenBucket's rule (rate_limit.ts). */
export interface KeyedBuckets {
  /**
   * Takes `cost` tokens (one by default, at most the burst) from this key's
   * bucket; 0, or the ms to wait until there are that many (then none is
   * taken). `now` (ms) is for tests, on the implementation's own clock.
   */
  take(key: string, cost?: number, now?: number): Promise<number>;
  /** Gives back tokens taken for more than was used, up to the burst. */
  give(key: string, tokens: number): Promise<void>;
}

/** Whether a spec limits anything: `--rate-limits off` leaves none. */
export function limiting(spec: BucketSpec | undefined): spec is BucketSpec {
  return spec !== undefined && spec.perSecond > 0;
}
