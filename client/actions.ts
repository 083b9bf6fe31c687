/**
 * The only writers of client state. Each action is one batch, so components
 * never render a half-applied change.
 */

import { batch } from "@preact/signals";
import type { EmojiNames } from "./emoji_names.ts";
import type { EmojiTones, SkinTone } from "./emoji_tones.ts";
import type { Lang } from "./i18n.ts";
import type {
  Attachment,
  ChatMessage,
  ConversationSummary,
  LoginSuccess,
  Membership as ServerMembership,
  MembershipEvent,
  PrivateMessage,
  ReadState,
  Role,
  RoleChangedEvent,
  RoomChangesEvent,
  RoomSummary,
} from "../server/protocol/types.ts";
import { GENERAL_ROOM } from "../server/protocol/types.ts";
import { nameKey } from "../server/protocol/names.ts";
import {
  addNotice,
  emptyLog,
  insertMessage,
  lastSeq,
  mergePage,
  type Notice,
  type PendingMessage,
  replaceMessage,
  type RoomLog,
  trim,
  type Words,
} from "./room_log.ts";
import {
  type AppState,
  type ConnectionStatus,
  type Conversation,
  type ConversationsCursor,
  dmKey,
  entry,
  memberMatchKey,
  type Membership,
  type NotifyLevel,
  type NotifyPermission,
  put,
  type ReadMark,
  roomKey,
  type Typist,
  type Upload,
} from "./state.ts";

/** Messages kept of a room the user comes back to: the newest page and some. */
const KEPT_ON_ENTRY = 200;

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
    if (status.kind !== "online") state.presenceKnown.value = false;
  });
}

/** Marks a login request as in flight. */
export function loginStarted(state: AppState): void {
  batch(() => {
    state.loginBusy.value = true;
    state.loginError.value = null;
  });
}

/** Shows why a login failed, said in the interface's language at each render. */
export function loginFailed(state: AppState, words: Words): void {
  batch(() => {
    state.loginBusy.value = false;
    state.loginError.value = words;
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
    state.staff.value = null;
    state.account.value = account;
    state.currentRoom.value = data.room;
    state.view.value = { kind: "room" };
    state.rooms.value = data.rooms;
    state.maxFileBytes.value = data.limits?.max_file_bytes ?? null;
    state.members.value = [];
    state.membersOwner.value = null;
    state.manages.value = {};
    state.doNotDisturb.value = data.do_not_disturb ?? null;
    membershipsLoaded(state, data);
    // The room landed in is opened as any other: its "new" line goes at
    // the read position the login reply gives.
    placeUnreadLine(state, roomKey(data.room));
  });
}

/** Applies a login made again after a reconnect: keeps rooms' logs and the current room. */
export function sessionResumed(state: AppState, data: LoginSuccess): void {
  batch(() => {
    state.username.value = data.username;
    state.role.value = data.role;
    state.rooms.value = data.rooms;
    // The operator may have changed it while this client was away.
    state.maxFileBytes.value = data.limits?.max_file_bytes ?? null;
    // Set or ended on another device while this one was away.
    state.doNotDisturb.value = data.do_not_disturb ?? null;
    membershipsLoaded(state, data);
  });
}

