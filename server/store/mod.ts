import type {
  Attachment,
  ChatMessage,
  DeletedForward,
  ForwardedMessage,
  LinkPreview,
  MessageBase,
  PrivateMessage,
  Role,
} from "../protocol/types.ts";
import {
  HISTORY_DEFAULT_LIMIT,
  HISTORY_MAX_LIMIT,
} from "../protocol/limits.ts";
import { decodeTime, encodeTime } from "ulid";
import type { PollChange } from "../polls.ts";
import { Buffer } from "node:buffer";

/** A page of a thread (Store.listReplies): by seq, either way. */
export interface RepliesQuery {
  after?: number;
  before?: number;
  limit: number;
}

/** A room as the store keeps it. */
export interface StoredRoom {
  /** Case-folded name: the identity of the room. */
  key: string;
  /** The name as first written. */
  name: string;
  /** Creation time, ms since the epoch. */
  createdAt: number;
  /** True for an invite-only room. */
  private: boolean;
  /** Name key of the account that created a private room. */
  owner?: string;
  /**
   * Its own retention, set by an admin (0: keep forever); absent, the
   * server's `--retention-days` applies.
   */
  retentionDays?: number;
  /** Its topic: one line of plain text, set by `set_topic`; absent: none. */
  topic?: string;
  /** Archived (`archive_room`): readable, takes nothing new; absent: not. */
  archived?: true;
  /**
   * Who posts (`set_room_posting`): "moderators", only its owner,
   * moderators and admins; absent: everyone.
   */
  posting?: "moderators";
}

/** Who may post in a room: everyone, or its owner, moderators and admins. */
export type RoomPosting = "everyone" | "moderators";

/** How a room is created: public by default. */
export interface RoomOptions {
  private?: boolean;
  /** Name key of the creator, who owns a private room. */
  owner?: string;
}

/** What `updateRoom` changes; absent fields stay. */
export interface RoomChange {
  private?: boolean;
  owner?: string | null;
  /** Its own retention in days (0: forever); null: the server's again. */
  retentionDays?: number | null;
}

/** Where an account stands in one stream (room or conversation). */
export interface StreamReadState {
  /** The newest seq read (0: nothing yet). */
  lastReadSeq: number;
  /**
   * Messages after it by others, not deleted, counted up to MAX_UNREAD;
   * those of accounts it ignores are not counted.
   */
  unread: number;
  /** How many of those mention the account (ignored authors' neither). */
  mentions: number;
  /** The stream's newest seq. */
  lastSeq: number;
}

/** What `markRead` or `markUnread` did: whether the position moved, and the state after. */
export interface MarkedRead {
  /** False when it stood where asked or beyond already: nothing was written. */
  moved: boolean;
  state: StreamReadState;
}

/** What `setDraft` did: wrote, or which of its caps refused the draft. */
export type DraftWrite = "written" | "too_many" | "too_long";

/** An account's unsent text in one place, as `listDrafts` reads it. */
export interface StoredDraft {
  /** The room key, or the conversation's key (`conversationKey`). */
  stream: string;
  /** For a conversation: the other side's name as the account wrote it. */
  with?: string;
  text: string;
  /** When it was last set (ms since the epoch). */
  updatedAt: number;
}

/** An invite link to a room. */
export interface StoredInvite {
  /** The secret in the link. */
  code: string;
  roomKey: string;
  /** Display name of its creator. */
  createdBy: string;
  createdAt: number;
  /** Unusable from this time on (ms since the epoch); none: never. */
  expiresAt?: number;
  /** Unusable after this many joins; none: no limit. */
  maxUses?: number;
  uses: number;
  revoked: boolean;
}

/** A day in milliseconds: retention counts in days. */
export const DAY_MS = 24 * 3600 * 1000;

/** Unread counts stop here: a client shows "999+", and a count stays cheap. */
export const MAX_UNREAD = 1000;

/** A room message about to be stored: the store assigns `id`, `seq`, `ts`. */
export interface MessageDraft {
  roomKey: string;
  userKey: string;
  user: string;
  text: string;
  clientId?: string;
  /**
   * Who holds the name now (Member.identity): `clientId` is scoped to it.
   * '' (the default) for callers that do not know.
   */
  sender?: string;
  attachments?: Attachment[];
  /** The id of the message answered, checked by the caller: same room. */
  replyTo?: string;
  /**
   * The room's creation time as the sender saw it (which incarnation of
   * the name): an append for a room deleted and created again before it
   * commits is refused (it would land in the new room, seen by its
   * members, a private room's included), as one for a room deleted.
   */
  roomCreatedAt?: number;
  /**
   * The author may mention the whole room (server/room_mentions.ts): an
   * `@room` in the text then counts for every member (mentions.ts).
   */
  roomWide?: boolean;
  /**
   * The members online whom its `@here` notifies (room_mentions.ts
   * hereMembers), when its author may ping the room: each counts it as a
   * mention, and it carries `here_mention` (mentions.ts).
   */
  here?: string[];
  /**
   * The members its `@group`s notify (group_mentions.ts), not the
   * author: each counts it as a mention, as if named.
   */
  groups?: string[];
}

/** A private message about to be stored. */
export interface PrivateDraft {
  fromKey: string;
  from: string;
  toKey: string;
  to: string;
  text: string;
  clientId?: string;
  /** As MessageDraft.sender. */
  sender?: string;
  attachments?: Attachment[];
  /** The id of the message answered, checked by the caller: same conversation. */
  replyTo?: string;
  /** False when no connection of the recipient got it: kept for its next login. */
  delivered: boolean;
  /** When not delivered: refuse it past these many waiting (default: none). */
  waitingLimits?: WaitingLimits;
}

/** How many undelivered private messages may wait. */
export interface WaitingLimits {
  /** For one recipient, from everyone. */
  perRecipient: number;
  /** From one sender (name key), to everyone. */
  perSender: number;
}

/** An undelivered private message refused: as many as allowed wait already. */
export interface MailboxFull {
  /** Which limit was reached. */
  full: "recipient" | "sender";
}

/**
 * An append refused because its sender is banned, as the store saw the bans
 * when it inserted: from the room (room messages only) or from the server
 * (any message). Nothing was stored. Thrown, not returned, so that the many
 * callers that never append for a banned name keep their plain result;
 * handlers answer it with `banned` (access.ts, banRefusal).
 */
export class SenderBannedError extends Error {
  override name = "SenderBannedError";
  /** The ban that refused it: the server's when both apply. */
  readonly ban: Ban;

  constructor(ban: Ban) {
    super(`${ban.userKey} is banned`);
    this.ban = ban;
  }
}

/**
 * An append refused because its sender's account was deleted before it
 * committed (a message its sockets sent while an admin deleted it, queued
 * for its commit or sent before the sockets closed): stored under the name,
 * it escaped the deletion's anonymising. Nothing was stored. Handlers
 * answer it with `forbidden`.
 */
export class SenderGoneError extends Error {
  override name = "SenderGoneError";

  constructor() {
    super("The sender's account was deleted.");
  }
}

/**
 * An append to a room deleted before its commit (a `delete_room`, an
 * expiry or a retention of the room raced the send): nothing was stored.
 * Thrown like SenderBannedError; handlers answer it with `room_not_found`,
 * as they answer a send that arrives after the deletion.
 */
export class RoomGoneError extends Error {
  override name = "RoomGoneError";
  /** The key of the room that was gone. */
  readonly roomKey: string;

  constructor(roomKey: string) {
    super(`No room with key '${roomKey}'`);
    this.roomKey = roomKey;
  }
}

/**
 * An append to a room archived before its commit (an `archive_room` on
 * another node, or on this one, raced the send past the handler's check):
 * nothing was stored. Thrown like RoomGoneError; handlers answer it with
 * `room_archived`, as they answer a send that arrives after the archive.
 * A retry of a message stored before the archive is no new message: it
 * gets its first copy, not this.
 */
export class RoomArchivedError extends Error {
  override name = "RoomArchivedError";
  /** The key of the archived room. */
  readonly roomKey: string;

  constructor(roomKey: string) {
    super(`The room with key '${roomKey}' is archived`);
    this.roomKey = roomKey;
  }
}

/** What makes a send a retry of an earlier one (`appendMessage`). */
export interface RetryKey {
  /** Name key of the sender. */
  userKey: string;
  /** As MessageDraft.sender. */
  sender: string;
  clientId: string;
}

/** What an append did. */
export interface AppendResult<M = ChatMessage> {
  message: M;
  /** True when `clientId` was seen before: `message` is the first one. */
  duplicate: boolean;
}

/** Which page of a history to read. */
export interface HistoryQuery {
  /** Only messages with a smaller seq. */
  beforeSeq?: number;
  /** Only messages with a greater seq. */
  afterSeq?: number;
  /**
   * Instead of before/after: `limit / 2` (rounded down) messages before
   * this seq, then the rest from it on.
   */
  aroundSeq?: number;
  /** At most this many (default 50, at most 200). */
  limit?: number;
  /** Only messages stored at or after this time (ms since the epoch). */
  since?: number;
}

/** A registered account. */
export interface Account {
  key: string;
  username: string;
  /** Self-describing hash (see accounts/password.ts); never leaves the server. */
  passwordHash: string;
  role: Role;
  createdAt: number;
  /** A bot account: made by an admin, used with tokens, never a password. */
  bot: boolean;
}

/** A personal access token as the store keeps it: never its secret. */
export interface StoredApiToken {
  /** Public, random: how it is listed and revoked. */
  id: string;
  /** Name key of the account it acts as. */
  userKey: string;
  /** What its owner called it. */
  name: string;
  /** SHA-256 of the secret (accounts/tokens.ts). */
  tokenHash: string;
  createdAt: number;
}

/** An incoming webhook of a room. */
export interface StoredHook {
  /** Public, random: how it is listed and removed. */
  id: string;
  roomKey: string;
  /** The name its messages show, with a HOOK badge. */
  name: string;
  /** SHA-256 of the secret in its URL. */
  secretHash: string;
  /** Name key of the account that made it. */
  createdBy: string;
  createdAt: number;
}

/** An incoming webhook as `findHook` finds it: with its room's creation time. */
export interface FoundHook extends StoredHook {
  /** Which incarnation of its room the hook belongs to (its creation time). */
  roomCreatedAt: number;
}

/** A login session, found by the hash of its token. */
export interface Session {
  userKey: string;
  expiresAt: number;
}

/**
 * A ban, server-wide or from one room. A row with an address bans that
 * address on behalf of the user; lifting the user's ban lifts it too.
 */
export interface Ban {
  /** The banned user's name key. */
  userKey: string;
  /** A banned address, or undefined for the name itself. */
  address?: string;
  /** The room, or undefined for the whole server. */
  roomKey?: string;
  reason: string;
  by: string;
  createdAt: number;
  /** The ban ends at this time (ms since the epoch); none: never. */
  expiresAt?: number;
}

/**
 * One moderation or admin action, as the audit log keeps it. Names are
 * written out, not referenced: an entry outlives what it describes.
 */
export interface AuditEntry {
  /** Assigned by the store, growing: the newest entry has the highest. */
  id: number;
  /** When, ms since the epoch. */
  at: number;
  /** Display name of who acted. */
  by: string;
  /** The action's name (`ban`, `delete_account`, …). */
  action: string;
  /** Display name of the user acted on, if any. */
  target?: string;
  /** Name of the room acted on or in, if any. */
  room?: string;
  reason?: string;
  /** The actor's client address. */
  address: string;
  /** What else the action said (a role, a duration), as plain values. */
  details?: Record<string, string | number | boolean>;
}

