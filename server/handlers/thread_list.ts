/**
 * The threads an account takes part in, as Slack's Threads, Mattermost's
 * collapsed threads and Zulip's: the threads whose root it wrote, where it
 * replied, or where a reply @named it (a conversation's: both sides),
 * across its rooms and conversations,
 * newest activity first, each with whether it has replies the account has
 * not read. The store keeps a row per account and root (written after
 * each reply: threads.ts noteReply); what the root is, and whether the
 * account may still read it, is asked when it is listed, as saved
 * messages are, so a room left hides its threads and a room joined again
 * shows them.
 */
import { mayReadRecord, readerOf } from "../access.ts";
import {
  fail,
  type Failure,
  isFailure,
  type Outcome,
  succeed,
} from "../protocol/errors.ts";
import { THREADS_DEFAULT_LIMIT } from "../protocol/limits.ts";
import { listThreadsData, markThreadReadData } from "../protocol/schemas.ts";
import type { ThreadRead } from "../protocol/types.ts";
import { type MemberContext, parseData } from "./context.ts";
import { readable } from "./message_updates.ts";
import { messageNotFound } from "./messages.ts";

const GUESTS: Failure = fail(
  "forbidden",
  "Guests have no list of threads: log in with an account.",
);

/**
 * `list_threads`: a page of the account's threads, newest activity first:
 * each its root as `history` gives it, its reply count, when its newest
 * reply came and whether it has a reply newer than the account read.
 * Those the account may not read now are left out (their rows stay: a
 * room joined again shows them); those whose root is gone (with its
 * room) are forgotten as they are met. `next`, when the page was full, is
 * the `before` of the next page: a page may hold fewer than `limit` when
 * some were left out.
 */
export async function listThreads(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(listThreadsData, raw);
  if (isFailure(data)) return data;
  const { node } = ctx;
  const member = ctx.client.member;
  if (member.guest) return GUESTS;
  const limit = data.limit ?? THREADS_DEFAULT_LIMIT;
  const rows = await node.store.listThreads(member.userKey, {
    ...(data.before === undefined ? {} : { before: data.before }),
    limit,
  });
  const reader = readerOf(member);
  const threads = [];
  // The next page is read after the row of `next`: that row stays even
  // when its root is gone, else the next page came back empty and ended
  // the list. It is forgotten when met elsewhere in a page.
  const next = rows.length === limit ? rows[rows.length - 1].id : null;
  for (const row of rows) {
    const record = await node.store.findMessage(row.id);
    if (!record) {
      if (row.id !== next) {
        await node.store.unfollowThread(member.userKey, row.id);
      }
      continue;
    }
    // A deleted root stays: its replies are still read (list_replies).
    if (!await mayReadRecord(node, reader, record)) continue;
    const root = record.message;
    threads.push({
      root: readable(node, record.stream, root),
      replies: root.reply_count ?? 0,
      last_reply_ts: new Date(row.lastAt).toISOString(),
      unread: (root.last_reply_seq ?? 0) > row.lastReadSeq,
    });
  }
  return succeed({ threads, next });
}

/**
 * `mark_thread_read`: the account has read the thread of the message `id`
 * up to its newest reply (the web client's thread panel showing it).
 * `message_not_found` for a root the account may not read, as
 * `list_replies` answers; a thread it takes no part in answers the same
 * and changes nothing. When its mark moved, its other connections, on
 * every node, get `thread_read`.
 */
export async function markThreadRead(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(markThreadReadData, raw);
  if (isFailure(data)) return data;
  const { node } = ctx;
  const member = ctx.client.member;
  if (member.guest) return GUESTS;
  const record = await node.store.findMessage(data.id);
  if (
    record === undefined ||
    !await mayReadRecord(node, readerOf(member), record)
  ) {
    return messageNotFound(data.id);
  }
  const event: ThreadRead = {
    id: data.id,
    last_read_seq: record.message.last_reply_seq ?? 0,
  };
  const moved = await node.store.markThreadRead(
    member.userKey,
    data.id,
    event.last_read_seq,
  );
  if (!moved) return succeed({ ...event });
  return succeed(
    { ...event },
    () =>
      node.publish(
        { kind: "user", key: member.userKey },
        "thread_read",
        event,
        {
          exceptConnection: member.id,
        },
      ),
  );
}
