/**
 * What each request's success reply holds, and the checks that let the
 * rest of the client trust it: replies are data from the network.
 */

import type { AccountSummary } from "../../server/protocol/admin_types.ts";
import type {
  ChatMessage,
  ConversationList,
  CustomEmoji,
  DoNotDisturbEvent,
  DraftEvent,
  EmailState,
  Group,
  HistoryPage,
  IgnoredUser,
  InviteInfo,
  LoginSuccess,
  MessageEdits,
  MissedMailState,
  NotifyLevelEvent,
  Person,
  PrivateMessage,
  Profile,
  ReadStateEvent,
  Role,
  RoomEntered,
  RoomListEvent,
  SavedEvent,
  ScheduledMessage,
  SearchResult,
  Status,
  StatusEvent,
} from "../../server/protocol/types.ts";
import {
  type Fields,
  isChatMessage,
  isConversationSummary,
  isCustomEmoji,
  isDoNotDisturbEvent,
  isDraftEvent,
  isEmailState,
  isGroup,
  isInvite,
  isMembershipList,
  isMessageList,
  isMissedMailState,
  isNotifyLevelEvent,
  isPrivateList,
  isPrivateMessage,
  isProfile,
  isReadStateEvent,
  isRole,
  isRoomList,
  isSavedEvent,
  isScheduledMessage,
  isSearchResults,
  isServerLimits,
  isStatus,
  isStatusEvent,
} from "../wire.ts";
import { hereHeard } from "../room_mention.ts";

/** Success data by request action, as the protocol defines it. */
export interface Replies {
  login: LoginSuccess;
  list_rooms: RoomListEvent;
  create_room: RoomEntered;
  join_room: RoomEntered;
  leave_room: RoomEntered;
  /**
   * `owner`: the room owner's name key, when it has one; `avatars`: the
   * picture's version of each listed name that has one.
   */
  list_users: {
    users: string[];
    owner?: string;
    avatars?: Record<string, string>;
  };
  list_members: { room: string; members: string[] };
  history: HistoryPage;
  /** `not_members`: accounts it @mentions that are not in the room (not notified). */
  send_message: { message: ChatMessage; not_members?: string[] };
  private_message: { message: PrivateMessage };
  kick: { user: string };
  ban: { user: string; room?: string };
  unban: { user: string };
  delete_room: { room: string };
  set_role: { user: string; role: Role };
  typing: Record<string, never>;
  visibility: Record<string, never>;
  edit_message: { message: ChatMessage | PrivateMessage };
  delete_message: { message: ChatMessage | PrivateMessage };
  remove_link_previews: { message: ChatMessage | PrivateMessage };
  create_poll: { message: ChatMessage };
  forward_message: { message: ChatMessage | PrivateMessage };
  vote: { options: number[] };
  poll_choices: { choices: Record<string, number[]> };
  close_poll: { message: ChatMessage };
  mark_read: ReadStateEvent;
  mark_unread: ReadStateEvent;
  set_draft: DraftEvent;
  list_drafts: { drafts: DraftEvent[] };
  set_notify_level: NotifyLevelEvent;
  list_notify_levels: { levels: NotifyLevelEvent[] };
  star: Record<string, never>;
  unstar: Record<string, never>;
  set_sections: Record<string, never>;
  set_do_not_disturb: DoNotDisturbEvent;
  set_status: { status: Status | null };
  get_status: { statuses: StatusEvent[] };
  set_profile: Record<string, never>;
  set_email: EmailState;
  set_missed_mail: MissedMailState;
  get_profile: { profile: Profile };
  invite: { room: string; user: string };
  set_topic: { room: string; topic?: string };
  archive_room: { room: string; archived: boolean };
  unarchive_room: { room: string; archived: boolean };
  set_room_posting: { room: string; posting: string };
  remove_member: { room: string; user: string };
  create_invite: InviteInfo;
  list_invites: { room: string; invites: InviteInfo[] };
  revoke_invite: { code: string; room: string };
  list_conversations: ConversationList;
  ignore_user: { user: string; left: string[] };
  unignore_user: { user: string };
  list_ignored: { users: IgnoredUser[] };
  create_group: { group: Group };
  update_group: { group: Group };
  delete_group: { name: string };
  list_groups: { groups: Group[] };
  list_emoji: { emoji: CustomEmoji[] };
  remove_emoji: { name: string };
  search: { results: SearchResult[]; next?: string };
  find_people: { people: Person[] };
  react: { message: ChatMessage | PrivateMessage };
  pin: { message: ChatMessage | PrivateMessage };
  list_pins: {
    room?: string;
    with?: string;
    messages: (ChatMessage | PrivateMessage)[];
  };
  list_accounts: { accounts: AccountSummary[] };
  save_message: SavedEvent;
  unsave_message: SavedEvent;
  schedule_message: { scheduled: ScheduledMessage };
  list_scheduled: { scheduled: ScheduledMessage[] };
  update_scheduled: { scheduled: ScheduledMessage };
  cancel_scheduled: Record<string, never>;
  /** A page of them, or with `ids` every saved id. */
  list_saved: { saved: SavedEntry[]; next: string | null } | { ids: string[] };
  list_mentions: {
    mentions: (ChatMessage | PrivateMessage)[];
    next: string | null;
  };
  list_replies: {
    root: ChatMessage | PrivateMessage;
    replies: (ChatMessage | PrivateMessage)[];
    more: boolean;
  };
  list_threads: { threads: ThreadEntry[]; next: string | null };
  message_edits: MessageEdits;
  mark_thread_read: { id: string; last_read_seq: number };
  /** A secret waiting for its first code, and its `otpauth://` URI. */
  totp_setup: { secret: string; uri: string };
  /** The recovery codes, told only now. */
  totp_enable: { recovery_codes: string[] };
  totp_disable: Record<string, never>;
  totp_recovery_codes: { recovery_codes: string[] };
}

