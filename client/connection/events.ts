/**
 * Server events to state: each object that answers no request becomes
 * actions (client/actions.ts stays the only writer of state), plus what the
 * user should notice: unread counts, sounds, typing indicators, notices.
 */

import type {
  ChatMessage,
  DraftEvent,
  Envelope,
  MembershipEvent,
  NotifyLevelEvent,
  PrivateMessage,
  ReminderEvent,
  Role,
  SavedEvent,
  SystemEvent,
} from "../../server/protocol/types.ts";
import { GENERAL_ROOM } from "../../server/protocol/types.ts";
import { ANONYMOUS_NAME, nameKey } from "../../server/protocol/names.ts";
import * as actions from "../actions.ts";
import { errorText } from "../error_text.ts";
import { senderLabel } from "../format.ts";
import { t } from "../i18n.ts";
import { plainText } from "../markup.ts";
import { mentionsReader, updateHeard } from "../room_mention.ts";
import type { Incoming } from "../notifier.ts";
import { lastSeq, type SaidNotice, type Words } from "../room_log.ts";
import {
  type AppState,
  dmKey,
  entry,
  roomKey,
  roomTitle,
  writtenBy,
} from "../state.ts";
import { noticeText } from "../system_text.ts";
import * as teamActions from "../team/actions.ts";
import type { TypingTracker } from "../typing.ts";
import {
  type Fields,
  isAvatarEvent,
  isChatMessage,
  isDoNotDisturbEvent,
  isDraftEvent,
  isEmailState,
  isEmojiEvent,
  isFields,
  isGroupUpdatedEvent,
  isMembershipEvent,
  isMissedMailState,
  isNotifyLevelEvent,
  isPrivateMessage,
  isReadStateEvent,
  isReminderEvent,
  isRole,
  isRoleChangedEvent,
  isRoomChanges,
  isRoomList,
  isRoomOwnerEvent,
  isSavedEvent,
  isScheduledFailed,
  isScheduledMessage,
  isStarredEvent,
  isStatusEvent,
  isSystemEvent,
  toErrorData,
} from "../wire.ts";
import type { Members } from "./members.ts";
import type { Staff } from "./staff.ts";
import type { Sync } from "./sync.ts";

/** What {@linkcode ServerEvents} works with. */
export interface ServerEventsOptions {
  /** Fills gaps and follows the server's moves. */
  sync: Sync;
  /** Refreshes the member list. */
  members: Members;
  /** Another device of the account set a draft. */
  draft(event: DraftEvent): void;
  /** Another device of the account set a notification level. */
  notifyLevel(event: NotifyLevelEvent): void;
  /** Another device of the account saved or unsaved a message. */
  saved(event: SavedEvent): void;
  /** Reads the moderators and admins again (this user's role changed). */
  staff: Staff;
  /**
   * Asks the server again whether this user manages the current room (its
   * owner, a moderator or an admin): its role or the room's owner changed.
   */
  checkManages(): void;
  /** Shows and clears typing indicators. */
  typing: TypingTracker;
  /** This user's name, known from the login reply before the state shows it. */
  me(): string | null;
  /** Whether a session is logged in (or resuming). */
  loggedIn(): boolean;
  /** A kick or ban notice about this user: its text, for the close that follows. */
  removing(words: Words): void;
  /** Shows a room (a notification was clicked). */
  openRoom(room: string): void;
  /** Called for each new message from someone else (sound, notification). */
  onIncoming(incoming: Incoming): void;
}

/** Turns server events into state changes. */
export class ServerEvents {
  #state: AppState;
  #options: ServerEventsOptions;
  /**
   * The reminders this page has shown, by id and due time: the server
   * fires one at least once, so a second `reminder` for the same (its
   * node stopped between the event and clearing it) rings nothing. A few
   * bytes a reminder, for the page's life.
   */
  #remindersShown = new Set<string>();

  constructor(state: AppState, options: ServerEventsOptions) {
    this.#state = state;
    this.#options = options;
  }

