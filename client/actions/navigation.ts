/**
 * What is on screen: moving to a room or a conversation, and the places
 * visited that the quick switcher ranks.
 */

import { batch } from "@preact/signals";
import type { ChatMessage } from "../../server/protocol/types.ts";
import { emptyLog, mergePage, trim } from "../room_log.ts";
import { type AppState, entry, roomKey } from "../state.ts";
import { markRead, placeUnreadLine } from "./counts.ts";
import { KEPT_ON_ENTRY, updateLog } from "./log_update.ts";

/** Moves to a room and merges the history that came with the move. */
export function roomEntered(
  state: AppState,
  entered: { room: string; history: ChatMessage[] },
): void {
  batch(() => {
    const { room, history } = entered;
    const moved = roomKey(room) !== roomKey(state.currentRoom.value);
    const before = state.viewKey.value;
    state.currentRoom.value = room;
    state.view.value = { kind: "room" };
    if (moved) {
      state.members.value = [];
      state.membersOwner.value = null;
      // Pages scrolled up for in an earlier visit need not stay in memory;
      // a log that stopped following live messages starts again.
      updateLog(
        state,
        room,
        (log) =>
          log.unloaded === undefined
            ? trim(log, KEPT_ON_ENTRY)
            : { ...emptyLog(), pending: log.pending },
      );
    }
    state.drawerOpen.value = false;
    updateLog(state, room, (log) => mergePage(log, history));
    viewChanged(state, before);
  });
}

/** Shows the current room again (after a private conversation). */
export function roomShown(state: AppState): void {
  batch(() => {
    const before = state.viewKey.value;
    state.view.value = { kind: "room" };
    state.drawerOpen.value = false;
    viewChanged(state, before);
  });
}

/** Opens a private conversation (starting it if new) and marks it read. */
export function conversationOpened(state: AppState, name: string): void {
  batch(() => {
    const key = roomKey(name);
    const known = entry(state.conversations.value, key);
    const before = state.viewKey.value;
    if (!known) {
      state.conversations.value = {
        ...state.conversations.value,
        [key]: { name, lastTs: new Date().toISOString(), opened: true },
      };
    }
    state.view.value = { kind: "dm", with: known?.name ?? name };
    state.drawerOpen.value = false;
    viewChanged(state, before);
  });
}

/**
 * After the view moved away from `before`: the new log is read (if the page
 * is visible), the old one's "new messages" line and edit are done with.
 */
function viewChanged(state: AppState, before: string): void {
  const now = state.viewKey.value;
  if (now === before) return;
  const { [before]: _line, ...firstUnread } = state.firstUnread.value;
  state.firstUnread.value = firstUnread;
  state.readHeld.value = null;
  state.editing.value = null;
  state.tapped.value = null;
  state.membersOpen.value = false;
  state.inviteOpen.value = false;
  placeUnreadLine(state, now);
  if (state.visible.value) markRead(state, now);
}

/** How many visited places are remembered: the switcher ranks a few dozen. */
export const VISITS_KEPT = 50;

/**
 * Notes that a room or conversation (its log key) was on screen at `ts`;
 * only the {@linkcode VISITS_KEPT} latest are kept, so the record stays
 * small in storage however many rooms one passes through.
 */
export function placeVisited(state: AppState, key: string, ts: string): void {
  batch(() => {
    const visits = Object.entries(state.visited.value)
      .filter(([k]) => k !== key)
      .sort((a, b) => (a[1] < b[1] ? 1 : a[1] > b[1] ? -1 : 0))
      .slice(0, VISITS_KEPT - 1);
    state.visited.value = Object.fromEntries([[key, ts], ...visits]);
  });
}

/** Restores the visits remembered in the browser; those of this page win. */
export function visitsRestored(
  state: AppState,
  saved: Record<string, string>,
): void {
  batch(() => {
    state.visited.value = { ...saved, ...state.visited.value };
  });
}
