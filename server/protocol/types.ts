/**
 * Wire types shared by the server and the web client: types and a few
 * constants, no runtime logic, so the client bundle can import it for free.
 */
import type { ErrorCode } from "./error_codes.ts";

/** A role stored with an account; guests are always `user`. */
export type Role = "admin" | "moderator" | "user";

/** A file shared in a message (uploaded first with `POST /api/files`). */
export interface Attachment {
  /** Where the file is served, e.g. `/files/<sha256>/photo.png`. */
  url: string;
  name: string;
  /** Size in bytes. */
  size: number;
  /**
   * MIME type: an image type only when the bytes are such an image (an
   * image claimed but not found is `application/octet-stream`).
   */
  type: string;
  /** Pixels of an image the server read (PNG, JPEG, GIF, WebP). */
  width?: number;
  height?: number;
  /** Frames of an animated image; absent for a still one. */
  frames?: number;
}

/** What room and private messages have in common. */
/** A link's preview: the title, description and site name its page gives. */
export interface LinkPreview {
  /** The link as the message wrote it. */
  url: string;
  title?: string;
  description?: string;
  site_name?: string;
}

/** A poll as its readers see it (`create_poll`, `vote`, `close_poll`). */
export interface Poll {
  question: string;
  /** In the order they were given; `vote` names them by index. */
  options: PollOption[];
  /** True when an account may choose several options. */
  multiple: boolean;
  /** True once closed (`close_poll`): no more votes. */
  closed: boolean;
}

/** One option of a poll and who chose it. */
export interface PollOption {
  text: string;
  /** How many accounts chose it. */
  votes: number;
  /** Their names, in the order they voted (the first MAX_POLL_VOTERS). */
  voters: string[];
}

/** One version of a message's text (`message_edits`). */
export interface MessageVersion {
  text: string;
  /** When this text was written (UTC ISO-8601): sent, or edited to it. */
  ts: string;
}

/** The `message_edits` reply: a message's edit history. */
export interface MessageEdits {
  /** The texts its edits replaced, oldest first (the last 50 at most). */
  edits: MessageVersion[];
  /** Its text now, and when it was written. */
  current: MessageVersion;
}

export interface MessageBase {
  /** Server-assigned unique id (ULID: sortable by creation time). */
  id: string;
  /** Sequence number in its room or conversation: increasing, no gaps. */
  seq: number;
  /** The author's username as they wrote it. */
  user: string;
  /** The trimmed text. */
  text: string;
  /** When the server stored it, UTC ISO-8601 with milliseconds. */
  ts: string;
  /** The sender's idempotency key, echoed when given. */
  client_id?: string;
  /** Files shared with the message. */
  attachments?: Attachment[];
  /** When the author last edited it. */
  edited_at?: string;
  /** True once deleted: the text and attachments are gone. */
  deleted?: boolean;
  /** The message this one answers, in the same room or conversation. */
  reply_to?: ReplyQuote;
  /** Reactions, one entry per emoji, in the order each was first used. */
  reactions?: Reaction[];
  /**
   * What the pages its links lead to say of themselves (at most 3, in the
   * order of the links), fetched by the server after it was sent
   * (server/link_previews/): text only, no images.
   */
  previews?: LinkPreview[];
  /**
   * The poll it carries (`create_poll`): its `text` is the question. Every
   * vote or its close sends the message again (`message_updated`).
   */
  poll?: Poll;
  /**
   * The message it forwards (`forward_message`): a copy of the original
   * as its forwarder read it then, kept as it was (an edit or delete of
   * the original leaves it).
   */
  forwarded?: ForwardedMessage | DeletedForward;
  /** True while pinned in its room or conversation. */
  pinned?: boolean;
  /**
   * True when its `@room` notified every member but its author
   * (server/room_mentions.ts); absent otherwise, as when its author could
   * not ping the room.
   */
  room_mention?: boolean;
  /**
   * How many live replies answer it (`reply_to` its id), counted when it is
   * read; absent while none. `replies_updated` tells the readers of a
   * change (docs/protocol.md, "Threads").
   */
  reply_count?: number;
  /** The seq of its newest live reply; present with `reply_count`. */
  last_reply_seq?: number;
  /**
   * How many changes its thread has had, absent while none: one per reply
   * stored, one per reply deleted. Of two states of one thread (this
   * message as served, a `replies_updated`), the one with the higher
   * `thread_version` is the later; its `reply_count` and `last_reply_seq`
   * are the ones to show.
   */
  thread_version?: number;
  /**
   * True when its `@here` notified the room's members online when it was
   * sent (server/room_mentions.ts hereMembers): a mention for them only,
   * which a page's `here_mentioned` tells each reader (hereMentioned).
   */
  here_mention?: boolean;
  /**
   * Who sent it when not a person: `bot` for a bot account, `hook` for an
   * incoming webhook (whose `user` is the name the hook gave).
   */
  badge?: MessageBadge;
  /**
   * How many changes (edits, reactions, pins, its delete) the store has
   * committed to it, absent while none: of two states of one message, the
   * one with the higher version is the later. A `message_updated` with a
   * lower version than the one shown is stale (it can arrive after a later
   * one) and is ignored.
   */
  version?: number;
}

