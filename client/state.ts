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

/** Where the socket is: connecting, online, or offline until `retryAt` (ms since epoch). */
export type ConnectionStatus =
  | { kind: "connecting" }
  | { kind: "online" }
  | { kind: "offline"; retryAt: number };

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
  /** The last login error, a sentence for people. */
  loginError: Signal<string | null>;
  /** True while a login request is in flight. */
  loginBusy: Signal<boolean>;
  /** The room this connection is in. */
  currentRoom: Signal<string>;
  /** Every room with its user count, from `room_list`. */
  rooms: Signal<RoomSummary[]>;
  /** Conversations by room key (lower-cased name). */
  logs: Signal<Record<string, RoomLog>>;
  /** Users in the current room. */
  members: Signal<string[]>;
  /** Whether the room drawer is open (narrow screens). */
  drawerOpen: Signal<boolean>;
  /** The current room's conversation. */
  currentLog: ReadonlySignal<RoomLog | undefined>;
  /** The current room's lines in display order. */
  lines: ReadonlySignal<Line[]>;
}

/** Consecutive messages from one user this close together share a header. */
const GROUP_WINDOW_MS = 5 * 60 * 1000;

/** Rooms and users are unique regardless of case. */
export function roomKey(name: string): string {
  return name.toLowerCase();
}

/** Creates the state of a fresh, logged-out client. */
export function createAppState(): AppState {
  const status = signal<ConnectionStatus>({ kind: "connecting" });
  const username = signal<string | null>(null);
  const currentRoom = signal(GENERAL_ROOM);
  const logs = signal<Record<string, RoomLog>>({});
  const currentLog = computed(() => logs.value[roomKey(currentRoom.value)]);
  const lines = computed(() => buildLines(currentLog.value, username.value));
  return {
    status,
    resuming: signal(false),
    username,
    role: signal(null),
    loginError: signal(null),
    loginBusy: signal(false),
    currentRoom,
    rooms: signal([]),
    logs,
    members: signal([]),
    drawerOpen: signal(false),
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
