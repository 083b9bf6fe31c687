/** Options of {@link LoginThrottle}. */
export interface LoginThrottleOptions {
  /** Attempts allowed for one name from one address in a window (default 5). */
  perNameAndAddress?: number;
  /** Failures for one name, from anywhere, before it is slowed down (default 50). */
  perName?: number;
  /** Attempts allowed from one address for all names (default 50). */
  perAddress?: number;
  /** The window, in ms (default 15 minutes). */
  windowMs?: number;
  /** Wait added per `perName` failures of a name (default 1 s). */
  slowdownStepMs?: number;
  /** Longest wait added to a name's attempts (default 10 s). */
  maxSlowdownMs?: number;
}

interface Window {
  attempts: number;
  resetsAt: number;
}

/** A login attempt the throttle let through: it counts as a failure unless told otherwise. */
export interface Attempt {
  readonly admitted: true;
  /**
   * How long to wait before checking the password: the name has failed
   * often lately, from anywhere.
   */
  readonly delayMs: number;
  /** The password was right: the attempt no longer counts, and its name and address start afresh. */
  succeeded(): void;
  /** The password was never checked (the server was busy or stopping): the attempt no longer counts. */
  withdrawn(): void;
}

/** An attempt refused outright. */
export interface Refusal {
  readonly admitted: false;
  /** Milliseconds until this name and address may try again. */
  readonly retryAfterMs: number;
}

/** Options of a {@link Throttle}, named apart from the server's other one. */
export interface ThrottleOptions extends LoginThrottleOptions {
  /** `login` or `register`: a Redis throttle's keys (redis_throttle.ts). */
  name: string;
}

/**
 * Login attempts counted for a server: in this process (LoginThrottle), or
 * in Redis for every node sharing it (RedisThrottle), so that a guesser
 * spread over N nodes does not get N times the attempts. One contract
 * (tests/login_throttle_contract.ts) for both.
 */
export interface Throttle {
  /**
   * Admits an attempt for this name from this address (counting it now)
   * or refuses it with the wait. `now` is for tests.
   */
  admit(
    userKey: string,
    address: string,
    now?: number,
  ): Promise<Attempt | Refusal>;
}

/** A throttle's rules, its options' defaults filled in. */
export interface ThrottleRules {
  /** Attempts refused past these in a window: per name and address, per address. */
  pair: number;
  address: number;
  /** A name's failures from anywhere per step of slowdown. */
  name: number;
  windowMs: number;
  stepMs: number;
  maxDelayMs: number;
}

/** The rules of these options: 5, 50 and 50 in 15 minutes; 1 s a step, 10 s at most. */
export function throttleRules(options: LoginThrottleOptions): ThrottleRules {
  return {
    pair: options.perNameAndAddress ?? 5,
    name: options.perName ?? 50,
    address: options.perAddress ?? 50,
    windowMs: options.windowMs ?? 15 * 60 * 1000,
    stepMs: options.slowdownStepMs ?? 1000,
    maxDelayMs: options.maxSlowdownMs ?? 10_000,
  };
}

/** The wait before checking a password of a name that failed this often. */
export function slowdownMs(nameFailures: number, rules: ThrottleRules): number {
  const steps = Math.floor(nameFailures / rules.name);
  return Math.min(rules.maxDelayMs, steps * rules.stepMs);
}

/**
 * Counts login attempts in fixed windows, so a password cannot be guessed
 * at network speed. An attempt counts from the moment it is admitted,
 * before its password is checked: sent all at once, attempts past a limit
 * are refused instead of all being checked. Two limits refuse: per name
 * *and* address (5), and per address (50, for guessing many names). A
 * name's failures from everywhere only slow its attempts down (a second
 * per 50 failures, 10 s at most): someone guessing from elsewhere never
 * locks the owner out, whose right password from an address that has not
 * failed always gets in.
 */
export class LoginThrottle implements Throttle {
  #rules: ThrottleRules;
  #windows = new Map<string, Window>();

  constructor(options: LoginThrottleOptions = {}) {
    this.#rules = throttleRules(options);
  }

  admit(
    userKey: string,
    address: string,
    now: number = Date.now(),
  ): Promise<Attempt | Refusal> {
    return Promise.resolve(this.admitNow(userKey, address, now));
  }

  /** {@link admit}, answered at once: what a Redis throttle falls back on. */
  admitNow(
    userKey: string,
    address: string,
    now: number = Date.now(),
  ): Attempt | Refusal {
    const pairKey = `p:${userKey}\n${address}`;
    const wait = Math.max(
      this.#wait(pairKey, this.#rules.pair, now),
      this.#wait(`a:${address}`, this.#rules.address, now),
    );
    if (wait > 0) return { admitted: false, retryAfterMs: wait };
    const nameFailures = this.#current(`n:${userKey}`, now)?.attempts ?? 0;
    const delayMs = slowdownMs(nameFailures, this.#rules);
    const pair = this.#count(pairKey, now);
    const name = this.#count(`n:${userKey}`, now);
    const byAddress = this.#count(`a:${address}`, now);
    let settled = false;
    const uncount = () => {
      if (settled) return false;
      settled = true;
      name.attempts--;
      byAddress.attempts--;
      return true;
    };
    return {
      admitted: true,
      delayMs,
      succeeded: () => {
        if (uncount() && this.#windows.get(pairKey) === pair) {
          this.#windows.delete(pairKey);
        }
      },
      withdrawn: () => {
        if (uncount()) pair.attempts--;
      },
    };
  }

  #current(key: string, now: number): Window | undefined {
    const window = this.#windows.get(key);
    return window && window.resetsAt > now ? window : undefined;
  }

  #wait(key: string, limit: number, now: number): number {
    const window = this.#current(key, now);
    return window && window.attempts >= limit ? window.resetsAt - now : 0;
  }

  #count(key: string, now: number): Window {
    const window = this.#current(key, now);
    if (window) {
      window.attempts++;
      return window;
    }
    const fresh = { attempts: 1, resetsAt: now + this.#rules.windowMs };
    this.#windows.set(key, fresh);
    if (this.#windows.size > 100_000) this.#sweep(now);
    return fresh;
  }

  // Bounds memory under a flood of distinct names or addresses.
  #sweep(now: number): void {
    for (const [key, window] of this.#windows) {
      if (window.resetsAt <= now) this.#windows.delete(key);
    }
  }
}