  /** Handles one object that answers no request. */
  dispatch(envelope: Envelope<Fields>): void {
    const data = envelope.data ?? {};
    switch (envelope.action) {
      case "receive_message":
        if (isChatMessage(data)) this.message(data, true);
        break;
      case "replies_updated":
        this.#thread(data);
        break;
      // Another device read a thread: the threads panel reads its list.
      case "thread_read":
        teamActions.threadsChanged(this.#state);
        break;
      case "message_updated":
        if (isChatMessage(data) || isPrivateMessage(data)) {
          this.updated(data);
        }
        break;
      case "typing":
        this.#typing(data);
        break;
      case "system":
        if (isSystemEvent(data)) {
          this.#system(data, isRole(data.role) ? data.role : undefined);
        }
        break;
      case "room_list":
        if (isRoomList(data.rooms)) {
          actions.roomsUpdated(this.#state, data.rooms);
          this.#roomsSeen();
        }
        break;
      case "room_changes":
        if (isRoomChanges(data)) {
          actions.roomsChanged(this.#state, data);
          this.#roomsSeen();
        }
        break;
      case "ignored":
        if (
          typeof data.user === "string" && typeof data.ignored === "boolean"
        ) {
          actions.ignoreChanged(this.#state, {
            user: data.user,
            ignored: data.ignored,
          });
        }
        break;
      case "group_updated":
        if (isGroupUpdatedEvent(data)) actions.groupUpdated(this.#state, data);
        break;
      case "role_changed":
        if (isRoleChangedEvent(data)) actions.staffChanged(this.#state, data);
        break;
      case "room_owner":
        if (isRoomOwnerEvent(data)) this.#ownerChanged(data);
        break;
      case "private_message":
        if (isPrivateMessage(data)) this.privateMessage(data, true);
        break;
      case "membership":
        if (isMembershipEvent(data)) this.#membership(data);
        break;
      case "draft":
        if (isDraftEvent(data)) this.#options.draft(data);
        break;
      case "notify_level":
        if (isNotifyLevelEvent(data)) this.#options.notifyLevel(data);
        break;
      case "starred":
        if (isStarredEvent(data)) actions.starSet(this.#state, data);
        break;
      case "sections":
        if (isFields(data)) actions.sectionsListed(this.#state, data.sections);
        break;
      case "poll_choice":
        // A vote on another device: past the 100 voters a poll names, the
        // counts alone cannot tell this page its own choice changed.
        if (
          isFields(data) && typeof data.id === "string" &&
          Array.isArray(data.options) &&
          data.options.every((o) => Number.isInteger(o))
        ) {
          actions.pollChoiceKnown(this.#state, data.id, data.options);
        }
        break;
      case "saved":
        if (isSavedEvent(data)) this.#options.saved(data);
        break;
      case "reminder":
        if (isReminderEvent(data)) this.#reminder(data);
        break;
      case "scheduled":
        if (isScheduledMessage(data)) {
          teamActions.scheduledHeard(this.#state, data);
        }
        break;
      case "scheduled_cancelled":
      case "scheduled_sent":
        if (isFields(data) && typeof data.id === "string") {
          teamActions.scheduledGone(this.#state, data.id);
        }
        break;
      case "scheduled_failed":
        if (isScheduledFailed(data)) {
          teamActions.scheduledGone(this.#state, data.id);
          // The author learns why, in the words of the send's refusal.
          actions.errorShown(this.#state, {
            message: t("scheduled.failed", {
              reason: errorText(data.code),
            }),
          });
        }
        break;
      case "email":
        if (isEmailState(data)) actions.emailChanged(this.#state, data);
        break;
      case "missed_mail":
        if (isMissedMailState(data)) {
          actions.missedMailChanged(this.#state, data);
        }
        break;
      case "do_not_disturb":
        if (isDoNotDisturbEvent(data)) {
          actions.doNotDisturbSet(this.#state, data.until);
        }
        break;
      case "status":
        if (isStatusEvent(data)) {
          actions.statusSeen(this.#state, data.user, data.status);
        }
        break;
      case "emoji_updated":
        if (isEmojiEvent(data)) actions.customEmojiUpdated(this.#state, data);
        break;
      case "avatar_updated":
        if (isAvatarEvent(data)) {
          actions.avatarSeen(this.#state, data.user, data.version);
        }
        break;
      case "read_state":
        if (isReadStateEvent(data)) {
          const key = data.with !== undefined
            ? dmKey(data.with)
            : roomKey(data.room!);
          actions.readStateApplied(this.#state, { ...data, key });
        }
        break;
      case "error": {
        // An error without an id answers nothing we asked: show it where the user looks.
        const error = toErrorData(data, t("error.unexplained"));
        const words = () => errorText(error.code, data);
        actions.errorShown(this.#state, { message: words(), words });
        break;
      }
    }
  }

  /** A room message: from the server's events (`live`) or a send's reply. */
  message(message: ChatMessage, live: boolean): void {
    const state = this.#state;
    const key = roomKey(message.room);
    const log = entry(state.logs.value, key);
    const before = lastSeq(log);
    const known = log?.messages.some((m) => m.seq === message.seq) ?? false;
    actions.messageReceived(state, message);
    if (live && !known) {
      this.#options.typing.stopped(key, message.user);
      this.#heard({
        key,
        dm: false,
        message,
        room: roomTitle(state, message.room),
        open: () => this.#options.openRoom(message.room),
      });
    }
    this.#options.sync.fillGap(message, before);
  }

  /** A private message: from the server's events (`live`) or a send's reply. */
  privateMessage(message: PrivateMessage, live: boolean): void {
    const state = this.#state;
    const me = this.#options.me();
    if (me === null) return;
    const other = roomKey(message.user) === roomKey(me)
      ? message.to
      : message.user;
    const key = dmKey(other);
    const known =
      entry(state.logs.value, key)?.messages.some((m) =>
        m.seq === message.seq
      ) ??
        false;
    actions.privateMessageReceived(state, { message, me });
    if (live && !known) {
      this.#options.typing.stopped(key, message.user);
      this.#heard({
        key,
        dm: true,
        message,
        open: () => void this.#options.sync.openConversation(other),
      });
    }
  }

  /** An edited or deleted message, room or private, replaces the copy held. */
  updated(message: ChatMessage | PrivateMessage): void {
    const state = this.#state;
    const me = this.#options.me();
    if ("room" in message && typeof message.room === "string") {
      const key = roomKey(message.room);
      // An @here that did not mention this reader stays none (room_mention.ts).
      const update = updateHeard(
        entry(state.logs.value, key)?.messages.find((m) =>
          m.seq === message.seq
        ),
        message as ChatMessage,
      );
      this.#recount(key, update, me);
      actions.messageUpdated(state, update);
      return;
    }
    if (me === null || !("to" in message)) return;
    const other = roomKey(message.user) === roomKey(me)
      ? message.to
      : message.user;
    // An account deleted with its messages anonymised is `deleted user`
    // on its side of every conversation (`to` of the other side's
    // messages, `user` of its own), so the names no longer say which one:
    // the conversation whose log holds the message, as history filed it
    // (a reload lists it under the name it had), not one keyed `deleted
    // user`. One held nowhere is read with its page.
    const key = roomKey(other) === roomKey(ANONYMOUS_NAME)
      ? this.#holding(message.id)
      : dmKey(other);
    if (key === undefined) return;
    this.#recount(key, message, me);
    const { to: _to, ...rest } = message;
    actions.messageUpdated(state, { ...rest, room: key });
  }

  // The private conversation whose log holds the message `id`.
  #holding(id: string): string | undefined {
    for (const [key, log] of Object.entries(this.#state.logs.value)) {
      if (key.startsWith("@") && log.messages.some((m) => m.id === id)) {
        return key;
      }
    }
    return undefined;
  }

  /**
   * A message's thread changed: its count goes on the copy held, in the
   * room named, or in whichever conversation holds the message (the event
   * names none: its two sides would need two events).
   */
  #thread(data: Fields): void {
    const { id, seq, reply_count, last_reply_seq, thread_version, room } = data;
    if (
      typeof id !== "string" || typeof seq !== "number" ||
      typeof reply_count !== "number" ||
      (last_reply_seq !== undefined && typeof last_reply_seq !== "number") ||
      (thread_version !== undefined && typeof thread_version !== "number")
    ) {
      return;
    }
    const thread = {
      id,
      seq,
      reply_count,
      ...(typeof last_reply_seq === "number" ? { last_reply_seq } : {}),
      ...(typeof thread_version === "number" ? { thread_version } : {}),
    };
    // The open panel follows its thread even when no log holds the root.
    teamActions.threadHeard(this.#state, thread);
    if (typeof room === "string") {
      actions.threadUpdated(this.#state, room, thread);
      return;
    }
    for (const [key, log] of Object.entries(this.#state.logs.value)) {
      if (!key.startsWith("@")) continue;
      if (log.messages.some((m) => m.id === id && m.seq === seq)) {
        actions.threadUpdated(this.#state, key, thread);
      }
    }
  }

  /**
   * Takes a message off the badge when someone deletes it unread, and
   * moves its @ when an edit adds or drops a mention of this user (a
   * reaction or a pin changes neither). Counted here from the copy held,
   * as the message was counted when heard, not asked of the server: one
   * deletion in a room of thousands would have every member's client send
   * a `mark_read` at once (each counts up to 1,000 unread and mentions,
   * 0.6-0.8 ms of the server), and an author editing in a loop would keep
   * the server busy through other people's clients. A message not held
   * (never loaded) is left as counted until the next login or read.
   */
  #recount(
    key: string,
    message: ChatMessage | PrivateMessage,
    me: string | null,
  ): void {
    const state = this.#state;
    if (me === null || writtenBy(message, roomKey(me))) return;
    if ((entry(state.unread.value, key) ?? 0) === 0) return;
    const read = entry(state.readMarks.value, key)?.lastRead;
    if (read === undefined || message.seq <= read) return;
    const held = entry(state.logs.value, key)?.messages.find((m) =>
      m.seq === message.seq
    );
    if (held === undefined || held.deleted === true) return;
    const groups = state.myGroups.value;
    const before = mentionsReader(held, me, groups) ? 1 : 0;
    if (message.deleted) {
      actions.messageUncounted(state, { key, unread: 1, mentions: before });
      return;
    }
    const after = mentionsReader(message, me, groups) ? 1 : 0;
    if (after !== before) {
      actions.messageUncounted(state, {
        key,
        unread: 0,
        mentions: before - after,
      });
    }
  }

  /**
   * A saved message's reminder came due: a line atop the saved panel, its
   * Remind me shown unset, and a sound and notification as a mention's
   * (the page's settings and do not disturb hold them as they do those);
   * once for each id and due time.
   */
  #reminder(event: ReminderEvent): void {
    const shown = `${event.id} ${event.remind_at}`;
    if (this.#remindersShown.has(shown)) return;
    this.#remindersShown.add(shown);
    const state = this.#state;
    teamActions.reminderHeard(state, event);
    this.#options.saved({ id: event.id, saved: true, remind_at: null });
    const { message } = event;
    const room = "room" in message && typeof message.room === "string"
      ? message.room
      : undefined;
    const me = this.#options.me();
    const other = room === undefined
      // Names compare by key, as privateMessage's do.
      ? (me !== null && roomKey(message.user) === roomKey(me)
        ? (message as PrivateMessage).to
        : message.user)
      : undefined;
    this.#options.onIncoming({
      key: room !== undefined ? roomKey(room) : dmKey(other!),
      dm: room === undefined,
      mention: true,
      user: senderLabel(message.user, message.badge),
      ...(room === undefined ? {} : { room: roomTitle(state, room) }),
      body: t("reminder.body", { text: plainText(message.text) }),
      // Now: the message may be old, the reminder is not.
      ts: new Date().toISOString(),
      open: () =>
        room !== undefined
          ? this.#options.openRoom(room)
          : void this.#options.sync.openConversation(other!),
    });
  }

  /** Counts a new message from someone else as unread and lets the notifier know. */
  #heard(heard: {
    key: string;
    dm: boolean;
    message: ChatMessage | PrivateMessage;
    room?: string;
    open: () => void;
  }): void {
    const { key, dm, message } = heard;
    const state = this.#state;
    const me = this.#options.me();
    // Not one's own message (a hook's under one's name counts).
    if (me === null || writtenBy(message, roomKey(me))) return;
    // An ignored account's messages are hidden: no count, sound, nor
    // notification (its mentions included).
    if (entry(state.ignored.value, nameKey(message.user)) !== undefined) {
      return;
    }
    const mention = mentionsReader(message, me, state.myGroups.value);
    // Read aloud and in a notification, '**now**' is 'now'.
    const words = plainText(message.text);
    actions.messageCounted(state, { key, seq: message.seq, mention });
    if (mention) teamActions.mentionHeard(state, message);
    if (state.viewKey.value === key) {
      actions.announced(state, {
        id: message.id,
        text: `${senderLabel(message.user, message.badge)}: ${words}`,
      });
    }
    const files = message.attachments?.length ?? 0;
    let body = words;
    if (body === "" && files > 0) {
      body = files === 1 ? t("file.sent") : t("file.sentMany", { n: files });
    }
    this.#options.onIncoming({
      key,
      dm,
      mention,
      user: senderLabel(message.user, message.badge),
      room: heard.room,
      body,
      ts: message.ts,
      open: heard.open,
    });
  }

  /** `typing {room, user}` in a room, or `typing {to, user}` in a conversation. */
  #typing(data: Fields): void {
    const user = data.user;
    if (typeof user !== "string") return;
    const me = this.#options.me();
    if (me !== null && roomKey(user) === roomKey(me)) return;
    // The server tells nobody of an ignored account's typing to the
    // account, but a room's goes to everyone in it.
    if (entry(this.#state.ignored.value, nameKey(user)) !== undefined) return;
    if (typeof data.room === "string") {
      this.#options.typing.heard(roomKey(data.room), user);
    } else if (typeof data.to === "string") {
      this.#options.typing.heard(dmKey(user), user);
    }
  }

  /** What says a notice's sentence again in the interface's language. */
  #words(event: SystemEvent): Words {
    const { system } = this.#line(event);
    return () => noticeText({ text: event.text, system });
  }

  /**
   * A notice line for `event`: its sentence now, and what says it again
   * when the language changes (the pin's author is looked up now: the
   * message may leave the log).
   */
  #line(event: SystemEvent): { text: string; system: SaidNotice } {
    const log = entry(this.#state.logs.value, roomKey(event.room));
    const author = event.id === undefined
      ? undefined
      : log?.messages.find((m) => m.id === event.id)?.user;
    const system = { event, author, me: this.#options.me() ?? "" };
    return { text: noticeText({ text: event.text, system }), system };
  }

  #system(event: SystemEvent, role: Role | undefined): void {
    const state = this.#state;
    const me = this.#options.me() ?? "";
    const aboutMe = event.user !== undefined &&
      roomKey(event.user) === roomKey(me);
    const current = state.currentRoom.value;
    const here = roomKey(event.room) === roomKey(current);
    const inGeneral = roomKey(current) === GENERAL_ROOM;
    if (event.kind === "info" && aboutMe && role !== undefined) {
      actions.roleChanged(state, role);
      void this.#options.staff.refresh();
      this.#options.checkManages();
      actions.noticeAdded(state, {
        room: state.viewKey.value,
        kind: "warning",
        ...this.#line(event),
      });
      return;
    }
    if (event.kind === "renamed" && event.from !== undefined) {
      actions.roomRenamed(state, event.from, event.room);
      if (roomKey(event.from) === roomKey(current)) {
        void this.#options.sync.followTo(event.room);
      }
      actions.noticeAdded(state, {
        room: roomKey(event.from) === roomKey(current)
          ? event.room
          : state.viewKey.value,
        kind: "info",
        ...this.#line(event),
      });
      return;
    }
    if ((event.kind === "kicked" || event.kind === "banned") && aboutMe) {
      // A kick or server ban closes the socket (4003) right after: the
      // close ends the session with this text. A room ban (same event,
      // no close) moved the connection to general.
      this.#options.removing(this.#words(event));
      if (event.kind === "banned" && here && !inGeneral) {
        void this.#options.sync.followToGeneral(this.#words(event));
      }
      return;
    }
    // A room deleted, or made private while a non-member looked at it.
    const gone = event.kind === "deleted" ||
      (event.kind === "removed" && aboutMe);
    if (gone && here && !inGeneral) {
      void this.#options.sync.followToGeneral(this.#words(event));
      return;
    }
    if (
      !here && (event.kind === "deleted" || event.kind === "removed") &&
      (aboutMe || event.kind === "deleted") &&
      state.account.value
    ) {
      // An account hears about all its rooms; the membership event that
      // came with it already took the room away (and this view out of it).
      actions.noticeAdded(state, {
        room: state.viewKey.value,
        kind: "warning",
        ...this.#line(event),
      });
      return;
    }
    if (event.kind === "invited" && aboutMe) {
      actions.noticeAdded(state, {
        room: state.viewKey.value,
        kind: "info",
        ...this.#line(event),
      });
      return;
    }
    if (!here) return;
    if (event.kind === "joined") actions.joinHeard(state);
    actions.noticeAdded(state, {
      room: current,
      kind: "system",
      ...this.#line(event),
    });
    // A topic changes nobody's place in the room: the room list shows it.
    if (
      event.kind !== "info" && event.kind !== "created" &&
      event.kind !== "topic"
    ) {
      void this.#options.members.refresh({ paced: true });
    }
  }

  /**
   * A room got another owner: the member menus follow it, and a user who
   * gains or loses the room asks whether it manages it (a moderator or an
   * admin manages it either way). Only those two ask, not every reader.
   */
  #ownerChanged(event: { room: string; owner?: string }): void {
    const state = this.#state;
    const current = roomKey(state.currentRoom.value);
    if (roomKey(event.room) !== current) return;
    const me = this.#options.me();
    const mine = me === null ? undefined : nameKey(me);
    const was = state.membersOwner.value;
    actions.ownerChanged(state, event);
    if (
      mine !== undefined && state.role.value === "user" &&
      (event.owner === mine || was === mine)
    ) {
      this.#options.checkManages();
    }
  }

  /** An account joined or left a room, here or on another device. */
  #membership(event: MembershipEvent): void {
    const state = this.#state;
    actions.membershipChanged(state, event);
    const current = roomKey(state.currentRoom.value);
    if (
      !event.member && roomKey(event.room) === current &&
      current !== GENERAL_ROOM
    ) {
      // The server moved the connections looking at it to general.
      void this.#options.sync.followToGeneral(null);
    }
  }

  // The room list changed (whole or in part).
  #roomsSeen(): void {
    const state = this.#state;
    if (!this.#options.loggedIn()) return;
    // Counts are cheap to compare; the member list is fetched only when they disagree.
    const here = state.rooms.value.find((r) =>
      roomKey(r.name) === roomKey(state.currentRoom.value)
    );
    if (here && here.users !== state.members.value.length) {
      void this.#options.members.refresh({ paced: true });
    }
  }
}
