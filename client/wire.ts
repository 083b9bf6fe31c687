/**
 * Turns frames from the server into checked values. Frames are data from the
 * network: every field is checked before the rest of the client trusts it.
 */

import type {
  Attachment,
  AvatarEvent,
  ChatMessage,
  ConversationSummary,
  CustomEmoji,
  DoNotDisturbEvent,
  DraftEvent,
  EmailState,
  EmojiEvent,
  Envelope,
  ErrorData,
  Group,
  GroupUpdatedEvent,
  InviteInfo,
  Membership,
  MembershipEvent,
  MissedMailState,
  NotifyLevelEvent,
  PrivateMessage,
  Profile,
  ReadStateEvent,
  ReminderEvent,
  Role,
  RoleChangedEvent,
  RoomChangesEvent,
  RoomOwnerEvent,
  RoomSummary,
  SavedEvent,
  ScheduledMessage,
  SearchResult,
  Section,
  ServerLimits,
  StarredEvent,
  Status,
  StatusEvent,
  SystemEvent,
} from "../server/protocol/types.ts";

import { CUSTOM_EMOJI_NAME } from "../server/protocol/emoji.ts";

/** An object whose fields are not yet checked. */
export type Fields = Record<string, unknown>;

/** Splits a frame on "\n" (the server batches) and keeps the objects with a string `action`. */
export function decodeFrame(text: string): Envelope<Fields>[] {
  const envelopes: Envelope<Fields>[] = [];
  for (const part of text.split("\n")) {
    if (part.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(part);
    } catch {
      continue;
    }
    if (!isFields(value) || typeof value.action !== "string") continue;
    envelopes.push({
      action: value.action,
      data: isFields(value.data) ? value.data : {},
      id: typeof value.id === "string" ? value.id : undefined,
      timestamp: typeof value.timestamp === "string"
        ? value.timestamp
        : undefined,
    });
  }
  return envelopes;
}

