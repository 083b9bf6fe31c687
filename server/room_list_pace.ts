import { encodeEvent } from "./protocol/envelope.ts";
import type { RoomSummary } from "./protocol/types.ts";

/** A whole room list of one pass: its text and frame made when needed. */
export interface RoomList {
  rooms: RoomSummary[];
  /** The rooms' JSON, what the pace compares. */
  text?: string;
  frame?: string;
}

/** The list's `room_list` frame, encoded once. */
export function frameOf(list: RoomList): string {
  return list.frame ??= encodeEvent("room_list", { rooms: list.rooms });
}

/**
 * How often a connection that did not ask for `room_changes` (bots,
 * terminals, older clients) gets the whole `room_list`: never one the same
 * as the last it was sent, and at most one every `size / bytesPerSecond`
 * (never more often than the node's lists, every 250 ms). Small lists go
 * out as before; a long one waits: with 2,000 rooms (a list of about
 * 55 KiB) one every 3.5 s at 16 KiB a second, where four a second cost each
 * such connection 222 KiB a second (docs/security.md). What they skip they
 * get, up to date, once their wait is over: `due()` says when the node must
 * make a list again for them. Lists are compared by their rooms' JSON text
 * (frames differ by their timestamps).
 */
export class RoomListPace {
  #bytesPerSecond: number;
  // What each connection was last sent and when, by connection: gone with it.
  #sent = new WeakMap<object, { text: string; at: number }>();
  #due = Infinity;

  constructor(bytesPerSecond: number) {
    this.#bytesPerSecond = bytesPerSecond;
  }

  /**
   * True when the list of rooms `text` (their JSON) goes to `who` now
   * (then it is recorded as sent);
   * false when it is the list `who` has, or came too soon after its last
   * (then `due()` includes when it may have it).
   */
  take(who: object, text: string, now: number): boolean {
    const last = this.#sent.get(who);
    if (last !== undefined) {
      // Usually the very same string (the node reuses an unchanged shared
      // list's text), which V8 finds equal by its pointer before reading it.
      if (last.text === text) return false;
      const wait = text.length * 1000 / this.#bytesPerSecond;
      if (now - last.at < wait) {
        this.#due = Math.min(this.#due, last.at + wait);
        return false;
      }
    }
    this.#sent.set(who, { text, at: now });
    return true;
  }

  /**
   * Records that `who` has the list of rooms `text` since `at` (a login
   * reply that carried it), as if `take` had sent it then.
   */
  sent(who: object, text: string, at: number): void {
    this.#sent.set(who, { text, at });
  }

  /**
   * When the earliest list held back since the last call may go out
   * (performance.now() time), or Infinity when none was; then forgets it.
   */
  due(): number {
    const due = this.#due;
    this.#due = Infinity;
    return due;
  }
}
