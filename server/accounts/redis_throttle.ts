/**
 * The login throttle of every node sharing one Redis: the same windows and
 * limits as LoginThrottle (login_throttle.ts), counted in Redis hashes, so a
 * guesser spread over N nodes gets the attempts of one. Each window is a
 * hash `{n: attempts, r: resetsAt}` that expires with it; an attempt is one
 * script (read the three windows, refuse or count) and its outcome one more.
 * The clock is Redis's own (TIME, read in the script), as in RedisBuckets:
 * a window stamped by a node whose clock is behind had already ended for
 * the others, who started it again (an hour behind, that node's guesses
 * never counted elsewhere). Tests pass their own `now` instead.
 *
 * Redis unreachable: the node counts on its own (the fallback) rather than
 * refusing every login, as presence falls back to the node's own registry.
 */
import type { Redis } from "ioredis";
import { log } from "../log.ts";
import {
  type Attempt,
  LoginThrottle,
  type Refusal,
  slowdownMs,
  type Throttle,
  type ThrottleOptions,
  type ThrottleRules,
  throttleRules,
} from "./login_throttle.ts";

const logger = log("accounts");

// KEYS: the name-and-address, address and name windows. ARGV: now (ms;
// negative: Redis's clock), the window's length, the pair's and the
// address's limits. Answers {0, wait} or {1, the name's failures before
// this one, then the resetsAt of the pair's, name's and address's windows,
// which name them for the outcome}.
const ADMIT = `
local now = tonumber(ARGV[1])
if now < 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local windowMs = tonumber(ARGV[2])
local function current(key)
  local w = redis.call('HMGET', key, 'n', 'r')
  if w[1] and tonumber(w[2]) > now then return tonumber(w[1]), tonumber(w[2]) end
  return nil, nil
end
local function waitOf(key, limit)
  local n, r = current(key)
  if n and n >= limit then return r - now end
  return 0
end
local wait = math.max(waitOf(KEYS[1], tonumber(ARGV[3])),
  waitOf(KEYS[2], tonumber(ARGV[4])))
if wait > 0 then return {0, wait} end
local nameFailures = current(KEYS[3]) or 0
local function count(key)
  local n, r = current(key)
  if n then
    redis.call('HINCRBY', key, 'n', 1)
    return r
  end
  r = now + windowMs
  redis.call('HSET', key, 'n', 1, 'r', string.format('%d', r))
  redis.call('PEXPIRE', key, windowMs)
  return r
end
return {1, nameFailures, count(KEYS[1]), count(KEYS[3]), count(KEYS[2])}
`;

// KEYS: as ADMIT's. ARGV: 'succeeded' or 'withdrawn', then the resetsAt
// of the pair's, name's and address's windows the attempt counted in: a
// window since started over is not touched.
const SETTLE = `
local function same(key, r) return redis.call('HGET', key, 'r') == r end
if same(KEYS[3], ARGV[3]) then redis.call('HINCRBY', KEYS[3], 'n', -1) end
if same(KEYS[2], ARGV[4]) then redis.call('HINCRBY', KEYS[2], 'n', -1) end
if same(KEYS[1], ARGV[2]) then
  if ARGV[1] == 'succeeded' then
    redis.call('DEL', KEYS[1])
  else
    redis.call('HINCRBY', KEYS[1], 'n', -1)
  end
end
return 1
`;

/** LoginThrottle's rules, counted in Redis for every node. */
export class RedisThrottle implements Throttle {
  #redis: Redis;
  #prefix: string;
  #rules: ThrottleRules;
  #fallback: LoginThrottle;
  #outage = false;

  constructor(redis: Redis, options: ThrottleOptions) {
    this.#redis = redis;
    this.#prefix = `chat:v1:throttle:${options.name}:`;
    this.#rules = throttleRules(options);
    this.#fallback = new LoginThrottle(options);
  }

  async admit(
    userKey: string,
    address: string,
    now?: number,
  ): Promise<Attempt | Refusal> {
    const keys = [
      `${this.#prefix}p:${userKey}\n${address}`,
      `${this.#prefix}a:${address}`,
      `${this.#prefix}n:${userKey}`,
    ];
    let answer: number[];
    try {
      answer = await this.#redis.eval(
        ADMIT,
        3,
        ...keys,
        now ?? -1,
        this.#rules.windowMs,
        // Redis scripts take numbers: "no limit" is one never reached.
        Math.min(this.#rules.pair, Number.MAX_SAFE_INTEGER),
        Math.min(this.#rules.address, Number.MAX_SAFE_INTEGER),
      ) as number[];
    } catch (error) {
      // One line per outage, not one per login.
      if (!this.#outage) {
        logger.warn("Login throttle counted on this node only: {error}", {
          error: (error as Error).message,
        });
      }
      this.#outage = true;
      return this.#fallback.admitNow(userKey, address, now);
    }
    this.#outage = false;
    if (answer[0] === 0) return { admitted: false, retryAfterMs: answer[1] };
    const windows = answer.slice(2).map(String);
    let settled = false;
    const settle = (outcome: "succeeded" | "withdrawn") => {
      if (settled) return;
      settled = true;
      this.#redis.eval(SETTLE, 3, ...keys, outcome, ...windows).catch(
        (error: Error) =>
          logger.warn("Login throttle could not settle an attempt: {error}", {
            error: error.message,
          }),
      );
    };
    return {
      admitted: true,
      delayMs: slowdownMs(answer[1], this.#rules),
      succeeded: () => settle("succeeded"),
      withdrawn: () => settle("withdrawn"),
    };
  }
}
