import type postgres from "postgres";
import type {
  Attachment,
  DeletedForward,
  ForwardedMessage,
  LinkPreview,
  MessageBase,
  Reaction,
} from "../protocol/types.ts";
import { toMessage as rowToMessage } from "./rows.ts";
import type { StoredPoll } from "../polls.ts";
import { HERE_MENTION_KEY, ROOM_MENTION_KEY } from "../mentions.ts";

// PostgreSQL's rows of messages, as every read of them (the store, its
// search) selects and maps them.

/** The driver as the store configures it (TYPES: BIGINT as number). */
export type Sql = postgres.Sql<{ bigint: number }>;

/** A message's row, with the columns of the message it answers. */
export interface MessageRow {
  seq: number;
  id: string;
  user_name: string;
  room: string | null;
  to_user: string | null;
  text: string;
  ts: number;
  client_id: string | null;
  attachments: Attachment[] | null;
  edited_at: number | null;
  deleted: boolean;
  reply_to: string | null;
  reactions: Reaction[] | null;
  /** Absent from chat_append's rows: a new message has none. */
  previews?: LinkPreview[] | null;
  /** Absent from chat_append's rows: a new message has none. */
  poll?: StoredPoll | null;
  /** Absent from chat_append's rows: set after the append. */
  forwarded?: ForwardedMessage | DeletedForward | null;
  pinned_at: number | null;
  // The answered message's columns (LEFT JOIN: null when there is none).
  reply_seq: number | null;
  reply_user: string | null;
  reply_text: string | null;
  reply_deleted: boolean | null;
  sender: string;
  reply_sender: string | null;
  version: number;
  /** Its marker rows (WIDE_MARKED): 1 for `@room`, 2 for `@here`. */
  wide_mentions: number;
  /**
   * Its live replies and the newest one's seq (REPLIES_OF); absent from
   * chat_append's rows, whose new message has none.
   */
  reply_count?: number;
  last_reply_seq?: number | null;
  /**
   * Replies that left its thread (the schema's chat_reply_left); absent
   * from chat_append's rows, as the count is.
   */
  replies_gone?: number;
}

// Whether the message's @room notified its room, and its @here the
// members online: derived from the marker rows (mentions.ts
// ROOM_MENTION_KEY, HERE_MENTION_KEY) rather than stored twice. Only a
// text that says `@room` or `@here` probes the mentions primary key
// (user_key, stream, seq): a marker is written only for one that does (by
// room_mentions.ts saysRoom and saysHere; ILIKE folds at least as much),
// and CASE keeps the order, so every other message costs two scans of its
// text.
// A statement that writes the marker in a CTE does not see it here (one
// snapshot): it says what it wrote itself (postgres.ts).
// A scalar subquery, not EXISTS: the planner may turn an EXISTS into a
// hashed subplan over every marker of the server, built once a
// statement, which it costs for the thousands of rows the page's range
// holds before its LIMIT. It did: a page of 50 `@room`s read all 25,000
// markers (47 ms under EXPLAIN ANALYZE, against 0.1 for 50 probes of
// the primary key; docs/performance.md "An @room's marker on
// PostgreSQL"). A scalar subquery is never hashed: probes a row.
const WIDE_MARKED =
  "CASE WHEN m.text ILIKE '%@room%' OR m.text ILIKE '%@here%' THEN (SELECT " +
  `coalesce(sum(CASE rm.user_key WHEN '${ROOM_MENTION_KEY}' THEN 1 ` +
  "ELSE 2 END), 0)::int FROM mentions rm WHERE rm.user_key IN " +
  `('${ROOM_MENTION_KEY}', '${HERE_MENTION_KEY}') ` +
  "AND rm.stream = m.stream AND rm.seq = m.seq) ELSE 0 END " +
  "AS wide_mentions";

