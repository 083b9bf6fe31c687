/**
 * One Slack conversation's messages (a channel's, a group DM's or a DM's)
 * as rows of an export: each message at the next seq, in the order of its
 * `ts`, with its author, text in our markup, edit time, thread (Slack's
 * `thread_ts` is our `reply_to` the root), reactions and pin; and the
 * conversation's mentions and thread followers. Events (joins, leaves,
 * topic changes) are skipped and counted.
 */
import { monotonicFactory } from "ulid";
import {
  MAX_MESSAGE_LENGTH,
  MAX_PINS,
  MAX_REACTION_USERS,
  MAX_REACTIONS_PER_MESSAGE,
} from "../../protocol/limits.ts";
import { isMarker, mentionKeys } from "../../mentions.ts";
import type { Row } from "../format.ts";
import { type SlackNames, slackToMarkup } from "./markup.ts";
import { slackReaction } from "./reactions.ts";
import { compareTs, type SlackMessage, slackMs } from "./slack_json.ts";
import type { ThreadBook } from "./thread_book.ts";

/** An account made of a Slack user. */
export interface Person {
  key: string;
  name: string;
  bot: boolean;
}

/** Where a conversation's messages go. */
export interface Place {
  /** Its stream: a room's key, or a conversation's `@a:b`. */
  stream: string;
  /** Its Slack id (a message's `pinned_to` names it). */
  slackId: string;
  /** The room's name; undefined for a private conversation. */
  room?: string;
  /** The accounts that read it: its members, or the two sides. */
  readers: Set<string>;
  /** A private conversation's two sides (one for oneself). */
  sides?: Person[];
}

/** A message read from its day file, with where it was read. */
export interface Read {
  message: SlackMessage;
  /** `general/2024-01-02.json`, for errors. */
  file: string;
}

/** The rows of every conversation, in the tables they go to. */
export interface Rows {
  messages: Row[];
  /** Where each message row came from, by its index in `messages`. */
  origins: string[];
  reactions: Row[];
  mentions: Row[];
  follows: Row[];
}

/** What was skipped or changed, by reason, for the summary. */
export type Tally = Map<string, number>;

/** Adds `n` to a reason's count. */
export function count(tally: Tally, reason: string, n = 1): void {
  tally.set(reason, (tally.get(reason) ?? 0) + n);
}

// Kept as messages; every other subtype is an event (channel_join, …).
const KEPT = new Set([
  undefined,
  "thread_broadcast",
  "reply_broadcast",
  "me_message",
  "file_share",
  "bot_message",
]);

/**
 * Appends a conversation's messages to `rows`, a group of days at a time
 * (`days`, each group's messages in the order of the export and groups in
 * the order of their times), calling `spill` after each to take its rows
 * away; returns its last seq. `people` by Slack user id; `names` for the
 * markup's mentions. What a reply needs of the messages before is in
 * `threads` (thread_book.ts) and the ids of its newest pins in `pins`:
 * the conversation is never held whole, whatever its size.
 */
export async function convertConversation(
  place: Place,
  days: AsyncIterable<Read[]> | Iterable<Read[]>,
  context: {
    people: Map<string, Person>;
    names: SlackNames;
    rows: Rows;
    tally: Tally;
    threads: ThreadBook;
    /** The pinned messages' ids kept (the newest MAX_PINS of a place). */
    pins: Set<string>;
    /** Takes the rows made so far (they are emptied in place). */
    spill(): void;
    /**
     * The account of someone users.json does not list (a Slack Connect
     * guest, another workspace's member), made from a message's
     * `user_profile`; undefined without one.
     */
    external(
      id: string,
      profile: SlackMessage["user_profile"],
    ): Person | undefined;
  },
): Promise<number> {
  const { rows, threads } = context;
  // Ids by ts order within the conversation (a newer message's is
  // greater), their random part drawn from the stream: one export always
  // gives the same lines (`--jsonl` twice, a zip and its folder).
  const newId = monotonicFactory(seeded(place.stream));
  // The newest pins so far: an older one past MAX_PINS is let go (its
  // row, written already, loses its pin when it is read back).
  const pinned: string[] = [];
  let seq = 0;
  threads.begin();
  for await (const read of days) {
    seq = convertDays(place, read, context, { newId, pinned, seq });
    context.spill();
  }
  for (const id of pinned) context.pins.add(id);
  for (const thread of threads.threads()) {
    const followers = place.sides
      ? place.sides.map((side) => side.key)
      : thread.authors;
    for (const key of new Set(followers)) {
      rows.follows.push({
        kind: "thread_follow",
        user_key: key,
        root_id: thread.rootId,
        last_at: thread.lastTs,
        last_read_seq: thread.lastSeq,
      });
    }
  }
  threads.end();
  context.spill();
  return seq;
}

