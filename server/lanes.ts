/**
 * Outgoing calls in lanes, one per key (an account's pushes, a hook's
 * deliveries): a few calls at a time in all, one at a time per lane, the
 * lanes served in turn, and a bounded wait per lane and in all.
 *
 * Why: with one shared queue, a receiver that never answers holds a slot
 * for the whole timeout with each call, and its calls queue ahead of
 * everyone else's. An account with 20 push endpoints that swallow
 * connections, sent 40 private messages, put 800 calls of 10 s before the
 * next person's push (1,000 s at 8 at a time), and the queue grew with
 * every message, without bound. In lanes, that account holds one slot,
 * another account's call starts as soon as a slot is free, and what waits
 * is at most `perLane` per key. What it costs: a lane's calls go one after
 * the other, so one receiver gets at most one call at a time from a node.
 *
 * A lane whose call failed (timed out, could not connect, 429 or 5xx) is
 * cooled down, as web-push senders and webhook senders (GitHub, Mattermost,
 * Mastodon's per-inbox circuit breaker) treat failing receivers: its next
 * call waits 1 s, then 2, 4, … up to a minute after each failure in a row,
 * its calls meanwhile waiting (past `perLane`, dropped); and lanes that
 * failed lately hold at most half the slots at once. So eight or more
 * receivers that never answer no longer hold all the slots: the other
 * half stays for lanes that answer. A lane that has not yet answered
 * (new, or forgotten) counts with the failing: eight new receivers that
 * never answer held all eight slots for their first timeout, before any
 * had failed; now they hold four. What it costs: one success ends the
 * cool-down, so a receiver that fails one call in two keeps its pace; a
 * lane's healthy receiver (an account's phone, beside its dead old
 * browser) waits out the lane's cool-down too; and new lanes share half
 * the slots with the failing until their first call answers, so a burst
 * to many accounts or hooks never called before goes four at a time, not
 * eight, and a new healthy receiver behind four silent ones waits its
 * turn among them (at most one timeout).
 */

/** The bounds of a {@link Lanes}. */
export interface LaneLimits {
  /** Calls under way at once, over all lanes. */
  inFlight: number;
  /** Calls one lane may hold waiting; more are refused. */
  perLane: number;
  /** Calls waiting over all lanes; more are refused. */
  waiting: number;
}

/**
 * A call in a lane; it resolves false when the receiver failed (no answer,
 * no connection, 429, 5xx), which cools the lane down.
 */
export type LaneCall = () => Promise<boolean | void>;

/** The first cool-down after a failure; it doubles with each in a row. */
export const COOL_FIRST_MS = 1000;
/** The longest cool-down. */
export const COOL_MOST_MS = 60_000;
/** Lanes remembered as failing; past it the oldest is forgotten (treated as new). */
const FAILING_KEPT = 10_000;
/** Lanes remembered as having answered; past it the oldest is forgotten (new again). */
const PROVEN_KEPT = 10_000;

/** Calls run a few at a time, one per lane at a time, the lanes in turn. */
export class Lanes {
  #limits: LaneLimits;
  // Map order is the turn: a lane that starts a call goes to the back.
  #queues = new Map<string, (() => Promise<boolean | void>)[]>();
  #busy = new Set<string>();
  // Lanes that failed lately: failures in a row, and when the next may go.
  #failing = new Map<string, { streak: number; until: number }>();
  // Lanes whose last call answered (in the order they last did).
  #proven = new Set<string>();
  // Busy lanes that had failed, or never answered, when their call started.
  #suspect = new Set<string>();
  #waiting = 0;
  #wake?: ReturnType<typeof setTimeout>;
  #stopped = false;

  constructor(limits: LaneLimits) {
    this.#limits = limits;
  }

  /** Calls waiting for their turn, over all lanes. */
  get waiting(): number {
    return this.#waiting;
  }

  /**
   * Queues `call` in the lane `key`. Resolves with true once it has run
   * (rejects as it did), or at once with false when the lane or the whole
   * is full and the call was not queued.
   */
  run(key: string, call: LaneCall): Promise<boolean> {
    const queue = this.#queues.get(key) ?? [];
    if (
      queue.length >= this.#limits.perLane ||
      this.#waiting >= this.#limits.waiting
    ) {
      return Promise.resolve(false);
    }
    const { promise, resolve, reject } = Promise.withResolvers<boolean>();
    // Settles the caller's promise, and never rejects itself: the lane
    // goes on after a call that threw (counted as a failure).
    queue.push(() =>
      call().then((ok) => {
        resolve(true);
        return ok;
      }, (error) => {
        reject(error);
        return false;
      })
    );
    this.#queues.set(key, queue);
    this.#waiting++;
    this.#pump();
    return promise;
  }

  /**
   * Runs what waits without cool-downs, for a caller that is stopping
   * (its calls then end at once), and cancels the wake-up timer.
   */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#wake);
    this.#pump();
  }

  #pump(): void {
    clearTimeout(this.#wake);
    this.#wake = undefined;
    const now = Date.now();
    while (this.#busy.size < this.#limits.inFlight) {
      const key = this.#next(now);
      if (key === undefined) break;
      const queue = this.#queues.get(key)!;
      const call = queue.shift()!;
      this.#queues.delete(key);
      if (queue.length > 0) this.#queues.set(key, queue);
      this.#waiting--;
      this.#busy.add(key);
      if (!this.#proven.has(key)) this.#suspect.add(key);
      call().then((ok) => {
        this.#busy.delete(key);
        this.#suspect.delete(key);
        this.#outcome(key, ok !== false);
        this.#pump();
      });
    }
    this.#schedule(now);
  }

  // The first lane in turn with no call under way and not cooling down;
  // one that failed lately or never answered only while under half the
  // slots hold such. The busy are at most `inFlight`, and the cooling are
  // passed over for a comparison each.
  #next(now: number): string | undefined {
    const suspectFull = this.#suspect.size >= this.#limits.inFlight / 2;
    for (const key of this.#queues.keys()) {
      if (this.#busy.has(key)) continue;
      if (this.#stopped) return key;
      const failing = this.#failing.get(key);
      if (failing && failing.until > now) continue;
      if (suspectFull && !this.#proven.has(key)) continue;
      return key;
    }
    return undefined;
  }

  #outcome(key: string, ok: boolean): void {
    const failing = this.#failing.get(key);
    if (ok) {
      this.#failing.delete(key);
      this.#proven.delete(key);
      this.#proven.add(key);
      if (this.#proven.size > PROVEN_KEPT) {
        this.#proven.delete(this.#proven.values().next().value!);
      }
      return;
    }
    this.#proven.delete(key);
    const streak = (failing?.streak ?? 0) + 1;
    const cool = Math.min(COOL_FIRST_MS * 2 ** (streak - 1), COOL_MOST_MS);
    this.#failing.delete(key);
    this.#failing.set(key, { streak, until: Date.now() + cool });
    if (this.#failing.size > FAILING_KEPT) {
      this.#failing.delete(this.#failing.keys().next().value!);
    }
  }

  // A wake-up when the first waiting lane's cool-down ends (a call ending
  // pumps anyway).
  #schedule(now: number): void {
    if (this.#stopped || this.#busy.size >= this.#limits.inFlight) return;
    let until = Infinity;
    for (const key of this.#queues.keys()) {
      const failing = this.#failing.get(key);
      if (failing && failing.until > now && !this.#busy.has(key)) {
        until = Math.min(until, failing.until);
      }
    }
    if (until === Infinity) return;
    this.#wake = setTimeout(() => this.#pump(), until - now);
  }
}
