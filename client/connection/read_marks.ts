/**
 * Telling the server what an account has read, so every device shows the
 * same badges: `mark_read` when the newest message of the log on screen
 * is in sight and the page is visible, `mark_unread` for "Mark unread".
 * Positions move forward but for that one, and
 * one log is marked at most once per {@linkcode MARK_READ_MS}: scrolling
 * through a busy room sends one request a second, not one a message.
 */

import * as actions from "../actions.ts";
import type { Clock, TimerId } from "../clock.ts";
import { lastSeq } from "../room_log.ts";
import type { AppState } from "../state.ts";
import type { RequestError } from "./errors.ts";
import type { Requests } from "./requests.ts";
import { entry } from "../state.ts";

/** Least time between two `mark_read` requests for one log, in ms. */
export const MARK_READ_MS = 1000;

/** What {@linkcode ReadMarks} works with. */
export interface ReadMarksOptions {
  /** Sends requests. */
  requests: Requests;
  /** Timers. */
  clock: Clock;
  /** Whether the session is logged in and online (not resuming). */
  ready(): boolean;
}

/** Sends `mark_read` for the log on screen, throttled per log. */
export class ReadMarks {
  #state: AppState;
  #options: ReadMarksOptions;
  /** The highest seq asked for, per log key. */
  #asked = new Map<string, number>();
  /** When each log was last marked (ms since epoch). */
  #sentAt = new Map<string, number>();
  /** The newest seq seen and not yet sent, per log key. */
  #seenUpTo = new Map<string, number>();
  /** Logs waiting for their throttle window to end. */
  #waiting = new Map<string, TimerId>();

  constructor(state: AppState, options: ReadMarksOptions) {
    this.#state = state;
    this.#options = options;
  }

  /**
   * The newest message of the log on screen is in sight: marks it read
   * unless the page is hidden, the user is a guest, or it is read already.
   */
  seen(): void {
    const state = this.#state;
    if (!state.account.value || !state.visible.value) return;
    const key = state.viewKey.value;
    const shown = state.view.value;
    const target = shown.kind === "dm"
      ? { with: shown.with }
      : { room: state.currentRoom.value };
    if (shown.kind === "room" && !entry(state.memberships.value, key)) return;
    // Marked unread while on screen: it stays so until the view moves on.
    if (state.readHeld.value === key) return;
    this.#mark(key, target);
  }

  /**
   * "Mark unread" on the message `seq` of the log on screen: `mark_unread`,
   * after which the log stays unread while it stays on screen (a mark
   * waiting for its window is dropped, or it would read it again at once).
   * Resolves to the error, or null.
   */
  async unread(seq: number): Promise<RequestError | null> {
    const state = this.#state;
    const key = state.viewKey.value;
    const shown = state.view.value;
    const target = shown.kind === "dm"
      ? { with: shown.with }
      : { room: state.currentRoom.value };
    const timer = this.#waiting.get(key);
    if (timer !== undefined) this.#options.clock.cancel(timer);
    this.#waiting.delete(key);
    this.#seenUpTo.delete(key);
    this.#asked.delete(key);
    actions.readHeld(state, key);
    const result = await this.#options.requests.request("mark_unread", {
      ...target,
      seq,
    });
    if (!result.ok) {
      if (state.readHeld.value === key) actions.readHeld(state, null);
      return result.error;
    }
    actions.readStateApplied(state, {
      ...result.data,
      key,
      marked_unread: true,
    });
    return null;
  }

  /**
   * "Mark all as read" (Slack's Shift+Esc): each room and conversation with
   * unread messages is marked read up to the newest seq this client knows
   * there, one `mark_read` each, all at once (the server's `read` bucket
   * takes 100 at once, more than the rooms of most accounts; past it the
   * rest answer `rate_limited` and stay unread). Resolves to the first
   * error, or null.
   */
  async markAll(): Promise<RequestError | null> {
    const state = this.#state;
    if (!state.account.value || !this.#options.ready()) return null;
    const marks: Promise<RequestError | null>[] = [];
    for (const [key, count] of Object.entries(state.unread.value)) {
      // A conversation that began after the login has no mark yet, only
      // the messages its log filed.
      const seq = Math.max(
        entry(state.readMarks.value, key)?.lastSeq ?? 0,
        lastSeq(entry(state.logs.value, key)),
      );
      const target = key.startsWith("@")
        // A conversation's log key is "@" and its name key, the sidebar's
        // own key the name key alone.
        ? withOf(entry(state.conversations.value, key.slice(1))?.name)
        : roomOf(entry(state.memberships.value, key)?.room);
      if (count <= 0 || seq === 0 || target === null) continue;
      this.#asked.set(key, Math.max(seq, this.#asked.get(key) ?? 0));
      marks.push(
        this.#options.requests.request("mark_read", { ...target, seq }).then(
          (result) => {
            if (this.#asked.get(key) === seq) this.#asked.delete(key);
            if (!result.ok) return result.error;
            actions.readStateApplied(state, { ...result.data, key });
            return null;
          },
        ),
      );
    }
    return (await Promise.all(marks)).find((error) => error !== null) ?? null;
  }

  /** Forgets what was asked (a new session starts from the server's numbers). */
  reset(): void {
    for (const timer of this.#waiting.values()) {
      this.#options.clock.cancel(timer);
    }
    this.#waiting.clear();
    this.#seenUpTo.clear();
    this.#asked.clear();
    this.#sentAt.clear();
  }

  #mark(key: string, target: { room: string } | { with: string }): void {
    const state = this.#state;
    const seq = lastSeq(entry(state.logs.value, key));
    const read = Math.max(
      entry(state.readMarks.value, key)?.lastRead ?? 0,
      this.#asked.get(key) ?? 0,
    );
    if (seq === 0 || seq <= read || !this.#options.ready()) return;
    this.#seenUpTo.set(key, Math.max(seq, this.#seenUpTo.get(key) ?? 0));
    if (this.#waiting.has(key)) return;
    const { clock } = this.#options;
    const wait = (this.#sentAt.get(key) ?? -Infinity) + MARK_READ_MS -
      clock.now();
    if (wait > 0) {
      // What was seen meanwhile goes in one request when the window ends.
      this.#waiting.set(
        key,
        clock.after(wait, () => {
          this.#waiting.delete(key);
          if (this.#options.ready()) this.#send(key, target);
        }),
      );
      return;
    }
    this.#send(key, target);
  }

  #send(key: string, target: { room: string } | { with: string }): void {
    const state = this.#state;
    const seq = this.#seenUpTo.get(key) ?? 0;
    this.#seenUpTo.delete(key);
    if (seq <= (this.#asked.get(key) ?? 0)) return;
    this.#asked.set(key, seq);
    this.#sentAt.set(key, this.#options.clock.now());
    void this.#options.requests.request("mark_read", { ...target, seq }).then(
      (result) => {
        if (result.ok) {
          actions.readStateApplied(state, { ...result.data, key });
          // The position now says what was read: a later "Mark unread"
          // may move it back below what was asked.
          if (this.#asked.get(key) === seq) this.#asked.delete(key);
        } else if (this.#asked.get(key) === seq) {
          // Refused or lost: a later look may try again.
          this.#asked.delete(key);
        }
      },
    );
  }
}

function withOf(name: string | undefined): { with: string } | null {
  return name === undefined ? null : { with: name };
}

function roomOf(name: string | undefined): { room: string } | null {
  return name === undefined ? null : { room: name };
}
