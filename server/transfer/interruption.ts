/**
 * Ctrl-C (SIGINT) or SIGTERM during an import stops it as a refused line
 * does: the transaction is rolled back and what the import made is removed
 * (leftovers.ts). Without a listener the runtime ends the process at once,
 * and the new SQLite file, its uncommitted -wal and the files folder stay
 * behind, a database that never held anything.
 *
 * The lines stop at the next one: a signal while the input is awaited
 * stops at once; one while a batch is written (PostgreSQL) after it. One
 * that comes during the final check and commit finds the import done, and
 * it stays done.
 */

/** The signals that stop an import, and the exit code each gives (128 + its number, as a shell reports a process it killed). */
export const STOP_CODES = { SIGINT: 130, SIGTERM: 143 } as const;

/** The name of a signal that stops an import. */
export type StopSignal = keyof typeof STOP_CODES;

/** Why the import stopped: a signal, not the input. */
export class Interrupted extends Error {
  readonly signal: StopSignal;

  constructor(signal: StopSignal) {
    super(`stopped by ${signal}`);
    this.signal = signal;
    this.name = "Interrupted";
  }

  /** The exit code the command returns. */
  get code(): number {
    return STOP_CODES[this.signal];
  }
}

/** Listens for SIGINT and SIGTERM until disposed. */
export class Interruption implements Disposable {
  #signal: StopSignal | undefined;
  // Rejects the line awaited now, if one is: each wait has its own, let go
  // with it (see `lines`).
  #stop: ((error: Interrupted) => void) | undefined;
  #listeners: [StopSignal, () => void][] = [];

  constructor() {
    // Windows has no SIGTERM to listen for; Ctrl-C is SIGINT there too.
    const signals: StopSignal[] = Deno.build.os === "windows"
      ? ["SIGINT"]
      : ["SIGINT", "SIGTERM"];
    for (const signal of signals) {
      const listener = () => {
        this.#signal ??= signal;
        this.#stop?.(new Interrupted(this.#signal));
      };
      Deno.addSignalListener(signal, listener);
      this.#listeners.push([signal, listener]);
    }
  }

  /** Throws Interrupted once a signal came. */
  check(): void {
    if (this.#signal) throw new Interrupted(this.#signal);
  }

  /**
   * The lines, until a signal comes: then the line awaited (stdin may be
   * silent for as long as the writer likes) gives way to Interrupted.
   *
   * Each wait races the signal with a promise of its own, settled and let
   * go with the line. Racing every line with one promise that a signal
   * alone settles (`Promise.race([next, stopped])`) left a reaction on it
   * per line, each holding its line until the import ended: every line of
   * the file in memory (1,000,000 messages' lines of a Slack export: a
   * peak of 2.6 GiB), and an import with a heap of 120 MiB ran out of it
   * at 20,000 thread_follow lines.
   */
  async *lines(lines: AsyncIterable<string>): AsyncGenerator<string> {
    const iterator = lines[Symbol.asyncIterator]();
    while (true) {
      this.check();
      const next = await this.#unlessStopped(iterator.next());
      if (next.done) return;
      yield next.value;
    }
  }

  #unlessStopped<T>(work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#stop = reject;
      work.then(resolve, reject).finally(() => {
        if (this.#stop === reject) this.#stop = undefined;
      });
    });
  }

  [Symbol.dispose](): void {
    for (const [signal, listener] of this.#listeners) {
      Deno.removeSignalListener(signal, listener);
    }
    this.#listeners = [];
  }
}