/** A group of days' messages as rows, in the order of their ts; the last seq. */
function convertDays(
  place: Place,
  read: Read[],
  context: Parameters<typeof convertConversation>[2],
  state: { newId: (at: number) => string; pinned: string[]; seq: number },
): number {
  const { people, rows, tally, threads } = context;
  const { newId, pinned } = state;
  const ordered = read.toSorted((a, b) =>
    compareTs(a.message.ts, b.message.ts)
  );
  let seq = state.seq;
  for (const { message, file } of ordered) {
    if (!KEPT.has(message.subtype)) {
      count(tally, `events (${message.subtype})`);
      continue;
    }
    if (message.user === undefined) {
      count(tally, "messages without a user (integrations')");
      continue;
    }
    // Slackbot and integrations' bots are often missing from users.json:
    // their messages are skipped. A person missing from it is someone of
    // another workspace (Slack Connect): an account made from the
    // message's profile, else their messages skipped and counted.
    const bot = message.user === "USLACKBOT" ||
      message.subtype === "bot_message";
    const author = people.get(message.user) ??
      (bot ? undefined : context.external(message.user, message.user_profile));
    if (!author && bot) {
      count(tally, "bot messages of a bot not in users.json");
      continue;
    }
    if (!author) {
      count(
        tally,
        "messages by someone not in users.json, without a profile",
      );
      continue;
    }
    const to = place.sides?.find((side) => side.key !== author.key) ??
      place.sides?.[0];
    if (place.sides && !place.sides.some((side) => side.key === author.key)) {
      count(tally, "messages in a direct message by someone not in it");
      continue;
    }
    const text = withFiles(
      slackToMarkup(message.text ?? "", context.names),
      message,
    ).toWellFormed().replaceAll("\0", "").trim();
    if (text === "") {
      count(tally, "messages without text or files");
      continue;
    }
    const parts = split(text);
    if (parts.length > 1) {
      count(tally, `messages over ${MAX_MESSAGE_LENGTH} characters split`);
      count(tally, "parts they were split into", parts.length);
    }
    const ts = slackMs(message.ts);
    // A root's own thread_ts is its ts; a reply's is its root's.
    const inThread = message.thread_ts !== undefined &&
      message.thread_ts !== message.ts;
    const root = inThread ? threads.root(message.thread_ts!) : undefined;
    if (inThread && !root) {
      count(
        tally,
        "thread replies whose root is not in the export (kept as messages)",
      );
    }
    let first: Row | undefined;
    let last: Row | undefined;
    for (const part of parts) {
      seq++;
      const row: Row = {
        kind: place.room === undefined ? "private_message" : "message",
        stream: place.stream,
        seq,
        id: newId(ts),
        user_key: author.key,
        user: author.name,
        room: place.room ?? null,
        to_user: to?.name ?? null,
        text: part,
        ts,
        // The account's identity, made once its time is known (convert.ts).
        sender: author.bot ? "b:" : "a:",
        edited_at: message.edited
          ? Math.max(ts, slackMs(message.edited.ts))
          : null,
        deleted: false,
        reply_to: root?.id ?? null,
      };
      rows.messages.push(row);
      rows.origins.push(`${file}, the message of ts ${message.ts}`);
      mentionsOf(row, place, rows);
      first ??= row;
      last = row;
    }
    if (!inThread) threads.addRoot(message.ts, String(first!.id), author.key);
    if (root) {
      // Its last part: a follower has read the thread to its end.
      threads.reply(
        root,
        { ts: last!.ts as number, seq: last!.seq as number },
        author.key,
      );
    }
    reactionsOf(first!, message, people, rows, tally);
    if (message.pinned_to?.includes(place.slackId)) {
      first!.pinned_at = ts;
      pinned.push(String(first!.id));
      // The server keeps at most MAX_PINS pinned a place: the newest.
      if (pinned.length > MAX_PINS) {
        pinned.shift();
        count(tally, `pins past the newest ${MAX_PINS} of a place`);
      }
    }
  }
  return seq;
}

