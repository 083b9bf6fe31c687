/**
 * The client's state: signals and the values computed from them. Nothing
 * here writes; `actions.ts` does.
 */

import {
  computed,
  type ReadonlySignal,
  type Signal,
  signal,
} from "@preact/signals";
import type {
  ChatMessage,
  Role,
  RoomSummary,
} from "../server/protocol/types.ts";
import { GENERAL_ROOM } from "../server/protocol/types.ts";
import type { Notice, PendingMessage, RoomLog } from "./room_log.ts";

/**
 * Where the socket is: connecting, online, offline until `retryAt` (ms since
 * epoch), or idle (closed on purpose; opens again when the user logs in).
 */
export type ConnectionStatus =
  | { kind: "connecting" }
  | { kind: "online" }
  | { kind: "offline"; retryAt: number }
  | { kind: "idle" };

/** What the middle column shows: the current room, or a private conversation. */
export type View = { kind: "room" } | { kind: "dm"; with: string };

/** One private conversation in the sidebar. */
export interface Conversation {
  /** The other user's name, as the server spells it. */
  name: string;
  /** Messages received while the conversation was not open. */
  unread: number;
  /** When the last message came, ISO-8601 (for ordering). */
  lastTs: string;
}

/** One row of the message list, in display order. */
export type Line =
  | {
    kind: "message";
    key: string;
    message: ChatMessage;
    own: boolean;
    grouped: boolean;
  }
  | { kind: "pending"; key: string; pending: PendingMessage; grouped: boolean }
  | { kind: "notice"; key: string; notice: Notice };

/** All client state, as signals. */
export interface AppState {
  /** The socket's state. */
  status: Signal<ConnectionStatus>;
  /** True while the socket is back but the session is not yet resumed. */
  resuming: Signal<boolean>;
  /** The logged-in user's name as the server spelled it; null before login. */
  username: Signal<string | null>;
  /** The logged-in user's role. */
  role: Signal<Role | null>;
  /** Whether the session is an account's (cookie) rather than a guest's. */
  account: Signal<boolean>;
  /** True while the page looks for a saved session, before showing the login form. */
  sessionCheck: Signal<boolean>;
  /** Why a moderator removed this user (kick or ban), shown on the login screen. */
  removal: Signal<string | null>;
  /** The last login error, a sentence for people. */
  loginError: Signal<string | null>;
  /** True while a login request is in flight. */
  loginBusy: Signal<boolean>;
  /** The room this connection is in. */
  currentRoom: Signal<string>;
  /** Every room with its user count, from `room_list`. */
  rooms: Signal<RoomSummary[]>;
  /** Logs by key: a room's key, or {@linkcode dmKey} of a private conversation. */
  logs: Signal<Record<string, RoomLog>>;
  /** Private conversations by the other user's key. */
  conversations: Signal<Record<string, Conversation>>;
  /** What the middle column shows. */
  view: Signal<View>;
  /** Users in the current room. */
  members: Signal<string[]>;
  /** Whether the room drawer is open (narrow screens). */
  drawerOpen: Signal<boolean>;
  /** The key of the log on screen: the current room's or the open conversation's. */
  viewKey: ReadonlySignal<string>;
  /** The log on screen. */
  currentLog: ReadonlySignal<RoomLog | undefined>;
  /** The lines on screen, in display order. */
  lines: ReadonlySignal<Line[]>;
}

/** Consecutive messages from one user this close together share a header. */
const GROUP_WINDOW_MS = 5 * 60 * 1000;

/** Rooms and users are unique regardless of case. */
export function roomKey(name: string): string {
  return name.toLowerCase();
}

/** The log key of a private conversation; "@" cannot start a room name. */
export function dmKey(name: string): string {
  return `@${name.toLowerCase()}`;
}

/** Creates the state of a fresh, logged-out client. */
export function createAppState(): AppState {
  const status = signal<ConnectionStatus>({ kind: "connecting" });
  const username = signal<string | null>(null);
  const currentRoom = signal(GENERAL_ROOM);
  const logs = signal<Record<string, RoomLog>>({});
  const view = signal<View>({ kind: "room" });
  const viewKey = computed(() => {
    const shown = view.value;
    return shown.kind === "dm" ? dmKey(shown.with) : roomKey(currentRoom.value);
  });
  const currentLog = computed(() => logs.value[viewKey.value]);
  const lines = computed(() => buildLines(currentLog.value, username.value));
  return {
    status,
    resuming: signal(false),
    username,
    role: signal(null),
    account: signal(false),
    sessionCheck: signal(true),
    removal: signal(null),
    loginError: signal(null),
    loginBusy: signal(false),
    currentRoom,
    rooms: signal([]),
    logs,
    conversations: signal({}),
    view,
    members: signal([]),
    drawerOpen: signal(false),
    viewKey,
    currentLog,
    lines,
  };
}

/** Interleaves messages, notices and pending messages into display order. */
function buildLines(log: RoomLog | undefined, me: string | null): Line[] {
  if (!log) return [];
  const mine = me?.toLowerCase();
  const notices = [...log.notices].sort((a, b) => a.afterSeq - b.afterSeq);
  const lines: Line[] = [];
  let n = 0;
  let prev: { user: string; ts: string } | null = null;
  for (const message of log.messages) {
    while (n < notices.length && notices[n].afterSeq < message.seq) {
      lines.push({ kind: "notice", key: notices[n].key, notice: notices[n] });
      prev = null;
      n++;
    }
    lines.push({
      kind: "message",
      key: `m${message.seq}`,
      message,
      own: message.user.toLowerCase() === mine,
      grouped: continues(prev, message),
    });
    prev = message;
  }
  for (; n < notices.length; n++) {
    lines.push({ kind: "notice", key: notices[n].key, notice: notices[n] });
    prev = null;
  }
  for (const pending of log.pending) {
    lines.push({
      kind: "pending",
      key: `p${pending.clientId}`,
      pending,
      grouped: continues(prev, pending),
    });
    prev = pending;
  }
  return lines;
}

/** Whether a message continues the previous one's group. */
function continues(
  prev: { user: string; ts: string } | null,
  next: { user: string; ts: string },
): boolean {
  if (!prev || prev.user.toLowerCase() !== next.user.toLowerCase()) {
    return false;
  }
  const gap = Date.parse(next.ts) - Date.parse(prev.ts);
  return gap >= 0 && gap < GROUP_WINDOW_MS;
}
