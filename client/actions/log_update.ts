/**
 * How a writer changes one log (not an action itself: client/actions.ts
 * does not export it), and how much of a log not on screen is kept.
 */

import { emptyLog, type RoomLog, trim } from "../room_log.ts";
import { type AppState, entry, roomKey } from "../state.ts";

/** Messages kept of a room the user comes back to: the newest page and some. */
export const KEPT_ON_ENTRY = 200;

/**
 * A log not on screen, trimmed back to what entering it keeps once it holds
 * twice that: more would only cost memory (about 250 bytes a message; an
 * account in 100 busy rooms held 1,000 of each).
 */
export function keptAside(log: RoomLog): RoomLog {
  return log.messages.length > 2 * KEPT_ON_ENTRY
    ? trim(log, KEPT_ON_ENTRY)
    : log;
}

/** Whether the user is scrolled up in this log, on screen, reading older messages. */
export function readingBack(state: AppState, room: string): boolean {
  return state.scrolledBack.value && roomKey(room) === state.viewKey.value;
}

/** Applies `change` to one room's log, creating the log on first use. */
export function updateLog(
  state: AppState,
  room: string,
  change: (log: RoomLog) => RoomLog,
): void {
  const key = roomKey(room);
  const logs = state.logs.value;
  const before = entry(logs, key) ?? emptyLog();
  const after = change(before);
  if (after !== before || !Object.hasOwn(logs, key)) {
    state.logs.value = { ...logs, [key]: after };
  }
}
