/**
 * Threads, as Slack and Mattermost show them: a message's replies (those
 * whose `reply_to` is its id) read in order with `list_replies`, and the
 * message's `reply_count` and `last_reply_seq` kept live for its readers
 * with one small `replies_updated` event when a reply comes or goes. The
 * count is read, not kept (store/sqlite_rows.ts REPLIES_OF), so the event
 * costs one message read per reply sent or deleted.
 */
import { mayReadRecord, readerOf } from "../access.ts";
import { log } from "../log.ts";
import { namedKeys } from "../mentions.ts";
import type { ChatNode } from "../node.ts";
import { isFailure, type Outcome, succeed } from "../protocol/errors.ts";
import { REPLIES_DEFAULT_LIMIT } from "../protocol/limits.ts";
import { listRepliesData } from "../protocol/schemas.ts";
import type { ChatMessage, RepliesUpdated } from "../protocol/types.ts";
import { conversationUsers, type MessageRecord } from "../store/mod.ts";
import { type MemberContext, parseData } from "./context.ts";
import { readable } from "./message_updates.ts";
import { messageNotFound } from "./messages.ts";

const logger = log("threads");

/**
 * `list_replies`: the message `id` (the thread's root, as it now is) and
 * a page of its replies, oldest first: the first `limit` after
 * `after_seq` (from the first reply when absent), or the last `limit`
 * before `before_seq`; `more` says whether the thread goes on past the
 * page that way. The root is read as `history` reads it: anyone in a
 * public room, a private room's members, the two sides of a conversation
 * (its holders since it was sent), nobody banned from the room; else
 * `message_not_found`. A deleted root still lists its replies (a delete
 * takes only its own `reply_to`). Replies by someone the reader ignores
 * are served, as `history` serves them (the client hides them).
 */
export async function listReplies(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(listRepliesData, raw);
  if (isFailure(data)) return data;
  const { node } = ctx;
  const record = await node.store.findMessage(data.id);
  if (
    record === undefined ||
    !await mayReadRecord(node, readerOf(ctx.client.member), record)
  ) {
    return messageNotFound(data.id);
  }
  const limit = data.limit ?? REPLIES_DEFAULT_LIMIT;
  // One more than asked says whether the thread goes on.
  const page = await node.store.listReplies(data.id, {
    ...(data.after_seq === undefined ? {} : { after: data.after_seq }),
    ...(data.before_seq === undefined ? {} : { before: data.before_seq }),
    limit: limit + 1,
  });
  const more = page.length > limit;
  const replies = !more
    ? page
    : data.before_seq === undefined
    ? page.slice(0, limit)
    : page.slice(page.length - limit);
  return succeed({
    root: readable(node, record.stream, record.message),
    replies: replies.map((reply) => readable(node, record.stream, reply)),
    more,
  });
}

/**
 * Notes in the store (list_threads, thread_list.ts) that the reply's
 * author, the root's author and, in a room, those the reply @names (by
 * name: not `@room`, `@here` or a group, which would follow every member
 * into every thread), in a conversation both sides, take part in the
 * thread of `rootId`, which moves to the reply's time; the author has
 * read it up to the reply. One commit
 * per reply (the root is publishThread's read). A name that is nobody's
 * gets no row (accountsOf), nor a guest, nor a room root's author whose
 * account is gone (rootAuthor); someone who may not read the room gets
 * one that list_threads leaves out. Its failure is only logged: the reply is
 * stored, and only the list misses it.
 */
async function noteReply(
  node: ChatNode,
  root: MessageRecord,
  reply: SentReply,
): Promise<void> {
  // A conversation's thread is both sides': every reply is addressed to
  // them (as Slack's direct messages), and nobody else may read it.
  const followers = conversationUsers(root.stream) ?? [
    ...await rootAuthor(node, root),
    ...await accountsOf(node, namedKeys(reply.text, reply.authorKey)),
  ];
  await node.store.followThread({
    rootId: root.message.id,
    followers,
    // A guest keeps no list: a row under its name would be the thread of
    // the account that takes the name later.
    ...(reply.guest ? {} : { authorKey: reply.authorKey }),
    seq: reply.seq,
    at: Date.parse(reply.ts),
  });
}