/**
 * What a forward carries of the message it forwards (`forward_message`):
 * its id, seq, author, time and text when forwarded; `room` for a public
 * room's message (a private room is never named), `with` for a private
 * message (the other side of the forwarder's conversation). Its files do
 * not travel: they stay with their own message and its readers.
 */
export interface ForwardedMessage {
  id: string;
  /** Its seq where it was said: with `room` or `with`, a message link. */
  seq: number;
  user: string;
  ts: string;
  text: string;
  room?: string;
  with?: string;
  /** The original's `badge`, as a reply's quote carries it. */
  badge?: MessageBadge;
}

/**
 * A forward's copy once its original is deleted (by its author, a
 * moderator, retention, its room's removal or its author's account going
 * with its messages): only the original's id is left.
 */
export interface DeletedForward {
  id: string;
  deleted: true;
}

/** The message a reply answers, as the reply quotes it (read when served). */
export interface ReplyQuote {
  id: string;
  seq: number;
  user: string;
  /** The original's text as it now is, cut to 200 characters; "" once deleted. */
  text: string;
  /** True once the original was deleted. */
  deleted?: boolean;
  /**
   * The original's `badge`, as the original carries it: a hook may post
   * under a person's name, and the quote must not read as theirs.
   */
  badge?: MessageBadge;
}

/** One emoji's reactions on a message. */
export interface Reaction {
  /** The emoji itself (a `:name:` is stored as its emoji). */
  emoji: string;
  /** How many users reacted with it. */
  count: number;
  /** The first 50 of them, in the order they reacted. */
  users: string[];
}

/** What a message's badge says about its sender. */
export type MessageBadge = "bot" | "hook";

/** A room message as it appears everywhere: events, history, HTTP API. */
export interface ChatMessage extends MessageBase {
  /** The room it was posted in. */
  room: string;
}

/** A private message: no room, and the recipient in `to`. */
export interface PrivateMessage extends MessageBase {
  /** The recipient's username. */
  to: string;
}

/** A search result: a room message, or a private one with the other side in `with`. */
export type SearchResult = ChatMessage | (PrivateMessage & { with: string });

/**
 * One entry of a room list: its name and how many distinct people are
 * online in it (an account's online members, a guest's current room).
 */
export interface RoomSummary {
  name: string;
  users: number;
  /** True for an invite-only room; only its members see it listed. */
  private?: boolean;
  /** Its topic (`set_topic`); absent: none. */
  topic?: string;
  /** True for an archived room (`archive_room`); absent otherwise. */
  archived?: true;
  /**
   * "moderators" for an announcement room (`set_room_posting`): only its
   * owner, moderators and admins post; absent: everyone.
   */
  posting?: "moderators";
}

/** An account's read state in one room or private conversation. */
export interface ReadState {
  /** The newest seq the account has read (0: nothing yet). */
  last_read_seq: number;
  /** Messages after it by others, not deleted (counted up to 1000). */
  unread: number;
  /** How many of those @mention the account. */
  mentions: number;
}

