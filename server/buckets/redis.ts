/**
 * The keyed token buckets of every node sharing one Redis: TokenBucket's
 * rule (rate_limit.ts), counted in Redis hashes, so a client spread over N
 * nodes gets the budget of one. A bucket is a hash `{t: tokens, u: when
 * they were counted}` that expires when the bucket would be full again (a
 * missing bucket is a full one); a take is one script, a give one more.
 * The clock is Redis's own (TIME, read in the script): a node whose clock
 * ran ahead would otherwise stamp a bucket in its future, and every other
 * node would refill nothing until it got there (an hour ahead froze a
 * bucket for an hour). Tests pass their own `now` instead.
 *
 * Redis unreachable: the node counts on its own (the fallback) rather than
 * refusing every upload, as the login throttle does (redis_throttle.ts).
 */
import type { Redis } from "ioredis";
import { log } from "../log.ts";
import { type BucketSpec, tokensGiven, tokensNeeded } from "../rate_limit.ts";
import { MemoryBuckets } from "./memory.ts";
import { type BucketsOptions, type KeyedBuckets, limiting } from "./mod.ts";

const logger = log("limits");

/**
 * Lua: the bucket hash `key`, refilled to `now` at `perSecond` up to
 * `burst`, as `tokens` and `updated` (a missing bucket is a full one).
 */
export const REFILL = `
local b = redis.call('HMGET', key, 't', 'u')
local tokens, updated = burst, now
if b[1] then tokens, updated = tonumber(b[1]), tonumber(b[2]) end
if now > updated then
  tokens = math.min(burst, tokens + (now - updated) * perSecond / 1000)
  updated = now
end`;

// The start of TAKE: its arguments read (a negative now: Redis's clock),
// then the bucket refilled to now.
const BEGIN = `
local now = tonumber(ARGV[1])
if now < 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
end
local burst = tonumber(ARGV[2])
local perSecond = tonumber(ARGV[3])
local needed = tonumber(ARGV[4])
local key = KEYS[1]
${REFILL}`;

// KEYS: the bucket. ARGV: now (ms; negative: Redis's clock), burst, per
// second, tokens needed (from tokensNeeded: a number within the burst).
// Answers 0 (taken)
// or the ms to wait. TokenBucket.take's arithmetic, in the same order so
// that both round alike; one difference: a node whose clock is behind the
// last taker's refills nothing rather than draining the bucket.
const TAKE = `
${BEGIN}
if tokens < needed then
  return math.ceil((needed - tokens) * 1000 / perSecond)
end
tokens = tokens - needed
redis.call('HSET', KEYS[1], 't', string.format('%.17g', tokens),
  'u', string.format('%.17g', updated))
local full = (updated - now) + (burst - tokens) * 1000 / perSecond
redis.call('PEXPIRE', KEYS[1], math.max(1, math.ceil(full)))
return 0
`;

// KEYS: the bucket. ARGV: burst, tokens. A bucket gone is full: nothing to
// give. Its expiry stays: later than needed at worst, and a bucket that
// outlives its refill reads as full.
const GIVE = `
local t = redis.call('HGET', KEYS[1], 't')
if t then
  local tokens = math.min(tonumber(ARGV[1]), tonumber(t) + tonumber(ARGV[2]))
  redis.call('HSET', KEYS[1], 't', string.format('%.17g', tokens))
end
return 1
`;

/** TokenBucket's rule per key, counted in Redis for every node. */
export class RedisBuckets implements KeyedBuckets {
  #redis: Redis;
  #prefix: string;
  #spec?: BucketSpec;
  #fallback: MemoryBuckets;
  #outage = false;

  constructor(redis: Redis, options: BucketsOptions) {
    this.#redis = redis;
    this.#prefix = `chat:v1:buckets:${options.name}:`;
    this.#spec = options.spec;
    this.#fallback = new MemoryBuckets(options);
  }

  take(key: string, cost = 1, now?: number): Promise<number> {
    return this.#run(
      TAKE,
      key,
      cost,
      now,
      () => this.#fallback.takeNow(key, cost, now),
    );
  }

  // One of the scripts taking TAKE's arguments; Redis unreachable, the
  // node's own buckets answer.
  async #run(
    script: string,
    key: string,
    cost: number,
    now: number | undefined,
    fallback: () => number,
  ): Promise<number> {
    const spec = this.#spec;
    if (!limiting(spec)) return 0;
    try {
      const wait = await this.#redis.eval(
        script,
        1,
        this.#prefix + key,
        now ?? -1,
        spec.burst,
        spec.perSecond,
        tokensNeeded(cost, spec.burst),
      ) as number;
      this.#outage = false;
      return wait;
    } catch (error) {
      this.#lost(error as Error);
      return fallback();
    }
  }

  async give(key: string, tokens: number): Promise<void> {
    const spec = this.#spec;
    if (!limiting(spec)) return;
    const given = tokensGiven(tokens, spec.burst);
    if (given === 0) return;
    try {
      await this.#redis.eval(GIVE, 1, this.#prefix + key, spec.burst, given);
    } catch (error) {
      this.#lost(error as Error);
      await this.#fallback.give(key, tokens);
    }
  }

  #lost(error: Error): void {
    // One line per outage, not one per request.
    if (!this.#outage) {
      logger.warn("Rate limits counted on this node only: {error}", {
        error: error.message,
      });
    }
    this.#outage = true;
  }
}
