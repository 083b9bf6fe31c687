/**
 * Turns on the event loop for long work cut in slices (a login counting the
 * unread messages of its rooms): each waits its turn, and one turn of the
 * loop runs at most `perTurn` slices, whoever they belong to, first come
 * first served. A job that has more to do asks again and goes to the back,
 * so that many at once take turns with one another and, between turns, with
 * every socket's messages, instead of each holding the thread for its whole
 * length.
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
  readonly #waiting: (() => void)[] = [];
  #scheduled = false;

  /** `perTurn`: the slices one turn of the event loop may run (at least 1). */
  constructor(perTurn = 1) {
    this.#perTurn = Math.max(1, Math.floor(perTurn));
  }

  /**
   * Resolves at the caller's turn: it then runs one slice at once (a
   * synchronous step, or a call that starts one) and asks again for the
   * next.
   */
  turn(): Promise<void> {
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
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
    // their next requests join the back of the line, for a later turn.
    const granted = this.#waiting.splice(0, this.#perTurn);
    for (const resolve of granted) resolve();
    if (this.#waiting.length > 0) this.#schedule();
  }
}