/**
 * An audit entry to write (the store assigns its id). The store methods of
 * moderation and administration take one as their last argument: it is
 * written in the same transaction as the action, only when the action is
 * done (an unknown target writes nothing), so no kill or crash between
 * two commits can leave an action done with no entry.
 */
export type NewAuditEntry = Omit<AuditEntry, "id">;

/** Which page of the audit log to read: newest first. */
export interface AuditQuery {
  /** Only entries with a smaller id. */
  before?: number;
  /** At most this many. */
  limit: number;
}

/** What else an `addBan` writes in its commit. */
export interface BanOptions {
  /** Addresses banned with the user (a guest's), as the same ban. */
  addresses?: string[];
  audit?: NewAuditEntry;
}

/** Which accounts to list: by name, oldest first. */
export interface AccountQuery {
  /** Only names containing this text (case-insensitive). */
  query?: string;
  /** Only moderators and admins (the web client hides what they cannot do). */
  staff?: boolean;
  /** At most this many. */
  limit: number;
}

/** Who `findPeople` looks for, and for whom. */
export interface PeopleQuery {
  /** The start of their name key (`nameKey`), not empty. */
  prefix: string;
  /** Whose directory: the account asking, never in the answer. */
  viewerKey: string;
  /**
   * Only these keys (those online), when given: each one a probe of the
   * accounts' key, whatever the number of accounts.
   */
  among?: string[];
  /** Bans in force at this time (ms) leave the banned out; default now. */
  now?: number;
  /** At most this many. */
  limit: number;
}

/**
 * The key just above every key that starts with `prefix` in code-point
 * (UTF-8 byte) order: no name holds U+10FFFF, the largest code point.
 */
export function prefixEnd(prefix: string): string {
  return prefix + "\u{10FFFF}";
}

/** How {@link MembershipStore.roomMembers} pages. */
export interface RoomMembersOptions {
  /**
   * A name key an earlier page ended on: only keys after it (default:
   * from the first).
   */
  after?: string;
}

/**
 * Where a page of the keys that start with `prefix` begins (the least key
 * it may hold): just past `after`, the key an earlier page ended on, or
 * `prefix` when there is none or it sorts below. In code-point (UTF-8
 * byte) order, as both stores sort keys; the key just past `after` is
 * `after` + U+0001, no name holding a control character (and PostgreSQL's
 * text no U+0000).
 */
export function pageStart(prefix: string, after?: string): string {
  if (after === undefined) return prefix;
  const next = `${after}\u0001`;
  const encoder = new TextEncoder();
  return Buffer.compare(encoder.encode(next), encoder.encode(prefix)) > 0
    ? next
    : prefix;
}

/**
 * The seqs of a range's `rows` that were asked for (`seqs`), in the rows'
 * order: mentionedAt reads one range and keeps those.
 */
export function askedSeqs(
  rows: readonly { seq: number }[],
  seqs: readonly number[],
): number[] {
  const asked = new Set(seqs);
  return rows.map((row) => row.seq).filter((seq) => asked.has(seq));
}

/** What happens to a deleted account's messages. */
export type DeletedMessages = "keep" | "anonymise";

/** What an account's deletion changed that its readers see again. */
export interface DeletedAccount {
  /**
   * The messages whose poll lost the account's votes, in no order: their
   * readers are sent them again (handlers/admin.ts).
   */
  polls: string[];
}

// The display name anonymised messages carry: the protocol's, which the
// web client reads too.
export { ANONYMOUS_NAME } from "../protocol/names.ts";

/**
 * The owner a deleted account's rooms keep: a key no account can have (a
 * name has no leading space). Left under the account's key, its rooms went
 * to whoever registered the name next (invites, members, pins, webhooks);
 * left without an owner, they would expire as guests' rooms do.
 */
export const DELETED_OWNER = " deleted";

/** A room's owner as shown: none once its account was deleted. */
export function shownOwner(owner: string | undefined): string | undefined {
  return owner === DELETED_OWNER ? undefined : owner;
}

/**
 * One upload: its own name, type and uploader; the bytes are kept once per
 * content hash, whoever uploaded them and under whatever name.
 */
export interface StoredUpload {
  /** Random, unguessable: the upload's URL is `/files/<id>/<name>`. */
  id: string;
  /** SHA-256 of the content, hex: where the bytes are. */
  hash: string;
  name: string;
  /** The type the server checked (image types only for such images). */
  type: string;
  size: number;
  /** Name key of the account that uploaded it. */
  uploader: string;
  /** Pixels, for images the server could read. */
  width?: number;
  height?: number;
  /** Frames of an animated image (GIF, APNG, WebP); absent for one. */
  frames?: number;
  createdAt: number;
}

/**
 * What an upload's bytes say of it (upload_facts.ts): its checked type, and
 * dimensions and frames for an image read as such.
 */
export type UploadFacts = Pick<
  StoredUpload,
  "type" | "width" | "height" | "frames"
>;

/** A stored message with what only the server needs to know about it. */
export interface MessageRecord {
  message: ChatMessage | PrivateMessage;
  /** Name key of the author. */
  userKey: string;
  /** Room key, or conversation key ('@a:b') of a private message. */
  stream: string;
}

/** A text an edit replaced (`listEdits`): the text, and when it was written. */
export interface MessageEdit {
  text: string;
  /** When this text was written, ms. */
  ts: number;
}

/**
 * What `updateMessage` changes. `roomWide`, `here`, `groups`: as
 * MessageDraft's, for the new text. `refuseArchived` (a delete by its
 * author): refused as an edit is while the room is archived; without it
 * (a moderator's delete, or an author's shut out of the room) the delete
 * goes on.
 */
export type MessageChange =
  | { text: string; roomWide?: boolean; here?: string[]; groups?: string[] }
  | { deleted: true; refuseArchived?: boolean };

/**
 * A message's link previews changed: `previews` fetched for `text`, kept
 * only while the message still has that text, is not deleted and has no
 * previews yet (an edit made meanwhile, or a removal, wins); or `removed`
 * (by its author or a moderator), which holds until the next edit.
 */
export type LinkPreviewChange =
  | { previews: LinkPreview[]; text: string }
  | { removed: true };

/** One user's reaction added or taken back. */
export interface ReactionChange {
  /** The message's id. */
  id: string;
  userKey: string;
  /** The user's display name, as listed in the message's `reactions`. */
  user: string;
  /** The emoji, already checked and normalised (protocol/emoji.ts). */
  emoji: string;
  /** True to add the reaction, false to take it back. */
  on: boolean;
  /**
   * When the reacting account was created (accountCreatedAt of its
   * identity); none for a guest. A reaction of an account deleted since
   * is refused (`gone`): it would list under the name after the deletion
   * anonymised its others.
   */
  accountCreatedAt?: number;
}

/**
 * What a reaction or a pin did: the message as it now is (`changed` false
 * when it already was so), or why nothing happened: no such message (or
 * a deleted one), or the message or stream is full (20 emoji, 100 pins).
 */
export type MarkResult =
  | { status: "done"; message: MessageBase; changed: boolean }
  | { status: "not_found" }
  | { status: "full" };

/** What a reaction did: also `gone`, its account deleted (ReactionChange). */
export type ReactResult = MarkResult | { status: "gone" };

/**
 * What `changePoll` did: the message as it now is, or why not
 * (polls.ts PollChangeResult; `not_found` also for a deleted message).
 */
export type PollResult =
  | { status: "done"; message: MessageBase; changed: boolean }
  | { status: "not_found" | "not_a_poll" | "closed" | "bad_option" | "gone" };

/** An account's choice in one poll (`pollChoices`), where its message is. */
export interface PollChoiceRow {
  /** The message's id. */
  id: string;
  /** Room key, or conversation key ('@a:b'). */
  stream: string;
  /** When the message was sent, ms: who may read it may depend on it. */
  ts: number;
  /** The indices of the options whose voters hold the account, in order. */
  options: number[];
}

/** The messages a search may find. */
export interface SearchScope {
  /** Rooms searched (their keys): every room the reader may read, or one. */
  roomKeys: string[];
  /**
   * The reader's private conversations, stored at or after `since`: with
   * everyone, or with `withKey` only. Absent: none.
   */
  conversations?: { userKey: string; since: number; withKey?: string };
}

/**
 * What a search's `has` asks of a message: `file` an attachment, `image`
 * an attachment of an image type, `link` an http(s) URL in its text
 * (`http://` or `https://`, in any case), `reaction` at least one
 * reaction.
 */
export type SearchHas = "file" | "image" | "link" | "reaction";

/** A search: messages with every word, newest first. */
export interface SearchQuery {
  /**
   * Words from `searchWords` (store/search_text.ts); the last is also a
   * prefix when it has two letters or more. None: every message of the
   * scope that passes the filters (`from`, `has`, `after`), newest first.
   */
  words: string[];
  scope: SearchScope;
  /** Only messages older than this message id (ids sort by time). */
  before?: string;
  /**
   * Only messages of this id or newer (a ULID's time, its first 10
   * characters, for a day's start): the search ends there.
   */
  after?: string;
  /**
   * Only messages written under this name key at or after `since` (ms):
   * the name's holder since its account was made.
   */
  from?: { userKey: string; since: number };
  /** Only messages holding each of these. */
  has?: SearchHas[];
  /** At most this many (at most 50). */
  limit: number;
  /**
   * How much of the index one page may walk, in entries of its words'
   * lists (SEARCH_BUDGET by default; tests give less). A store that
   * bounds its work stops there with fewer than `limit` results.
   */
  budget?: number;
}

/**
 * How much of the index one search page may walk by default
 * (SearchQuery.budget), in entries of its words' lists: measured on SQLite
 * (docs/performance.md, "Search"); PostgreSQL weighs a row it reads as
 * several entries (postgres_search.ts, ROW_COST).
 */
export const SEARCH_BUDGET = 16_384;

/**
 * How many times a page's budget (SearchQuery.budget) a search with
 * `has: link` divides it by: that test reads each row's text (LIKE on
 * SQLite, ILIKE on PostgreSQL), where the budget counts a row at 1 µs or
 * so. A page of 4,096 rows of "HTTP:/" written 666 times (no link, and a
 * partial match at each sixth character) took 100 to 490 ms on SQLite and
 * 315 to 770 ms on PostgreSQL (load 12 on 2 cores), at the 4 searches a
 * second an account may ask (round 15). A sixteenth of the rows bounds it
 * as a page of words is bounded; a search for links among few walks more
 * pages, each `next` (the web client asks a few at once).
 */
export const LINK_SEARCH_SHARE = 16;

/**
 * The streams a search's scope names one by one (its rooms, and the one
 * conversation of a search in it), or undefined when it takes in every
 * conversation of the reader's (which no list names). Both stores.
 */
export function streamsOf(query: SearchQuery): string[] | undefined {
  const conversations = query.scope.conversations;
  if (conversations === undefined) return query.scope.roomKeys;
  if (conversations.withKey === undefined) return undefined;
  return [
    ...query.scope.roomKeys,
    conversationKey(conversations.userKey, conversations.withKey),
  ];
}

/**
 * The `next` of a search page cut at message `id`: the time of that message
 * as a ULID's first 10 characters, sorting before every id made in that
 * millisecond (the page must reach them all), or the id itself when it is
 * no ULID. A time rather than the id: the cursor names no message, which
 * may be one the reader cannot read.
 */