/** Numbers in [0, 1) from a seed (mulberry32 of the text's FNV-1a hash). */
function seeded(text: string): () => number {
  let state = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    state = Math.imul(state ^ text.charCodeAt(i), 0x01000193);
  }
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The text with a line naming each file shared (never fetched). */
function withFiles(text: string, message: SlackMessage): string {
  const lines = (message.files ?? []).map((file) =>
    `📎 ${file.name || file.title || "a file"}`
  );
  return [text, ...lines].filter((line) => line !== "").join("\n");
}

/**
 * A text in parts of at most MAX_MESSAGE_LENGTH code points, cut at a line
 * break or a space in the second half of a part when there is one.
 */
function split(text: string): string[] {
  // Code points are never more than UTF-16 units: most texts stop here.
  if (text.length <= MAX_MESSAGE_LENGTH) return [text];
  const points = [...text];
  const parts: string[] = [];
  let start = 0;
  while (points.length - start > MAX_MESSAGE_LENGTH) {
    let end = start + MAX_MESSAGE_LENGTH;
    const half = start + MAX_MESSAGE_LENGTH / 2;
    const at = (mark: string) => points.lastIndexOf(mark, end - 1);
    const cut = at("\n") > half ? at("\n") : at(" ") > half ? at(" ") : -1;
    if (cut !== -1) end = cut + 1;
    parts.push(points.slice(start, end).join("").trim());
    start = end;
  }
  parts.push(points.slice(start).join("").trim());
  return parts.filter((part) => part !== "");
}

/** The accounts a message names that read its place, as mention rows. */
function mentionsOf(row: Row, place: Place, rows: Rows): void {
  for (const key of mentionKeys(String(row.text), String(row.user_key))) {
    if (isMarker(key) || !place.readers.has(key)) continue;
    rows.mentions.push({
      kind: "mention",
      user_key: key,
      stream: place.stream,
      seq: row.seq,
    });
  }
}

/** A message's reactions as rows, and its summary as the store sums it. */
function reactionsOf(
  row: Row,
  message: SlackMessage,
  people: Map<string, Person>,
  rows: Rows,
  tally: Tally,
): void {
  const summary = new Map<string, { count: number; users: string[] }>();
  const seen = new Set<string>();
  for (const reaction of message.reactions ?? []) {
    const emoji = slackReaction(reaction.name);
    if (emoji === undefined) {
      count(tally, "reactions with a custom emoji", reaction.users?.length);
      continue;
    }
    if (!summary.has(emoji) && summary.size >= MAX_REACTIONS_PER_MESSAGE) {
      count(
        tally,
        `reactions past ${MAX_REACTIONS_PER_MESSAGE} emoji on a message`,
      );
      continue;
    }
    for (const id of reaction.users ?? []) {
      const person = people.get(id);
      if (!person) {
        count(tally, "reactions by someone not in users.json");
        continue;
      }
      if (seen.has(`${emoji} ${person.key}`)) continue;
      seen.add(`${emoji} ${person.key}`);
      const entry = summary.get(emoji) ?? { count: 0, users: [] };
      entry.count++;
      if (entry.users.length < MAX_REACTION_USERS) {
        entry.users.push(person.name);
      }
      summary.set(emoji, entry);
      rows.reactions.push({
        kind: "reaction",
        message_id: row.id,
        emoji,
        user_key: person.key,
        user: person.name,
      });
    }
  }
  if (summary.size > 0) {
    row.reactions = [...summary].map(([emoji, entry]) => ({ emoji, ...entry }));
  }
}
