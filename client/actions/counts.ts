/**
 * Helpers of the read-state writers shared by several parts (not actions
 * themselves: client/actions.ts does not export them): read marks, counts
 * and the "new" line. Each runs inside its caller's batch.
 */

import { type AppState, entry, put, type ReadMark } from "../state.ts";

/**
 * Puts the "new messages" line of a log the server counts at its read
 * position, when there is something unread below it.
 */
export function placeUnreadLine(state: AppState, key: string): void {
  const mark = entry(state.readMarks.value, key);
  const unread = entry(state.unread.value, key) ?? 0;
  if (!mark || unread === 0) return;
  state.firstUnread.value = {
    ...state.firstUnread.value,
    [key]: mark.lastRead + 1,
  };
  lineCounted(state, key, mark.lastRead + 1, unread);
}

/** Sets how many messages by others are unread from the "new" line at `from`. */
export function lineCounted(
  state: AppState,
  key: string,
  from: number,
  count: number,
): void {
  state.lineCounts.value = {
    ...state.lineCounts.value,
    [key]: { from, count },
  };
}

/**
 * Clears a log's unread count (its "new messages" line stays until the
 * view moves on). An account's rooms wait for the server's numbers: they
 * clear once `mark_read` says so, on this device and the others alike.
 */
export function markRead(state: AppState, key: string): void {
  if (serverCounted(state, key)) return;
  if (entry(state.unread.value, key) !== undefined) {
    const { [key]: _n, ...unread } = state.unread.value;
    state.unread.value = unread;
  }
  if (entry(state.mentions.value, key) !== undefined) {
    const { [key]: _n, ...mentions } = state.mentions.value;
    state.mentions.value = mentions;
  }
}

/** Whether the server keeps this log's counts: an account's room. */
function serverCounted(state: AppState, key: string): boolean {
  return entry(state.memberships.value, key) !== undefined;
}

/** Sets one log's read position. */
export function setMark(state: AppState, key: string, mark: ReadMark): void {
  state.readMarks.value = { ...state.readMarks.value, [key]: mark };
}

/** Sets one log's unread and mention counts (0 removes them). */
export function setCounts(
  state: AppState,
  key: string,
  counts: { unread: number; mentions: number },
): void {
  const { [key]: _u, ...unread } = state.unread.value;
  const { [key]: _m, ...mentions } = state.mentions.value;
  if (counts.unread > 0) put(unread, key, counts.unread);
  if (counts.mentions > 0) put(mentions, key, counts.mentions);
  state.unread.value = unread;
  state.mentions.value = mentions;
}

/** Forgets everything counted for a log. */
export function forget(state: AppState, key: string): void {
  markRead(state, key);
  const { [key]: _line, ...firstUnread } = state.firstUnread.value;
  state.firstUnread.value = firstUnread;
}