export function searchCursor(id: string): string {
  try {
    return encodeTime(decodeTime(id), 10);
  } catch {
    return id;
  }
}

/**
 * A page of search results. `next`, given only when the store stopped
 * before the end with fewer than `limit` results (its work budget spent):
 * a `before` to continue from, older than every message looked at.
 */
export interface SearchPage {
  records: MessageRecord[];
  next?: string;
}
/** Rooms and their messages. */
export interface RoomStore {
  /** Every room, oldest first. */
  listRooms(): Promise<StoredRoom[]>;
  /** Creates a room; null when a room with that key exists already. */
  createRoom(
    name: string,
    key: string,
    options?: RoomOptions,
  ): Promise<StoredRoom | null>;
  /**
   * Deletes a room with its messages, room bans, memberships, read
   * positions, mentions, invites and the messages scheduled to it; false
   * when absent, else the scheduled messages that went with it.
   */
  deleteRoom(key: string, audit?: NewAuditEntry): Promise<DeletedRoom | false>;
  /**
   * Renames a room in one transaction: its key becomes `newKey` wherever
   * it is (stream, messages and their room name, memberships, read
   * positions, mentions, invites, bans, webhooks, file references), seqs,
   * ids, epoch and settings unchanged, and the old key is free. Returns
   * the room as it now is, `"taken"` when another room holds `newKey`
   * (nothing changed), undefined when there is no room `key`. `audit` is
   * written with the rename, only when it is done. `change`, when given,
   * is made to the renamed room in the same transaction, as `updateRoom`
   * makes it (invite links revoked when it becomes private): one
   * `update_room` that renames and changes settings is one commit, its
   * entry with all of it.
   */
  renameRoom(
    key: string,
    newKey: string,
    newName: string,
    audit?: NewAuditEntry,
    change?: RoomChange,
  ): Promise<StoredRoom | "taken" | undefined>;
  /**
   * Makes a room private or public and gives it an owner (name key; null:
   * none); returns it as it now is, undefined when absent. Making a public
   * room private revokes every invite link it has, in the same commit.
   * `audit` is written in that commit too, unless the room is absent.
   */
  updateRoom(
    key: string,
    change: RoomChange,
    audit?: NewAuditEntry,
  ): Promise<StoredRoom | undefined>;
  /**
   * Archives a room (`archived`) or brings it back; returns the room as it
   * now is when this call changed it, undefined when absent or already so
   * (another node's call did it: a node's own flag may not have heard of
   * it yet). `audit` is written in the same commit, only with a change. A
   * rename carries the flag with the room. Once it resolves with the room
   * archived, no new message of the room commits (`appendMessage`).
   */
  setRoomArchived(
    key: string,
    archived: boolean,
    audit?: NewAuditEntry,
  ): Promise<StoredRoom | undefined>;
  /**
   * Sets who posts in a room (`set_room_posting`); returns the room as it
   * now is when this call changed it, undefined when absent or already so
   * (as {@link setRoomArchived}, for the same reason). `audit` is written
   * in the same commit, only with a change. A rename carries it.
   */
  setRoomPosting(
    key: string,
    posting: RoomPosting,
    audit?: NewAuditEntry,
  ): Promise<StoredRoom | undefined>;
  /**
   * Sets a room's topic (null: none); returns the room as it now is,
   * undefined when absent. `audit` is written in the same commit, unless
   * the room is absent. A rename carries the topic with the room. Rejects
   * a change to a room archived as it commits with
   * {@link RoomArchivedError}, changing and writing nothing.
   */
  setRoomTopic(
    key: string,
    topic: string | null,
    audit?: NewAuditEntry,
  ): Promise<StoredRoom | undefined>;
  /**
   * Stores a message with the room's next seq, or returns the first message
   * sent with the same (room, user, sender, clientId), banned sender or
   * not: a ban refuses new messages only. Rejects a new one with
   * {@link SenderBannedError}, storing nothing, when a ban of the sender's
   * name (room or server) is in force as the store inserts: a ban added
   * after the append was made but before its commit refuses it, and once
   * `addBan` resolves no append of that name commits after it. Likewise
   * {@link SenderGoneError} when the draft's `sender` is an account
   * identity whose account no longer exists (`deleteAccount`), and
   * {@link RoomArchivedError} when the room is archived as it inserts:
   * once `setRoomArchived` resolves, no new message of the room commits
   * after it (a retry still gets its first copy).
   */
  appendMessage(draft: MessageDraft): Promise<AppendResult>;
  /**
   * A page of a room's messages, oldest first. With `afterSeq` the page
   * starts right after it; otherwise it ends at the newest (or `beforeSeq`).
   */
  history(roomKey: string, query: HistoryQuery): Promise<ChatMessage[]>;
  /** A room or private message by id. */
  findMessage(id: string): Promise<MessageRecord | undefined>;
  /**
   * The message first stored in `stream` (room key, or conversation key)
   * under this retry key, as an append of it would return it, without
   * appending: for a retry whose sender a ban overtook before its append
   * (handlers/messages.ts, `overtaken`). Undefined when none was.
   */
  findFirstSent(
    stream: string,
    key: RetryKey,
  ): Promise<ChatMessage | PrivateMessage | undefined>;
  /**
   * Edits or deletes a message; returns it as it now is. A delete also
   * drops its reactions, its pin and its own reply_to. `audit` (a
   * moderator's delete) is written in the same commit, unless there is no
   * such message. Rejects an edit, or a delete with `refuseArchived`, of a
   * message whose room is archived as it commits with
   * {@link RoomArchivedError}, changing nothing: once `setRoomArchived`
   * resolves, none commits after it (as `appendMessage`).
   */
  updateMessage(
    id: string,
    change: MessageChange,
    audit?: NewAuditEntry,
  ): Promise<MessageBase | undefined>;
  /**
   * A message's edit history: the texts its edits replaced, oldest first,
   * each with when it was written (the message's ts for the first kept,
   * the edit's time for the next), at most MAX_KEPT_EDITS (an edit keeps
   * the text it replaced in the same commit, and drops the oldest past
   * them). Empty for a message never edited, deleted or absent: a delete
   * removes the history with the text.
   */
  listEdits(id: string): Promise<MessageEdit[]>;
  /**
   * Stores or removes a message's link previews (an edit clears them, for
   * the previews of its new text); returns the message as it now is, or
   * undefined when nothing changed.
   */
  setLinkPreviews(
    id: string,
    change: LinkPreviewChange,
  ): Promise<MessageBase | undefined>;
  /**
   * Gives a message its poll, counts a vote on it or closes it
   * (polls.ts applyPollChange), bumping its version when it changed. A
   * deleted message's poll is gone with it; an account's deletion takes
   * its votes away (`deleteAccount`).
   */
  changePoll(id: string, change: PollChange): Promise<PollResult>;
  /**
   * The account `userKey`'s choice in the polls of messages `ids` (a
   * hundred at most, `poll_choices`): read by the messages' unique ids,
   * the voters' keys looked up inside each poll, where `voters` names only
   * the first 100. Ids of no message, a deleted one or one without a poll
   * are left out; in no order. The caller checks who may read them.
   */
  pollChoices(
    userKey: string,
    ids: readonly string[],
  ): Promise<PollChoiceRow[]>;
  /**
   * Gives a message just appended the copy of the message it forwards
   * (`forward_message`), once: a message deleted or carrying one already
   * is left as it is. Its version stays (the copy comes before anyone
   * read the message). A blank copy (a forward of a forward whose
   * original is deleted) is kept blank. Answers the message as it now
   * is, or undefined when it is gone or deleted.
   */
  setForwarded(
    id: string,
    forwarded: ForwardedMessage | DeletedForward,
  ): Promise<ChatMessage | PrivateMessage | undefined>;
  /**
   * Deletes up to `limit` messages stored before `before` (ms), rooms and
   * conversations alike, with their mentions, reactions and search words;
   * returns how many. A room with its own `retentionDays` uses
   * `now - retentionDays` instead (0: none go); `before` undefined (no
   * server-wide retention) spares every other stream. Only the oldest of
   * a stream go: a stream loses the messages before its first one stored
   * at or after its cutoff, so its history starts later and never has a
   * gap in the middle. Seqs are not reused. The uploads only those
   * messages carried are left to `sweepUploads`.
   */
  expireMessages(
    before: number | undefined,
    limit: number,
    now?: number,
  ): Promise<number>;
  /** The newest replies to a message, newest first, at most `limit`. */
  findReplies(id: string, limit: number): Promise<MessageBase[]>;
  /**
   * The newest forwards of a message (those whose `forwarded` copy is of
   * `id`), newest first, at most `limit`, with their streams: their
   * readers hear that the copy was blanked when the original is deleted.
   */
  findForwards(id: string, limit: number): Promise<MessageRecord[]>;
  /**
   * A page of a message's live replies (its thread), oldest first: the
   * first `limit` after seq `query.after` (from the first when absent),
   * or, with `query.before`, the last `limit` before that seq.
   */
  listReplies(id: string, query: RepliesQuery): Promise<MessageBase[]>;
  /**
   * Adds or takes back a reaction; at most MAX_REACTIONS_PER_MESSAGE
   * different emoji per message (`full` past them). Rejects one in a room
   * archived as it commits with {@link RoomArchivedError}, as
   * `updateMessage` does.
   */
  react(change: ReactionChange): Promise<ReactResult>;
  /**
   * Pins or unpins a message; at most MAX_PINS pinned per stream. Rejects
   * one in a room archived as it commits with {@link RoomArchivedError},
   * as `updateMessage` does.
   */
  pin(id: string, on: boolean): Promise<MarkResult>;
  /** The pinned messages of a room or conversation, latest pinned first. */
  listPins(stream: string): Promise<MessageBase[]>;
  /**
   * Messages of the scope that are not deleted and hold every word (the
   * last one as a prefix too), newest first.
   */
  search(query: SearchQuery): Promise<SearchPage>;
}

/** An account's profile picture's upload (FileStore.avatarIds). */
export interface AvatarId {
  userKey: string;
  uploadId: string;
}

/** Options of {@link FileStore.saveUpload}. */
export interface SaveUploadOptions {
  /** Most bytes the uploader's recorded uploads may add up to; 0: no limit. */
  quotaBytes?: number;
}

/** An upload's id and the bytes it names, as `FileStore.listUploads` gives them. */
export interface UploadBytes {
  id: string;
  hash: string;
  /** When it was recorded (ms since the epoch). */
  createdAt: number;
}

/**
 * Records of uploads, and which messages show them. An upload is attached
 * when a message carrying its URL is appended (the stores record that in
 * the same transaction); it is live while one of those messages exists and
 * is not deleted.
 */