/**
 * The room root's author as a follower: its key when the account that
 * holds the name now held it when the root was written; none for a
 * guest's root, a hook's, an anonymised one or a deleted account's. Its
 * name's next holder got the thread before, with every later reply. One
 * account read a reply.
 */
async function rootAuthor(
  node: ChatNode,
  root: MessageRecord,
): Promise<string[]> {
  const account = await node.store.findAccount(root.userKey);
  return account !== undefined &&
      account.createdAt <= Date.parse(root.message.ts)
    ? [root.userKey]
    : [];
}

/**
 * Of the keys a reply @names, those of accounts, in order: one account
 * read each (at most 50, MAX_MENTIONS), paid only by replies that name
 * someone. A name that is nobody's got a row before (attack round 11):
 * no account's deletion ever took it away, and every later reply to the
 * thread moved its `last_at`, so 100 replies each naming 50 made-up names
 * left 5,000 rows for each further reply to rewrite.
 */
async function accountsOf(node: ChatNode, keys: string[]): Promise<string[]> {
  const found = await Promise.all(
    keys.map((key) => node.store.findAccount(key)),
  );
  return keys.filter((_, i) => found[i] !== undefined);
}

/**
 * Tells the readers of the message `rootId` its thread as it now is, after
 * a reply to it was stored or deleted: `replies_updated` to the room's
 * connections, or to both sides of a conversation (those who held the
 * names when the root was sent, as message_updates.ts publishUpdate). One
 * message read; a root gone meanwhile tells nobody. Called after the
 * reply's own event, so a reader gets the reply first. Of two replies at
 * once, each read follows its own commit, so one of the reads sees both;
 * the events may still reach a reader in either order (two nodes publish
 * at once), so each carries the thread's `thread_version`, read with the
 * count, and the reader keeps the higher. With `reply` (one sent, not
 * one deleted), first notes who takes part in the thread (noteReply), so
 * that a device which lists its threads on `replies_updated` finds it.
 */
async function publishThread(
  node: ChatNode,
  stream: string,
  rootId: string,
  reply?: SentReply,
): Promise<void> {
  const record = await node.store.findMessage(rootId);
  if (record === undefined || record.stream !== stream) return;
  if (reply !== undefined) {
    await noteReply(node, record, reply).catch((error) =>
      logger.warn("Cannot note who takes part in {id}: {error}", {
        id: rootId,
        error: String(error),
      })
    );
  }
  const root = record.message;
  const update: RepliesUpdated = {
    id: root.id,
    seq: root.seq,
    reply_count: root.reply_count ?? 0,
    ...(root.last_reply_seq === undefined
      ? {}
      : { last_reply_seq: root.last_reply_seq }),
    // Read with the count, in one statement: two nodes' events may cross
    // on the way, and a reader keeps the one with the higher version.
    thread_version: root.thread_version ?? 0,
  };
  const users = conversationUsers(stream);
  if (users === undefined) {
    node.publish({ kind: "room", key: stream }, "replies_updated", {
      room: (root as ChatMessage).room,
      ...update,
    });
    return;
  }
  const sentAt = Date.parse(root.ts);
  for (const key of new Set(users)) {
    node.publish({ kind: "user", key }, "replies_updated", update, { sentAt });
  }
}

/** A reply just stored, as `afterReply` notes it in its thread. */
export interface SentReply {
  /** Name key of its author. */
  authorKey: string;
  /** True when a guest sent it. */
  guest: boolean;
  seq: number;
  /** When it was sent, ISO 8601. */
  ts: string;
  text: string;
}

/**
 * `publishThread` once the reply is out, its failure (the store, a read
 * after the commit) only logged: the reply was stored and acknowledged,
 * and the next read of its root counts it.
 */
export function afterReply(
  node: ChatNode,
  stream: string,
  rootId: string,
  reply?: SentReply,
): void {
  publishThread(node, stream, rootId, reply).catch((error) =>
    logger.warn("Cannot tell the thread of {id}: {error}", {
      id: rootId,
      error: String(error),
    })
  );
}
