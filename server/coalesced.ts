/**
 * A background job that runs one at a time (a sweep, a retention pass),
 * asked for by a timer and by changes that want their effect seen at once.
 *
 * Joining the run under way is not enough for the second kind: it may have
 * read the store before the change that asked (a delete just acknowledged),
 * and the effect would wait for the next timer, an hour later. So a request
 * made while a run is under way gets a run that starts after it; all such
 * requests share that one run, so a burst of deletes costs two runs at most.
 */
export class Coalesced<T> {
  #job: () => Promise<T>;
  #running: Promise<T> | undefined;
  #next: Promise<T> | undefined;

  constructor(job: () => Promise<T>) {
    this.#job = job;
  }

  /** Resolves with the outcome of a run that started at or after this call. */
  run(): Promise<T> {
    if (this.#running) {
      this.#next ??= this.#running.then(() => {}, () => {}).then(() => {
        this.#next = undefined;
        return this.run();
      });
      return this.#next;
    }
    const running = this.#job().finally(() => {
      if (this.#running === running) this.#running = undefined;
    });
    this.#running = running;
    return running;
  }

  /** Resolves once no run is under way or waiting, whatever their outcome. */
  async idle(): Promise<void> {
    while (this.#running || this.#next) {
      await (this.#next ?? this.#running)?.then(() => {}, () => {});
    }
  }
}
