import type { Member } from "./registry.ts";

// setTimeout takes at most 2^31 - 1 ms (24.8 days), less than a session
// may last: a longer wait is taken in steps.
const LONGEST_WAIT_MS = 3600 * 1000;

/**
 * Ends connections whose session expires while they are open. One timer,
 * set for the first expiry: a timer per connection would cost every one of
 * ten thousand idle connections its own. Finding the next expiry scans
 * every watched connection, which happens once per expiry, not per second.
 */
export class SessionExpiry {
  #expiries = new Map<Member, number>();
  #onExpired: (member: Member) => void;
  #timer?: ReturnType<typeof setTimeout>;
  #timerAt = Infinity;

  /** `onExpired` closes a member whose session has ended. */
  constructor(onExpired: (member: Member) => void) {
    this.#onExpired = onExpired;
  }

  /** Watches a member logged in with a session. */
  watch(member: Member): void {
    if (!member.session) return;
    this.#expiries.set(member, member.session.expiresAt);
    if (member.session.expiresAt < this.#timerAt) {
      this.#schedule(member.session.expiresAt);
    }
  }

  /** Stops watching a member (it left). */
  forget(member: Member): void {
    this.#expiries.delete(member);
  }

  /** Stops the timer. */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
    this.#expiries.clear();
  }

  #schedule(at: number): void {
    clearTimeout(this.#timer);
    this.#timerAt = at;
    const wait = Math.min(Math.max(0, at - Date.now()), LONGEST_WAIT_MS);
    this.#timer = setTimeout(() => this.#sweep(), wait);
  }

  #sweep(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const now = Date.now();
    let next = Infinity;
    for (const [member, expiresAt] of this.#expiries) {
      if (expiresAt <= now) {
        this.#expiries.delete(member);
        this.#onExpired(member);
      } else {
        next = Math.min(next, expiresAt);
      }
    }
    if (next < Infinity) this.#schedule(next);
  }
}