/** Whether a value is a plain JSON object. */
export function isFields(value: unknown): value is Fields {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Whether a file URL stays on this server: a path from the root, never
 * `//host` or a scheme, so a link or image can only point at our files.
 */
export function isLocalPath(url: string): boolean {
  return url.startsWith("/") && !url.startsWith("//") &&
    !url.startsWith("/\\");
}

/** Whether a value has the shape of a shared file on this server. */
export function isAttachment(value: unknown): value is Attachment {
  return isFields(value) && typeof value.url === "string" &&
    isLocalPath(value.url) && typeof value.name === "string" &&
    typeof value.size === "number" && typeof value.type === "string" &&
    ["width", "height", "frames"].every((key) =>
      value[key] === undefined || typeof value[key] === "number"
    );
}

/** The fields room and private messages share, including the optional extensions. */
function isMessageBase(value: Fields): boolean {
  return typeof value.id === "string" &&
    typeof value.seq === "number" &&
    typeof value.user === "string" &&
    typeof value.text === "string" &&
    typeof value.ts === "string" &&
    (value.client_id === undefined || typeof value.client_id === "string") &&
    (value.attachments === undefined ||
      (Array.isArray(value.attachments) &&
        value.attachments.every(isAttachment))) &&
    (value.edited_at === undefined || typeof value.edited_at === "string") &&
    (value.deleted === undefined || typeof value.deleted === "boolean") &&
    isBadgeField(value) &&
    (value.reply_to === undefined || isReplyQuote(value.reply_to)) &&
    (value.reactions === undefined ||
      (Array.isArray(value.reactions) && value.reactions.every(isReaction))) &&
    (value.pinned === undefined || typeof value.pinned === "boolean") &&
    (value.poll === undefined || isPoll(value.poll)) &&
    (value.forwarded === undefined || isForwarded(value.forwarded)) &&
    (value.room_mention === undefined ||
      typeof value.room_mention === "boolean") &&
    (value.here_mention === undefined ||
      typeof value.here_mention === "boolean");
}

/** Whether a value is a reply's quote of the message it answers. */
function isReplyQuote(value: unknown): boolean {
  return isFields(value) && typeof value.id === "string" &&
    typeof value.seq === "number" && typeof value.user === "string" &&
    typeof value.text === "string" &&
    (value.deleted === undefined || typeof value.deleted === "boolean") &&
    isBadgeField(value);
}

/** Whether a value is a forward's copy of the message it forwards. */
function isForwarded(value: unknown): boolean {
  if (isFields(value) && value.deleted === true) {
    return typeof value.id === "string"; // its original deleted
  }
  return isFields(value) && typeof value.id === "string" &&
    typeof value.seq === "number" && typeof value.user === "string" &&
    typeof value.ts === "string" && typeof value.text === "string" &&
    (value.room === undefined || typeof value.room === "string") &&
    (value.with === undefined || typeof value.with === "string") &&
    isBadgeField(value);
}

/** Whether a message's or a quote's `badge`, if any, is one the server gives. */
function isBadgeField(value: Fields): boolean {
  return value.badge === undefined || value.badge === "bot" ||
    value.badge === "hook";
}

/** Whether a value is one emoji's reactions: the emoji, a count, some names. */
function isReaction(value: unknown): boolean {
  return isFields(value) && typeof value.emoji === "string" &&
    typeof value.count === "number" && Array.isArray(value.users) &&
    value.users.every((u) => typeof u === "string");
}

/** Whether a value is a poll: its question, options with counts and names, flags. */
function isPoll(value: unknown): boolean {
  return isFields(value) && typeof value.question === "string" &&
    typeof value.multiple === "boolean" && typeof value.closed === "boolean" &&
    Array.isArray(value.options) &&
    value.options.every((o) =>
      isFields(o) && typeof o.text === "string" &&
      typeof o.votes === "number" && Array.isArray(o.voters) &&
      o.voters.every((v) => typeof v === "string")
    );
}

/** Whether a value has the shape of a room message. */
export function isChatMessage(value: unknown): value is ChatMessage {
  return isFields(value) && typeof value.room === "string" &&
    isMessageBase(value);
}

/** Whether a value has the shape of a private message. */
export function isPrivateMessage(value: unknown): value is PrivateMessage {
  return isFields(value) && typeof value.to === "string" &&
    isMessageBase(value);
}

/** Whether a value is a list of private messages. */
export function isPrivateList(value: unknown): value is PrivateMessage[] {
  return Array.isArray(value) && value.every(isPrivateMessage);
}

/** Whether a value is one of the three roles. */
export function isRole(value: unknown): value is Role {
  return value === "admin" || value === "moderator" || value === "user";
}

/** Whether a value is a `role_changed` event's data. */
export function isRoleChangedEvent(value: unknown): value is RoleChangedEvent {
  return isFields(value) && typeof value.user === "string" &&
    isRole(value.role) && typeof value.created_at === "string";
}

/** Whether a value is a `room_owner` event's data. */
export function isRoomOwnerEvent(value: unknown): value is RoomOwnerEvent {
  return isFields(value) && typeof value.room === "string" &&
    (value.owner === undefined || typeof value.owner === "string");
}

/** Whether a value is a list of search results: room messages, or private ones with `with`. */
export function isSearchResults(value: unknown): value is SearchResult[] {
  return Array.isArray(value) &&
    value.every((r) =>
      isChatMessage(r) ||
      (isFields(r) && typeof r.with === "string" && isPrivateMessage(r))
    );
}

/** Whether a value is a list of room messages. */
export function isMessageList(value: unknown): value is ChatMessage[] {
  return Array.isArray(value) && value.every(isChatMessage);
}

/** Whether a value is a room list. */
export function isRoomList(value: unknown): value is RoomSummary[] {
  return Array.isArray(value) &&
    value.every((r) =>
      isFields(r) && typeof r.name === "string" && typeof r.users === "number"
    );
}

/** Whether a value is the data of a `room_changes` event. */
export function isRoomChanges(
  value: Fields,
): value is Fields & RoomChangesEvent {
  return isRoomList(value.rooms) && Array.isArray(value.removed) &&
    value.removed.every((name) => typeof name === "string");
}

/** Whether a value is a whole number of at least 0. */
function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0;
}

/** Whether a value holds read state: a position and the counts after it. */
function isReadState(value: Fields): boolean {
  return isCount(value.last_read_seq) && isCount(value.unread) &&
    isCount(value.mentions);
}

/** Whether a value is the `limits` of a login reply. */
export function isServerLimits(value: unknown): value is ServerLimits {
  return isFields(value) && isCount(value.max_file_bytes);
}

/** Whether a value is the `memberships` list of a login reply. */
export function isMembershipList(value: unknown): value is Membership[] {
  return Array.isArray(value) &&
    value.every((m) =>
      isFields(m) && typeof m.room === "string" && isReadState(m) &&
      isCount(m.last_seq)
    );
}

