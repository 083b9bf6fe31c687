/**
 * Rows to domain objects, shared by the SQLite and PostgreSQL stores: both
 * keep the same columns, so a message, an account, a ban or an upload looks
 * the same whichever store it came from.
 */
import { REPLY_QUOTE_LENGTH } from "../protocol/limits.ts";
import { badgeOf } from "../accounts/identity.ts";
import { isoTime } from "./iso_time.ts";
import { pollOf, type StoredPoll } from "../polls.ts";
import type {
  Attachment,
  DeletedForward,
  ForwardedMessage,
  LinkPreview,
  MessageBase,
  Reaction,
  Role,
} from "../protocol/types.ts";
import type {
  Account,
  AuditEntry,
  Ban,
  ConversationEntry,
  FoundHook,
  StoredApiToken,
  StoredDraft,
  StoredHook,
  StoredInvite,
  StoredNotifyLevel,
  StoredRoom,
  StoredSection,
  StoredStar,
  StoredTotp,
  StoredUpload,
} from "./mod.ts";

/** A message's columns, as both stores read them. */
export interface MessageFields {
  id: string;
  seq: number;
  user: string;
  room: string | null;
  to: string | null;
  text: string;
  /** ms since the epoch */
  ts: number;
  clientId: string | null;
  attachments: Attachment[] | null;
  editedAt: number | null;
  deleted: boolean;
  /** The id of the message answered, and that message's columns (null when gone). */
  replyTo: string | null;
  reply: {
    seq: number;
    user: string;
    text: string;
    deleted: boolean;
    /** The original's sender identity: its badge goes into the quote. */
    sender: string;
  } | null;
  reactions: Reaction[] | null;
  /** Its link previews; null while none ('[]' once removed reads as none). */
  previews: LinkPreview[] | null;
  /** The poll it carries (polls.ts); null for none. */
  poll: StoredPoll | null;
  /** What it forwards (forward_message); null or absent for none. */
  forwarded?: ForwardedMessage | DeletedForward | null;
  pinned: boolean;
  /** Who held the name (Member.identity): tells bots and hooks apart. */
  sender: string;
  /** Changes committed to it (store schemas: messages_version). */
  version: number;
  /** Its `@room` notified the room: it has the marker row (mentions.ts). */
  roomMention: boolean;
  /** Its live replies, counted when read (sqlite_rows.ts REPLIES_OF). */
  replyCount: number;
  /** The seq of its newest live reply; null when it has none. */
  lastReplySeq: number | null;
  /** Replies that left its thread, deleted or gone (the schemas' counts). */
  repliesGone: number;
  /** Its `@here` notified the members online: it has that marker row. */
  hereMention: boolean;
}

/**
 * A room message has `room`; a private one has `to` instead. Keys keep the
 * order of the protocol's examples; optional fields appear only when set.
 */
export function toMessage<M extends MessageBase>(row: MessageFields): M {
  const ts = isoTime(row.ts);
  const message: MessageBase & { room?: string; to?: string } =
    row.room !== null
      ? {
        id: row.id,
        seq: row.seq,
        room: row.room,
        user: row.user,
        text: row.text,
        ts,
      }
      : {
        id: row.id,
        seq: row.seq,
        user: row.user,
        to: row.to ?? "",
        text: row.text,
        ts,
      };
  if (row.clientId !== null) message.client_id = row.clientId;
  if (row.attachments !== null) message.attachments = row.attachments;
  if (row.replyTo !== null) {
    // The original is in the same stream, so it goes only with the whole
    // room; should it be missing all the same, it shows as deleted.
    const reply = row.reply ??
      { seq: 0, user: "", text: "", deleted: true, sender: "" };
    message.reply_to = {
      id: row.replyTo,
      seq: reply.seq,
      user: reply.user,
      text: quote(reply.text),
    };
    if (reply.deleted) message.reply_to.deleted = true;
    const replyBadge = badgeOf(reply.sender);
    if (replyBadge !== undefined) message.reply_to.badge = replyBadge;
  }
  if (row.editedAt !== null) {
    message.edited_at = isoTime(row.editedAt);
  }
  if (row.deleted) message.deleted = true;
  if (row.reactions !== null && row.reactions.length > 0) {
    // Keys in one order whatever the database made of them (jsonb sorts).
    message.reactions = row.reactions.map((r) => ({
      emoji: r.emoji,
      count: r.count,
      users: r.users,
    }));
  }
  if (row.previews !== null && row.previews.length > 0) {
    message.previews = row.previews.map((p) => ({
      url: p.url,
      ...(p.title !== undefined ? { title: p.title } : {}),
      ...(p.description !== undefined ? { description: p.description } : {}),
      ...(p.site_name !== undefined ? { site_name: p.site_name } : {}),
    }));
  }
  if (row.poll !== null) message.poll = pollOf(row.poll);
  if (row.forwarded != null) message.forwarded = forwardedOf(row.forwarded);
  if (row.pinned) message.pinned = true;
  const badge = badgeOf(row.sender);
  if (badge !== undefined) message.badge = badge;
  if (row.version > 0) message.version = row.version;
  if (row.roomMention) message.room_mention = true;
  if (row.replyCount > 0 && row.lastReplySeq !== null) {
    message.reply_count = Number(row.replyCount);
    message.last_reply_seq = Number(row.lastReplySeq);
  }
  // One per reply stored and one per reply that left: the thread's states
  // in the order they were committed (docs/protocol.md, "Threads").
  const threadVersion = Number(row.replyCount) + 2 * Number(row.repliesGone);
  if (threadVersion > 0) message.thread_version = threadVersion;
  if (row.hereMention) message.here_mention = true;
  return message as M;
}

