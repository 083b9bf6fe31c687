/**
 * Progress of an export or import as lines for stderr: at most one a
 * second within a table, one when a table is done, and a summary.
 */

const EVERY_MS = 1000;

/** Counts rows and says how far it got. */
export class Progress {
  #verb: string;
  #say: ((line: string) => void) | undefined;
  #table = "";
  #total = 0;
  #done = 0;
  // Rows of the table said in the last line: a table whose count was just
  // said is not said again when it ends.
  #said = 0;
  #saidAt = 0;
  #started = performance.now();

  constructor(verb: string, say?: (line: string) => void) {
    this.#verb = verb;
    this.#say = say;
  }

  /** A new table begins, with this many rows (0: unknown). */
  table(name: string, total = 0): void {
    this.#flush();
    this.#table = name;
    this.#total = total;
    this.#done = 0;
    this.#said = 0;
  }

  /** `n` more rows of the table are done. */
  advance(n: number): void {
    this.#done += n;
    const now = performance.now();
    if (now - this.#saidAt >= EVERY_MS) {
      this.#saidAt = now;
      this.#report();
    }
  }

  /** The end: the last table and a summary of every kind. */
  done(counts: Record<string, number>): void {
    this.#flush();
    const seconds = ((performance.now() - this.#started) / 1000).toFixed(1);
    const parts = Object.entries(counts).map(([kind, n]) =>
      `${n.toLocaleString("en")} ${kind}`
    );
    this.#say?.(
      `${this.#verb} ${parts.join(", ") || "nothing"} in ${seconds} s`,
    );
  }

  #flush(): void {
    if (this.#table !== "" && this.#done > this.#said) this.#report();
  }

  #report(): void {
    this.#said = this.#done;
    const of = this.#total > 0
      ? ` of ${this.#total.toLocaleString("en")} (${
        Math.floor(this.#done / this.#total * 100)
      }%)`
      : "";
    this.#say?.(
      `${this.#verb} ${this.#table}: ${this.#done.toLocaleString("en")}${of}`,
    );
  }
}
