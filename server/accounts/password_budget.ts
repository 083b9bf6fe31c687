/**
 * An account's budget of password logins (WebSocket `login`,
 * `POST /api/login`) whose password was right. Each costs a scrypt hash
 * (about 0.2 s of a core, 32 MiB) in the queue every login waits in, and
 * the login throttle (login_throttle.ts) counts only failures: whoever
 * holds the password (its owner, or a thief) could log in at will, 16 at
 * a time, and every other account's login waited behind those hashes
 * (1.5 s alone, 31 s beside them, on a busy machine). So each login
 * reserves one login of the budget before its hash, and gives it back
 * when the password was wrong (or never checked): failures are never
 * counted, so someone without the password cannot spend it. At most the
 * budget's logins pass, however many come at once; before, they were
 * counted after their check, and a flood of 16 at a time got 16 hashes
 * and 16 sessions each time the budget had one login left. The
 * reservation is taken once the login's turn in the password queue has
 * come, just before its hash: a wrong password holds it only while its
 * hash runs, so guessers hold at most a node's workers (1 to 4) of the
 * burst (20) at once, and cannot keep the owner out. The cost: a login
 * refused because the budget is spent waits its turn in the queue first
 * (then no hash), and a worker waits for the reservation's round trip to
 * Redis (at most its 2 s timeout while Redis is away). Measured with
 * bench/password_budget.ts on 2 cores (one worker): right-password logins
 * of distinct accounts ran at 2.3 to 3.1 a second with the budget in
 * memory and 2.7 to 3.0 with it in Redis (load 9 to 2), no difference
 * past the noise; a spent budget's refusals came 24 to 42 a second beside
 * another account's logins (504 when they did not wait), whose logins
 * took what they take alone (docs/security.md).
 * Password changes are not counted: they draw on the login bucket before
 * their check, and one is how the owner takes the account back.
 * Counted for every node with Redis (buckets/mod.ts), a round trip before
 * each check and one more after a wrong one.
 */
import type { KeyedBuckets } from "../buckets/mod.ts";
import { fail, type Failure } from "../protocol/errors.ts";

/** Before a password login's hash: reserves one login of the account's budget, given back unless the password was right. */
export class PasswordBudget {
  #buckets: KeyedBuckets;

  constructor(buckets: KeyedBuckets) {
    this.#buckets = buckets;
  }

  /**
   * Reserves one login of this account's budget: undefined, or
   * `rate_limited` with the wait when it is spent (nothing reserved then).
   */
  async reserve(userKey: string): Promise<Failure | undefined> {
    const wait = await this.#buckets.take(userKey);
    if (wait === 0) return undefined;
    return fail(
      "rate_limited",
      `Too many logins with this account's password: try again in ${
        Math.ceil(wait / 1000)
      } s.`,
      { retry_after_ms: wait },
    );
  }

  /** Gives back a reservation whose password was wrong or never checked. */
  giveBack(userKey: string): Promise<void> {
    return this.#buckets.give(userKey, 1);
  }
}