/** Returns to the login screen, forgetting the session's conversations. */
export function loggedOut(state: AppState, reason: Words | null = null): void {
  batch(() => {
    state.username.value = null;
    state.role.value = null;
    state.staff.value = null;
    state.ignored.value = {};
    state.shownIgnored.value = {};
    state.account.value = false;
    state.loginBusy.value = false;
    state.loginError.value = reason;
    state.sessionCheck.value = false;
    state.currentRoom.value = GENERAL_ROOM;
    state.view.value = { kind: "room" };
    state.logs.value = {};
    state.conversations.value = {};
    state.closedConversations.value = {};
    state.conversationsNext.value = null;
    state.members.value = [];
    state.membersOwner.value = null;
    state.memberships.value = {};
    state.readMarks.value = {};
    state.manages.value = {};
    state.inviteOpen.value = false;
    state.announcement.value = "";
    state.announcedId.value = null;
    state.switcherOpen.value = false;
    state.drawerOpen.value = false;
    state.membersOpen.value = false;
    state.unread.value = {};
    state.mentions.value = {};
    state.firstUnread.value = {};
    state.lineCounts.value = {};
    state.readHeld.value = null;
    state.notifyLevels.value = {};
    state.doNotDisturb.value = null;
    state.visited.value = {};
    state.skinTone.value = 0;
    state.typing.value = {};
    state.uploads.value = {};
    state.drafts.value = {};
    state.composing.value = null;
    state.editing.value = null;
    state.lightbox.value = null;
    state.tokensOpen.value = false;
    state.hooksOpen.value = null;
    state.loadingOlder.value = {};
  });
}

/** Returns to the login screen because a moderator kicked or banned this user. */
export function removedByModerator(state: AppState, text: Words): void {
  batch(() => {
    loggedOut(state);
    state.removal.value = text;
  });
}

/** Records whom this account ignores, as `list_ignored` listed them. */
export function ignoredListed(state: AppState, users: string[]): void {
  batch(() => {
    state.ignored.value = Object.fromEntries(
      users.map((user) => [nameKey(user), user]),
    );
  });
}

/** Applies an `ignored` event, or this page's own ignore or unignore. */
export function ignoreChanged(
  state: AppState,
  change: { user: string; ignored: boolean },
): void {
  batch(() => {
    const { [nameKey(change.user)]: _was, ...rest } = state.ignored.value;
    state.ignored.value = change.ignored
      ? { ...rest, [nameKey(change.user)]: change.user }
      : rest;
  });
}

/** Shows one hidden message of an ignored account. */
export function ignoredMessageShown(state: AppState, id: string): void {
  batch(() => {
    state.shownIgnored.value = { ...state.shownIgnored.value, [id]: true };
  });
}

/** Records the moderators and admins the server listed; the rest are users. */
export function staffListed(
  state: AppState,
  accounts: { username: string; role: Role; created_at: string }[],
): void {
  batch(() => {
    state.staff.value = Object.fromEntries(
      accounts.map((a) => [
        nameKey(a.username),
        { role: a.role, since: Date.parse(a.created_at) },
      ]),
    );
  });
}

/**
 * Records someone's new role (`role_changed`) in the staff list, so the
 * menus follow at once. Nothing while the list is unread: the list that
 * comes says it.
 */
export function staffChanged(state: AppState, change: RoleChangedEvent): void {
  batch(() => {
    const staff = state.staff.value;
    if (staff === null) return;
    const { [nameKey(change.user)]: _was, ...rest } = staff;
    state.staff.value = change.role === "user" ? rest : {
      ...rest,
      [nameKey(change.user)]: {
        role: change.role,
        since: Date.parse(change.created_at),
      },
    };
  });
}