/** One entry of `list_threads`: a thread the account takes part in. */
export interface ThreadEntry {
  root: ChatMessage | PrivateMessage;
  replies: number;
  last_reply_ts: string;
  unread: boolean;
}

/** One entry of `list_saved`. */
export interface SavedEntry {
  id: string;
  saved_at: string;
  /** When the account is to be reminded of it, while one is set. */
  remind_at?: string;
  message: ChatMessage | PrivateMessage;
}

/** A page of a private conversation (`history` with `with`). */
export interface ConversationPage {
  with: string;
  messages: PrivateMessage[];
}

/** Checks of each reply's success data, so the rest of the client can trust it. */
export const REPLY_CHECKS: {
  [A in keyof Replies]: (data: Fields) => boolean;
} = {
  login: (d) =>
    typeof d.username === "string" && typeof d.room === "string" &&
    isRoomList(d.rooms) &&
    (d.limits === undefined || isServerLimits(d.limits)) &&
    (d.memberships === undefined || isMembershipList(d.memberships)),
  list_rooms: (d) => isRoomList(d.rooms),
  create_room: isRoomEntered,
  join_room: isRoomEntered,
  leave_room: isRoomEntered,
  list_users: (d) =>
    Array.isArray(d.users) && d.users.every((u) => typeof u === "string") &&
    (d.owner === undefined || typeof d.owner === "string") &&
    (d.avatars === undefined || isStringRecord(d.avatars)),
  list_members: (d) =>
    typeof d.room === "string" && Array.isArray(d.members) &&
    d.members.every((m) => typeof m === "string"),
  list_accounts: (d) =>
    Array.isArray(d.accounts) && d.accounts.every(isAccount),
  history: (d) =>
    typeof d.room === "string" && isMessageList(d.messages) &&
    isSeqList(d.here_mentioned),
  send_message: (d) =>
    isChatMessage(d.message) &&
    (d.not_members === undefined ||
      Array.isArray(d.not_members) &&
        d.not_members.every((name) => typeof name === "string")),
  private_message: (d) => isPrivateMessage(d.message),
  kick: (d) => typeof d.user === "string",
  ban: (d) => typeof d.user === "string",
  unban: (d) => typeof d.user === "string",
  delete_room: (d) => typeof d.room === "string",
  set_role: (d) => typeof d.user === "string" && isRole(d.role),
  typing: () => true,
  visibility: () => true,
  edit_message: (d) => isChatMessage(d.message) || isPrivateMessage(d.message),
  delete_message: (d) =>
    isChatMessage(d.message) || isPrivateMessage(d.message),
  remove_link_previews: (d) =>
    isChatMessage(d.message) || isPrivateMessage(d.message),
  create_poll: (d) => isChatMessage(d.message),
  forward_message: (d) =>
    isChatMessage(d.message) || isPrivateMessage(d.message),
  vote: (d) =>
    Array.isArray(d.options) &&
    d.options.every((i: unknown) => Number.isInteger(i)),
  poll_choices: (d) =>
    typeof d.choices === "object" && d.choices !== null &&
    !Array.isArray(d.choices) &&
    Object.values(d.choices).every((c) =>
      Array.isArray(c) && c.every((i: unknown) => Number.isInteger(i))
    ),
  close_poll: (d) => isChatMessage(d.message),
  mark_read: isReadStateEvent,
  mark_unread: isReadStateEvent,
  set_draft: isDraftEvent,
  list_drafts: (d) => Array.isArray(d.drafts) && d.drafts.every(isDraftEvent),
  set_notify_level: isNotifyLevelEvent,
  list_notify_levels: (d) =>
    Array.isArray(d.levels) && d.levels.every(isNotifyLevelEvent),
  star: () => true,
  unstar: () => true,
  set_sections: () => true,
  set_do_not_disturb: isDoNotDisturbEvent,
  set_status: (d) => isStatus(d.status),
  get_status: (d) =>
    Array.isArray(d.statuses) && d.statuses.every(isStatusEvent),
  set_profile: () => true,
  set_email: isEmailState,
  set_missed_mail: isMissedMailState,
  get_profile: (d) => isProfile(d.profile),
  invite: isRoomUser,
  set_topic: (d) =>
    typeof d.room === "string" &&
    (d.topic === undefined || typeof d.topic === "string"),
  archive_room: isArchiveReply,
  unarchive_room: isArchiveReply,
  set_room_posting: (d) =>
    typeof d.room === "string" && typeof d.posting === "string",
  remove_member: isRoomUser,
  create_invite: isInvite,
  list_invites: (d) =>
    typeof d.room === "string" && Array.isArray(d.invites) &&
    d.invites.every(isInvite),
  revoke_invite: (d) =>
    typeof d.code === "string" && typeof d.room === "string",
  list_conversations: (d) =>
    Array.isArray(d.conversations) &&
    d.conversations.every(isConversationSummary) &&
    (d.next === undefined || typeof d.next === "string"),
  ignore_user: (d) =>
    typeof d.user === "string" && Array.isArray(d.left) &&
    d.left.every((room) => typeof room === "string"),
  unignore_user: (d) => typeof d.user === "string",
  list_ignored: (d) =>
    Array.isArray(d.users) &&
    d.users.every((u) =>
      typeof u === "object" && u !== null &&
      typeof (u as Fields).user === "string" &&
      typeof (u as Fields).ignored_at === "string"
    ),
  create_group: (d) => isGroup(d.group),
  update_group: (d) => isGroup(d.group),
  delete_group: (d) => typeof d.name === "string",
  list_groups: (d) => Array.isArray(d.groups) && d.groups.every(isGroup),
  list_emoji: (d) => Array.isArray(d.emoji) && d.emoji.every(isCustomEmoji),
  remove_emoji: (d) => typeof d.name === "string",
  search: (d) =>
    isSearchResults(d.results) &&
    (d.next === undefined || typeof d.next === "string"),
  find_people: (d) => Array.isArray(d.people) && d.people.every(isPerson),
  react: (d) => isChatMessage(d.message) || isPrivateMessage(d.message),
  pin: (d) => isChatMessage(d.message) || isPrivateMessage(d.message),
  // A conversation's pins are private messages: checked as such, then
  // filed by the caller under the conversation's log key.
  list_pins: (d) =>
    Array.isArray(d.messages) &&
    d.messages.every((m) => isChatMessage(m) || isPrivateMessage(m)),
  save_message: isSavedEvent,
  unsave_message: isSavedEvent,
  schedule_message: (d) => isScheduledMessage(d.scheduled),
  list_scheduled: (d) =>
    Array.isArray(d.scheduled) && d.scheduled.every(isScheduledMessage),
  update_scheduled: (d) => isScheduledMessage(d.scheduled),
  cancel_scheduled: () => true,
  message_edits: (d) =>
    Array.isArray(d.edits) && d.edits.every(isMessageVersion) &&
    isMessageVersion(d.current),
  list_replies: (d) =>
    (isChatMessage(d.root) || isPrivateMessage(d.root)) &&
    Array.isArray(d.replies) &&
    d.replies.every((m) => isChatMessage(m) || isPrivateMessage(m)) &&
    typeof d.more === "boolean",
  list_mentions: (d) =>
    Array.isArray(d.mentions) &&
    d.mentions.every((m) => isChatMessage(m) || isPrivateMessage(m)) &&
    (d.next === null || typeof d.next === "string"),
  list_threads: (d) =>
    Array.isArray(d.threads) &&
    d.threads.every((e: Fields) =>
      (isChatMessage(e.root) || isPrivateMessage(e.root)) &&
      typeof e.replies === "number" && typeof e.last_reply_ts === "string" &&
      typeof e.unread === "boolean"
    ) && (d.next === null || typeof d.next === "string"),
  mark_thread_read: (d) =>
    typeof d.id === "string" && typeof d.last_read_seq === "number",
  totp_setup: (d) => typeof d.secret === "string" && typeof d.uri === "string",
  totp_enable: (d) => isCodeList(d.recovery_codes),
  totp_disable: () => true,
  totp_recovery_codes: (d) => isCodeList(d.recovery_codes),
  list_saved: (d) =>
    Array.isArray(d.ids)
      ? d.ids.every((id: unknown) => typeof id === "string")
      : Array.isArray(d.saved) &&
        d.saved.every((e: Fields) =>
          typeof e.id === "string" && typeof e.saved_at === "string" &&
          (isChatMessage(e.message) || isPrivateMessage(e.message))
        ) && (d.next === null || typeof d.next === "string"),
};

