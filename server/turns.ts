/**
 * Turns on the event loop for long work cut in slices (a login counting the
 * unread messages of its rooms): each waits its turn, and one turn of the
 * loop runs at most `perTurn` slices, one per key (account) in turn, first
 * come first served. A job that has more to do asks again and goes to the
 * back, so that many at once take turns with one another and, between
 * turns, with every socket's messages, instead of each holding the thread
 * for its whole length.
 *
 * A turn is a timer of 0 ms set once the slice before it has run (from a
 * setImmediate, which comes after its synchronous work): the runtime then
 * has a moment with nothing to run, and Deno polls the sockets then (and
 * otherwise only now and then): a chain of setImmediate, or a timer already due
 * when the slice ends, kept them out (measured on Deno 2.9.6: 200 such
 * turns let a loopback socket in twice; 200 timers set after each slice,
 * thousands of times). Costs about 1 to 2 ms of waiting per turn, the loop
 * free for others meanwhile: a job of n slices ends n such turns later.
 */
import { setImmediate } from "node:timers";

export class TurnQueue {
  readonly #perTurn: number;
  // Waiting jobs by key (an account), each key's in order, and the keys in
  // line: one place per key, so that an account's 20 logins at once take
  // turns with each other account's login, not 20 places before it (one
  // place per slice put another account's heavy login 1.2 s behind them,
  // docs/security.md).
  readonly #waiting = new Map<string, (() => void)[]>();
  readonly #line: string[] = [];
  #scheduled = false;

  /** `perTurn`: the slices one turn of the event loop may run (at least 1). */
  constructor(perTurn = 1) {
    this.#perTurn = Math.max(1, Math.floor(perTurn));
  }

  /**
   * Resolves at the caller's turn: it then runs one slice at once (a
   * synchronous step, or a call that starts one) and asks again for the
   * next. Jobs of one `key` share one place in the line.
   */
  turn(key = ""): Promise<void> {
    return new Promise((resolve) => {
      const jobs = this.#waiting.get(key);
      if (jobs) {
        jobs.push(resolve);
      } else {
        this.#waiting.set(key, [resolve]);
        this.#line.push(key);
      }
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    // After this turn's slices (microtasks of the grant before), then a
    // timer: see the module comment.
    setImmediate(() => setTimeout(() => this.#grant(), 0));
  }

  #grant(): void {
    this.#scheduled = false;
    // Those granted run in this turn's microtasks, after this callback;
    // their next requests join the back of their key's jobs, and a key
    // with jobs left goes to the back of the line.
    const granted: (() => void)[] = [];
    while (granted.length < this.#perTurn && this.#line.length > 0) {
      const key = this.#line.shift()!;
      const jobs = this.#waiting.get(key)!;
      granted.push(jobs.shift()!);
      if (jobs.length > 0) this.#line.push(key);
      else this.#waiting.delete(key);
    }
    for (const resolve of granted) resolve();
    if (this.#line.length > 0) this.#schedule();
  }
}