/** Whether a value is a `membership` event's data. */
export function isMembershipEvent(value: unknown): value is MembershipEvent {
  if (
    !isFields(value) || typeof value.room !== "string" ||
    typeof value.member !== "boolean"
  ) {
    return false;
  }
  return !value.member ||
    (isReadState(value) && (value.last_seq === undefined ||
      isCount(value.last_seq)));
}

/** Whether a value is a `read_state` event's data (or a `mark_read` reply). */
export function isReadStateEvent(value: unknown): value is ReadStateEvent {
  return isFields(value) && isReadState(value) &&
    (typeof value.room === "string") !== (typeof value.with === "string");
}

/** Whether a value is a `draft` event or an entry of `list_drafts`. */
export function isDraftEvent(value: unknown): value is DraftEvent {
  return isFields(value) && typeof value.text === "string" &&
    typeof value.updated_at === "string" &&
    (typeof value.room === "string") !== (typeof value.with === "string");
}

/** Whether a value is a `saved` event or `save_message`'s reply. */
export function isSavedEvent(value: unknown): value is SavedEvent {
  return isFields(value) && typeof value.id === "string" &&
    typeof value.saved === "boolean";
}

/** Whether a value is a scheduled message (`schedule_message`, `scheduled`). */
export function isScheduledMessage(value: unknown): value is ScheduledMessage {
  return isFields(value) && typeof value.id === "string" &&
    (typeof value.room === "string" || typeof value.to === "string") &&
    typeof value.text === "string" && typeof value.send_at === "string";
}

/** Whether a value is a `scheduled_failed` event: its id and the send's code. */
export function isScheduledFailed(
  value: unknown,
): value is { id: string; code: string } {
  return isFields(value) && typeof value.id === "string" &&
    typeof value.code === "string";
}

/** Whether a value is a `reminder` event: a saved message's reminder came due. */
export function isReminderEvent(value: unknown): value is ReminderEvent {
  return isFields(value) && typeof value.id === "string" &&
    typeof value.remind_at === "string" && isFields(value.message) &&
    typeof value.message.user === "string" &&
    typeof value.message.text === "string";
}

/** Whether a value is a `do_not_disturb` event or `set_do_not_disturb`'s reply. */
export function isDoNotDisturbEvent(
  value: unknown,
): value is DoNotDisturbEvent {
  return isFields(value) &&
    (value.until === null ||
      (typeof value.until === "number" && Number.isFinite(value.until)));
}

/** Whether a value is an account's email state (login, set_email, `email`). */
export function isEmailState(value: unknown): value is EmailState {
  return isFields(value) &&
    (value.address === null || typeof value.address === "string") &&
    typeof value.verified === "boolean";
}

/** Whether a value is a missed-message mails setting (login, set_missed_mail, `missed_mail`). */
export function isMissedMailState(value: unknown): value is MissedMailState {
  return isFields(value) && typeof value.enabled === "boolean" &&
    (value.language === "en" || value.language === "fr");
}

/** Whether a value is a custom status (set_status), null for none. */
export function isStatus(value: unknown): value is Status | null {
  return value === null || (isFields(value) &&
    typeof value.text === "string" &&
    (value.emoji === null || typeof value.emoji === "string") &&
    (value.until === null ||
      (typeof value.until === "number" && Number.isFinite(value.until))));
}

/** Whether a value is an account's card (`get_profile`). */
export function isProfile(value: unknown): value is Profile {
  return isFields(value) && typeof value.name === "string" &&
    isRole(value.role) && typeof value.created_at === "string" &&
    (value.title === undefined || typeof value.title === "string") &&
    (value.timezone === undefined || typeof value.timezone === "string") &&
    (value.status === undefined || isStatus(value.status)) &&
    (value.avatar === undefined || typeof value.avatar === "string");
}

/** Whether a value is a `status` event or a `get_status` entry. */
export function isStatusEvent(value: unknown): value is StatusEvent {
  return isFields(value) && typeof value.user === "string" &&
    isStatus(value.status);
}

/** Whether a value is an `avatar_updated` event's data. */
export function isAvatarEvent(value: unknown): value is AvatarEvent {
  return isFields(value) && typeof value.user === "string" &&
    (value.version === null || typeof value.version === "string");
}

/** Whether a value is a custom emoji (`list_emoji`, `emoji_updated`). */
export function isCustomEmoji(value: unknown): value is CustomEmoji {
  return isFields(value) && typeof value.name === "string" &&
    CUSTOM_EMOJI_NAME.test(value.name) &&
    (value.author === null || typeof value.author === "string") &&
    typeof value.created_at === "string" &&
    typeof value.version === "string" && /^[0-9a-f]{1,64}$/.test(value.version);
}

