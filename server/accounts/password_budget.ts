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
 *
 * The budget is kept per account and address (an IPv4 address or an IPv6
 * /64: addresses.ts), under a cap per account five times as large. Kept
 * per account alone, whoever held the password could spend it from one
 * address, and the owner's password logins from anywhere were refused
 * until the thief stopped (sessions, tokens and a password change still
 * worked). Now a thief spends only their address's budget, and holds the
 * owner out only by flooding from five addresses or more at once, enough
 * to spend the account's cap; the cap bounds one account's hashes however
 * many addresses it logs in from. Not charging addresses that hold a
 * session of the account instead would be no fix: the thief's own logins
 * give theirs one (and sessions do not keep their address).
 * Counted for every node with Redis (buckets/mod.ts): both reservations
 * in one round trip (sent together) before each check, one more after a
 * wrong one or a refusal by one bucket alone. Short runs of
 * bench/password_budget.ts at a load of 16 to 24: `thief` (16 at a time
 * from one address) left the owner's 7 logins from another address all
 * refused before, 3 of 3 let in now; `rate` found the second reservation
 * within the noise (0.45 to 0.51 logins a second against 0.44 to 0.68).
 */
import type { KeyedBuckets } from "../buckets/mod.ts";
import { fail, type Failure } from "../protocol/errors.ts";

/** The buckets of a {@link PasswordBudget}. */
export interface PasswordBuckets {
  /** Keyed by account and address: each address's budget. */
  perAddress: KeyedBuckets;
  /** Keyed by account: the cap of all its addresses together. */
  perAccount: KeyedBuckets;
}

/** A login of the budget held until its password is checked. */
export interface Reservation {
  /** Gives it back: the password was wrong or never checked. */
  giveBack(): Promise<void>;
}

/** Before a password login's hash: reserves one login of the account's budget at its address, given back unless the password was right. */
export class PasswordBudget {
  #buckets: PasswordBuckets;

  constructor(buckets: PasswordBuckets) {
    this.#buckets = buckets;
  }

  /**
   * Reserves one login from this address's budget for the account and one
   * from the account's cap: a reservation, or `rate_limited` with the
   * wait when either is spent (nothing held then). `address` is an
   * addressKey (addresses.ts).
   */
  async reserve(
    userKey: string,
    address: string,
  ): Promise<Reservation | Failure> {
    const { perAddress, perAccount } = this.#buckets;
    // Any characters in either part: JSON keeps the pairs apart.
    const pairKey = JSON.stringify([userKey, address]);
    const [here, everywhere] = await Promise.all([
      perAddress.take(pairKey),
      perAccount.take(userKey),
    ]);
    if (here === 0 && everywhere === 0) {
      return {
        giveBack: () =>
          Promise.all([
            perAddress.give(pairKey, 1),
            perAccount.give(userKey, 1),
          ]).then(() => {}),
      };
    }
    // A refused take took nothing; the other's is given back.
    if (here === 0) await perAddress.give(pairKey, 1);
    if (everywhere === 0) await perAccount.give(userKey, 1);
    const wait = Math.max(here, everywhere);
    const where = everywhere === 0 ? " from your address" : "";
    return fail(
      "rate_limited",
      `Too many logins with this account's password${where}: try again in ${
        Math.ceil(wait / 1000)
      } s.`,
      { retry_after_ms: wait },
    );
  }
}
