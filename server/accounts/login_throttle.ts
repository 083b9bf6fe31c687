/** Options of {@link LoginThrottle}. */
export interface LoginThrottleOptions {
  /** Failed logins allowed per name in a window (default 5). */
  perName?: number;
  /** Failed logins allowed per address in a window (default 20). */
  perAddress?: number;
  /** The window, in ms (default 15 minutes). */
  windowMs?: number;
}

interface Window {
  failures: number;
  resetsAt: number;
}

/**
 * Counts failed logins per name and per address in fixed windows. Past the
 * limit every attempt is refused until the window ends, so a password
 * cannot be guessed at network speed: at the defaults, 5 guesses per name
 * and 20 per address every 15 minutes.
 */
export class LoginThrottle {
  #perName: number;
  #perAddress: number;
  #windowMs: number;
  #windows = new Map<string, Window>();

  constructor(options: LoginThrottleOptions = {}) {
    this.#perName = options.perName ?? 5;
    this.#perAddress = options.perAddress ?? 20;
    this.#windowMs = options.windowMs ?? 15 * 60 * 1000;
  }

  /** Milliseconds until this name and address may try again; 0 when now. */
  retryAfter(userKey: string, address: string, now = Date.now()): number {
    return Math.max(
      this.#wait(`n:${userKey}`, this.#perName, now),
      this.#wait(`a:${address}`, this.#perAddress, now),
    );
  }

  /** Records a failed attempt. */
  failed(userKey: string, address: string, now = Date.now()): void {
    this.#count(`n:${userKey}`, now);
    this.#count(`a:${address}`, now);
  }

  /** Forgets the failures of a name after a successful login. */
  succeeded(userKey: string): void {
    this.#windows.delete(`n:${userKey}`);
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
