/**
 * The only writers of client state. Each action is one batch, so components
 * never render a half-applied change.
 */

import { batch } from "@preact/signals";
import type {
  ChatMessage,
  LoginSuccess,
  RoomSummary,
} from "../server/protocol/types.ts";
import { GENERAL_ROOM } from "../server/protocol/types.ts";
import {
  addNotice,
  emptyLog,
  insertMessage,
  mergePage,
  type Notice,
  type PendingMessage,
  type RoomLog,
} from "./room_log.ts";
import { type AppState, type ConnectionStatus, roomKey } from "./state.ts";

let noticeCounter = 0;

/** Records the socket's new state. */
export function connectionChanged(
  state: AppState,
  status: ConnectionStatus,
  resuming = false,
): void {
  batch(() => {
    state.status.value = status;
    state.resuming.value = resuming;
  });
}

/** Marks a login request as in flight. */
export function loginStarted(state: AppState): void {
  batch(() => {
    state.loginBusy.value = true;
    state.loginError.value = null;
  });
}

/** Shows why a login failed. */
export function loginFailed(state: AppState, message: string): void {
  batch(() => {
    state.loginBusy.value = false;
    state.loginError.value = message;
  });
}

/** Enters the chat after a successful login, in the room the server chose. */
export function loggedIn(state: AppState, data: LoginSuccess): void {
  batch(() => {
    state.loginBusy.value = false;
    state.loginError.value = null;
    state.username.value = data.username;
    state.role.value = data.role;
    state.currentRoom.value = data.room;
    state.rooms.value = data.rooms;
    state.members.value = [];
  });
}

/** Applies a login made again after a reconnect: keeps rooms' logs and the current room. */
export function sessionResumed(state: AppState, data: LoginSuccess): void {
  batch(() => {
    state.username.value = data.username;
    state.role.value = data.role;
    state.rooms.value = data.rooms;
  });
}

/** Returns to the login screen, forgetting the session's conversations. */
export function loggedOut(state: AppState, reason: string | null = null): void {
  batch(() => {
    state.username.value = null;
    state.role.value = null;
    state.loginBusy.value = false;
    state.loginError.value = reason;
    state.currentRoom.value = GENERAL_ROOM;
    state.logs.value = {};
    state.members.value = [];
    state.drawerOpen.value = false;
  });
}

/** Moves to a room and merges the history that came with the move. */
export function roomEntered(
  state: AppState,
  entered: { room: string; history: ChatMessage[] },
): void {
  batch(() => {
    const { room, history } = entered;
    const moved = roomKey(room) !== roomKey(state.currentRoom.value);
    state.currentRoom.value = room;
    if (moved) state.members.value = [];
    state.drawerOpen.value = false;
    updateLog(state, room, (log) => mergePage(log, history));
  });
}

/** Merges a page of history into a room's log. */
export function historyLoaded(
  state: AppState,
  page: { room: string; messages: ChatMessage[] },
): void {
  batch(() =>
    updateLog(state, page.room, (log) => mergePage(log, page.messages))
  );
}

/** Adds a confirmed message, replacing the pending one with its `client_id`. */
export function messageReceived(state: AppState, message: ChatMessage): void {
  batch(() =>
    updateLog(state, message.room, (log) => insertMessage(log, message))
  );
}

/** Shows a message the user just sent, before the server confirms it. */
export function pendingAdded(state: AppState, pending: PendingMessage): void {
  batch(() =>
    updateLog(
      state,
      pending.room,
      (log) => ({ ...log, pending: [...log.pending, pending] }),
    )
  );
}

/** Marks a pending message as failed (with the server's reason) or as pending again. */
export function pendingChanged(
  state: AppState,
  change: Pick<PendingMessage, "room" | "clientId" | "status" | "error">,
): void {
  const { room, clientId, status, error } = change;
  batch(() =>
    updateLog(state, room, (log) => ({
      ...log,
      pending: log.pending.map((p) =>
        p.clientId === clientId ? { ...p, status, error } : p
      ),
    }))
  );
}

/** Forgets a pending message the user dismissed. */
export function pendingRemoved(
  state: AppState,
  pending: Pick<PendingMessage, "room" | "clientId">,
): void {
  batch(() =>
    updateLog(state, pending.room, (log) => ({
      ...log,
      pending: log.pending.filter((p) => p.clientId !== pending.clientId),
    }))
  );
}

/** Adds a system, info, error or private line to a room's log; `ts` defaults to now. */
export function noticeAdded(
  state: AppState,
  notice: { room: string; kind: Notice["kind"]; text: string; ts?: string },
): void {
  noticeCounter++;
  const line = {
    key: `n${noticeCounter}`,
    kind: notice.kind,
    text: notice.text,
    ts: notice.ts ?? new Date().toISOString(),
  };
  batch(() => updateLog(state, notice.room, (log) => addNotice(log, line)));
}

/** Replaces the room list and its user counts. */
export function roomsUpdated(state: AppState, rooms: RoomSummary[]): void {
  batch(() => {
    state.rooms.value = rooms;
  });
}

/** Replaces the member list, if it is still for the current room. */
export function membersUpdated(
  state: AppState,
  list: { room: string; users: string[] },
): void {
  batch(() => {
    if (roomKey(list.room) !== roomKey(state.currentRoom.value)) return;
    state.members.value = [...list.users].sort((a, b) => a.localeCompare(b));
  });
}

/** Opens or closes the room drawer on narrow screens. */
export function drawerToggled(
  state: AppState,
  open: boolean = !state.drawerOpen.value,
): void {
  batch(() => {
    state.drawerOpen.value = open;
  });
}

/** Applies `change` to one room's log, creating the log on first use. */
function updateLog(
  state: AppState,
  room: string,
  change: (log: RoomLog) => RoomLog,
): void {
  const key = roomKey(room);
  const logs = state.logs.value;
  const before = logs[key] ?? emptyLog();
  const after = change(before);
  if (after !== before || !(key in logs)) {
    state.logs.value = { ...logs, [key]: after };
  }
}
