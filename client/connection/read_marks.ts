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

/** `mark_read` requests "Mark all as read" has in flight at once. */
export const MARK_ALL_AT_ONCE = 8;

/**
 * Time between two of its requests once the server refused one (ms): the
 * `read` bucket's pace, 10 a second.
 */
export const MARK_ALL_PACE_MS = 100;

/** The farthest apart it goes after refusals, in ms. */
export const MARK_ALL_MAX_PACE_MS = 5000;

/** One log "Mark all as read" marks: where, and up to which seq. */
interface AllMark {
  key: string;
  target: { room: string } | { with: string };
  seq: number;
}

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
  /** The "Mark all as read" under way, if any. */
  #markingAll: Promise<RequestError | null> | null = null;
  /** Counts the sessions (reset): a paced run ends with its own. */
  #session = 0;

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
   * there, one `mark_read` each, {@linkcode MARK_ALL_AT_ONCE} at a time
   * until the server's `read` bucket (100 at once, then 10 a second) says
   * `rate_limited`, then one at a time, paced (see `#markEach`). Sent all
   * at once, an account in 250 unread rooms had 100 marked, 100 refused,
   * and its socket closed (1008) for being over its limits again and
   * again; the rest stayed unread. A run under way is the answer to
   * another press. Resolves to the first error, or null.
   */
  markAll(): Promise<RequestError | null> {
    const state = this.#state;
    if (!state.account.value || !this.#options.ready()) {
      return Promise.resolve(null);
    }
    if (this.#markingAll) return this.#markingAll;
    const marks: AllMark[] = [];
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
      marks.push({ key, target, seq });
    }
    const run = this.#markEach(marks).finally(() => {
      this.#markingAll = null;
    });
    this.#markingAll = run;
    return run;
  }

  /**
   * Sends the marks of "Mark all as read": {@linkcode MARK_ALL_AT_ONCE} at
   * a time; once one is refused `rate_limited`, the others in flight end
   * and one goes at a time, {@linkcode MARK_ALL_PACE_MS} apart, twice as
   * far apart after each refusal, the refused one sent again. So a
   * refusal, which counts toward the server's disconnect of a connection
   * over its limits again and again (100 in 10 s), comes a few times in
   * all. Ends with the session (reset) or when it goes offline; what was
   * not sent stays unread.
   */
  async #markEach(marks: AllMark[]): Promise<RequestError | null> {
    const session = this.#session;
    const going = () => session === this.#session && this.#options.ready();
    const queue = [...marks];
    let paceMs = 0;
    let failed: RequestError | null = null;
    // One mark sent; false when the server refused it for the pace (it
    // goes back in the queue).
    const send = async (mark: AllMark): Promise<boolean> => {
      const { key, target, seq } = mark;
      const result = await this.#options.requests.request("mark_read", {
        ...target,
        seq,
      });
      if (!result.ok && result.error.code === "rate_limited") {
        queue.unshift(mark);
        return false;
      }
      if (this.#asked.get(key) === seq) this.#asked.delete(key);
      if (result.ok) {
        actions.readStateApplied(this.#state, { ...result.data, key });
      } else {
        failed ??= result.error;
      }
      return true;
    };
    const worker = async (): Promise<void> => {
      while (paceMs === 0 && queue.length > 0 && going()) {
        if (!await send(queue.shift()!)) paceMs = MARK_ALL_PACE_MS;
      }
    };
    await Promise.all(Array.from({ length: MARK_ALL_AT_ONCE }, worker));
    while (queue.length > 0 && going()) {
      await this.#sleep(paceMs);
      if (queue.length === 0 || !going()) break;
      if (!await send(queue.shift()!)) {
        paceMs = Math.min(paceMs * 2, MARK_ALL_MAX_PACE_MS);
      }
    }
    for (const { key, seq } of queue) {
      if (this.#asked.get(key) === seq) this.#asked.delete(key);
    }
    return failed;
  }

  // Resolves after `ms` on the options' clock.
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.#options.clock.after(ms, resolve));
  }

  /** Forgets what was asked (a new session starts from the server's numbers). */
  reset(): void {
    this.#session++;
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
