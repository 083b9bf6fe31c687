/**
 * Pure functions over one room's conversation: merging pages of history,
 * inserting live messages, trimming. Kept free of signals so the rules about
 * `seq` can be read (and tested) on their own.
 */

import type {
  Attachment,
  ChatMessage,
  ReplyQuote,
  SystemEvent,
} from "../server/protocol/types.ts";
import {
  isLaterThread,
  type ThreadEvent,
  threadOf,
  withLaterThread,
} from "./thread_count.ts";

/**
 * Messages kept in memory per room. Live messages trim a log back to this
 * once it holds twice as many; pages the user scrolled up for are never
 * trimmed away under them.
 */
export const MAX_MESSAGES_PER_ROOM = 500;

/**
 * Most messages held while the user reads back: an older page past this
 * unloads the newest ones, which scrolling down fetches again, as Element
 * unloads the part of a timeline far off screen and Slack keeps a window of
 * a channel. Scrolling back through 50,000 messages held them all, and a
 * row each: 25,900 DOM nodes at 1,500 messages, and every older page took
 * longer to render than the one before (5,000 messages: 88 s of scrolling).
 */
export const MAX_SCROLLED_BACK = 2 * MAX_MESSAGES_PER_ROOM;

/** Most notices kept per room. */
const MAX_NOTICES_PER_ROOM = 200;

/**
 * Says a line the client wrote itself in the interface's language now: it
 * reads `lang` (through t()), so the line is said again when it changes. A
 * function, not a key and its values: a line may hold another sentence
 * ("Could not rejoin dev: " and the server's refusal, itself re-said).
 */
export type Words = () => string;

/** A line the client shows that is not a chat message. */
export interface Notice {
  /** Unique key for rendering. */
  key: string;
  /** `system`: a server event; `info`/`error`: written by the client; `warning`: something done to this user. */
  kind: "system" | "info" | "error" | "warning";
  /** What to show. */
  text: string;
  /**
   * For a server event: the event and what its sentence needs, so the line
   * is said again in the interface's language when it changes (`text` is
   * the sentence in the language it arrived in).
   */
  system?: SaidNotice;
  /** For a line the client wrote: what says it again (`text` is it then). */
  words?: Words;
  /**
   * For the line about a sent message's mentions of accounts not in its
   * room: whom an "Invite" button adds there, until used.
   */
  invite?: InviteOffer;
  /** When it happened, ISO-8601. */
  ts: string;
  /** Shown after the message with this seq (0 = before every message). */
  afterSeq: number;
}

/** Accounts a line offers to add to a room (`invite`). */
export interface InviteOffer {
  /** The room's name. */
  room: string;
  /** The accounts' names. */
  users: string[];
}

/** A server event a notice says, with the facts its sentence needs beyond it. */
export interface SaidNotice {
  /** The event as the server sent it. */
  event: SystemEvent;
  /** A pinned message's author, looked up when the event came. */
  author?: string;
  /** This user's name then ("removed you"). */
  me: string;
}

/** A message the user sent that the server has not confirmed yet. */
export interface PendingMessage {
  /** The idempotency key sent as `client_id`. */
  clientId: string;
  /** The key of the log it belongs to: its room, or the conversation's `@name`. */
  room: string;
  /** The recipient, for a private message. */
  to?: string;
  /** The sender (this user). */
  user: string;
  /** The text as typed. */
  text: string;
  /** Files uploaded for it, sent with it. */
  attachments?: Attachment[];
  /** The message it answers, sent as `reply_to` and quoted while pending. */
  replyTo?: ReplyQuote;
  /** When it was typed, ISO-8601. */
  ts: string;
  /** `pending` until confirmed; `failed` when the server refused it. */
  status: "pending" | "failed";
  /**
   * Why it failed, said in the interface's language now: a label written
   * once kept the language it failed in after a switch.
   */
  error?: Words;
}

/** Everything the client knows about one room's conversation. */
export interface RoomLog {
  /** Confirmed messages, ascending by seq, no duplicates. */
  messages: ChatMessage[];
  /** System and local lines, each anchored after a seq. */
  notices: Notice[];
  /** This user's unconfirmed messages, in the order typed. */
  pending: PendingMessage[];
  /**
   * Present when messages after the newest one held are not held (unloaded
   * while reading back, or never loaded after a jump to an old message):
   * live messages are not added, since they would show after a gap; the
   * highest seq of those that came meanwhile, 0 if none.
   */
  unloaded?: number;
}

/** A log with nothing in it. */
export function emptyLog(): RoomLog {
  return { messages: [], notices: [], pending: [] };
}

/** The highest seq in the log, or 0 when it holds no messages. */
export function lastSeq(log: RoomLog | undefined): number {
  return log?.messages.at(-1)?.seq ?? 0;
}