/** One room an account belongs to, with its read state (`login` reply). */
export interface Membership extends ReadState {
  room: string;
  /** The room's newest seq. */
  last_seq: number;
}

/**
 * One private conversation of an account (`list_conversations` reply), with
 * the account's read state in it.
 */
export interface ConversationSummary extends ReadState {
  /** The other side's name, as its newest message wrote it. */
  with: string;
  /** The conversation's newest seq. */
  last_seq: number;
  /** The id of its newest message: the order, and `next`'s value. */
  last_id: string;
  /** When its newest message was stored (ISO-8601, as a message's `ts`). */
  last_ts: string;
  /** Present when the other side's account was deleted since that message. */
  deleted?: true;
  /** The other side's profile picture's version, when it has one. */
  avatar?: string;
}

/** Data of a `list_conversations` reply: newest first. */
export interface ConversationList {
  conversations: ConversationSummary[];
  /** Present when older conversations follow: send it back as `before`. */
  next?: string;
}

/** One account the caller ignores (`list_ignored` reply). */
export interface IgnoredUser {
  /** Its name, as when it was ignored. */
  user: string;
  /** When it was ignored (ISO-8601). */
  ignored_at: string;
}

/** Data of an `ignored` event: the account ignored or unignored someone. */
export interface IgnoredEvent {
  user: string;
  ignored: boolean;
}

/** Data of a `read_state` event: one of `room` or `with`. */
export interface ReadStateEvent extends ReadState {
  room?: string;
  with?: string;
  /**
   * Present when `mark_unread` moved the position back: take it although
   * it is behind the one held (any other behind it is a late copy).
   */
  marked_unread?: true;
}

/**
 * An account's unsent text in a room or a conversation (one of `room` or
 * `with`): a `draft` event, and each entry of `list_drafts`. An empty
 * `text` says the draft is gone (sent, or cleared).
 */
export interface DraftEvent {
  room?: string;
  with?: string;
  text: string;
  /** When it was set, ISO 8601: the newer of two wins. */
  updated_at: string;
}

/**
 * A message saved or unsaved by the account (`save_message`,
 * `unsave_message`): a `saved` event to its other connections.
 */
export interface SavedEvent {
  id: string;
  saved: boolean;
  /**
   * Its reminder (ISO 8601), or null for none, when the `save_message`
   * set or cleared one.
   */
  remind_at?: string | null;
}

/**
 * A saved message's reminder came due (save_message's `remind_at`):
 * `reminder` to every connection of the account, shaped as `list_saved`'s
 * item, with the time it was due. Its reminder is cleared by then.
 */
export interface ReminderEvent {
  id: string;
  saved_at: string;
  remind_at: string;
  message: ChatMessage | PrivateMessage;
}

/**
 * A scheduled message as `schedule_message`, `list_scheduled` and the
 * `scheduled` event show it to its author: `room` or `to`, never both.
 */
export interface ScheduledMessage {
  id: string;
  room?: string;
  to?: string;
  text: string;
  attachments?: { url: string }[];
  reply_to?: string;
  /** When it is to be sent (ISO 8601, UTC). */
  send_at: string;
  /** When it was written (ISO 8601, UTC). */
  created_at: string;
}

/**
 * A thread the account takes part in read up to `last_reply_seq`
 * (`mark_thread_read`): a `thread_read` event to its other connections.
 */
export interface ThreadRead {
  id: string;
  last_read_seq: number;
}

/**
 * A message's thread changed (a reply to it came or went): `replies_updated`
 * to its readers, with `room` in a room. `last_reply_seq` is absent once it
 * has no reply left.
 */
export interface RepliesUpdated {
  room?: string;
  id: string;
  seq: number;
  reply_count: number;
  last_reply_seq?: number;
  /** The thread's state as `MessageBase.thread_version` counts it. */
  thread_version: number;
}

/**
 * An account's notification level in a room or a conversation (one of
 * `room` or `with`): a `notify_level` event, each entry of
 * `list_notify_levels` and of the login's `notify_levels`.
 */