export interface FileStore {
  /**
   * Records an upload; false, recording nothing, when the uploader's
   * uploads with this one would keep more than `quotaBytes`. The check
   * and the insert are one step for all processes sharing the store, so
   * uploads racing each other cannot all fit in what is left of a quota.
   */
  saveUpload(
    upload: StoredUpload,
    options?: SaveUploadOptions,
  ): Promise<boolean>;
  /**
   * The bytes of this uploader's uploads still recorded (not yet swept),
   * each counted in full, even where another upload has the same bytes.
   */
  uploadedBytes(uploader: string): Promise<number>;
  findUpload(id: string): Promise<StoredUpload | undefined>;
  /**
   * Forgets an upload at once (one whose bytes could not be kept); when no
   * upload uses its bytes any more, records their hash for deletion in the
   * same transaction (see `claimFileDeletion`).
   */
  deleteUpload(id: string): Promise<void>;
  /**
   * The streams (room keys, conversation keys `@a:b`) of the live messages
   * that carry this upload, each with the time of the newest such message.
   */
  uploadStreams(id: string): Promise<{ stream: string; ts: number }[]>;
  /**
   * Whether any message ever carried this upload, deleted ones included:
   * an upload nobody carried yet is its uploader's draft, one whose
   * messages are all deleted is gone even before a sweep forgets it.
   */
  uploadCarried(id: string): Promise<boolean>;
  /**
   * Forgets uploads no live message carries: those that were attached
   * once, and those never attached that were made before
   * `unattachedBefore` (ms). Returns the hashes no upload uses any more,
   * recorded for deletion in the same transaction: the caller deletes
   * their bytes after it (`claimFileDeletion`), and a process killed
   * before it did leaves them recorded for the next.
   */
  sweepUploads(unattachedBefore: number): Promise<string[]>;
  /** Whether an upload still uses these bytes. */
  hashInUse(hash: string): Promise<boolean>;
  /**
   * Records `upload` (no quota check; unless saveUpload recorded it
   * already) as the account's profile picture, in the commit that forgets
   * the upload of the picture it replaces (whose hash is then recorded
   * for deletion if no upload uses it); false,
   * recording nothing, when the account is gone, or, given
   * `accountCreatedAt` (when the account asking was created), when the
   * name's account is another one: a picture sent by an account that was
   * deleted while its body arrived never lands on the name's next holder.
   */
  setAvatar(
    userKey: string,
    upload: StoredUpload,
    accountCreatedAt?: number,
  ): Promise<boolean>;
  /**
   * Removes the account's profile picture and forgets its upload, as a
   * replacement does; false when it had none.
   */
  removeAvatar(userKey: string): Promise<boolean>;
  /** The upload of the account's profile picture, or undefined. */
  findAvatar(userKey: string): Promise<StoredUpload | undefined>;
  /**
   * The ids of the profile pictures' uploads of those of `userKeys` that
   * have one, in one read (a member list's names: a probe of the
   * avatars' primary key each).
   */
  avatarIds(userKeys: readonly string[]): Promise<AvatarId[]>;
  /**
   * Uploads recorded, in order of id, each after `after` ("" for the
   * first), at most `limit`: for the daily walk that finds those whose
   * bytes are gone (FileStorage.findMissing).
   */
  listUploads(after: string, limit: number): Promise<UploadBytes[]>;
  /**
   * Uploads whose facts are to be read again from their bytes, in id order,
   * each after `after` ("" for the first), at most `limit`: those a
   * migration marked when the readers of their type changed (their
   * dimensions cleared meanwhile, so that they download), and the images
   * an import took without their bytes. Only the marked rows are read.
   */
  uploadsToReread(after: string, limit: number): Promise<StoredUpload[]>;
  /**
   * Writes what an upload's bytes read as now into its record and into
   * every message that carries it (type, width, height, frames of its
   * attachments; the rest as it was), and clears its mark, in one commit.
   * May run again, and on two nodes at once: the same facts give the same
   * rows. Resolves with the ids of the messages it changed (their readers
   * are sent the correction), in no set order.
   */
  finishReread(id: string, facts: UploadFacts): Promise<string[]>;
  /**
   * Records hashes for deletion (each once): bytes that go unless an upload
   * uses them, as `claimFileDeletion` finds. For bytes placed outside any
   * upload's commit (an import killed before its own).
   */
  recordFileDeletions(hashes: string[]): Promise<void>;
  /**
   * Hashes recorded for deletion and not yet finished, in order, each
   * after `after` ("" for the first), at most `limit`: deletions under
   * way, or cut short by a process killed after the commit that recorded
   * them. Only these rows are read, never every file kept.
   */
  pendingFileDeletions(after: string, limit: number): Promise<string[]>;
  /**
   * Takes the turn to delete the bytes of a hash recorded for deletion;
   * true when they may go now: recorded, no upload uses them, and the
   * turn is this caller's until `finishFileDeletion`. Every process
   * sharing the store respects the turn: an upload of the same bytes
   * recorded meanwhile waits for it to end (its bytes are put after), and
   * one recorded before is seen, so the bytes stay. False when the hash
   * is not recorded, when another process holds its turn (it finishes),
   * or when an upload uses the bytes again (the record is then cleared:
   * the upload wins).
   */
  claimFileDeletion(hash: string): Promise<boolean>;
  /**
   * Ends a turn `claimFileDeletion` gave: with `deleted`, the bytes are
   * gone and the record is cleared; without, it stays for the next try.
   */
  finishFileDeletion(hash: string, deleted: boolean): Promise<void>;
  /**
   * A secret that every node sharing this store reads the same, created on
   * first use: random (signs file URLs), or `fresh` (a key pair made by the
   * caller: a value, not a function, so it crosses to the store's thread).
   */
  secret(name: string, fresh?: string): Promise<string>;
}

/**
 * An outgoing webhook: every new message of its room is POSTed to its URL,
 * signed with its secret. The delivery fields say how the last went.
 */
export interface StoredWebhook {
  /** Random id, used in its URLs. */
  id: string;
  roomKey: string;
  url: string;
  /** HMAC-SHA256 key of the signature header. */
  secret: string;
  /** Name key of the account that registered it. */
  createdBy: string;
  createdAt: number;
  /** Deliveries that failed in a row since the last success (0: healthy). */
  failures: number;
  /** Why the last failed delivery failed. */
  lastError?: string;
  /** The HTTP status of the last failed delivery, when it got one. */
  lastStatus?: number;
  lastFailureAt?: number;
  lastSuccessAt?: number;
}

/**
 * An outgoing webhook of an account's private messages (a bot's): every
 * private message sent to the account is POSTed to its URL, signed with
 * its secret, as a room's hooks are.
 */
export interface StoredPrivateWebhook extends Omit<StoredWebhook, "roomKey"> {
  /** Name key of the account whose private messages it receives. */
  userKey: string;
}

/** How one delivery of a webhook ended. */
export interface WebhookOutcome {
  /** When it ended (ms since the epoch). */
  at: number;
  ok: boolean;
  /** The receiver's HTTP status, when it answered. */
  status?: number;
  /** Why it failed, for the owner. */
  error?: string;
}

/** A browser's Web Push subscription (its `PushSubscription` JSON), for one account. */
export interface StoredPushSubscription {
  /** The push service URL: unique, it names the subscription. */
  endpoint: string;
  /** Name key of the account it notifies. */
  userKey: string;
  /** The browser's P-256 public key, base64url. */
  p256dh: string;
  /** The browser's 16-byte auth secret, base64url. */
  auth: string;
  createdAt: number;
  /**
   * SHA-256 of the login session, or of the access token, that made it:
   * the subscription ends with that credential (the store deletes it with
   * the session or token), so a credential once stolen leaves no feed.
   */
  session?: string;
  apiToken?: string;
}

/** What the server sends out on its own: outgoing webhooks and Web Push subscriptions. */
export interface OutboundStore {
  /**
   * Registers a webhook (no delivery yet); false when its room is gone.
   * `audit` is written in the same commit, only when it is registered.
   */
  createWebhook(
    hook: Omit<
      StoredWebhook,
      | "failures"
      | "lastError"
      | "lastStatus"
      | "lastFailureAt"
      | "lastSuccessAt"
    >,
    audit?: NewAuditEntry,
  ): Promise<boolean>;
  /** A room's webhooks, or every room's, oldest first. */
  listWebhooks(roomKey?: string): Promise<StoredWebhook[]>;
  findWebhook(id: string): Promise<StoredWebhook | undefined>;
  /**
   * Removes a webhook; false when there is none. Deleting its room removes
   * it too. `audit` is written in the same commit, only when one was.
   */
  deleteWebhook(id: string, audit?: NewAuditEntry): Promise<boolean>;
  /**
   * Records how a delivery of a hook (a room's or an account's: their ids
   * are random and never meet) ended: a success clears the failure count.
   */
  recordWebhookOutcome(id: string, outcome: WebhookOutcome): Promise<void>;
  /**
   * Registers a hook of an account's private messages; false when the
   * account is gone. `audit` is written in the same commit, only when it is.
   */
  createPrivateWebhook(
    hook: Omit<
      StoredPrivateWebhook,
      | "failures"
      | "lastError"
      | "lastStatus"
      | "lastFailureAt"
      | "lastSuccessAt"
    >,
    audit?: NewAuditEntry,
  ): Promise<boolean>;
  /** An account's private-message hooks, or every account's, oldest first. */
  listPrivateWebhooks(userKey?: string): Promise<StoredPrivateWebhook[]>;
  findPrivateWebhook(id: string): Promise<StoredPrivateWebhook | undefined>;
  /**
   * Removes a private-message hook; false when there is none. Deleting its
   * account removes it too. `audit` is written in the same commit, only
   * when one was.
   */
  deletePrivateWebhook(id: string, audit?: NewAuditEntry): Promise<boolean>;
  /**
   * Keeps a subscription; the same endpoint again replaces the old one (a
   * browser that moved to another account notifies the new one only).
   * False, keeping nothing, when its `session` or `apiToken` is gone
   * (ended while the request was checked).
   */
  savePushSubscription(subscription: StoredPushSubscription): Promise<boolean>;
  /** An account's subscriptions, oldest first. */
  pushSubscriptions(userKey: string): Promise<StoredPushSubscription[]>;
  /**
   * The subscriptions of those of `userKeys` who take a mention from
   * `mention.authorKey` in room `mention.roomKey` now, as notify_rule.ts's
   * `reaches` says: members of the room, not banned from the server, not
   * ignoring the author, not at `none` in the room, not paused (do not
   * disturb); by account key, each account's oldest first. One query for
   * a page of an `@room`'s members (push.ts), where the probes of
   * `isMember`, `findBan`, `isIgnoring`, `notifyLevel`, `doNotDisturb` and
   * `pushSubscriptions` cost up to six reads a member.
   */
  mentionSubscriptions(
    userKeys: string[],
    mention: { roomKey: string; authorKey: string },
  ): Promise<StoredPushSubscription[]>;
  /** Forgets a subscription (only the account's, when `userKey` is given); false when absent. */
  deletePushSubscription(endpoint: string, userKey?: string): Promise<boolean>;
  /**
   * Every subscription's endpoint that is a plain `http:` URL (any case),
   * of every account: read once at start, to drop those kept from before
   * https was required (push_http_sweep.ts). Reads the whole table.
   */
  plainHttpPushEndpoints(): Promise<string[]>;
}

/** One private conversation of an account, as `listConversations` lists it. */
export interface ConversationEntry {
  /** The other side's name key. */
  withKey: string;
  /** The other side's display name, as its newest message wrote it. */
  with: string;
  /** The conversation's newest seq. */
  lastSeq: number;
  /** The id of its newest message: the order, and the page cursor. */
  lastId: string;
  /** When its newest message was stored (ms since the epoch). */
  lastAt: number;
  /**
   * The other side's account was deleted since its newest message:
   * nobody answers under that name (`deleted` in list_conversations).
   */
  withDeleted?: true;
}

/** Which page of an account's conversations to list: newest first. */
export interface ConversationQuery {
  /**
   * When the name became the account's (its creation): a conversation
   * whose newest message is older was a former holder's of the name.
   */
  since: number;
  /** Only conversations whose newest message id sorts below this one. */
  before?: string;
  /** At most this many. */
  limit: number;
}

