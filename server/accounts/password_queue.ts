import { fail, type Failure } from "../protocol/errors.ts";

/** Options of {@link PasswordQueue}. */
export interface PasswordQueueOptions {
  /** Password hashes computed at once (`--password-workers`). */
  workers: number;
  /** Checks that may wait for a worker; more are refused (default 1000). */
  maxWaiting?: number;
}

/**
 * Runs password hashes a few at a time. Each scrypt hash takes 32 MiB and
 * a core for about 0.2 s on a thread of its own: without a queue, 200
 * logins at once would take 6.4 GiB and every core, and the event loop
 * (every other user's messages) would wait for a core. With `workers`
 * hashes at most, memory stays bounded and a flood of logins only makes
 * logins slower. Past `maxWaiting` a check is refused with `rate_limited`
 * (each waiting check holds little, but a flood of them must stop
 * somewhere).
 */
export class PasswordQueue {
  /** How many hashes may run at once. */
  readonly workers: number;
  #maxWaiting: number;
  #running = 0;
  #waiting: ((go: boolean) => void)[] = [];
  #underway = new Set<Promise<unknown>>();
  #closed = false;

  constructor(options: PasswordQueueOptions) {
    this.workers = Math.max(1, options.workers);
    this.#maxWaiting = options.maxWaiting ?? 1000;
  }

  /** Hashes running now. */
  get running(): number {
    return this.#running;
  }

  /** Checks waiting for a worker now. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /**
   * Runs `task` (one or two hashes) once a worker is free: its result, or
   * a failure when too many checks wait, the server is stopping, or
   * `signal` aborts first (the client went away: nobody needs the answer).
   */
  async run<T>(
    task: () => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T | Failure> {
    if (this.#closed) return stopping();
    if (signal?.aborted) return gone();
    if (this.#running >= this.workers) {
      if (this.#waiting.length >= this.#maxWaiting) {
        return fail(
          "rate_limited",
          "The server is busy checking passwords: try again in a few seconds.",
        );
      }
      const { promise, resolve } = Promise.withResolvers<boolean>();
      this.#waiting.push(resolve);
      const leave = () => {
        const at = this.#waiting.indexOf(resolve);
        if (at >= 0) this.#waiting.splice(at, 1);
        resolve(false);
      };
      signal?.addEventListener("abort", leave, { once: true });
      const go = await promise;
      signal?.removeEventListener("abort", leave);
      if (!go) return signal?.aborted ? gone() : stopping();
    } else {
      this.#running++;
    }
    // The worker slot is ours (handed over by the task before us, or taken
    // above) until this task ends.
    const work = task();
    this.#underway.add(work);
    try {
      return await work;
    } finally {
      this.#underway.delete(work);
      const next = this.#waiting.shift();
      if (next) next(true);
      else this.#running--;
    }
  }

  /**
   * Refuses what waits (with `internal`, as for any request at shutdown)
   * and resolves once the hashes running now have ended, so that no hash
   * outlives the server.
   */
  async close(): Promise<void> {
    this.#closed = true;
    for (const resolve of this.#waiting.splice(0)) resolve(false);
    await Promise.allSettled([...this.#underway]);
  }
}

function gone(): Failure {
  return fail("internal", "The request was abandoned.");
}

function stopping(): Failure {
  return fail(
    "internal",
    "The server is restarting: send this again once reconnected.",
  );
}