// A forward's copy with its keys in one order (jsonb sorts them).
function forwardedOf(
  stored: ForwardedMessage | DeletedForward,
): ForwardedMessage | DeletedForward {
  if ("deleted" in stored) return { id: stored.id, deleted: true };
  const { id, seq, user, ts, text, room, with: other, badge } = stored;
  return {
    id,
    seq,
    user,
    ts,
    text,
    ...(room === undefined ? {} : { room }),
    ...(other === undefined ? {} : { with: other }),
    ...(badge === undefined ? {} : { badge }),
  };
}

// The first characters (code points) of a reply's original.
function quote(text: string): string {
  if (text.length <= REPLY_QUOTE_LENGTH) return text;
  return [...text].slice(0, REPLY_QUOTE_LENGTH).join("");
}

/** The `accounts` table's columns. */
export interface AccountRow {
  key: string;
  username: string;
  password_hash: string;
  role: Role;
  created_at: number;
  /** As each driver gives it. */
  bot: boolean | number;
}

/** An account from its row. */
export function toAccount(row: AccountRow): Account {
  return {
    key: row.key,
    username: row.username,
    passwordHash: row.password_hash,
    role: row.role,
    createdAt: row.created_at,
    bot: row.bot === true || row.bot === 1,
  };
}

/** An account's `totp` row, with the count of its recovery codes left. */
export interface TotpRow {
  secret: string | null;
  pending_secret: string | null;
  /** As each driver gives it (PostgreSQL's count is a bigint). */
  last_step: number | string;
  recovery_codes: number | string;
}

/** An account's two-factor authentication from its row. */
export function toTotp(row: TotpRow): StoredTotp {
  return {
    secret: row.secret,
    pendingSecret: row.pending_secret,
    lastStep: Number(row.last_step),
    recoveryCodes: Number(row.recovery_codes),
  };
}

/** The `api_tokens` table's columns. */
export interface ApiTokenRow {
  id: string;
  user_key: string;
  name: string;
  token_hash: string;
  created_at: number;
}

/** A personal access token from its row. */
export function toApiToken(row: ApiTokenRow): StoredApiToken {
  return {
    id: row.id,
    userKey: row.user_key,
    name: row.name,
    tokenHash: row.token_hash,
    createdAt: Number(row.created_at),
  };
}

/** The `hooks` table's columns. */
export interface HookRow {
  id: string;
  room_key: string;
  name: string;
  secret_hash: string;
  created_by: string;
  created_at: number;
}

/** An incoming webhook from its row. */
export function toHook(row: HookRow): StoredHook {
  return {
    id: row.id,
    roomKey: row.room_key,
    name: row.name,
    secretHash: row.secret_hash,
    createdBy: row.created_by,
    createdAt: Number(row.created_at),
  };
}

/** A `hooks` row with its room's creation time (`findHook`). */
export interface FoundHookRow extends HookRow {
  room_created_at: number | string;
}

/** A hook and its room's creation time, from a FoundHookRow. */
export function toFoundHook(row: FoundHookRow): FoundHook {
  return { ...toHook(row), roomCreatedAt: Number(row.room_created_at) };
}

/** The `bans` table's columns ('' for "no address" and "no room"). */
export interface BanRow {
  user_key: string;
  address: string;
  room_key: string;
  reason: string;
  by_user: string;
  created_at: number;
  expires_at: number | null;
}