/**
 * Whether someone else's message may follow `seq`: "Mark unread" from
 * one's own message does something only then, as one's own messages are
 * never unread. True when newer messages are not held (they may be
 * others'). Reads back from the newest: a few steps for the rows near it.
 * `isMe` tells the reader's name (however the server spelled it).
 */
export function othersAfter(
  log: RoomLog | undefined,
  seq: number,
  isMe: (user: string) => boolean,
): boolean {
  if (!log || log.unloaded !== undefined) return true;
  for (let i = log.messages.length - 1; i >= 0; i--) {
    const message = log.messages[i];
    if (message.seq <= seq) return false;
    if (!isMe(message.user)) return true;
  }
  return false;
}

/**
 * Merges a page of history (oldest first). A page that leaves a gap after
 * what we hold replaces it: showing old and new side by side would hide the
 * missing messages in between. `end`: the page reached the newest message
 * the server had; the log follows live messages again once it also holds
 * those that came while it did not.
 */
export function mergePage(
  log: RoomLog,
  page: ChatMessage[],
  end = false,
): RoomLog {
  if (page.length === 0) return end ? attached(log) : log;
  const sorted = [...page].sort((a, b) => a.seq - b.seq);
  const held = log.messages;
  const heldFirst = held[0]?.seq ?? 0;
  const heldLast = held.at(-1)?.seq ?? 0;
  const pageFirst = sorted[0].seq;
  const pageLast = sorted[sorted.length - 1].seq;
  let messages: ChatMessage[];
  let notices = log.notices;
  let unloaded = log.unloaded;
  if (held.length === 0) {
    messages = dedupe(sorted);
    // Notices seen while we knew no messages happened after this history.
    notices = notices.map((n) =>
      n.afterSeq === 0 ? { ...n, afterSeq: pageLast } : n
    );
  } else if (pageFirst > heldLast + 1 || pageLast < heldFirst - 1) {
    messages = dedupe(sorted);
    notices = notices.filter((n) => n.afterSeq >= pageFirst - 1);
    // An old page in place of newer ones: those are not held any more.
    if (pageLast < heldFirst) unloaded = log.unloaded ?? 0;
  } else {
    // A page may have been read before or after an edit we already hold:
    // of two copies, dedupe keeps the later state, whichever came last.
    messages = dedupe([...sorted, ...held].sort((a, b) => a.seq - b.seq));
  }
  const merged: RoomLog = {
    messages,
    notices,
    pending: withoutConfirmed(log.pending, sorted),
    ...(unloaded === undefined ? {} : { unloaded }),
  };
  // An older page is what the user scrolled up for: keep it, up to a window.
  if (pageLast < heldLast) return unloadNewest(merged, MAX_SCROLLED_BACK);
  const trimmed = trim(merged, MAX_MESSAGES_PER_ROOM);
  return end ? attached(trimmed) : trimmed;
}

/** Keeps the oldest `max` messages, the newer ones unloaded. */
function unloadNewest(log: RoomLog, max: number): RoomLog {
  if (log.messages.length <= max) return log;
  const messages = log.messages.slice(0, max);
  const last = messages[max - 1].seq;
  const notices = log.notices.filter((n) => n.afterSeq <= last);
  return { ...log, messages, notices, unloaded: log.unloaded ?? 0 };
}

/** The log following live messages again, unless some that came are still missing. */
function attached(log: RoomLog): RoomLog {
  if (log.unloaded === undefined || log.unloaded > lastSeq(log)) return log;
  const { unloaded: _, ...rest } = log;
  return rest;
}

/**
 * Replaces a message (edited or deleted) by seq; one not held, or held in a
 * later state already, is left as it is.
 */
export function replaceMessage(log: RoomLog, message: ChatMessage): RoomLog {
  const index = log.messages.findIndex((m) => m.seq === message.seq);
  if (index < 0) return log;
  const held = log.messages[index];
  const kept = later(message, held);
  if (kept === held) return log;
  const messages = [...log.messages];
  messages[index] = kept;
  return { ...log, messages };
}

/**
 * The message `id` held at `seq` with its thread as `replies_updated` told
 * it (`reply_count` 0: none left), unless the copy held has a later state
 * of the thread (thread_count.ts); the log as it was when not held.
 */
export function threadCounted(
  log: RoomLog,
  thread: ThreadEvent,
): RoomLog {
  const index = log.messages.findIndex((m) => m.seq === thread.seq);
  if (index < 0 || log.messages[index].id !== thread.id) return log;
  const held = log.messages[index];
  if (!isLaterThread(held, thread)) return log;
  const messages = [...log.messages];
  messages[index] = threadOf(held, thread);
  return { ...log, messages };
}

/** The seq of the oldest message held, or 0 when there is none. */
export function firstSeq(log: RoomLog | undefined): number {
  return log?.messages[0]?.seq ?? 0;
}