/** Records a role the server gave this user; others' ranks are read again. */
export function roleChanged(state: AppState, role: Role): void {
  batch(() => {
    state.role.value = role;
    state.staff.value = null;
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

/** Puts back the conversations remembered from an earlier visit, keeping newer ones. */
export function conversationsRestored(
  state: AppState,
  saved: Conversation[],
): void {
  batch(() => {
    const conversations = { ...state.conversations.value };
    for (const c of saved) {
      const key = roomKey(c.name);
      if (!conversations[key]) conversations[key] = c;
    }
    state.conversations.value = conversations;
  });
}

/** A page of `list_conversations` as the sidebar takes it. */
export interface ListedConversations {
  /** The page, newest first. */
  conversations: ConversationSummary[];
  /** The reply's `next`: older conversations follow. */
  next?: string;
  /** The cursor the page was asked below; none for the newest page. */
  above?: ConversationsCursor;
  /**
   * The sidebar's rows when the page was asked. Only a row still the same
   * may be dropped: one changed since (a message came, the list answered
   * meanwhile) may be newer than what the server counted.
   */
  asked?: Record<string, Conversation>;
}

/**
 * The account's conversations as the server lists them (after a login and
 * each resume, and each "show more"), merged into the sidebar: each one is
 * added (or its time moved up), and its read state taken from the server
 * unless this page has counted a message newer than the list's. A row the
 * page's range covers that the server no longer lists (its messages
 * expired, its partner's account deleted) goes, unless it was opened here
 * with no message yet or is on screen (it goes at a later list).
 */
export function conversationsListed(
  state: AppState,
  page: ListedConversations,
): void {
  batch(() => {
    const listed = page.conversations;
    const conversations = { ...state.conversations.value };
    const keys = new Set<string>();
    for (const c of listed) {
      const key = roomKey(c.with);
      keys.add(key);
      const closed = entry(state.closedConversations.value, key);
      if (closed !== undefined && closed >= c.last_ts) continue;
      const known = conversations[key];
      // A message newer than the list's came here: it is the news.
      const newer = known !== undefined && known.lastTs > c.last_ts;
      conversations[key] = {
        name: known?.name ?? c.with,
        lastTs: newer ? known.lastTs : c.last_ts,
        ...(c.deleted && !newer ? { deleted: true } : {}),
      };
      const logKey = dmKey(c.with);
      const mark = entry(state.readMarks.value, logKey);
      // Events past the list's newest message were counted on top of it.
      if (mark && mark.lastSeq > c.last_seq) continue;
      setMark(state, logKey, {
        lastRead: Math.max(mark?.lastRead ?? 0, c.last_read_seq),
        lastSeq: c.last_seq,
      });
      // The conversation on screen is being read: no badge for it.
      if (state.visible.value && state.viewKey.value === logKey) continue;
      setCounts(state, logKey, c);
    }
    // The page covers the times from its cursor's (the newest page: from
    // now) down to its last one's when older ones follow, else to the
    // start. Ties at either end may be on the next page: kept.
    const oldest = listed.length > 0 && page.next !== undefined
      ? listed[listed.length - 1].last_ts
      : null;
    const newest = page.above?.lastTs ?? null;
    const shown = state.view.value;
    for (const [key, c] of Object.entries(conversations)) {
      if (keys.has(key) || c.opened || page.asked?.[key] !== c) continue;
      if (oldest !== null && c.lastTs <= oldest) continue;
      if (newest !== null && c.lastTs >= newest) continue;
      if (shown.kind === "dm" && roomKey(shown.with) === key) continue;
      delete conversations[key];
      forgetConversation(state, c.name);
    }
    state.conversations.value = conversations;
    if (
      page.above === undefined || state.conversationsNext.value === page.above
    ) {
      state.conversationsNext.value = oldest === null
        ? null
        : { before: page.next!, lastTs: oldest };
    }
  });
}

/**
 * Removes a conversation from the sidebar; it comes back with its next
 * message (the server's list too brings it back only then).
 */
export function conversationClosed(state: AppState, name: string): void {
  batch(() => {
    const key = roomKey(name);
    const { [key]: gone, ...conversations } = state.conversations.value;
    state.conversations.value = conversations;
    if (gone) {
      state.closedConversations.value = {
        ...state.closedConversations.value,
        [key]: gone.lastTs,
      };
    }
    forgetConversation(state, name);
    const shown = state.view.value;
    if (shown.kind === "dm" && roomKey(shown.with) === key) {
      state.view.value = { kind: "room" };
    }
  });
}

/** Files a private message under its conversation (counting is {@linkcode messageCounted}'s job). */
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
    const shown = state.view.value;
    const open = shown.kind === "dm" && roomKey(shown.with) === key;
    const known = entry(state.conversations.value, key);
    const lastTs = known && known.lastTs > message.ts
      ? known.lastTs
      : message.ts;
    state.conversations.value = {
      ...state.conversations.value,
      [key]: { name: other, lastTs },
    };
    if (open && shown.with !== other) {
      state.view.value = { kind: "dm", with: other };
    }
    updateLog(
      state,
      logKey,
      (log) => {
        const kept = insertMessage(
          log,
          { ...message, room: logKey },
          readingBack(state, logKey),
        );
        return open ? kept : keptAside(kept);
      },
    );
  });
}