/** Private conversations between two users. */
export interface PrivateStore {
  /**
   * Stores a private message with the conversation's next seq, returns the
   * first one of a retried clientId, or refuses an undelivered one past
   * `waitingLimits` (a retry is answered before the limits are checked).
   * A server ban of the sender rejects a new one as in `appendMessage`
   * (a retry still gets its first copy); a room ban does not.
   */
  appendPrivate(
    draft: PrivateDraft & { waitingLimits?: undefined },
  ): Promise<AppendResult<PrivateMessage>>;
  appendPrivate(
    draft: PrivateDraft,
  ): Promise<AppendResult<PrivateMessage> | MailboxFull>;
  /** A page of the conversation between two users, as `history`. */
  conversation(
    userKey: string,
    otherKey: string,
    query: HistoryQuery,
  ): Promise<PrivateMessage[]>;
  /**
   * An account's conversations, the one with the newest message first,
   * one index range: each side's row is written with every private
   * message, in its transaction (a trigger in both schemas).
   */
  listConversations(
    userKey: string,
    query: ConversationQuery,
  ): Promise<ConversationEntry[]>;
  /** Private messages not yet delivered to a user, oldest first; marks them delivered. */
  takeUndelivered(userKey: string): Promise<PrivateMessage[]>;
  /**
   * Puts messages taken by `takeUndelivered` back to wait for the user: the
   * login that took them lost its socket before it could push them.
   */
  returnUndelivered(userKey: string, ids: string[]): Promise<void>;
}

/** An account another ignores, as `listIgnored` lists it. */
export interface IgnoredAccount {
  /** Its name key. */
  key: string;
  /** Its display name when it was ignored. */
  name: string;
  /** When it was ignored (ms since the epoch). */
  at: number;
}

/**
 * Whom each account ignores (Matrix's "ignore", Discord's "block"): the
 * ignored account's private messages and invites to it are refused, its
 * mentions of it push nothing. Rows go with either account's deletion.
 */
export interface IgnoreStore {
  /**
   * Records that `userKey` ignores `target`: true when it was new, false
   * when it ignored it already, "full" when it ignores `max` accounts.
   */
  ignore(
    userKey: string,
    target: { key: string; name: string; max: number },
  ): Promise<boolean | "full">;
  /** Forgets that `userKey` ignores `targetKey`; false when it did not. */
  unignore(userKey: string, targetKey: string): Promise<boolean>;
  /** Whom `userKey` ignores, by name key. */
  listIgnored(userKey: string): Promise<IgnoredAccount[]>;
  /** Whether `userKey` ignores `otherKey`: one key probe. */
  isIgnoring(userKey: string, otherKey: string): Promise<boolean>;
  /**
   * The rooms (keys) `userKey` is a member of because `inviter.key` added
   * it with `invite` since `inviter.since` (the inviter's account's
   * creation: an invite by a former holder of the name is not its).
   * Memberships of before this was recorded name no inviter.
   */
  roomsInvitedBy(
    userKey: string,
    inviter: { key: string; since: number },
  ): Promise<string[]>;
}

/**
 * Which rooms each account belongs to, where it has read up to in every
 * room and conversation, and the invite links that open rooms. Read
 * positions only move forward.
 */
export interface MembershipStore {
  /**
   * Makes an account a member of a room, its read position at the room's
   * newest message; false when it was one already or the room is gone;
   * "full" when `max` (> 0) is given and the account belongs to that many
   * rooms already. The count and the insert are one step here, so joins
   * racing on several nodes cannot pass the cap together. `invitedBy`:
   * the name key of the account that added it (`invite`), recorded with
   * the membership for `roomsInvitedBy`; "ignored", and nothing written,
   * when the account ignores it. That check and the insert are one step
   * with `ignore`'s: an ignore committed first refuses the invite, else the
   * membership commits before the ignore, where `roomsInvitedBy` after it
   * finds it. An invitation to an archived room throws
   * {@link RoomArchivedError}, writing nothing, read with its write as a
   * send's is (a join is not refused).
   */
  addMember(
    userKey: string,
    roomKey: string,
    max?: number,
    invitedBy?: string,
  ): Promise<boolean | "full" | "ignored">;
  /** Ends a membership and forgets its read position; false when absent. */
  removeMember(userKey: string, roomKey: string): Promise<boolean>;
  isMember(userKey: string, roomKey: string): Promise<boolean>;
  /** An account's rooms (their keys), oldest membership first. */
  memberRooms(userKey: string): Promise<string[]>;
  /**
   * The names of the accounts that belong to a room whose key starts
   * with `prefix` (a name key, or ""), by key, at most `limit`: every
   * account for `general`, which all belong to from their registration
   * (the row is written at the first login). For the composer's mentions,
   * which offer members who are offline too, and, page after page
   * (`options.after`), for an `@room`'s pushes.
   */
  roomMembers(
    roomKey: string,
    prefix: string,
    limit: number,
    options?: RoomMembersOptions,
  ): Promise<string[]>;
  /**
   * Moves an account's read position in a stream (room key or
   * conversation key) forward to `seq`, capped at the stream's newest;
   * never back, in one atomic step. Returns whether it moved (when it did
   * not, nothing is written) and the read state after it. With `since`
   * (ms: when the name became the account's), the stream's messages stored
   * before it, a former holder's of the name, are read already: the
   * position moves past them whatever `seq` says, so they are never
   * counted (history shows none of them either).
   */
  markRead(
    userKey: string,
    stream: string,
    seq: number,
    since?: number,
  ): Promise<MarkedRead>;
  /**
   * Moves an account's read position in a stream back to just before
   * `seq` (`seq - 1`: that message and the later ones are unread again);
   * never forward, in one atomic step. Returns whether it moved (when it
   * did not, nothing is written) and the read state after it. With
   * `since`, as for markRead: the messages stored before it, a former
   * holder's of the name, stay read, whatever `seq` says.
   */
  markUnread(
    userKey: string,
    stream: string,
    seq: number,
    since?: number,
  ): Promise<MarkedRead>;
  /** An account's read state in a stream (0 read when never marked). */
  readState(userKey: string, stream: string): Promise<StreamReadState>;
  /**
   * The read states of streams, in their order. With `rowBudget`, counting
   * may stop once about that many index entries were read (each stream's
   * unread and mentions, plus one): the answer is then the states of the
   * first streams only, never none of them. A login counts its rooms in
   * such slices so that it never holds the thread for long (node.ts,
   * enterRooms); a store whose counting runs in other processes may count
   * them all at once.
   */
  readStates(
    userKey: string,
    streams: readonly string[],
    rowBudget?: number,
  ): Promise<StreamReadState[]>;
  /**
   * Those of `seqs` (ascending) at which a stream holds a mention row of
   * the account: of a page's `here_mention` messages, those whose `@here`
   * reached it (room_mentions.ts hereMentioned). One range of the
   * mentions' primary key (user_key, stream, seq), from the first of
   * `seqs` to the last: at most a page's worth of the account's rows.
   */
  mentionedAt(
    userKey: string,
    stream: string,
    seqs: readonly number[],
  ): Promise<number[]>;
  /**
   * Records an invite link (uses 0, not revoked); for an archived room
   * throws {@link RoomArchivedError}, writing nothing, read with its write
   * as a send's is.
   */
  createInvite(
    invite: Omit<StoredInvite, "uses" | "revoked">,
  ): Promise<void>;
  findInvite(code: string): Promise<StoredInvite | undefined>;
  /**
   * Counts one use of an invite that is usable at `now` (not revoked,
   * expired or used up) and returns it; undefined otherwise. Atomic: two
   * nodes cannot both take an invite's last use.
   */
  useInvite(code: string, now: number): Promise<StoredInvite | undefined>;
  /**
   * Gives back one use taken by `useInvite` that made no member (another
   * device of the account joined first, the cap, the room gone); nothing
   * when no use is counted.
   */
  returnInvite(code: string): Promise<void>;
  /** Revokes an invite; false when there is no such code. */
  revokeInvite(code: string): Promise<boolean>;
  /** A room's invites still usable at `now`, oldest first. */
  listInvites(roomKey: string, now: number): Promise<StoredInvite[]>;
  /**
   * Deletes a room's invites no longer usable at `now` (revoked, expired
   * or used up) and returns how many: nothing can use them again, and
   * kept they would pile up with every invite ever made.
   */
  deleteDeadInvites(roomKey: string, now: number): Promise<number>;
}

/** Accounts, sessions and bans. */
export interface AccountStore {
  /**
   * Creates an account; null when the name is taken, or another account's
   * name looks like it (same UTS #39 skeleton, `nameSkeleton`), or a
   * group holds its key or looks like it (GroupStore: checked in the same
   * step as the write, which createGroup's is one with). The first
   * account gets `firstRole` (the operator's admin when none was named).
   * The account is a member of `general` from then on, read to its end (a
   * bot that only uses the REST API never logs in to be made one).
   * `audit` (an admin's bot) is written in the same commit, only when the
   * account is created.
   */
  createAccount(
    account: Omit<Account, "createdAt" | "role" | "bot"> & {
      role: Role;
      bot?: boolean;
    },
    options?: { firstRole?: Role; audit?: NewAuditEntry },
  ): Promise<Account | null>;
  findAccount(key: string): Promise<Account | undefined>;
  /** An account whose name looks like `username` (same skeleton), itself included. */
  findAccountLookingLike(username: string): Promise<Account | undefined>;
  /** Changes a role (with `audit`, in one commit); false when there is no such account. */
  setRole(key: string, role: Role, audit?: NewAuditEntry): Promise<boolean>;
  /** Replaces an account's password hash and ends its unused reset links; false when there is no such account. */
  setPasswordHash(key: string, passwordHash: string): Promise<boolean>;
  createSession(tokenHash: string, session: Session): Promise<void>;
  findSession(tokenHash: string): Promise<Session | undefined>;
  deleteSession(tokenHash: string): Promise<void>;
  /** Ends every session of an account but `exceptTokenHash`; returns how many. */
  deleteSessionsOf(userKey: string, exceptTokenHash?: string): Promise<number>;
  /**
   * Bans, in one commit: the ban, the same ban of each of `addresses` (a
   * guest's), the end of the user's membership of the ban's room, and
   * `audit`.
   */
  addBan(ban: Ban, options?: BanOptions): Promise<void>;
  /**
   * Lifts the bans of a user (and the addresses banned with it); returns
   * how many. `audit` is written in the same commit, only when one was.
   */
  removeBans(
    userKey: string,
    roomKey?: string,
    audit?: NewAuditEntry,
  ): Promise<number>;
  /**
   * The ban that applies to this user or address, server-wide or in
   * `roomKey`; expired bans no longer apply. An address ban applies to its
   * address and, named by an IPv6 /64 (addressKey), to every address in it.
   */
  findBan(
    who: { userKey?: string; address?: string },
    roomKey?: string,
  ): Promise<Ban | undefined>;
  /** Bans in force at `now`, newest first, at most `limit`. */
  listBans(now: number, limit: number): Promise<Ban[]>;
  /** Accounts whose names match, by name key. */
  listAccounts(query: AccountQuery): Promise<Account[]>;
  /**
   * The user directory: accounts whose name key starts with the prefix
   * and who share a room with the viewer or belong to a public room, in
   * name-key order (code points), the viewer and accounts banned from the
   * server left out. A range of the accounts' key index (or a probe of
   * each key `among`), each checked by its bans' and memberships' keys.
   */
  findPeople(query: PeopleQuery): Promise<Account[]>;
  /**
   * Deletes an account with its sessions, memberships, read positions,
   * password resets, waiting private messages, ignores (its own and
   * others' of it), drafts and notification levels. Its messages stay, under
   * its name (`keep`) or under {@link ANONYMOUS_NAME}; its votes go from
   * every poll. False when absent. `audit` is written in the same commit,
   * only when it was there.
   */
  deleteAccount(
    key: string,
    messages: DeletedMessages,
    audit?: NewAuditEntry,
  ): Promise<DeletedAccount | false>;
  /**
   * Records a one-time password reset, found by the hash of its token,
   * with `audit` in the same commit.
   */
  createPasswordReset(
    tokenHash: string,
    reset: Session,
    audit?: NewAuditEntry,
  ): Promise<void>;
  /**
   * Uses up a password reset that is live at `now`: its account's key, or
   * undefined (unknown, used or expired). Atomic: a token works once.
   */
  takePasswordReset(
    tokenHash: string,
    now: number,
  ): Promise<string | undefined>;
}

