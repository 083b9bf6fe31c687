import type { SQLOutputValue } from "node:sqlite";
import type { MessageBase } from "../protocol/types.ts";
import { toMessage as rowToMessage } from "./rows.ts";
import { HERE_MENTION_KEY, ROOM_MENTION_KEY } from "../mentions.ts";

// SQLite's rows of messages, as every read of them (the store, its
// search) selects and maps them.

/** A message's row, with the columns of the message it answers. */
export interface MessageRow {
  seq: number;
  id: string;
  user: string;
  room: string | null;
  to_user: string | null;
  text: string;
  ts: number;
  client_id: string | null;
  attachments: string | null;
  edited_at: number | null;
  deleted: number;
  reply_to: string | null;
  reactions: string | null;
  /** JSON: LinkPreview[] (absent from rows read without it). */
  previews?: string | null;
  /** JSON: StoredPoll (absent from rows read without it). */
  poll?: string | null;
  /** JSON: ForwardedMessage (absent from rows read without it). */
  forwarded?: string | null;
  pinned_at: number | null;
  // The answered message's columns (LEFT JOIN: null when there is none).
  reply_seq: number | null;
  reply_user: string | null;
  reply_text: string | null;
  reply_deleted: number | null;
  sender: string;
  reply_sender: string | null;
  version: number;
  /** Its marker rows (WIDE_MARKED): 1 for `@room`, 2 for `@here`. */
  wide_mentions: number;
  /** Its live replies (REPLIES_OF), and the newest one's seq (null: none). */
  reply_count: number;
  last_reply_seq: number | null;
  /** Replies that left its thread (the schema's messages_reply_left). */
  replies_gone: number;
}

// Whether the message's @room notified its room, and its @here the
// members online: derived from the marker rows (mentions.ts
// ROOM_MENTION_KEY, HERE_MENTION_KEY) rather than stored twice. Only a
// text that says `@room` or `@here` probes the mentions primary key
// (user_key, stream, seq), twice: a marker is written only for one that
// does (by room_mentions.ts saysRoom and saysHere, ASCII case-insensitive
// as LIKE is), so every other message costs two scans of its text and no
// look-up.
const WIDE_MARKED =
  "CASE WHEN m.text LIKE '%@room%' OR m.text LIKE '%@here%' THEN (SELECT " +
  `coalesce(sum(CASE rm.user_key WHEN '${ROOM_MENTION_KEY}' THEN 1 ` +
  "ELSE 2 END), 0) FROM mentions rm WHERE rm.user_key IN " +
  `('${ROOM_MENTION_KEY}', '${HERE_MENTION_KEY}') ` +
  "AND rm.stream = m.stream AND rm.seq = m.seq) ELSE 0 END AS wide_mentions";

// A message's thread, counted when read rather than kept in a column: two
// probes of messages_reply_seq (reply_to, seq), which the count and the
// max read from the index alone. A delete clears its reply_to, so the
// index holds only live replies. Against a counter updated with each
// reply's insert (the append's hot path, and a root row rewritten per
// reply), this costs a read of 50 messages 100 index probes, nearly all
// of an empty range (docs/performance.md, "A message's thread").
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
// live original, no row: the blank.
const FORWARDED = "CASE WHEN m.forwarded IS NULL THEN NULL " +
  "ELSE coalesce((SELECT CASE WHEN m.forwarded ->> '$.room' IS NULL " +
  "THEN m.forwarded WHEN fwd_room.private = 0 " +
  "THEN json_set(m.forwarded, '$.room', fwd_room.name) " +
  "ELSE json_remove(m.forwarded, '$.room') END " +
  "FROM messages fwd_original LEFT JOIN rooms fwd_room " +
  "ON m.forwarded ->> '$.room' IS NOT NULL " +
  "AND fwd_room.key = fwd_original.stream " +
  "WHERE fwd_original.id = m.forwarded ->> '$.id' " +
  "AND fwd_original.deleted = 0), " +
  "json_object('id', m.forwarded ->> '$.id', 'deleted', json('true'))) " +
  "END AS forwarded";

// Every read of messages goes through this join: a reply quotes its
// original as the original now is (edited, deleted).
export const MESSAGE_COLUMNS =
  "m.seq, m.id, m.user, m.room, m.to_user, m.text, " +
  "m.ts, m.client_id, m.attachments, m.edited_at, m.deleted, m.reply_to, " +
  "m.reactions, m.pinned_at, r.seq AS reply_seq, r.user AS reply_user, " +
  "r.text AS reply_text, r.deleted AS reply_deleted, m.sender, " +
  "r.sender AS reply_sender, m.version, " + WIDE_MARKED + REPLIES_OF +
  ", m.previews, m.poll, " + FORWARDED;
export const MESSAGES = "messages m LEFT JOIN messages r ON r.id = m.reply_to";

// A page's rows come from SQLite as arrays, in MESSAGE_COLUMNS' order: the
// driver builds an object row by setting its 21 properties one by one
// through V8's API, which took 2.5 µs a row; an array and the literal below
// cost half (docs/performance.md, "Reads of the history").
export function messageRowOf(v: SQLOutputValue[]): MessageRow {
  return {
    seq: v[0] as number,
    id: v[1] as string,
    user: v[2] as string,
    room: v[3] as string | null,
    to_user: v[4] as string | null,
    text: v[5] as string,
    ts: v[6] as number,
    client_id: v[7] as string | null,
    attachments: v[8] as string | null,
    edited_at: v[9] as number | null,
    deleted: v[10] as number,
    reply_to: v[11] as string | null,
    reactions: v[12] as string | null,
    pinned_at: v[13] as number | null,
    reply_seq: v[14] as number | null,
    reply_user: v[15] as string | null,
    reply_text: v[16] as string | null,
    reply_deleted: v[17] as number | null,
    sender: v[18] as string,
    reply_sender: v[19] as string | null,
    version: v[20] as number,
    wide_mentions: v[21] as number,
    reply_count: v[22] as number,
    last_reply_seq: v[23] as number | null,
    replies_gone: v[24] as number,
    previews: v[25] as string | null,
    poll: v[26] as string | null,
    forwarded: v[27] as string | null,
  };
}

// The row as the shared mapping takes it (store/rows.ts).
export function toMessage<M extends MessageBase>(row: MessageRow): M {
  return rowToMessage<M>({
    id: row.id,
    seq: row.seq,
    user: row.user,
    room: row.room,
    to: row.to_user,
    text: row.text,
    ts: row.ts,
    clientId: row.client_id,
    attachments: row.attachments === null ? null : JSON.parse(row.attachments),
    editedAt: row.edited_at,
    deleted: row.deleted !== 0,
    replyTo: row.reply_to,
    reply: row.reply_seq === null ? null : {
      seq: row.reply_seq,
      user: row.reply_user!,
      text: row.reply_text!,
      deleted: row.reply_deleted !== 0,
      sender: row.reply_sender!,
    },
    reactions: row.reactions === null ? null : JSON.parse(row.reactions),
    previews: row.previews == null ? null : JSON.parse(row.previews),
    poll: row.poll == null ? null : JSON.parse(row.poll),
    forwarded: row.forwarded == null ? null : JSON.parse(row.forwarded),
    pinned: row.pinned_at !== null,
    sender: row.sender,
    version: row.version,
    roomMention: (row.wide_mentions & 1) !== 0,
    hereMention: (row.wide_mentions & 2) !== 0,
    replyCount: row.reply_count ?? 0,
    lastReplySeq: row.last_reply_seq ?? null,
    repliesGone: row.replies_gone,
  });
}