/** Whether a value is an `emoji_updated` event's data. */
export function isEmojiEvent(value: unknown): value is EmojiEvent {
  return isFields(value) &&
    (value.added === undefined || isCustomEmoji(value.added)) &&
    (value.removed === undefined ||
      (typeof value.removed === "string" &&
        CUSTOM_EMOJI_NAME.test(value.removed)));
}

/** Whether a value is a user group (`list_groups`, `group_updated`). */
export function isGroup(value: unknown): value is Group {
  return isFields(value) && typeof value.name === "string" &&
    typeof value.description === "string" &&
    (value.creator === null || typeof value.creator === "string") &&
    Array.isArray(value.members) &&
    value.members.every((name) => typeof name === "string");
}

/** Whether a value is a `group_updated` event. */
export function isGroupUpdatedEvent(
  value: unknown,
): value is GroupUpdatedEvent {
  return isFields(value) && typeof value.name === "string" &&
    (value.group === null || isGroup(value.group) ||
      isGroupChange(value.changed));
}

// What changed in a group: each field, when there, of its type.
function isGroupChange(value: unknown): boolean {
  const names = (list: unknown) =>
    list === undefined ||
    (Array.isArray(list) && list.every((name) => typeof name === "string"));
  return isFields(value) &&
    (value.description === undefined ||
      typeof value.description === "string") &&
    (value.creator === undefined || value.creator === null) &&
    names(value.added) && names(value.removed);
}

/** Whether a value is a `notify_level` event or a `list_notify_levels` entry. */
export function isNotifyLevelEvent(value: unknown): value is NotifyLevelEvent {
  return isFields(value) &&
    (value.level === "all" || value.level === "mentions" ||
      value.level === "none") &&
    (typeof value.room === "string") !== (typeof value.with === "string");
}

/** Whether a value is a `starred` event. */
export function isStarredEvent(value: unknown): value is StarredEvent {
  return isFields(value) && typeof value.starred === "boolean" &&
    (typeof value.room === "string") !== (typeof value.with === "string");
}

/**
 * The sections of a login's `sections` or of a `sections` event, those
 * well formed only (none from a server that predates them).
 */
export function sectionsOf(value: unknown): Section[] {
  if (!Array.isArray(value)) return [];
  return value.filter((s): s is Section =>
    isFields(s) && typeof s.name === "string" &&
    typeof s.collapsed === "boolean" && Array.isArray(s.items) &&
    s.items.every((i) =>
      typeof i === "string" && (i.startsWith("#") || i.startsWith("@"))
    )
  );
}

/** Whether a value is one conversation of a `list_conversations` reply. */
export function isConversationSummary(
  value: unknown,
): value is ConversationSummary {
  return isFields(value) && isReadState(value) &&
    typeof value.with === "string" && isCount(value.last_seq) &&
    typeof value.last_id === "string" && typeof value.last_ts === "string" &&
    (value.avatar === undefined || typeof value.avatar === "string");
}

/** Whether a value is an invite link as `create_invite` and `list_invites` give it. */
export function isInvite(value: unknown): value is InviteInfo {
  return isFields(value) && typeof value.code === "string" &&
    typeof value.url === "string" && typeof value.room === "string" &&
    typeof value.created_by === "string" &&
    typeof value.created_at === "string" && isCount(value.uses) &&
    (value.expires_at === undefined || typeof value.expires_at === "string") &&
    (value.max_uses === undefined || isCount(value.max_uses));
}

/** Whether a value is a `system` event's data. */
export function isSystemEvent(value: unknown): value is SystemEvent {
  return isFields(value) && typeof value.room === "string" &&
    typeof value.kind === "string" &&
    typeof value.text === "string" &&
    (value.user === undefined || typeof value.user === "string") &&
    (value.from === undefined || typeof value.from === "string") &&
    (value.by === undefined || typeof value.by === "string") &&
    (value.reason === undefined || typeof value.reason === "string") &&
    (value.role === undefined || isRole(value.role)) &&
    (value.topic === undefined || typeof value.topic === "string");
}

/**
 * Reads an `error` reply's data, filling in what a broken server left out:
 * `unexplained` is the sentence for a missing message, in the reader's
 * language (this module knows no words of the interface).
 */
export function toErrorData(data: Fields, unexplained: string): ErrorData {
  return {
    request: typeof data.request === "string" ? data.request : undefined,
    code: (typeof data.code === "string" ? data.code : "internal") as ErrorData[
      "code"
    ],
    message: typeof data.message === "string" ? data.message : unexplained,
  };
}