/**
 * Forgets what the client held of a room: the server says it is another
 * room now (created again under its name, or a restored database).
 */
export function roomLogReset(state: AppState, room: string): void {
  batch(() => updateLog(state, room, () => emptyLog()));
}

/**
 * Merges a page of history into a room's log; `end`: the page reached the
 * newest message the server had.
 */
export function historyLoaded(
  state: AppState,
  page: { room: string; messages: ChatMessage[]; end?: boolean },
): void {
  batch(() =>
    updateLog(
      state,
      page.room,
      (log) => mergePage(log, page.messages, page.end),
    )
  );
}

/**
 * Adds a confirmed message, replacing the pending one with its `client_id`.
 * An account hears every room it belongs to; a room not on screen gets no
 * gap filling, so a message that does not follow what its log holds
 * starts the log again rather than hide the messages in between.
 */
export function messageReceived(state: AppState, message: ChatMessage): void {
  batch(() =>
    updateLog(state, message.room, (log) => {
      const last = lastSeq(log);
      const elsewhere = roomKey(message.room) !==
        roomKey(state.currentRoom.value);
      if (elsewhere && last > 0 && message.seq > last + 1) {
        return insertMessage({ ...emptyLog(), pending: log.pending }, message);
      }
      const kept = insertMessage(
        log,
        message,
        readingBack(state, message.room),
      );
      return elsewhere ? keptAside(kept) : kept;
    })
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

/**
 * Adds a system, info, warning or error line to a log (room or `@name`);
 * `ts` defaults to now. `text` given as {@linkcode Words} is said again in
 * the interface's language when it changes; a string stays as written.
 */
export function noticeAdded(
  state: AppState,
  notice: {
    room: string;
    kind: Notice["kind"];
    text: string | Words;
    system?: Notice["system"];
    ts?: string;
  },
): void {
  noticeCounter++;
  const words = typeof notice.text === "function" ? notice.text : undefined;
  const line = {
    key: `n${noticeCounter}`,
    kind: notice.kind,
    text: words?.() ?? notice.text as string,
    system: notice.system,
    words,
    ts: notice.ts ?? new Date().toISOString(),
  };
  batch(() => updateLog(state, notice.room, (log) => addNotice(log, line)));
}

/**
 * Shows why a request failed where the user is looking (nothing when it
 * did not fail), said again when the language changes if `words` says it.
 */
export function errorShown(
  state: AppState,
  error: { message: string; words?: Words } | null | undefined,
): void {
  if (!error) return;
  noticeAdded(state, {
    room: state.viewKey.value,
    kind: "error",
    text: error.words ?? error.message,
  });
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

/**
 * Applies a `room_changes` event to the room list: changed rooms replaced
 * where they stand, new ones added at the end, removed ones dropped (and
 * their logs forgotten, as with a whole list).
 */
export function roomsChanged(state: AppState, changes: RoomChangesEvent): void {
  const changed = new Map(changes.rooms.map((r) => [r.name, r]));
  const removed = new Set(changes.removed);
  const rooms: RoomSummary[] = [];
  for (const room of state.rooms.value) {
    if (removed.has(room.name)) continue;
    rooms.push(changed.get(room.name) ?? room);
    changed.delete(room.name);
  }
  roomsUpdated(state, [...rooms, ...changed.values()]);
}

/**
 * An admin renamed a room: what the client keeps under its old key moves
 * to the new one (membership, read mark, counts, and what the user was
 * writing there: the text, its files, the message it answers); its log
 * is read again.
 */
export function roomRenamed(state: AppState, from: string, to: string): void {
  const oldKey = roomKey(from);
  const newKey = roomKey(to);
  batch(() => {
    const move = <T>(signal: { value: Record<string, T> }) => {
      // Only an entry of its own: `constructor` would move Object itself.
      if (!Object.hasOwn(signal.value, oldKey)) return;
      const { [oldKey]: value, ...rest } = signal.value;
      signal.value = value === undefined ? rest : { ...rest, [newKey]: value };
    };
    const membership = entry(state.memberships.value, oldKey);
    move(state.memberships);
    if (membership) {
      state.memberships.value = {
        ...state.memberships.value,
        [newKey]: { ...membership, room: to },
      };
    }
    move(state.readMarks);
    move(state.manages);
    move(state.unread);
    move(state.mentions);
    move(state.notifyLevels);
    move(state.drafts);
    move(state.uploads);
    move(state.team.replyTo);
    const { [oldKey]: _log, ...logs } = state.logs.value;
    state.logs.value = logs;
    forget(state, oldKey);
  });
}

/**
 * An account joined a room (on any device: it shows in the sidebar with
 * its read state) or no longer belongs to one (its counts go).
 */
export function membershipChanged(
  state: AppState,
  event: MembershipEvent,
): void {
  batch(() => {
    const key = roomKey(event.room);
    if (!event.member) {
      const { [key]: _gone, ...memberships } = state.memberships.value;
      state.memberships.value = memberships;
      const { [key]: _mark, ...marks } = state.readMarks.value;
      state.readMarks.value = marks;
      const { [key]: _m, ...manages } = state.manages.value;
      state.manages.value = manages;
      forget(state, key);
      return;
    }
    state.memberships.value = {
      ...state.memberships.value,
      [key]: { room: event.room, private: event.private === true },
    };
    setMark(state, key, {
      lastRead: event.last_read_seq ?? 0,
      lastSeq: event.last_seq ?? 0,
    });
    setCounts(state, key, {
      unread: event.unread ?? 0,
      mentions: event.mentions ?? 0,
    });
  });
}

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

/** Records whether this user manages a room's members and invite links. */
export function managesChanged(
  state: AppState,
  change: { room: string; manages: boolean },
): void {
  batch(() => {
    const key = roomKey(change.room);
    const { [key]: _was, ...rest } = state.manages.value;
    state.manages.value = change.manages ? { ...rest, [key]: true } : rest;
  });
}

/** Opens or closes the current room's invite dialog. */
export function inviteDialogToggled(state: AppState, open: boolean): void {
  batch(() => {
    state.inviteOpen.value = open;
    if (open) {
      state.drawerOpen.value = false;
      state.membersOpen.value = false;
    }
  });
}

/** Counts a `joined` event of the current room (the invite dialog follows it). */
export function joinHeard(state: AppState): void {
  state.roomJoins.value++;
}

/** Says a new message to screen readers (the polite live region). */
export function announced(
  state: AppState,
  said: { id: string; text: string },
): void {
  batch(() => {
    state.announcement.value = said.text;
    state.announcedId.value = said.id;
  });
}

/** Records a room's new owner (`room_owner`), if it is the current room. */
export function ownerChanged(
  state: AppState,
  change: { room: string; owner?: string },
): void {
  batch(() => {
    if (roomKey(change.room) !== roomKey(state.currentRoom.value)) return;
    state.membersOwner.value = change.owner ?? null;
  });
}

/** Replaces the member list, if it is still for the current room. */
export function membersUpdated(
  state: AppState,
  list: { room: string; users: string[]; owner?: string },
): void {
  batch(() => {
    if (roomKey(list.room) !== roomKey(state.currentRoom.value)) return;
    state.members.value = [...list.users].sort((a, b) => a.localeCompare(b));
    state.membersOwner.value = list.owner ?? null;
    state.presenceKnown.value = state.status.value.kind === "online";
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

/** Replaces an edited or deleted message where it is held. */
export function messageUpdated(state: AppState, message: ChatMessage): void {
  batch(() => {
    updateLog(state, message.room, (log) => replaceMessage(log, message));
    if (message.deleted && state.editing.value === message.id) {
      state.editing.value = null;
    }
    // The live region stays in the page (a screen reader can walk back to
    // it): a deleted message's text must not stay readable there.
    if (message.deleted && state.announcedId.value === message.id) {
      state.announcement.value = "";
      state.announcedId.value = null;
    }
  });
}

/** Shows that someone is typing in a log, until `typist.until`. */
export function typingStarted(
  state: AppState,
  typing: { key: string; typist: Typist },
): void {
  const { key, typist } = typing;
  batch(() => {
    const others = (entry(state.typing.value, key) ?? []).filter((t) =>
      roomKey(t.name) !== roomKey(typist.name)
    );
    state.typing.value = { ...state.typing.value, [key]: [...others, typist] };
  });
}

/**
 * Stops showing someone typing: their message came (`force`), or the
 * time ran out (only if no later `typing` event moved it).
 */
export function typingStopped(
  state: AppState,
  stop: { key: string; name: string; force?: boolean },
): void {
  batch(() => {
    const list = entry(state.typing.value, stop.key);
    if (!list) return;
    const now = Date.now();
    const kept = list.filter((t) =>
      roomKey(t.name) !== roomKey(stop.name) || (!stop.force && t.until > now)
    );
    if (kept.length === list.length) return;
    const typing = { ...state.typing.value };
    if (kept.length === 0) delete typing[stop.key];
    else put(typing, stop.key, kept);
    state.typing.value = typing;
  });
}

/**
 * A room's or conversation's notification level changed (here, on another
 * device, or as the server listed it): `mentions`, the default, is kept as
 * no entry.
 */
export function notifyLevelSet(
  state: AppState,
  key: string,
  level: NotifyLevel,
): void {
  batch(() => {
    const levels = { ...state.notifyLevels.value };
    if (level === "mentions") delete levels[key];
    else put(levels, key, level);
    state.notifyLevels.value = levels;
  });
}

/**
 * Until when the account's notifications are paused (here, on another
 * device, or as the login said), null for resumed.
 */
export function doNotDisturbSet(state: AppState, until: number | null): void {
  state.doNotDisturb.value = until;
}

/** The account's levels as the server listed them, replacing what was known. */
export function notifyLevelsListed(
  state: AppState,
  levels: { key: string; level: NotifyLevel }[],
): void {
  const record: Record<string, NotifyLevel> = {};
  for (const { key, level } of levels) {
    if (level !== "mentions") put(record, key, level);
  }
  state.notifyLevels.value = record;
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

/** Adds a file to a log's composer. */
export function uploadAdded(
  state: AppState,
  added: { key: string; upload: Upload },
): void {
  batch(() => {
    const list = entry(state.uploads.value, added.key) ?? [];
    state.uploads.value = {
      ...state.uploads.value,
      [added.key]: [...list, added.upload],
    };
  });
}

/** Records an upload's progress: done with its attachment, or failed. */
export function uploadChanged(
  state: AppState,
  change: { key: string; id: string; patch: Partial<Upload> },
): void {
  batch(() => {
    const list = entry(state.uploads.value, change.key);
    if (!list) return;
    state.uploads.value = {
      ...state.uploads.value,
      [change.key]: list.map((u) =>
        u.id === change.id ? { ...u, ...change.patch } : u
      ),
    };
  });
}

/** Takes files out of a log's composer: the ones named, or all of them. */
export function uploadsRemoved(
  state: AppState,
  removed: { key: string; ids?: string[] },
): void {
  batch(() => {
    const list = entry(state.uploads.value, removed.key);
    if (!list) return;
    const ids = removed.ids;
    const kept = ids ? list.filter((u) => !ids.includes(u.id)) : [];
    const uploads = { ...state.uploads.value };
    if (kept.length === 0) delete uploads[removed.key];
    else put(uploads, removed.key, kept);
    state.uploads.value = uploads;
  });
}

/** The text being written in a room or conversation changed ("" forgets it). */
export function draftChanged(
  state: AppState,
  draft: { key: string; text: string },
): void {
  batch(() => {
    const { [draft.key]: _was, ...rest } = state.drafts.value;
    state.drafts.value = draft.text === ""
      ? rest
      : { ...rest, [draft.key]: draft.text };
  });
}

/** The emoji shortcodes fetched for an interface language, for the composer. */
export function emojiNamesLoaded(
  state: AppState,
  loaded: { lang: Lang; names: EmojiNames },
): void {
  batch(() => {
    state.emojiNames.value = loaded;
  });
}

/** The skin tone chosen (in the picker or the menu) or remembered for the account. */
export function skinToneChosen(state: AppState, tone: SkinTone): void {
  batch(() => {
    state.skinTone.value = tone;
  });
}

/** The toned forms of emoji, fetched once a tone is chosen. */
export function emojiTonesLoaded(state: AppState, tones: EmojiTones): void {
  batch(() => {
    state.emojiTones.value = tones;
  });
}

/** The accounts of a room that start with a prefix, as `list_members` answered. */
export function memberMatchesLoaded(
  state: AppState,
  matches: { room: string; prefix: string; names: string[] },
): void {
  batch(() => {
    const next = { ...state.memberMatches.value };
    put(next, memberMatchKey(matches.room, matches.prefix), matches.names);
    state.memberMatches.value = next;
  });
}

/**
 * The account's drafts as the server keeps them (by log key), after a
 * login: they replace the browser's, which another device may have sent.
 */
export function draftsListed(
  state: AppState,
  drafts: Record<string, string>,
): void {
  batch(() => {
    state.drafts.value = drafts;
  });
}

/** The message box of a log got the focus (its key) or lost it (null). */
export function composingChanged(state: AppState, key: string | null): void {
  batch(() => {
    state.composing.value = key;
  });
}

/**
 * The unsent text the browser kept from an earlier page, by log key; what
 * was typed in this page since wins.
 */
export function draftsRestored(
  state: AppState,
  saved: Record<string, string>,
): void {
  batch(() => {
    state.drafts.value = { ...saved, ...state.drafts.value };
  });
}

/** Starts editing a message in place (its id), or stops (null). */
export function editingChanged(state: AppState, id: string | null): void {
  batch(() => {
    state.editing.value = id;
  });
}

/** Shows an image full size, or closes the view (null). */
export function lightboxChanged(
  state: AppState,
  image: Attachment | null,
): void {
  batch(() => {
    state.lightbox.value = image;
  });
}

/** Opens the webhooks page of a room, or closes it (null). */
export function hooksPageChanged(state: AppState, room: string | null): void {
  batch(() => {
    state.hooksOpen.value = room;
  });
}

/** Opens or closes the access tokens page. */
export function tokensPageChanged(state: AppState, open: boolean): void {
  batch(() => {
    state.tokensOpen.value = open;
  });
}

/** Marks a log's older history as being fetched, or done. */
export function olderLoading(
  state: AppState,
  loading: { key: string; busy: boolean },
): void {
  batch(() => {
    const { [loading.key]: _was, ...rest } = state.loadingOlder.value;
    state.loadingOlder.value = loading.busy
      ? { ...rest, [loading.key]: true }
      : rest;
  });
}

/** Records the desktop notification permission. */
export function notifyPermissionChanged(
  state: AppState,
  permission: NotifyPermission,
): void {
  batch(() => {
    state.notifyPermission.value = permission;
  });
}

/** Hides the "enable notifications" banner. */
export function notifyBannerDismissed(state: AppState): void {
  batch(() => {
    state.notifyDismissed.value = true;
  });
}

/** Opens or closes the member panel on narrow screens. */
export function membersToggled(
  state: AppState,
  open: boolean = !state.membersOpen.value,
): void {
  batch(() => {
    state.membersOpen.value = open;
    if (open) state.drawerOpen.value = false;
  });
}

/**
 * Opens or closes the quick switcher (Ctrl+K); opening it closes the
 * search dialog and the pins panel, and the drawers it would sit over.
 */
export function switcherToggled(
  state: AppState,
  open: boolean = !state.switcherOpen.value,
): void {
  batch(() => {
    state.switcherOpen.value = open;
    if (!open) return;
    state.team.searchOpen.value = false;
    state.team.searchQuery.value = "";
    state.team.pinsOpen.value = false;
    state.drawerOpen.value = false;
    state.membersOpen.value = false;
  });
}

/** Opens or closes the room drawer on narrow screens. */
export function drawerToggled(
  state: AppState,
  open: boolean = !state.drawerOpen.value,
): void {
  batch(() => {
    state.drawerOpen.value = open;
    if (open) state.membersOpen.value = false;
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
  state.membersOpen.value = false;
  state.inviteOpen.value = false;
  placeUnreadLine(state, now);
  if (state.visible.value) markRead(state, now);
}

/**
 * Puts the "new messages" line of a log the server counts at its read
 * position, when there is something unread below it.
 */
function placeUnreadLine(state: AppState, key: string): void {
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
function lineCounted(
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
function markRead(state: AppState, key: string): void {
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
function setMark(state: AppState, key: string, mark: ReadMark): void {
  state.readMarks.value = { ...state.readMarks.value, [key]: mark };
}

/** Sets one log's unread and mention counts (0 removes them). */
function setCounts(
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

/** The memberships a login reply lists, with their read state; guests get none. */
function membershipsLoaded(state: AppState, data: LoginSuccess): void {
  const list: ServerMembership[] = data.memberships ?? [];
  const memberships: Record<string, Membership> = {};
  const marks: Record<string, ReadMark> = {};
  // Conversations keep their marks; rooms take the server's.
  for (const [key, mark] of Object.entries(state.readMarks.value)) {
    if (key.startsWith("@")) marks[key] = mark;
  }
  const privateRooms = new Set(
    data.rooms.filter((r) => r.private).map((r) => roomKey(r.name)),
  );
  for (const m of list) {
    const key = roomKey(m.room);
    put(memberships, key, { room: m.room, private: privateRooms.has(key) });
    put(marks, key, { lastRead: m.last_read_seq, lastSeq: m.last_seq });
  }
  for (const key of Object.keys(state.memberships.value)) {
    if (!entry(memberships, key)) {
      setCounts(state, key, { unread: 0, mentions: 0 });
    }
  }
  state.memberships.value = memberships;
  state.readMarks.value = marks;
  for (const m of list) setCounts(state, roomKey(m.room), m);
}

/** Drops what the page holds of a conversation gone from the sidebar: its log and counts. */
function forgetConversation(state: AppState, name: string): void {
  const { [dmKey(name)]: _log, ...logs } = state.logs.value;
  state.logs.value = logs;
  forget(state, dmKey(name));
}

/** Forgets everything counted for a log. */
function forget(state: AppState, key: string): void {
  markRead(state, key);
  const { [key]: _line, ...firstUnread } = state.firstUnread.value;
  state.firstUnread.value = firstUnread;
}

/**
 * A log not on screen, trimmed back to what entering it keeps once it holds
 * twice that: more would only cost memory (about 250 bytes a message; an
 * account in 100 busy rooms held 1,000 of each).
 */
function keptAside(log: RoomLog): RoomLog {
  return log.messages.length > 2 * KEPT_ON_ENTRY
    ? trim(log, KEPT_ON_ENTRY)
    : log;
}

/** Whether the user is scrolled up in this log, on screen, reading older messages. */
function readingBack(state: AppState, room: string): boolean {
  return state.scrolledBack.value && roomKey(room) === state.viewKey.value;
}

/** Applies `change` to one room's log, creating the log on first use. */
function updateLog(
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
