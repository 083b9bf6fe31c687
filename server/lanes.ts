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

/** Calls run a few at a time, one per lane at a time, the lanes in turn. */
export class Lanes {
  #limits: LaneLimits;
  // Map order is the turn: a lane that starts a call goes to the back.
  #queues = new Map<string, (() => Promise<void>)[]>();
  #busy = new Set<string>();
  #waiting = 0;

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
  run(key: string, call: () => Promise<void>): Promise<boolean> {
    const queue = this.#queues.get(key) ?? [];
    if (
      queue.length >= this.#limits.perLane ||
      this.#waiting >= this.#limits.waiting
    ) {
      return Promise.resolve(false);
    }
    const { promise, resolve, reject } = Promise.withResolvers<boolean>();
    // Settles the caller's promise, and never rejects itself: the lane
    // goes on after a call that threw.
    queue.push(() => call().then(() => resolve(true), reject));
    this.#queues.set(key, queue);
    this.#waiting++;
    this.#pump();
    return promise;
  }

  #pump(): void {
    while (this.#busy.size < this.#limits.inFlight) {
      const key = this.#next();
      if (key === undefined) return;
      const queue = this.#queues.get(key)!;
      const call = queue.shift()!;
      this.#queues.delete(key);
      if (queue.length > 0) this.#queues.set(key, queue);
      this.#waiting--;
      this.#busy.add(key);
      call().finally(() => {
        this.#busy.delete(key);
        this.#pump();
      });
    }
  }

  // The first lane in turn with no call under way: the busy are at most
  // `inFlight`, so few are passed over.
  #next(): string | undefined {
    for (const key of this.#queues.keys()) {
      if (!this.#busy.has(key)) return key;
    }
    return undefined;
  }
}