/** The audit log: who did what to whom, kept whatever it describes. */
export interface AuditStore {
  /** Appends an entry; returns it with its id. */
  addAuditEntry(entry: NewAuditEntry): Promise<AuditEntry>;
  /** A page of entries, newest first. */
  auditLog(query: AuditQuery): Promise<AuditEntry[]>;
}

/**
 * Personal access tokens, bot accounts and incoming webhooks: what lets
 * other programs talk to the chat. Secrets are kept only as hashes.
 */
export interface IntegrationStore {
  /** Records a token (with `audit`, in one commit). */
  createApiToken(token: StoredApiToken, audit?: NewAuditEntry): Promise<void>;
  /** An account's tokens, oldest first. */
  listApiTokens(userKey: string): Promise<StoredApiToken[]>;
  /** The token with this secret hash, if not revoked. */
  findApiToken(tokenHash: string): Promise<StoredApiToken | undefined>;
  /**
   * Revokes one of an account's tokens; false when it has none by that id.
   * `audit` is written in the same commit, only when one was revoked.
   */
  deleteApiToken(
    userKey: string,
    id: string,
    audit?: NewAuditEntry,
  ): Promise<boolean>;
  /** Bot accounts, oldest first. */
  listBots(): Promise<Account[]>;
  /** Records an incoming webhook (its room must exist), with `audit` in one commit. */
  createHook(hook: StoredHook, audit?: NewAuditEntry): Promise<void>;
  /** A room's webhooks, oldest first. */
  listHooks(roomKey: string): Promise<StoredHook[]>;
  /**
   * The webhook with this secret hash, if not removed, with the creation
   * time of its room as read with it: its post names that incarnation of
   * the room (MessageDraft.roomCreatedAt), so a post under way while the
   * room is deleted and made again is refused, not posted in the new one.
   */
  findHook(secretHash: string): Promise<FoundHook | undefined>;
  findHookById(id: string): Promise<StoredHook | undefined>;
  /**
   * Removes a webhook; false when absent. Deleting its room removes it too.
   * `audit` is written in the same commit, only when one was removed.
   */
  deleteHook(id: string, audit?: NewAuditEntry): Promise<boolean>;
}

/**
 * How much a room or conversation may claim an account's attention:
 * `all` (every message alerts its web clients), `mentions` (the default:
 * mentions and private messages alert and push) or `none` (nothing alerts
 * or pushes; unread is still counted).
 */
export type NotifyLevel = "all" | "mentions" | "none";

/** The level every room and conversation has until the account sets one. */
export const DEFAULT_NOTIFY_LEVEL: NotifyLevel = "mentions";

/** An account's notification level in one place, as the store keeps it. */
export interface StoredNotifyLevel {
  /** The room key, or the conversation's key (`conversationKey`). */
  stream: string;
  /** For a conversation: the other side's name as the account wrote it. */
  with?: string;
  level: NotifyLevel;
  /** When it was set (ms since the epoch). */
  updatedAt: number;
}

/**
 * Each account's notification level per room and conversation, kept on the
 * server so that every device and Web Push honour the same choice (as
 * Slack's, Zulip's and Mattermost's): one row per account and stream whose
 * level is not {@link DEFAULT_NOTIFY_LEVEL}.
 */
export interface NotificationStore {
  /**
   * Sets an account's level in a stream; the default deletes the row.
   * False, and nothing written, when the account has `max` rows already
   * and none in this stream: levels of conversations name anyone, so a cap.
   */
  setNotifyLevel(
    userKey: string,
    setting: StoredNotifyLevel,
    max: number,
  ): Promise<boolean>;
  /** An account's levels other than the default, by stream. */
  listNotifyLevels(userKey: string): Promise<StoredNotifyLevel[]>;
  /** An account's level in one stream: one key probe. */
  notifyLevel(userKey: string, stream: string): Promise<NotifyLevel>;
  /**
   * The members of a room who set it to `all`, so that Web Push sends them
   * its every message: one range of a partial index per message, however
   * many members the room has.
   */
  membersAtAll(roomKey: string): Promise<string[]>;
}

/** A room or conversation an account's sidebar section holds. */
export interface StoredSectionItem {
  /** The room key, or the conversation's key (`conversationKey`). */
  stream: string;
  /**
   * For a conversation: the other side's name as the account wrote it,
   * and its account's key (whose deletion takes the item along).
   */
  with?: { name: string; key: string };
}

/** A section of an account's sidebar (set_sections), as the store keeps it. */
export interface StoredSection {
  name: string;
  collapsed: boolean;
  /** In the account's order. */
  items: StoredSectionItem[];
}

/**
 * Each account's sidebar sections (Slack's sections, Mattermost's custom
 * categories), kept on the server so that every device shows one layout:
 * a row per section and one per item, by position. A room's items follow
 * its renames and go with it; a conversation's go with either account.
 */
export interface SectionStore {
  /**
   * Replaces the account's whole layout (none: no rows) in one commit, and
   * answers it as kept: a conversation whose other side has no account is
   * left out (checked in the write, one key probe each, so a deletion at
   * the same time cannot leave one behind: the foreign key).
   */
  setSections(
    userKey: string,
    sections: StoredSection[],
  ): Promise<StoredSection[]>;
  /** The account's layout, sections and items in its order. */
  listSections(userKey: string): Promise<StoredSection[]>;
}

/** A room or conversation an account starred, as the store keeps it. */
export interface StoredStar {
  /** The room key, or the conversation's key (`conversationKey`). */
  stream: string;
  /** For a conversation: the other side's name as the account wrote it. */
  with?: string;
  /** When it was starred (ms since the epoch). */
  createdAt: number;
}

/**
 * Each account's starred rooms and conversations (Slack's "Starred",
 * Mattermost's favourites), kept on the server so that every device shows
 * one list: one row per account and stream. A room's row follows its
 * renames and goes with it; an account's go with the account.
 */
export interface StarStore {
  /**
   * Stars a stream for an account (starring it again changes nothing).
   * False, and nothing written, when the account has `max` rows already
   * and none of this stream: conversations name anyone, so a cap.
   */
  star(userKey: string, star: StoredStar, max: number): Promise<boolean>;
  /** Unstars a stream; one not starred is no error. */
  unstar(userKey: string, stream: string): Promise<void>;
  /** An account's stars, by stream. */
  listStars(userKey: string): Promise<StoredStar[]>;
}

/**
 * Each account's "do not disturb" (set_do_not_disturb, as Slack's, Zulip's
 * and Mattermost's): until when no push goes to it and its web clients
 * raise no alert, on every device.
 */
export interface DoNotDisturbStore {
  /**
   * Sets until when (ms since the epoch) the account is not disturbed;
   * null ends it. False, and nothing written, when there is no such account.
   */
  setDoNotDisturb(userKey: string, until: number | null): Promise<boolean>;
  /** Until when the account is not disturbed, as set (maybe past); null for none. */
  doNotDisturb(userKey: string): Promise<number | null>;
}

/** An account's email address as kept (set_email). */
export interface StoredEmail {
  address: string;
  /** Whether its owner opened the link mailed to it. */
  verified: boolean;
}

/** A verification link of an address as kept: its token's hash alone. */
export interface EmailVerification {
  /** SHA-256 of the link's token (accounts/tokens.ts hashToken). */
  tokenHash: string;
  /** When the link stops working (ms since the epoch). */
  expiresAt: number;
}

/**
 * Each account's email address (set_email) and the one link that verifies
 * it: columns of the account's row, so a deleted account takes them with
 * it.
 */
export interface EmailStore {
  /**
   * Sets an account's address, not verified, with the link mailed to it
   * (any earlier link stops working); null removes the address and its
   * link. Either ends the account's password reset links (one mailed to
   * the old address must not outlive it). False, and nothing written,
   * when there is no such account.
   */
  setEmail(
    userKey: string,
    address: string | null,
    verification?: EmailVerification,
  ): Promise<boolean>;
  /** The account's address, undefined for none (or no account). */
  emailOf(userKey: string): Promise<StoredEmail | undefined>;
  /**
   * Uses up a verification link live at `now`: its address is verified and
   * the account's key and the address returned; undefined for a token
   * unknown, used, replaced or expired. Atomic: a link works once.
   */
  verifyEmail(
    tokenHash: string,
    now: number,
  ): Promise<{ userKey: string; address: string } | undefined>;
  /**
   * The keys of the accounts whose verified address this is, compared
   * without case (an unverified one never matches), oldest first, at most
   * `limit`: whom "Forgot password?" by address mails.
   */
  verifiedEmailAccounts(address: string, limit: number): Promise<string[]>;
}

/**
 * An account's custom status as kept (set_status): a short text, maybe
 * empty when an emoji says it all, the emoji, and when it ends.
 */
export interface StoredStatus {
  /** The account's name key. */
  userKey: string;
  text: string;
  /** One emoji, or null. */
  emoji: string | null;
  /** When it ends (ms since the epoch, maybe past); null for never. */
  until: number | null;
}

/**
 * Each account's custom status (set_status, as Slack's, Zulip's and
 * Mattermost's): what others see beside its name.
 */
export interface StatusStore {
  /**
   * Sets an account's status, or clears it with null. False, and nothing
   * written, when there is no such account.
   */
  setStatus(
    userKey: string,
    status: Omit<StoredStatus, "userKey"> | null,
  ): Promise<boolean>;
  /**
   * The statuses of those of `userKeys` who have one, as set (an ended one
   * too: the caller holds the clock), in key order: one key probe each.
   */
  statuses(userKeys: readonly string[]): Promise<StoredStatus[]>;
}

/**
 * An account's profile card as kept (set_profile, as Slack's and
 * Mattermost's): a title ("Designer, Lyon") and an IANA time zone, each
 * null for none.
 */
export interface StoredProfile {
  title: string | null;
  /**
   * Null when never set, "" once cleared: the account's own client offers
   * the browser's zone only for the first ("None" chosen stays chosen).
   */
  timezone: string | null;
}

/** Each account's profile card: what others see when they open its name. */
export interface ProfileStore {
  /**
   * Sets the fields given (null clears one; one left out stays). False,
   * and nothing written, when there is no such account.
   */
  setProfile(
    userKey: string,
    changes: Partial<StoredProfile>,
  ): Promise<boolean>;
  /** An account's profile as set; null when there is no such account. */
  profile(userKey: string): Promise<StoredProfile | null>;
}