/**
 * Inserts one live message in seq order; a seq already held is ignored.
 * `reading`: the user is scrolled up in this log, reading older messages,
 * which a trim would pull from under their eyes; it waits until they are
 * back at the bottom (as Element unloads only what is far off screen), and
 * past {@linkcode MAX_SCROLLED_BACK} held the log stops taking live ones.
 */
export function insertMessage(
  log: RoomLog,
  message: ChatMessage,
  reading = false,
): RoomLog {
  const pending = withoutConfirmed(log.pending, [message]);
  if (log.unloaded !== undefined) {
    const unloaded = Math.max(log.unloaded, message.seq);
    if (unloaded === log.unloaded && pending === log.pending) return log;
    return { ...log, pending, unloaded };
  }
  if (reading && log.messages.length >= MAX_SCROLLED_BACK) {
    return { ...log, pending, unloaded: message.seq };
  }
  const held = log.messages;
  const last = held.at(-1);
  let messages: ChatMessage[];
  if (!last || message.seq > last.seq) {
    messages = [...held, message];
  } else if (held.some((m) => m.seq === message.seq)) {
    if (pending === log.pending) return log;
    messages = held;
  } else {
    messages = [...held, message].sort((a, b) => a.seq - b.seq);
  }
  const next = { messages, notices: log.notices, pending };
  return messages.length > 2 * MAX_MESSAGES_PER_ROOM && !reading
    ? trim(next, MAX_MESSAGES_PER_ROOM)
    : next;
}

/** Adds a notice after the newest message held. */
export function addNotice(
  log: RoomLog,
  notice: Omit<Notice, "afterSeq">,
): RoomLog {
  const notices = [...log.notices, { ...notice, afterSeq: lastSeq(log) }];
  return { ...log, notices: notices.slice(-MAX_NOTICES_PER_ROOM) };
}

/** Drops pending messages whose `client_id` came back in a confirmed message. */
function withoutConfirmed(
  pending: PendingMessage[],
  confirmed: ChatMessage[],
): PendingMessage[] {
  if (pending.length === 0) return pending;
  const ids = new Set(
    confirmed.map((m) => m.client_id).filter((id) => id !== undefined),
  );
  if (ids.size === 0) return pending;
  const kept = pending.filter((p) => !ids.has(p.clientId));
  return kept.length === pending.length ? pending : kept;
}

/** Keeps one copy per seq of a sorted list: the one in the later state. */
function dedupe(sorted: ChatMessage[]): ChatMessage[] {
  const kept: ChatMessage[] = [];
  for (const message of sorted) {
    const last = kept.at(-1);
    if (last?.seq === message.seq) kept[kept.length - 1] = later(last, message);
    else kept.push(message);
  }
  return kept;
}

/**
 * Of two copies of one message, the one in the later state: a deletion is
 * final, then the higher version (the store counts each change it commits:
 * edits, reactions, pins), then the later edit; on a tie, the first.
 * Replies and events can cross (a history page read before an edit may
 * arrive after its event, two nodes' updates may reach one in either
 * order), so arrival order alone would bring an old text back. Without
 * versions (a server before them) edits' times decide, which a reaction
 * read before an edit, or two nodes' clocks, can get wrong. The thread's
 * count is ordered apart (replies do not change the message's version):
 * the copy kept takes the other's when that one is later; so is a
 * forward's copy blanked by its original's delete.
 */
function later(first: ChatMessage, second: ChatMessage): ChatMessage {
  const kept = laterCopy(first, second);
  const other = kept === first ? second : first;
  return withLaterThread(withLaterForward(kept, other), other);
}

/**
 * A forward's copy blanked by its original's delete is final, and does
 * not change the forward's version: kept from either copy.
 */
function withLaterForward(kept: ChatMessage, other: ChatMessage): ChatMessage {
  const blanked = other.forwarded;
  if (blanked === undefined || !("deleted" in blanked)) return kept;
  if (kept.forwarded === undefined || "deleted" in kept.forwarded) return kept;
  return { ...kept, forwarded: blanked };
}

function laterCopy(first: ChatMessage, second: ChatMessage): ChatMessage {
  if (!first.deleted !== !second.deleted) return first.deleted ? first : second;
  const versions = (first.version ?? 0) - (second.version ?? 0);
  if (versions !== 0) return versions > 0 ? first : second;
  return (second.edited_at ?? "") > (first.edited_at ?? "") ? second : first;
}

/** Keeps the newest `max` messages, and the notices that still have a place among them. */
export function trim(log: RoomLog, max: number): RoomLog {
  if (log.messages.length <= max) return log;
  const messages = log.messages.slice(-max);
  const first = messages[0].seq;
  const notices = log.notices.filter((n) => n.afterSeq >= first - 1);
  return { ...log, messages, notices };
}