export interface NotifyLevelEvent {
  room?: string;
  with?: string;
  level: "all" | "mentions" | "none";
}

/**
 * A room or conversation (one of `room` or `with`) starred or unstarred by
 * the account: the `starred` event.
 */
export interface StarredEvent {
  room?: string;
  with?: string;
  starred: boolean;
}

/** The login's `starred`: the account's starred rooms and conversations. */
export interface StarredList {
  rooms: string[];
  with: string[];
}

/**
 * A section of an account's sidebar: its name, whether it is drawn
 * collapsed, and its rooms (`#name`) and conversations (`@name`) in order.
 */
export interface Section {
  name: string;
  collapsed: boolean;
  items: string[];
}

/**
 * The `poll_choice` event: the account's choice in a poll, as a `vote` on
 * another of its connections set it (a poll's `voters` names only the
 * first 100, so its other pages cannot find it there).
 */
export interface PollChoiceEvent {
  id: string;
  options: number[];
}

/** The `sections` event: the account's whole sidebar layout, changed. */
export interface SectionsEvent {
  sections: Section[];
}

/**
 * Until when (ms since the epoch) an account is not disturbed, null for
 * not: a `do_not_disturb` event and the `set_do_not_disturb` reply.
 */
export interface DoNotDisturbEvent {
  until: number | null;
}

/**
 * An account's custom status as the protocol shows it (set_status): its
 * text ("" when the emoji says it all), emoji and end, null for none.
 */
export interface Status {
  text: string;
  emoji: string | null;
  /** When it ends (ms since the epoch); null for when it is cleared. */
  until: number | null;
}

/**
 * Data of an `avatar_updated` event: an account's profile picture is now
 * `version` (load `/avatars/:name?v=version`), null when it has none.
 */
export interface AvatarEvent {
  user: string;
  version: string | null;
}

/**
 * A custom emoji as `list_emoji` and `emoji_updated` show it: its picture
 * is `/emoji/:name?v=version`; `author` is null once its account is gone.
 */
export interface CustomEmoji {
  name: string;
  author: string | null;
  /** When it was added, ISO 8601 as every time the protocol shows. */
  created_at: string;
  version: string;
}

/** Data of an `emoji_updated` event: a custom emoji added or removed. */
export interface EmojiEvent {
  added?: CustomEmoji;
  removed?: string;
}

/**
 * An account's card (`get_profile`): its name as written, role, and what
 * it set (`set_profile`, `set_status`, its picture's version); a field
 * it did not set is left out.
 */
export interface Profile {
  name: string;
  role: Role;
  title?: string;
  /**
   * An IANA time zone, as "Europe/Paris"; "" on one's own card once
   * cleared (others see none), apart from never set (left out).
   */
  timezone?: string;
  status?: Status;
  /** Its picture's version (`/avatars/{name}?v=`), when it has one. */
  avatar?: string;
  created_at: string;
  /**
   * The account's email address and whether it is verified: only to the
   * account itself and to admins, on a server that sends mail.
   */
  email?: EmailState;
}

/**
 * Data of a `status` event, and each entry of `get_status`: an account's
 * status, null when it has none (cleared, or ended).
 */
export interface StatusEvent {
  user: string;
  status: Status | null;
}

/**
 * A user group as the protocol shows it (`list_groups`, `group_updated`,
 * the replies of `create_group` and `update_group`).
 */
export interface Group {
  name: string;
  description: string;
  /** Who created it; null once that account was deleted. */
  creator: string | null;
  /** Its members' names, in the order of their name keys. */
  members: string[];
}

/**
 * What changed in a group (`group_updated` after `update_group` or an
 * account's deletion): each field only when it changed, the members as
 * names added and removed, never the whole list.
 */
export interface GroupChange {
  description?: string;
  /** Null: its creator's account was deleted. */
  creator?: null;
  /** Names now members. */
  added?: string[];
  /** Names no longer members (any spelling of their keys). */
  removed?: string[];
}

