/**
 * Timers and the time, as the client's timed parts (reconnect backoff,
 * request timeouts, typing indicators) use them. Tests pass a fake clock,
 * so none of them races the real one.
 */

/** A timer's handle: only ever given back to {@linkcode Clock.cancel}. */
export type TimerId = unknown;

/** Where the client's timed parts get the time and their timers. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `run` once after `ms` milliseconds. */
  after(ms: number, run: () => void): TimerId;
  /** Cancels a timer; nothing when it already ran or is undefined. */
  cancel(timer: TimerId): void;
}

/** The real clock: `Date.now` and `setTimeout`. */
export const systemClock: Clock = {
  now: () => Date.now(),
  after: (ms, run) => setTimeout(run, ms),
  cancel: (timer) =>
    clearTimeout(timer as ReturnType<typeof setTimeout> | undefined),
};
