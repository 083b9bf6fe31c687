/**
 * The per-user and per-address rate limits (rate_limit.ts) of every node
 * sharing one Redis, without a Redis call per message. Each node decides
 * at once from its own buckets, as a single node does, and notes what it
 * took per key; every 100 ms (and only when something was taken) one
 * script debits those sums from each key's shared bucket in Redis and
 * answers what is left of it, and the node lowers its own bucket to that
 * level, less what it took while the answer travelled (never raising it).
 * So an account spread over N nodes gets one budget, plus at most what
 * the nodes grant before their next sync; what they grant past it is a
 * debt, kept whole, that the shared bucket's refill pays before the
 * account gets more (a node grants at most what its own bucket holds, a
 * burst, before it learns the shared level, so the debt is at most a burst
 * per node). A debt cut at one burst let a third node's burst go unpaid:
 * an account sending through three nodes in turn got 1.5 budgets. The
 * shared buckets are hashes like
 * RedisBuckets' (`{t: tokens, u: when}`, expiring once full again), on
 * Redis's clock (TIME), never a node's.
 *
 * Cost: a take is KeyedRateLimits' plus one Map update; a node makes at
 * most ten Redis calls a second, whatever the flood (more only past 500
 * keys in a period, one call per 500). Redis unreachable: the node counts
 * on its own, as with no Redis, logged once per outage.
 */
import type { Redis } from "ioredis";
import { log } from "../log.ts";
import {
  type BucketSpec,
  KeyedRateLimits,
  type RateLimits,
  tokensGiven,
  tokensNeeded,
} from "../rate_limit.ts";
import { limiting } from "./mod.ts";
import { REFILL } from "./redis.ts";

const logger = log("limits");

/** How often what a node took is sent, by default (ms). */
const SYNC_PERIOD_MS = 100;

// Keys per script call: a call runs alone in Redis, so a few hundred
// buckets (about 1 µs each) hold nobody else up long.
const KEYS_PER_CALL = 500;

// KEYS: the buckets. ARGV: burst, per second, tokens taken, for each key
// in turn (taken may be below 0: tokens given back). Answers each
// bucket's tokens left, as strings (Redis cuts a Lua number's fraction).
// TokenBucket's refill, in the same order; then the debit, with no floor:
// the debt is what the nodes granted past the budget, to be paid whole.
const SYNC = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local left = {}
for i, key in ipairs(KEYS) do
  local burst = tonumber(ARGV[3 * i - 2])
  local perSecond = tonumber(ARGV[3 * i - 1])
  local taken = tonumber(ARGV[3 * i])
  ${REFILL}
  tokens = math.min(burst, tokens - taken)
  redis.call('HSET', key, 't', string.format('%.17g', tokens),
    'u', string.format('%.17g', updated))
  local full = (updated - now) + (burst - tokens) * 1000 / perSecond
  redis.call('PEXPIRE', key, math.max(1, math.ceil(full)))
  left[i] = string.format('%.17g', tokens)
end
return left
`;

/** Options of {@link RedisRateLimits}. */
export interface RedisRateLimitsOptions<C extends string> {
  /** `user` or `address`: the keys' place in Redis. */
  name: string;
  /** Each category's bucket; a category left out is not limited. */
  specs: Partial<Record<C, BucketSpec>>;
  /** How often what was taken is sent, in ms (default 100). */
  periodMs?: number;
}

/** Rate limits decided on this node and shared through Redis every 100 ms. */
export class RedisRateLimits<C extends string> implements RateLimits<C> {
  #redis: Redis;
  #prefix: string;
  #specs: Partial<Record<C, BucketSpec>>;
  #local: KeyedRateLimits<C>;
  #periodMs: number;
  // Tokens taken since the last sync, by category, then key: no key string
  // is built for it on a take.
  #taken = new Map<C, Map<string, number>>();
  #timer?: ReturnType<typeof setTimeout>;
  #syncing?: Promise<void>;
  #outage = false;
  #closed = false;

  constructor(redis: Redis, options: RedisRateLimitsOptions<C>) {
    this.#redis = redis;
    this.#prefix = `chat:v1:limits:${options.name}:`;
    this.#specs = options.specs;
    this.#local = new KeyedRateLimits(options.specs);
    this.#periodMs = options.periodMs ?? SYNC_PERIOD_MS;
  }

  take(key: string, category: C, now = performance.now(), cost = 1): number {
    const wait = this.#local.take(key, category, now, cost);
    const spec = this.#specs[category];
    if (wait === 0 && limiting(spec)) {
      this.#note(key, category, tokensNeeded(cost, spec.burst));
    }
    return wait;
  }

  give(key: string, category: C, tokens: number): void {
    this.#local.give(key, category, tokens);
    const spec = this.#specs[category];
    if (limiting(spec)) {
      this.#note(key, category, -tokensGiven(tokens, spec.burst));
    }
  }

  spend(key: string, category: C, tokens: number, now = performance.now()) {
    this.#local.spend(key, category, tokens, now);
    if (limiting(this.#specs[category]) && tokens > 0) {
      this.#note(key, category, tokens);
    }
  }

  async sync(): Promise<void> {
    // One call in flight at a time: a sync asked for meanwhile follows it.
    while (this.#syncing) await this.#syncing;
    if (this.#taken.size === 0) return;
    this.#syncing = this.#send();
    try {
      await this.#syncing;
    } finally {
      this.#syncing = undefined;
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#syncing;
  }

  #note(key: string, category: C, tokens: number): void {
    let taken = this.#taken.get(category);
    if (!taken) this.#taken.set(category, taken = new Map());
    taken.set(key, (taken.get(key) ?? 0) + tokens);
    if (this.#timer === undefined && !this.#closed) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        void this.sync();
      }, this.#periodMs);
    }
  }

  async #send(): Promise<void> {
    const taken = this.#taken;
    this.#taken = new Map();
    const sent: [C, string][] = [];
    const keys: string[] = [];
    const args: number[] = [];
    for (const [category, counts] of taken) {
      const spec = this.#specs[category]!;
      for (const [key, tokens] of counts) {
        if (tokens === 0) continue;
        sent.push([category, key]);
        keys.push(`${this.#prefix}${category}:${key}`);
        args.push(spec.burst, spec.perSecond, tokens);
      }
    }
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < keys.length; i += KEYS_PER_CALL) {
      const some = keys.slice(i, i + KEYS_PER_CALL);
      calls.push(this.#redis.eval(
        SYNC,
        some.length,
        ...some,
        ...args.slice(3 * i, 3 * (i + some.length)),
      ));
    }
    let answers: unknown[];
    try {
      answers = await Promise.all(calls);
      this.#outage = false;
    } catch (error) {
      // What was taken stays counted on this node; Redis never hears of it.
      this.#lost(error as Error);
      return;
    }
    const left = (answers as string[][]).flat();
    const now = performance.now();
    for (let i = 0; i < sent.length; i++) {
      const [category, key] = sent[i];
      // Taken here while the answer travelled: Redis has not counted it.
      const since = this.#taken.get(category)?.get(key) ?? 0;
      this.#local.lower(key, category, Number(left[i]) - since, now);
    }
  }

  #lost(error: Error): void {
    if (!this.#outage) {
      logger.warn("Rate limits counted on this node only: {error}", {
        error: error.message,
      });
    }
    this.#outage = true;
  }
}