/**
 * Data of a `group_updated` event: a group created (`group`, whole), or
 * deleted (`group` null), with its name; or changed (`changed`, only what
 * changed: a group of 1,000 members sent its whole list, 35 KB, to every
 * account's connection at each change).
 */
export type GroupUpdatedEvent =
  | { group: Group | null; name: string }
  | { changed: GroupChange; name: string };

/** Data of a `membership` event: the account joined or left a room. */
export interface MembershipEvent {
  room: string;
  /** True when the account is now a member, false when it no longer is. */
  member: boolean;
  /** Present when `member` is true. */
  last_read_seq?: number;
  unread?: number;
  mentions?: number;
  last_seq?: number;
  private?: boolean;
}

/**
 * Data of a `role_changed` event, which every moderator and admin gets when
 * an account's role changes: their pages hide what the rank rule refuses.
 */
export interface RoleChangedEvent {
  /** The account's name. */
  user: string;
  role: Role;
  /** When the account was made (ISO-8601), as `list_accounts` says it. */
  created_at: string;
}

/**
 * Data of a `room_owner` event, which every connection getting a room's
 * events gets when an admin gives it another owner, or none.
 */
export interface RoomOwnerEvent {
  room: string;
  /** The new owner's name key, as `list_users` gives it; absent: none. */
  owner?: string;
}

/** An invite link to a room, as `create_invite` and `list_invites` give it. */
export interface InviteInfo {
  code: string;
  /** Where the web client opens it: `/#/invite/<code>`. */
  url: string;
  room: string;
  created_by: string;
  created_at: string;
  expires_at?: string;
  max_uses?: number;
  uses: number;
}

/** What a `system` event reports. */
export type SystemKind =
  | "joined"
  | "left"
  | "created"
  | "deleted"
  | "kicked"
  | "banned"
  | "invited"
  | "removed"
  | "info"
  | "pinned"
  | "unpinned"
  | "renamed"
  | "topic"
  | "archived"
  | "unarchived";

/** Data of a `system` event. */
export interface SystemEvent {
  room: string;
  kind: SystemKind;
  user?: string;
  text: string;
  /** `pinned`, `unpinned`: the message's id. */
  id?: string;
  /** `renamed`: the room's name before. */
  from?: string;
  /** `topic`: the room's new topic; absent: it was cleared. */
  topic?: string;
  /**
   * `info`, `deleted`, `kicked`, `banned`, `invited`, `removed`: who did it
   * (the admin, moderator, owner or member); absent when the server did.
   * With `reason` and `role`, a client says the notice in its own language
   * instead of showing `text`, which is English.
   */
  by?: string;
  /** `kicked` (when one was given), `banned`: the moderator's reason. */
  reason?: string;
  /** `info`: the user's new role. */
  role?: Role;
  /** `removed`: the room became private, and the user is no member. */
  private?: true;
  /** `kicked`: an admin deleted the account (`by`), not a moderator's kick. */
  account_deleted?: true;
  /**
   * `pinned`, `unpinned`: the message is the pinner's own (by its account:
   * not a hook's post under the pinner's name, nor a guest's from before
   * the account).
   */
  own?: true;
  /** `kicked`, `banned`, to the user only: the whole server, or one room. */
  scope?: "server" | "room";
}

/** Data of `room_list` events and `list_rooms` replies. */
export interface RoomListEvent {
  rooms: RoomSummary[];
}

/**
 * Data of `room_changes` events (to connections that logged in with
 * `room_changes`): rooms added or changed since the last list or changes
 * the connection got, whole, and the names of those it may no longer see.
 */
export interface RoomChangesEvent {
  rooms: RoomSummary[];
  removed: string[];
}

/** The envelope of every frame, in both directions. */
export interface Envelope<D = Record<string, unknown>> {
  action: string;
  data?: D;
  id?: string;
  timestamp?: string;
}

/** Every error code, listed in error_codes.ts. */
export type { ErrorCode };

/** Data of an `error` reply. */
export interface ErrorData {
  request?: string;
  code: ErrorCode;
  message: string;
}

