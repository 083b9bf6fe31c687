/**
 * The only writers of client state. Each action is one batch, so components
 * never render a half-applied change.
 */

import { batch } from "@preact/signals";
import type {
  ChatMessage,
  LoginSuccess,
  PrivateMessage,
  Role,
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
import {
  type AppState,
  type ConnectionStatus,
  type Conversation,
  dmKey,
  roomKey,
} from "./state.ts";

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
    state.sessionCheck.value = false;
  });
}

/** Forgets the last login error (the user changed how to log in). */
export function loginErrorCleared(state: AppState): void {
  batch(() => {
    state.loginError.value = null;
  });
}

/** Ends the look for a saved session: the login form may show. */
export function sessionChecked(state: AppState): void {
  batch(() => {
    state.sessionCheck.value = false;
  });
}

/** Enters the chat after a successful login, in the room the server chose. */
export function loggedIn(
  state: AppState,
  data: LoginSuccess,
  account: boolean,
): void {
  batch(() => {
    state.loginBusy.value = false;
    state.loginError.value = null;
    state.sessionCheck.value = false;
    state.removal.value = null;
    state.username.value = data.username;
    state.role.value = data.role;
    state.account.value = account;
    state.currentRoom.value = data.room;
    state.view.value = { kind: "room" };
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
    state.account.value = false;
    state.loginBusy.value = false;
    state.loginError.value = reason;
    state.sessionCheck.value = false;
    state.currentRoom.value = GENERAL_ROOM;
    state.view.value = { kind: "room" };
    state.logs.value = {};
    state.conversations.value = {};
    state.members.value = [];
    state.drawerOpen.value = false;
  });
}

/** Returns to the login screen because a moderator kicked or banned this user. */
export function removedByModerator(state: AppState, text: string): void {
  batch(() => {
    loggedOut(state);
    state.removal.value = text;
  });
}

/** Records a role the server gave this user. */
export function roleChanged(state: AppState, role: Role): void {
  batch(() => {
    state.role.value = role;
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
    state.view.value = { kind: "room" };
    if (moved) state.members.value = [];
    state.drawerOpen.value = false;
    updateLog(state, room, (log) => mergePage(log, history));
  });
}

/** Shows the current room again (after a private conversation). */
export function roomShown(state: AppState): void {
  batch(() => {
    state.view.value = { kind: "room" };
    state.drawerOpen.value = false;
  });
}

/** Opens a private conversation (starting it if new) and marks it read. */
export function conversationOpened(state: AppState, name: string): void {
  batch(() => {
    const key = roomKey(name);
    const known = state.conversations.value[key];
    state.conversations.value = {
      ...state.conversations.value,
      [key]: known
        ? { ...known, unread: 0 }
        : { name, unread: 0, lastTs: new Date().toISOString() },
    };
    state.view.value = { kind: "dm", with: known?.name ?? name };
    state.drawerOpen.value = false;
  });
}

/** Removes a conversation from the sidebar; it comes back with its next message. */
export function conversationClosed(state: AppState, name: string): void {
  batch(() => {
    const key = roomKey(name);
    const { [key]: _gone, ...conversations } = state.conversations.value;
    state.conversations.value = conversations;
    const { [dmKey(name)]: _log, ...logs } = state.logs.value;
    state.logs.value = logs;
    const shown = state.view.value;
    if (shown.kind === "dm" && roomKey(shown.with) === key) {
      state.view.value = { kind: "room" };
    }
  });
}

/**
 * Files a private message under its conversation; one from the other side
 * that is new and not on screen counts as unread.
 */
export function privateMessageReceived(
  state: AppState,
  received: { message: PrivateMessage; me: string },
): void {
  const { message, me } = received;
  const fromMe = roomKey(message.user) === roomKey(me);
  const other = fromMe ? message.to : message.user;
  const key = roomKey(other);
  batch(() => {
    const logKey = dmKey(other);
    const held = state.logs.value[logKey]?.messages.some((m) =>
      m.seq === message.seq
    ) ?? false;
    const shown = state.view.value;
    const open = shown.kind === "dm" && roomKey(shown.with) === key;
    const known: Conversation | undefined = state.conversations.value[key];
    const unread = (known?.unread ?? 0) +
      (!fromMe && !open && !held ? 1 : 0);
    const lastTs = known && known.lastTs > message.ts
      ? known.lastTs
      : message.ts;
    state.conversations.value = {
      ...state.conversations.value,
      [key]: { name: other, unread, lastTs },
    };
    if (open && shown.with !== other) {
      state.view.value = { kind: "dm", with: other };
    }
    updateLog(
      state,
      logKey,
      (log) => insertMessage(log, { ...message, room: logKey }),
    );
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

/** Adds a system, info, warning or error line to a log (room or `@name`); `ts` defaults to now. */
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

/** Replaces the room list and its user counts; forgets the logs of deleted rooms. */
export function roomsUpdated(state: AppState, rooms: RoomSummary[]): void {
  batch(() => {
    state.rooms.value = rooms;
    // A room made again under a deleted one's name starts again at seq 1:
    // the old log would hide its messages.
    const alive = new Set(rooms.map((r) => roomKey(r.name)));
    alive.add(roomKey(state.currentRoom.value));
    const logs = state.logs.value;
    const gone = Object.keys(logs).filter((key) =>
      !key.startsWith("@") && !alive.has(key)
    );
    if (gone.length > 0) {
      const kept = { ...logs };
      for (const key of gone) delete kept[key];
      state.logs.value = kept;
    }
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