function isRoomUser(data: Fields): boolean {
  return typeof data.room === "string" && typeof data.user === "string";
}

function isArchiveReply(data: Fields): boolean {
  return typeof data.room === "string" && typeof data.archived === "boolean";
}

/** Whether a reply is a page of a private conversation. */
export function isConversationPage(data: Fields): boolean {
  return typeof data.with === "string" && isPrivateList(data.messages);
}

function isRoomEntered(data: Fields): boolean {
  return typeof data.room === "string" && isMessageList(data.history) &&
    isSeqList(data.here_mentioned);
}

// An object of strings only (`avatars`: a version by name).
function isStringRecord(value: unknown): boolean {
  return typeof value === "object" && value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === "string");
}

// `here_mentioned`: absent, or seqs.
function isSeqList(value: unknown): boolean {
  return value === undefined ||
    (Array.isArray(value) && value.every((seq) => typeof seq === "number"));
}

/**
 * What the client takes of a checked reply, where that is not the reply
 * as it came: a page's messages as it holds them, each `here_mention` only
 * where the page's `here_mentioned` says it mentioned this reader
 * (room_mention.ts hereHeard).
 */
export const REPLY_READS: {
  [A in keyof Replies]?: (data: Replies[A]) => Replies[A];
} = {
  history: (d) => ({ ...d, messages: hereHeard(d.messages, d.here_mentioned) }),
  join_room: heardEntered,
  leave_room: heardEntered,
};

function heardEntered(data: RoomEntered): RoomEntered {
  return { ...data, history: hereHeard(data.history, data.here_mentioned) };
}

function isMessageVersion(value: unknown): boolean {
  const v = value as { text?: unknown; ts?: unknown } | null;
  return typeof v === "object" && v !== null && typeof v.text === "string" &&
    typeof v.ts === "string";
}

function isPerson(value: unknown): value is Person {
  const p = value as Partial<Person> | null;
  return typeof p === "object" && p !== null &&
    typeof p.username === "string" && typeof p.online === "boolean" &&
    (p.avatar === undefined || typeof p.avatar === "string");
}

function isAccount(value: unknown): value is AccountSummary {
  const a = value as Partial<AccountSummary> | null;
  return typeof a === "object" && a !== null &&
    typeof a.username === "string" && isRole(a.role) &&
    typeof a.created_at === "string";
}

/** Recovery codes as sent: strings. */
function isCodeList(value: unknown): boolean {
  return Array.isArray(value) && value.every((c) => typeof c === "string");
}