/** This server's limits a client keeps to before it asks (login reply). */
export interface ServerLimits {
  /** Largest file `POST /api/files` takes, in bytes (`--max-file-bytes`). */
  max_file_bytes: number;
}

/**
 * An account's missed-message mails setting (`set_missed_mail`, the
 * `missed_mail` event, the login reply's `missed_mail`).
 */
export interface MissedMailState {
  /** Whether a private message or mention missed is mailed. */
  enabled: boolean;
  /** The language of its mails. */
  language: "en" | "fr";
}

/** An account's email address as its owner sees it. */
export interface EmailState {
  /** The address, null for none. */
  address: string | null;
  /** Whether its owner opened the link mailed to it. */
  verified: boolean;
}

/** Success data of `login`. */
export interface LoginSuccess {
  request: "login" | "register";
  username: string;
  role: Role;
  /**
   * When the account was created (ms since the epoch): messages under its
   * name from before are a former holder's, not its own (close_poll, edits).
   * Absent for guests.
   */
  since?: number;
  room: string;
  rooms: RoomSummary[];
  /**
   * Sent by this server with every login; optional for the client, which
   * may talk to a server that predates it (then the server's 413 decides).
   */
  limits?: ServerLimits;
  token?: string;
  /** An account's rooms with their read state; absent for guests. */
  memberships?: Membership[];
  /**
   * An account's notification levels other than the default `mentions`;
   * absent for guests (set_notify_level).
   */
  notify_levels?: NotifyLevelEvent[];
  /**
   * The account's starred rooms (it belongs to) and conversations; absent
   * for guests (star).
   */
  starred?: StarredList;
  /**
   * The account's sidebar sections, rooms it no longer belongs to and
   * conversations with deleted accounts left out; absent when it has none
   * and for guests (set_sections).
   */
  sections?: Section[];
  /**
   * Until when (ms since the epoch) the account is not disturbed, null
   * when it is not (a time past reads as null); absent for guests
   * (set_do_not_disturb).
   */
  do_not_disturb?: number | null;
  /**
   * The account's custom status, null for none (an ended one reads as
   * none); absent for guests (set_status).
   */
  status?: Status | null;
  /**
   * The version of the account's profile picture, null for none; absent
   * for guests (PUT /api/me/avatar).
   */
  avatar?: string | null;
  /**
   * Whether the account has two-factor authentication on (totp_enable);
   * absent for guests.
   */
  totp?: boolean;
  /**
   * The account's email address and whether it is verified; present only
   * when the server sends mail (`--smtp-url`), so a client offers email
   * settings only then. Absent for guests.
   */
  email?: EmailState;
  /** Its missed-message mails setting, on a server that sends mail. */
  missed_mail?: MissedMailState;
  /**
   * A guest's secret: sent back with a later guest login under the same
   * name, it makes that login the same guest (retried `client_id`s then
   * return the first message).
   */
  guest_key?: string;
}

/** Success data of `create_room`, `join_room` and `leave_room`. */
export interface RoomEntered {
  request: string;
  room: string;
  /** Which incarnation of the room (server/room_history.ts). */
  epoch?: string;
  history: ChatMessage[];
  /**
   * The seqs of the page's `here_mention` messages whose `@here` mentioned
   * the reader (server/room_mentions.ts hereMentioned); present only when
   * the page holds a `here_mention` message.
   */
  here_mentioned?: number[];
}

/** Success data of `history`. */
export interface HistoryPage {
  request: "history";
  room: string;
  /** Which incarnation of the room (server/room_history.ts). */
  epoch?: string;
  messages: ChatMessage[];
  /**
   * The seqs of the page's `here_mention` messages whose `@here` mentioned
   * the reader (server/room_mentions.ts hereMentioned); present only when
   * the page holds a `here_mention` message.
   */
  here_mentioned?: number[];
}

/** The name of the room that always exists. */
export const GENERAL_ROOM = "general";

/** An account as the user directory (`find_people`) shows it. */
export interface Person {
  username: string;
  /** Connected now, on any node. */
  online: boolean;
  /** Its profile picture's version, when it has one. */
  avatar?: string;
}