/** A custom emoji as kept (PUT /api/emoji/:name). */
export interface StoredEmoji {
  name: string;
  /** The upload of its picture (FileStorage keeps its bytes). */
  uploadId: string;
  /** Its author's name key and display name; null once the account is gone. */
  authorKey: string | null;
  author: string | null;
  /** When it was added (ms since the epoch). */
  createdAt: number;
}

/** A new custom emoji, for {@link EmojiStore.addEmoji}. */
export interface NewEmoji {
  name: string;
  /** Its picture's upload, recorded with it unless it is already. */
  upload: StoredUpload;
  authorKey: string;
  createdAt: number;
}

/** Options of {@link EmojiStore.addEmoji}. */
export interface AddEmojiOptions {
  /** Most custom emoji the server keeps: past it, `too_many`. */
  max: number;
  /**
   * When the author's account was created: an account deleted while the
   * body came, its name registered again since, adds nothing (`gone`).
   */
  authorCreatedAt?: number;
}

/**
 * The server's custom emoji (as Slack's, Mattermost's and Zulip's): each a
 * name and the upload of its picture, which goes when it is removed.
 */
export interface EmojiStore {
  /**
   * Adds a custom emoji, recording its upload in the same commit:
   * `exists` when the name is taken, `too_many` when the server has
   * `max` already, `gone` when its author's account is not there (or is
   * another one), each recording nothing. The count and the insert are
   * one step for all processes sharing the store.
   */
  addEmoji(
    emoji: NewEmoji,
    options: AddEmojiOptions,
  ): Promise<"added" | "exists" | "too_many" | "gone">;
  /**
   * Removes a custom emoji and forgets its upload, with `audit` in the
   * same commit when it was there; false when none.
   */
  removeEmoji(name: string, audit?: NewAuditEntry): Promise<boolean>;
  /** Every custom emoji, by name. */
  listEmoji(): Promise<StoredEmoji[]>;
  /** A custom emoji and its picture's upload, or undefined. */
  findEmoji(
    name: string,
  ): Promise<(StoredEmoji & { upload: StoredUpload }) | undefined>;
}

/**
 * A user group as kept (create_group): a name that mentions its members
 * at once (`@design`), in the accounts' namespace, with a description.
 */
export interface StoredGroup {
  /** Its name key (protocol/names.ts), which no account holds. */
  key: string;
  /** Its name as created. */
  name: string;
  description: string;
  /** Who created it (key, name); null once that account is deleted. */
  creatorKey: string | null;
  creator: string | null;
  createdAt: number;
  /** Its members' names, in key order. */
  members: string[];
}

/** A group to create: its members are keys of accounts. */
export interface NewGroup {
  key: string;
  name: string;
  description: string;
  creatorKey: string;
  members: readonly string[];
}

/** A change of a group: its description, members (keys) added and removed. */
export interface GroupChange {
  description?: string;
  add: readonly string[];
  remove: readonly string[];
}

/** Why a group's members were not written: a cap, names of nobody. */
export type MembersRefusal =
  | { full: "groups" | "members" | "memberships" | "own" }
  | { unknown: string[] };

/**
 * Why a group was not made: its name taken (`taken` the name of the
 * account or group that holds its key or looks like it), or its members'
 * refusal.
 */
export type GroupRefusal = { taken: string } | MembersRefusal;

/**
 * The caps of a group's write: members of one group, and (when given)
 * members of all groups together, a member of two counting twice, and
 * members of all the groups of the group's creator together (`own`).
 */
export interface GroupCaps {
  maxMembers: number;
  maxMemberships?: number;
  maxOwnMemberships?: number;
}

/**
 * User groups (Slack's user groups, Zulip's groups, Mattermost's custom
 * groups): named sets of accounts that one `@name` mentions. A deleted
 * account leaves every group it was in; the groups it created stay.
 */
export interface GroupStore {
  /**
   * Creates a group with its members (keys of accounts). Refused when an
   * account or a group holds the key or has a name that looks like it
   * (same skeleton, `nameSkeleton`), when `maxGroups` exist, when more
   * than `maxMembers` are asked or the groups would hold more than
   * `maxMemberships` in all, or when a key is no account's (all of those,
   * in key order). The name's check and the write are one step with
   * createAccount's: of a group and an account of one name (or of
   * look-alikes) made at once, only one is.
   */
  createGroup(
    group: NewGroup,
    caps: GroupCaps & { maxGroups: number },
  ): Promise<StoredGroup | GroupRefusal>;
  /**
   * Changes a group's description, adds and removes members (keys; a
   * removal wins over an add of the same key); undefined when there is no
   * such group. Refused past `maxMembers`, when it grows the groups past
   * `maxMemberships` in all, or when an added key is no account's;
   * nothing is written then.
   */
  updateGroup(
    key: string,
    change: GroupChange,
    caps: GroupCaps,
  ): Promise<StoredGroup | MembersRefusal | undefined>;
  /** Deletes a group; false when there is none. */
  deleteGroup(key: string): Promise<boolean>;
  /** One group, or undefined. */
  group(key: string): Promise<StoredGroup | undefined>;
  /**
   * A group whose key is `name`'s or whose name looks like it (same
   * skeleton), if any: what a new account's name may not be. One probe
   * of each index.
   */
  groupLookingLike(
    name: string,
  ): Promise<Pick<StoredGroup, "key" | "name"> | undefined>;
  /** Every group, in key order. */
  listGroups(): Promise<StoredGroup[]>;
  /**
   * The keys of every group, in key order, without their members: what a
   * node keeps to know a message that names no group (group_names.ts).
   */
  groupKeys(): Promise<string[]>;
  /**
   * The keys of the members of the groups `groupKeys` (those that exist),
   * each once, in key order, at most `limit`; with `roomKey`, only the
   * members of that room. One query, for a message's `@group` mentions.
   */
  groupMemberKeys(
    groupKeys: readonly string[],
    options: { roomKey?: string; limit: number },
  ): Promise<string[]>;
}

/**
 * Durable state. A promise it resolves means the data is on disk (or in the
 * database) and survives a crash. Implementations throw
 * `StoreUnavailableError` when they cannot reach their storage.
 */
/**
 * Each account's unsent text per room and conversation, so that it follows
 * the account to its other devices: one row per account and stream.
 */
export interface DraftStore {
  /**
   * Sets an account's draft in a stream (`withName` for a conversation),
   * or deletes it when `text` is empty. Nothing is written, and the answer
   * says which cap refused it, when the account has `max` drafts already
   * and none in this stream (`too_many`: an account cannot fill the disk
   * with drafts to names), or when its drafts' characters (code points),
   * this stream's counted as the new text, would pass `maxCharacters`
   * (`too_long`: all of them are read and sent at once by a list).
   */
  setDraft(
    userKey: string,
    draft: StoredDraft,
    max: number,
    maxCharacters?: number,
  ): Promise<DraftWrite>;
  /** An account's drafts, the newest first. */
  listDrafts(userKey: string): Promise<StoredDraft[]>;
}

/** A message an account saved (`save_message`), as `listSaved` reads it. */
export interface SavedRow {
  /** The message's id. */
  id: string;
  /** When the account saved it (ms since the epoch). */
  savedAt: number;
  /**
   * When the account is to be reminded of it (ms), while one is set and
   * not claimed: one being fired is as good as fired.
   */
  remindAt?: number;
}

/**
 * What a room's deletion took along that someone must be told of: the
 * messages scheduled to it, which would otherwise vanish unsent without a
 * word to their authors (a member who left keeps one there until its time).
 */
export interface DeletedRoom {
  /** The messages scheduled to the room: each author's, by id. */
  unscheduled: { userKey: string; id: string }[];
}

/**
 * A reminder the sweep claimed (`claimDueReminders`): held until its lease
 * runs out, cleared by `confirmReminder` once fired.
 */
export interface DueReminder {
  userKey: string;
  /** The saved message's id. */
  id: string;
  savedAt: number;
  /** When it was due (ms). */
  remindAt: number;
}

/** What `saveMessage` did. */
export type SaveResult = "added" | "kept" | "full";

/**
 * The messages each account saved to come back to (Slack's "Later"), one
 * row per account and message id; what the message is and whether its
 * account may still read it is the handler's question, not the store's.
 */
export interface SavedStore {
  /**
   * Saves a message for an account at `at`: "added", or "kept" (saved
   * already: its time stays), or "full" and nothing written when the
   * account has `max` saved already; a cap so that saves cannot fill the
   * disk.
   */
  saveMessage(
    userKey: string,
    id: string,
    at: number,
    max: number,
  ): Promise<SaveResult>;
  /** Forgets a saved message; false when it was not saved. */
  unsaveMessage(userKey: string, id: string): Promise<boolean>;
  /**
   * Up to `limit` of an account's saved messages, the newest saved first
   * (ties by id, descending), after the saved one `before` when given
   * (none when `before` is not saved); with `beforeSavedAt` too, after
   * that place (saved then, with that id), whether or not it is still
   * saved: a page's last one unsaved meanwhile does not end the list.
   */
  listSaved(
    userKey: string,
    page: { before?: string; beforeSavedAt?: number; limit: number },
  ): Promise<SavedRow[]>;
  /**
   * Sets (ms) or clears (null) the reminder of a saved message: true when
   * it was saved and its reminder changed. Unsaving forgets it with the row.
   */
  setReminder(
    userKey: string,
    id: string,
    remindAt: number | null,
  ): Promise<boolean>;
  /**
   * Claims up to `limit` reminders due at `now` and not held by a lease
   * still running, the earliest first: leases them until `until` (ms) and
   * answers them, in one atomic step, so that of several claimers at once
   * (nodes sharing the store) each reminder goes to one. A claim not
   * confirmed (`confirmReminder`) before its lease runs out is claimed
   * again: delivery at least once, when a node dies between the two.
   */
  claimDueReminders(
    now: number,
    limit: number,
    until: number,
  ): Promise<DueReminder[]>;
  /**
   * Clears a claimed reminder once fired: true when it was still the one
   * due at `remindAt` (one set again meanwhile stays, to fire at its time).
   */
  confirmReminder(
    userKey: string,
    id: string,
    remindAt: number,
  ): Promise<boolean>;
}

/**
 * A message written now to be sent later (`schedule_message`, Slack's
 * "Send later"), as the store keeps it: to a room (`room`, its name as
 * written) or a person (`to`), with what the send will say.
 */
export interface ScheduledRow {
  /** Its id (a ULID), the account's handle on it and its send's client_id. */
  id: string;
  /** Its author's account key. */
  userKey: string;
  /** The room's name it goes to, as written; absent for a private message. */
  room?: string;
  /** That room's key then: its deletion takes the row along. */
  roomKey?: string;
  /** The name of whom it goes to privately; absent for a room's. */
  to?: string;
  text: string;
  /** The files it carries, as the send takes them (their URLs). */
  attachments?: { url: string }[];
  /** The id of the message it answers. */
  replyTo?: string;
  /** When it is to be sent (ms since the epoch). */
  sendAt: number;
  /** When it was written (ms). */
  createdAt: number;
}

/** What `updateScheduled` may change of a scheduled message. */
export interface ScheduledChange {
  text?: string;
  sendAt?: number;
}

/**
 * The messages each account scheduled (`schedule_message`): one row each,
 * capped per account, gone with the account and with the room they go to.
 * A due one is claimed under a lease, as reminders are, sent, then
 * removed (`confirmScheduled`); one claimed is being sent, so neither
 * changed nor cancelled until its lease runs out.
 */
