/** Keyed token buckets counted in this process: KeyedRateLimits behind the KeyedBuckets interface. */
import { KeyedRateLimits } from "../rate_limit.ts";
import type { BucketsOptions, KeyedBuckets } from "./mod.ts";

/** This process's buckets: what a single node uses, and a Redis one falls back on. */
export class MemoryBuckets implements KeyedBuckets {
  #limits: KeyedRateLimits<"take">;

  constructor(options: BucketsOptions) {
    this.#limits = new KeyedRateLimits(
      options.spec ? { take: options.spec } : {},
    );
  }

  take(key: string, cost = 1, now = performance.now()): Promise<number> {
    return Promise.resolve(this.takeNow(key, cost, now));
  }

  /** {@link take}, answered at once. */
  takeNow(key: string, cost = 1, now = performance.now()): number {
    return this.#limits.take(key, "take", now, cost);
  }

  give(key: string, tokens: number): Promise<void> {
    this.#limits.give(key, "take", tokens);
    return Promise.resolve();
  }
}