/** A ban from its row. */
export function toBan(row: BanRow): Ban {
  const ban: Ban = {
    userKey: row.user_key,
    reason: row.reason,
    by: row.by_user,
    createdAt: row.created_at,
  };
  if (row.address !== "") ban.address = row.address;
  if (row.room_key !== "") ban.roomKey = row.room_key;
  if (row.expires_at !== null) ban.expiresAt = row.expires_at;
  return ban;
}

/** The `audit_log` table's columns (`details` as JSON text or parsed). */
export interface AuditRow {
  id: number;
  at: number;
  by_user: string;
  action: string;
  target: string | null;
  room: string | null;
  reason: string | null;
  address: string;
  details: string | Record<string, string | number | boolean> | null;
}

/** An audit entry from its row. */
export function toAuditEntry(row: AuditRow): AuditEntry {
  const entry: AuditEntry = {
    id: row.id,
    at: row.at,
    by: row.by_user,
    action: row.action,
    address: row.address,
  };
  if (row.target !== null) entry.target = row.target;
  if (row.room !== null) entry.room = row.room;
  if (row.reason !== null) entry.reason = row.reason;
  if (row.details !== null) {
    entry.details = typeof row.details === "string"
      ? JSON.parse(row.details)
      : row.details;
  }
  return entry;
}

/** The `uploads` table's columns. */
export interface UploadRow {
  id: string;
  hash: string;
  name: string;
  type: string;
  size: number;
  uploader: string;
  width: number | null;
  height: number | null;
  frames: number | null;
  created_at: number;
}

/** An upload from its row. */
export function toStoredUpload(row: UploadRow): StoredUpload {
  const upload: StoredUpload = {
    id: row.id,
    hash: row.hash,
    name: row.name,
    type: row.type,
    size: row.size,
    uploader: row.uploader,
    createdAt: row.created_at,
  };
  if (row.width !== null) upload.width = row.width;
  if (row.height !== null) upload.height = row.height;
  if (row.frames !== null) upload.frames = row.frames;
  return upload;
}

/** The `rooms` table's columns (`private` as each driver gives it). */
export interface RoomRow {
  key: string;
  name: string;
  created_at: number;
  private: boolean | number;
  owner: string | null;
  retention_days: number | null;
  topic: string | null;
  archived: boolean | number;
  posting: string;
}

/** A room from its row. */
export function toRoom(row: RoomRow): StoredRoom {
  const room: StoredRoom = {
    key: row.key,
    name: row.name,
    createdAt: row.created_at,
    private: row.private === true || row.private === 1,
  };
  if (row.owner !== null) room.owner = row.owner;
  if (row.retention_days !== null) {
    room.retentionDays = Number(row.retention_days);
  }
  if (row.topic !== null) room.topic = row.topic;
  if (row.archived === true || row.archived === 1) room.archived = true;
  if (row.posting === "moderators") room.posting = "moderators";
  return room;
}

/** The `invites` table's columns (`revoked` as each driver gives it). */
export interface InviteRow {
  code: string;
  room_key: string;
  created_by: string;
  created_at: number;
  expires_at: number | null;
  max_uses: number | null;
  uses: number;
  revoked: boolean | number;
}

/** An invite from its row. */
export function toStoredInvite(row: InviteRow): StoredInvite {
  const invite: StoredInvite = {
    code: row.code,
    roomKey: row.room_key,
    createdBy: row.created_by,
    createdAt: row.created_at,
    uses: row.uses,
    revoked: row.revoked === true || row.revoked === 1,
  };
  if (row.expires_at !== null) invite.expiresAt = row.expires_at;
  if (row.max_uses !== null) invite.maxUses = row.max_uses;
  return invite;
}
// Shared by every message without attachments (most): a Set and two arrays
// made for each of them were 290 sampled bytes of a chat message's 13,500
// (docs/performance.md, "Chat's path by counts").
const NO_UPLOADS: readonly string[] = Object.freeze([]);

/** The upload ids in a message's attachments (URLs `/files/<id>/…`). */
export function uploadIdsOf(
  attachments: Attachment[] | undefined,
): readonly string[] {
  if (attachments === undefined || attachments.length === 0) return NO_UPLOADS;
  const ids = new Set<string>();
  for (const attachment of attachments) {
    const id = UPLOAD_URL.exec(attachment.url)?.[1];
    if (id !== undefined) ids.add(id);
  }
  return [...ids];
}