export interface ScheduledStore {
  /**
   * Keeps a scheduled message: "added", or "full" and nothing written
   * when its account has `max` already (the cap counted in the step that
   * writes, so it is exact).
   */
  addScheduled(row: ScheduledRow, max: number): Promise<"added" | "full">;
  /** An account's scheduled messages, the soonest first (ties by id). */
  listScheduled(userKey: string): Promise<ScheduledRow[]>;
  /**
   * Changes an account's scheduled message not claimed at `now`: the row
   * as it is now, or undefined when there is none (or it is being sent).
   */
  updateScheduled(
    userKey: string,
    id: string,
    change: ScheduledChange,
    now: number,
  ): Promise<ScheduledRow | undefined>;
  /**
   * Removes an account's scheduled message not claimed at `now`: false
   * when there is none (or it is being sent).
   */
  cancelScheduled(userKey: string, id: string, now: number): Promise<boolean>;
  /**
   * Claims up to `limit` scheduled messages due at `now` and not held by
   * a lease still running, the soonest first, leasing them until `until`
   * in one atomic step (claimDueReminders' rule): each goes to one
   * claimer per lease, and one not confirmed is claimed again after it.
   */
  claimDueScheduled(
    now: number,
    limit: number,
    until: number,
  ): Promise<ScheduledRow[]>;
  /** Removes a claimed scheduled message once sent or refused. */
  confirmScheduled(userKey: string, id: string): Promise<boolean>;
}

/**
 * The messages that mention each account (`list_mentions`: Slack's
 * Activity, Mattermost's Recent mentions), read off the mention rows the
 * appends and edits write (mentions.ts): its own rows, and the `@room`
 * marker rows of the rooms it is a member of.
 */
export interface MentionStore {
  /**
   * The ids of up to `limit` messages that mention the account, newest
   * (greatest id) first, those before the id `before` when given: not its
   * own, not deleted, not of an author it ignores. Whether it may still
   * read each (a private room left, a ban) is the handler's question.
   */
  listMentions(
    userKey: string,
    page: { before?: string; limit: number },
  ): Promise<string[]>;
}

/** A thread an account takes part in, as `listThreads` reads it. */
export interface ThreadRow {
  /** The id of the thread's root message. */
  id: string;
  /** When its newest reply came (ms since the epoch). */
  lastAt: number;
  /** The seq of the newest reply the account read (0: none). */
  lastReadSeq: number;
}

/** A reply stored, as `followThread` takes it. */
export interface ThreadReply {
  /** The id of the message it answers. */
  rootId: string;
  /** Who takes part from now on: the root's author, those it @names. */
  followers: readonly string[];
  /**
   * The reply's author, who has read its thread up to the reply; none for
   * a guest's reply (a guest keeps no list of threads).
   */
  authorKey?: string;
  /** The reply's seq in its stream. */
  seq: number;
  /** When it was sent (ms since the epoch). */
  at: number;
}

/**
 * The threads each account takes part in (Slack's "Threads"): one row per
 * account and root, with the thread's newest activity and how far the
 * account read it; whether it may still read the root is the handler's
 * question, not the store's.
 */
export interface ThreadStore {
  /**
   * Notes a reply: its author and `followers` take part in the thread
   * (a row each, kept when there), every row of the thread moves to `at`
   * (when later), and the author's reads up to the reply's seq.
   */
  followThread(reply: ThreadReply): Promise<void>;
  /**
   * Marks the account's thread read up to `seq` (never back); false when
   * it takes no part in it or had read that far.
   */
  markThreadRead(
    userKey: string,
    rootId: string,
    seq: number,
  ): Promise<boolean>;
  /** Forgets a thread for an account (its root gone); false when none. */
  unfollowThread(userKey: string, rootId: string): Promise<boolean>;
  /**
   * Up to `limit` of an account's threads, the newest activity first (ties
   * by root id, descending), after the thread `before` when given (none
   * when the account takes no part in `before`).
   */
  listThreads(
    userKey: string,
    page: { before?: string; limit: number },
  ): Promise<ThreadRow[]>;
}

/** An account's two-factor authentication as the store keeps it. */
export interface StoredTotp {
  /** The secret in use (base32), or null while a setup only waits. */
  secret: string | null;
  /** A setup's secret (totp_setup) that no code has confirmed yet. */
  pendingSecret: string | null;
  /** The last 30 s step whose code was accepted: a code is used once. */
  lastStep: number;
  /** How many of its recovery codes are left unused. */
  recoveryCodes: number;
}

/**
 * Two-factor authentication (TOTP, RFC 6238): each account's secret, in
 * clear (the server must compute its codes), the last step used, and its
 * recovery codes as hashes, each usable once. An account's rows go with it.
 */
export interface TotpStore {
  /** The account's 2FA, if it has a secret in use or waiting. */
  totpOf(userKey: string): Promise<StoredTotp | undefined>;
  /**
   * Keeps `secret` waiting for its first code, in place of one waiting;
   * false (nothing written) when there is no such account or 2FA is on.
   */
  setPendingTotp(userKey: string, secret: string): Promise<boolean>;
  /**
   * Puts the waiting `secret` in use, `step` its first code's, with the
   * recovery codes' hashes, in one commit; false when `secret` is not the
   * one waiting (another setup replaced it) or 2FA is on already.
   */
  enableTotp(
    userKey: string,
    enabled: { secret: string; step: number; recoveryHashes: string[] },
  ): Promise<boolean>;
  /**
   * Records `step` as the last used when it is later than the last:
   * false for one at or before it (a replay, or a race between two nodes
   * for the same code) or when 2FA is off. Atomic.
   */
  useTotpStep(userKey: string, step: number): Promise<boolean>;
  /** Uses up the recovery code of this hash; false when it is not one left. Atomic. */
  useRecoveryCode(userKey: string, codeHash: string): Promise<boolean>;
  /** Replaces every recovery code of an account with 2FA on; false when it is off. */
  replaceRecoveryCodes(userKey: string, codeHashes: string[]): Promise<boolean>;
  /**
   * Turns 2FA off (its secret, a setup waiting and its recovery codes
   * gone); `audit` in the same commit, only when it was on. False when off.
   */
  disableTotp(userKey: string, audit?: NewAuditEntry): Promise<boolean>;
}

/** An account's missed-message mails setting (`set_missed_mail`). */
export interface MissedMailSetting {
  /** Whether it gets them (on unless turned off). */
  enabled: boolean;
  /**
   * The language it chose for its mails (`set_missed_mail`); null when it
   * never chose one: its mails are then in the server's
   * (`--mail-language`).
   */
  language: "en" | "fr" | null;
}

/** A message an account missed, queued for its next missed-message mail. */
export interface MissedMessage {
  /** The message's id. */
  id: string;
  /** Its room key, or conversation key. */
  stream: string;
  /** When it was queued (ms). */
  at: number;
}

/** An account's missed-message mail the sweep claimed, due at `dueAt`. */
export interface DueMissedMail {
  userKey: string;
  dueAt: number;
}

/**
 * Missed-message mails (mail/missed_mail.ts): each account's setting, and
 * the queue of the messages it missed, a mail waiting per account, claimed
 * under a lease by one node's sweep as reminders are (leases.ts).
 */
export interface MissedMailStore {
  /** An account's setting; undefined when there is no such account. */
  missedMailSetting(userKey: string): Promise<MissedMailSetting | undefined>;
  /**
   * Changes an account's setting: the setting after, or undefined when
   * there is no such account. Turned off, its queue goes with it. `audit`
   * (an unsubscribe by a mail's link) is written in the same commit, only
   * when the change turned the mails on or off: a link posted again adds
   * nothing to the log.
   */
  setMissedMail(
    userKey: string,
    change: Partial<MissedMailSetting>,
    audit?: NewAuditEntry,
  ): Promise<MissedMailSetting | undefined>;
  /** Those of `userKeys` with a verified address and the mails on. */
  missedMailTargets(userKeys: readonly string[]): Promise<string[]>;
  /**
   * Queues a missed message for the account's next mail, due at `dueAt`
   * unless one is waiting already (its time stays: several messages, one
   * mail). False when the account has `max` queued already (the mail's
   * count of those past it, {@link missedMore}, one more) or this one is
   * queued (nothing written).
   */
  queueMissed(
    userKey: string,
    missed: MissedMessage,
    dueAt: number,
    max: number,
  ): Promise<boolean>;
  /**
   * Claims up to `limit` accounts' mails due at `now` and not held by a
   * lease still running, leasing them until `until` in one atomic step
   * (claimDueReminders' rule): one claimer per lease.
   */
  claimDueMissedMails(
    now: number,
    limit: number,
    until: number,
  ): Promise<DueMissedMail[]>;
  /** The messages queued for an account's mail, the oldest first. */
  missedMessages(userKey: string): Promise<MissedMessage[]>;
  /**
   * How many messages the account's mail waiting could not hold, its
   * queue full (queueMissed's `max`): the mail tells their number.
   */
  missedMore(userKey: string): Promise<number>;
  /**
   * Clears the messages `ids` from a claimed mail once sent (or dropped),
   * and `told` of its count past them (the number the mail told): the
   * mail goes, count and all, when no message is left, else (messages
   * queued while it was being sent) it is due again at `nextDue`, its
   * lease ended.
   */
  confirmMissedMail(
    userKey: string,
    ids: readonly string[],
    nextDue: number,
    told?: number,
  ): Promise<void>;
}

export interface Store
  extends
    RoomStore,
    PrivateStore,
    AccountStore,
    FileStore,
    MembershipStore,
    OutboundStore,
    AuditStore,
    IntegrationStore,
    IgnoreStore,
    DraftStore,
    NotificationStore,
    StarStore,
    SectionStore,
    DoNotDisturbStore,
    StatusStore,
    EmailStore,
    ProfileStore,
    GroupStore,
    SavedStore,
    ScheduledStore,
    MentionStore,
    ThreadStore,
    TotpStore,
    MissedMailStore,
    EmojiStore {
  /**
   * Group commits of appends so far: messages stored divided by this is
   * how many shared a commit (for /metrics).
   */
  readonly appendCommits: number;
  /**
   * Times the search index's thread died and was started again (SQLite's
   * `<db>-search` writer; always 0 on PostgreSQL), for /metrics.
   */
  readonly searchIndexRestarts: number;
  /** Resolves when the storage answers; for health checks. */
  ping(): Promise<void>;
  /** Flushes and closes; later calls fail. */
  close(): Promise<void>;
}

/** The stream key of the private conversation between two users. */
export function conversationKey(a: string, b: string): string {
  // '@' and ':' are outside the name alphabet: no room key looks like this.
  return a < b ? `@${a}:${b}` : `@${b}:${a}`;
}

/**
 * How many messages a page of `history` or `conversation` holds at most:
 * the one clamp both stores apply (a limit below 1 gives an empty page).
 */
export function pageLimit(query: HistoryQuery): number {
  return Math.max(
    0,
    Math.min(query.limit ?? HISTORY_DEFAULT_LIMIT, HISTORY_MAX_LIMIT),
  );
}

/** The two users of a conversation key, or undefined for a room key. */
export function conversationUsers(
  stream: string,
): [string, string] | undefined {
  if (!stream.startsWith("@")) return undefined;
  const [a, b] = stream.slice(1).split(":");
  return [a, b];
}
