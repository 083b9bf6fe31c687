/**
 * An account's budget of password logins (WebSocket `login`,
 * `POST /api/login`) whose password was right. Each costs a scrypt hash
 * (about 0.2 s of a core, 32 MiB) in the queue every login waits in, and
 * the login throttle (login_throttle.ts) counts only failures: whoever
 * holds the password (its owner, or a thief) could log in at will, 16 at
 * a time, and every other account's login waited behind those hashes
 * (1.5 s alone, 31 s beside them, on a busy machine). So a login that
 * succeeds is counted, after its check; once the budget is spent, the
 * account's password is not checked again (no hash) until it refills.
 * Failures are never counted here: someone without the password cannot
 * spend it, so cannot lock the owner out (the throttle slows guessers
 * instead). Logins already under way when it ran out still count, as a
 * debt paid before the next: so many hashes at once cost as long a wait.
 * Password changes are not counted: they draw on the login bucket before
 * their check, and one is how the owner takes the account back.
 * Counted for every node with Redis (buckets/mod.ts), a round trip before
 * and after each check.
 */
import type { KeyedBuckets } from "../buckets/mod.ts";
import { fail, type Failure } from "../protocol/errors.ts";

/** Before and after a password login's check: refuses past the budget, counts a success. */
export class PasswordBudget {
  #buckets: KeyedBuckets;

  constructor(buckets: KeyedBuckets) {
    this.#buckets = buckets;
  }

  /** `rate_limited` with the wait when this account's budget is spent; else undefined. */
  async refusal(userKey: string): Promise<Failure | undefined> {
    const wait = await this.#buckets.waitFor(userKey);
    if (wait === 0) return undefined;
    return fail(
      "rate_limited",
      `Too many logins with this account's password: try again in ${
        Math.ceil(wait / 1000)
      } s.`,
      { retry_after_ms: wait },
    );
  }

  /** Counts a password login proven right. */
  spent(userKey: string): Promise<void> {
    return this.#buckets.charge(userKey);
  }
}
