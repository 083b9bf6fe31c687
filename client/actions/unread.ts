/**
 * Read state: read marks from the server or another device, unread and
 * mention counts, the "new messages" line, and the page's visibility.
 */

import { batch } from "@preact/signals";
import type { ReadState } from "../../server/protocol/types.ts";
import { type AppState, entry, put } from "../state.ts";
import {
  lineCounted,
  markRead,
  placeUnreadLine,
  setCounts,
  setMark,
} from "./counts.ts";

/**
 * The server's read state of a room or conversation (a `mark_read` or
 * `mark_unread` reply, or another device's `read_state`): positions only
 * move forward, except when marked unread (`marked_unread`), which also
 * puts the "new" line there and, for the log on screen, holds it unread
 * until the view moves on.
 */
export function readStateApplied(
  state: AppState,
  read: ReadState & { key: string; marked_unread?: true },
): void {
  batch(() => {
    const { key } = read;
    const mark = entry(state.readMarks.value, key);
    const back = read.marked_unread === true;
    if (mark && read.last_read_seq < mark.lastRead && !back) return;
    setMark(state, key, {
      lastRead: read.last_read_seq,
      lastSeq: Math.max(mark?.lastSeq ?? 0, read.last_read_seq),
    });
    setCounts(state, key, read);
    if (back) {
      const { [key]: _line, ...firstUnread } = state.firstUnread.value;
      if (read.unread > 0) put(firstUnread, key, read.last_read_seq + 1);
      state.firstUnread.value = firstUnread;
      if (read.unread > 0) {
        lineCounted(state, key, read.last_read_seq + 1, read.unread);
      }
      if (state.viewKey.value === key) state.readHeld.value = key;
      return;
    }
    // What another device read is not new here either: the "new" line of
    // a log not on screen moves below it (or goes). The log on screen
    // keeps its line until the view moves on, as its own reads do.
    const line = entry(state.firstUnread.value, key);
    const onScreen = state.visible.value && state.viewKey.value === key;
    if (!onScreen && line !== undefined && line <= read.last_read_seq) {
      const { [key]: _line, ...firstUnread } = state.firstUnread.value;
      state.firstUnread.value = read.unread > 0
        ? { ...firstUnread, [key]: read.last_read_seq + 1 }
        : firstUnread;
    }
  });
}

/** The log on screen was marked unread (`key`; null: not after all): it is not read again until the view moves on. */
export function readHeld(state: AppState, key: string | null): void {
  state.readHeld.value = key;
}

/**
 * The "new messages" bar's "Mark as read": the log's "new" line goes, as
 * when the view moves on, and a log marked unread may be read again.
 */
export function unreadLineDismissed(state: AppState, key: string): void {
  batch(() => {
    const { [key]: _line, ...firstUnread } = state.firstUnread.value;
    state.firstUnread.value = firstUnread;
    if (state.readHeld.value === key) state.readHeld.value = null;
  });
}

/**
 * Counts a new message from someone else that the user is not watching:
 * its log is not on screen, or the page is hidden.
 */
export function messageCounted(
  state: AppState,
  counted: { key: string; seq: number; mention: boolean },
): void {
  const { key, seq, mention } = counted;
  batch(() => {
    const mark = entry(state.readMarks.value, key);
    if (mark) {
      // The server's numbers count what it had stored when it sent them.
      if (seq <= mark.lastSeq) return;
      setMark(state, key, { ...mark, lastSeq: seq });
    }
    // The "new" line's count takes it, watched or not.
    const line = entry(state.lineCounts.value, key);
    if (line && line.from === entry(state.firstUnread.value, key)) {
      lineCounted(state, key, line.from, line.count + 1);
    }
    // Watched, it is read, unless marked unread here: then it counts too.
    if (
      state.visible.value && state.viewKey.value === key &&
      state.readHeld.value !== key
    ) return;
    state.unread.value = {
      ...state.unread.value,
      [key]: (entry(state.unread.value, key) ?? 0) + 1,
    };
    if (mention) {
      state.mentions.value = {
        ...state.mentions.value,
        [key]: (entry(state.mentions.value, key) ?? 0) + 1,
      };
    }
    if (entry(state.firstUnread.value, key) === undefined) {
      state.firstUnread.value = { ...state.firstUnread.value, [key]: seq };
      lineCounted(state, key, seq, 1);
    }
  });
}

/**
 * Takes back from a log's badge what a message counted (`unread` messages
 * and `mentions`; a negative `mentions` adds one: an edit that now names
 * this user). Never below 0.
 */
export function messageUncounted(
  state: AppState,
  change: { key: string; unread: number; mentions: number },
): void {
  const { key } = change;
  batch(() => {
    setCounts(state, key, {
      unread: Math.max(
        0,
        (entry(state.unread.value, key) ?? 0) - change.unread,
      ),
      mentions: Math.max(
        0,
        (entry(state.mentions.value, key) ?? 0) - change.mentions,
      ),
    });
  });
}

/** Records whether the page is visible; coming back marks the open log as read. */
export function visibilityChanged(state: AppState, visible: boolean): void {
  batch(() => {
    state.visible.value = visible;
    const key = state.viewKey.value;
    if (visible) {
      placeUnreadLine(state, key);
      markRead(state, key);
    } else if (entry(state.firstUnread.value, key) !== undefined) {
      // Everything on screen was seen: the next "new" line goes lower.
      const { [key]: _line, ...firstUnread } = state.firstUnread.value;
      state.firstUnread.value = firstUnread;
    }
  });
}