/** An upload's URL: its id (32 hex digits, or a former file's 64), then the name. */
export const UPLOAD_URL =
  /^\/files\/([0-9a-f]{32}(?:[0-9a-f]{32})?)\/([^/?#]*)(?:\?[^#]*)?$/;

/** A row of `conversations` (PostgreSQL's BIGINTs may come as strings). */
export interface ConversationRow {
  with_key: string;
  with_name: string;
  last_seq: number | string;
  last_id: string;
  last_at: number | string;
  with_deleted_at: number | string | null;
}

export function toConversationEntry(row: ConversationRow): ConversationEntry {
  const entry: ConversationEntry = {
    withKey: row.with_key,
    with: row.with_name,
    lastSeq: Number(row.last_seq),
    lastId: row.last_id,
    lastAt: Number(row.last_at),
  };
  // Nothing said since the deletion: still the deleted account's.
  if (
    row.with_deleted_at !== null &&
    Number(row.with_deleted_at) >= entry.lastAt
  ) entry.withDeleted = true;
  return entry;
}

/** A row of `drafts` as both stores return it. */
export interface DraftRow {
  stream: string;
  with_name: string | null;
  text: string;
  updated_at: number;
}

/** A row as the store's callers see it. */
export function toDraft(row: DraftRow): StoredDraft {
  return {
    stream: row.stream,
    ...(row.with_name === null ? {} : { with: row.with_name }),
    text: row.text,
    updatedAt: Number(row.updated_at),
  };
}

/** A row of `notification_levels` as both stores return it. */
export interface NotifyLevelRow {
  stream: string;
  with_name: string | null;
  level: string;
  updated_at: number;
}

/** A row as the store's callers see it. */
export function toNotifyLevel(row: NotifyLevelRow): StoredNotifyLevel {
  return {
    stream: row.stream,
    ...(row.with_name === null ? {} : { with: row.with_name }),
    level: row.level as StoredNotifyLevel["level"],
    updatedAt: Number(row.updated_at),
  };
}

/** A row of `stars` as both stores return it. */
export interface StarRow {
  stream: string;
  with_name: string | null;
  created_at: number;
}

/** A row as the store's callers see it. */
export function toStar(row: StarRow): StoredStar {
  return {
    stream: row.stream,
    ...(row.with_name === null ? {} : { with: row.with_name }),
    createdAt: Number(row.created_at),
  };
}

/**
 * A row of `sidebar_sections` as both stores return it (a type, not an
 * interface: PostgreSQL's write sends the rows as one JSON value).
 */
export type SectionRow = {
  position: number;
  name: string;
  collapsed: boolean | number;
};

/** A row of `sidebar_items` as both stores return it (a type, as above). */
export type SectionItemRow = {
  section: number;
  stream: string;
  with_name: string | null;
  with_key: string | null;
};

/**
 * An account's layout from its rows, both read in position order: each
 * item goes to its section's place (one pass, by position).
 */
export function toSections(
  sections: SectionRow[],
  items: SectionItemRow[],
): StoredSection[] {
  const byPosition = new Map<number, StoredSection>();
  const layout = sections.map((row) => {
    const section: StoredSection = {
      name: row.name,
      collapsed: Boolean(row.collapsed),
      items: [],
    };
    byPosition.set(Number(row.position), section);
    return section;
  });
  for (const row of items) {
    byPosition.get(Number(row.section))?.items.push({
      stream: row.stream,
      ...row.with_key === null
        ? {}
        : { with: { name: row.with_name ?? "", key: row.with_key } },
    });
  }
  return layout;
}

/**
 * The rows of a layout, as both stores write them: sections by position,
 * items by their section's position and their own.
 */
export function sectionRows(
  sections: StoredSection[],
): {
  sections: SectionRow[];
  items: (SectionItemRow & { position: number })[];
} {
  const items: (SectionItemRow & { position: number })[] = [];
  sections.forEach((section, position) =>
    section.items.forEach((item, at) =>
      items.push({
        section: position,
        position: at,
        stream: item.stream,
        with_name: item.with?.name ?? null,
        with_key: item.with?.key ?? null,
      })
    )
  );
  return {
    sections: sections.map((s, position) => ({
      position,
      name: s.name,
      collapsed: s.collapsed,
    })),
    items,
  };
}

/**
 * A layout with only the items the store kept (`kept`: their streams),
 * as both stores answer setSections.
 */
export function keptSections(
  sections: StoredSection[],
  kept: ReadonlySet<string>,
): StoredSection[] {
  return sections.map((section) => ({
    ...section,
    items: section.items.filter((item) => kept.has(item.stream)),
  }));
}