// A message's thread, counted when read: two probes of messages_reply_seq
// (reply_to, seq), as in SQLite's (sqlite_rows.ts REPLIES_OF).
const REPLIES_OF =
  ", (SELECT count(*) FROM messages c WHERE c.reply_to = m.id) AS reply_count" +
  ", (SELECT max(c.seq) FROM messages c WHERE c.reply_to = m.id) " +
  "AS last_reply_seq, m.replies_gone";

// A forward's copy as its original now is: blanked to `{id, deleted}`
// once the original is deleted, removed with its room, expired or gone
// with its author's account (docs/protocol.md, "Forwarding"). Read, not
// written: every path that removes a message blanks its copies with no
// write of its own, and a plain message (no copy) pays nothing. A forward
// pays one lookup of the original by its unique id, which reads its
// `deleted` and, for a copy naming a room, the room it is in now (by its
// stream: a rename moves it) in the same step, with one probe of rooms'
// key: the room's name when public, else no `room` (made private). No
// live original, no row: the blank. A scalar subquery, as WIDE_MARKED's,
// is never hashed over the whole table.
const FORWARDED = "CASE WHEN m.forwarded IS NULL THEN NULL " +
  "ELSE coalesce((SELECT CASE WHEN m.forwarded ->> 'room' IS NULL " +
  "THEN m.forwarded WHEN NOT fwd_room.private " +
  "THEN jsonb_set(m.forwarded, '{room}', to_jsonb(fwd_room.name)) " +
  "ELSE m.forwarded - 'room' END " +
  "FROM messages fwd_original LEFT JOIN rooms fwd_room " +
  "ON m.forwarded ->> 'room' IS NOT NULL " +
  "AND fwd_room.key = fwd_original.stream " +
  "WHERE fwd_original.id = m.forwarded ->> 'id' " +
  "AND NOT fwd_original.deleted), " +
  "jsonb_build_object('id', m.forwarded ->> 'id', 'deleted', true)) " +
  "END AS forwarded";

// Every read of messages goes through this join: a reply quotes its
// original as the original now is (edited, deleted). chat_append returns
// the same columns.
export const MESSAGE_COLUMNS = "m.seq, m.id, m.user_name, m.room, m.to_user, " +
  "m.text, m.ts, m.client_id, m.attachments, m.edited_at, m.deleted, " +
  "m.reply_to, m.reactions, m.pinned_at, o.seq AS reply_seq, " +
  "o.user_name AS reply_user, o.text AS reply_text, " +
  "o.deleted AS reply_deleted, m.sender, o.sender AS reply_sender, m.version, " +
  WIDE_MARKED + REPLIES_OF + ", m.previews, m.poll, " + FORWARDED;
export const REPLY_JOIN = "LEFT JOIN messages o ON o.id = m.reply_to";

// The row as the shared mapping takes it (store/rows.ts).
export function toMessage<M extends MessageBase>(row: MessageRow): M {
  return rowToMessage<M>({
    id: row.id,
    seq: row.seq,
    user: row.user_name,
    room: row.room,
    to: row.to_user,
    text: row.text,
    ts: row.ts,
    clientId: row.client_id,
    attachments: row.attachments,
    editedAt: row.edited_at,
    deleted: row.deleted,
    replyTo: row.reply_to,
    reply: row.reply_seq === null ? null : {
      seq: row.reply_seq,
      user: row.reply_user!,
      text: row.reply_text!,
      deleted: row.reply_deleted!,
      sender: row.reply_sender!,
    },
    reactions: row.reactions,
    previews: row.previews ?? null,
    poll: row.poll ?? null,
    forwarded: row.forwarded ?? null,
    pinned: row.pinned_at !== null,
    sender: row.sender,
    version: row.version,
    roomMention: (row.wide_mentions & 1) !== 0,
    hereMention: (row.wide_mentions & 2) !== 0,
    replyCount: row.reply_count ?? 0,
    lastReplySeq: row.last_reply_seq ?? null,
    repliesGone: row.replies_gone ?? 0,
  });
}
