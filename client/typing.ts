/**
 * Typing indicators: how long one shows, and how often this client says
 * it is typing. Timers live here so state stays plain data.
 */

import { nameKey } from "../server/protocol/names.ts";
import * as actions from "./actions.ts";
import { type Clock, systemClock, type TimerId } from "./clock.ts";
import type { AppState } from "./state.ts";

/** How long "x is typing…" stays after the last `typing` event from x. */
export const TYPING_SHOWN_MS = 5000;
/** Least time between two `typing` requests from this client, per conversation. */
export const TYPING_SEND_MS = 3000;

/** Who is typing where, each with a timer that clears the indicator. */
export class TypingTracker {
  #state: AppState;
  #clock: Clock;
  #timers = new Map<string, TimerId>();

  constructor(state: AppState, clock: Clock = systemClock) {
    this.#state = state;
    this.#clock = clock;
  }

  /** `name` is typing in the log `key`: show it for {@linkcode TYPING_SHOWN_MS}. */
  heard(key: string, name: string): void {
    const id = timerId(key, name);
    this.#clock.cancel(this.#timers.get(id));
    actions.typingStarted(this.#state, {
      key,
      typist: { name, until: Date.now() + TYPING_SHOWN_MS },
    });
    this.#timers.set(
      id,
      this.#clock.after(TYPING_SHOWN_MS, () => {
        this.#timers.delete(id);
        actions.typingStopped(this.#state, { key, name });
      }),
    );
  }

  /** `name`'s message arrived: they are done typing. */
  stopped(key: string, name: string): void {
    const id = timerId(key, name);
    const timer = this.#timers.get(id);
    if (timer === undefined) return;
    this.#clock.cancel(timer);
    this.#timers.delete(id);
    actions.typingStopped(this.#state, { key, name, force: true });
  }

  /** Forgets every indicator (logout). */
  clear(): void {
    for (const timer of this.#timers.values()) this.#clock.cancel(timer);
    this.#timers.clear();
  }
}

/** Lets through one call per interval for each key; the rest are dropped. */
export class Throttle {
  #interval: number;
  #last = new Map<string, number>();

  constructor(intervalMs: number) {
    this.#interval = intervalMs;
  }

  /** Whether a call for `key` may go now (and if so, counts it). */
  allow(key: string, now: number = Date.now()): boolean {
    const last = this.#last.get(key);
    if (last !== undefined && now - last < this.#interval) return false;
    this.#last.set(key, now);
    return true;
  }

  /** Lets the next call for `key` through at once (after a send). */
  reset(key: string): void {
    this.#last.delete(key);
  }
}

function timerId(key: string, name: string): string {
  return `${key}\n${nameKey(name)}`;
}
