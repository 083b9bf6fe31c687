/** Options of {@link LoginThrottle}. */
export interface LoginThrottleOptions {
  /** Failed logins allowed for one name from one address in a window (default 5). */
  perNameAndAddress?: number;
  /** Failed logins allowed for one name from all addresses (default 50). */
  perName?: number;
  /** Failed logins allowed from one address for all names (default 50). */
  perAddress?: number;
  /** The window, in ms (default 15 minutes). */
  windowMs?: number;
}

interface Window {
  failures: number;
  resetsAt: number;
}

/**
 * Counts failed logins in fixed windows and refuses attempts past the
 * limits until the window ends, so a password cannot be guessed at network
 * speed. The tight limit is per name *and* address: someone guessing from
 * elsewhere cannot lock the owner out; the looser per-name and per-address
 * limits stop guessing spread over many addresses or many names.
 */
export class LoginThrottle {
  #limits: { pair: number; name: number; address: number };
  #windowMs: number;
  #windows = new Map<string, Window>();

  constructor(options: LoginThrottleOptions = {}) {
    this.#limits = {
      pair: options.perNameAndAddress ?? 5,
      name: options.perName ?? 50,
      address: options.perAddress ?? 50,
    };
    this.#windowMs = options.windowMs ?? 15 * 60 * 1000;
  }

  /** Milliseconds until this name and address may try again; 0 when now. */
  retryAfter(userKey: string, address: string, now = Date.now()): number {
    return Math.max(
      this.#wait(`p:${userKey}\n${address}`, this.#limits.pair, now),
      this.#wait(`n:${userKey}`, this.#limits.name, now),
      this.#wait(`a:${address}`, this.#limits.address, now),
    );
  }

  /** Records a failed attempt. */
  failed(userKey: string, address: string, now = Date.now()): void {
    this.#count(`p:${userKey}\n${address}`, now);
    this.#count(`n:${userKey}`, now);
    this.#count(`a:${address}`, now);
  }

  /** Forgets this pair's failures after a successful login. */
  succeeded(userKey: string, address: string): void {
    this.#windows.delete(`p:${userKey}\n${address}`);
  }

  #wait(key: string, limit: number, now: number): number {
    const window = this.#windows.get(key);
    if (!window || window.resetsAt <= now) return 0;
    return window.failures >= limit ? window.resetsAt - now : 0;
  }

  #count(key: string, now: number): void {
    const window = this.#windows.get(key);
    if (!window || window.resetsAt <= now) {
      this.#windows.set(key, { failures: 1, resetsAt: now + this.#windowMs });
      if (this.#windows.size > 100_000) this.#sweep(now);
    } else {
      window.failures++;
    }
  }

  // Bounds memory under a flood of distinct names or addresses.
  #sweep(now: number): void {
    for (const [key, window] of this.#windows) {
      if (window.resetsAt <= now) this.#windows.delete(key);
    }
  }
}
