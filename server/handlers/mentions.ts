/**
 * Recent mentions (Slack's Activity, Mattermost's "Recent mentions",
 * Zulip's "Mentions"): one list, across every room and conversation the
 * account may read, of the messages that mention it, newest first.
 */
import { mayReadRecord, readerOf } from "../access.ts";
import { fail, isFailure, type Outcome, succeed } from "../protocol/errors.ts";
import { MENTIONS_DEFAULT_LIMIT } from "../protocol/limits.ts";
import { listMentionsData } from "../protocol/schemas.ts";
import { type MemberContext, parseData } from "./context.ts";
import { readable } from "./message_updates.ts";

/**
 * `list_mentions`: a page of the messages that mention the account (by
 * name, by a group of its own, by an `@here` that reached it, by an
 * `@room` of a room it is a member of, sent since it joined), newest
 * first, each as `history` gives it (a room's with its `room`, a
 * conversation's with `user` and `to`). The store leaves out the account's own, the deleted and those of
 * accounts it ignores; those it may not read now (a private room left, a
 * room it is banned from) and those written before the account held its
 * name are left out here, so a page may hold fewer
 * than `limit` while `next` (the `before` of the next page, the id of the
 * last one the page read) is not null.
 */
export async function listMentions(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(listMentionsData, raw);
  if (isFailure(data)) return data;
  const { node } = ctx;
  const member = ctx.client.member;
  if (member.guest) {
    return fail(
      "forbidden",
      "Guests have no mentions to list: log in with an account.",
    );
  }
  const limit = data.limit ?? MENTIONS_DEFAULT_LIMIT;
  const ids = await node.store.listMentions(member.userKey, {
    ...(data.before === undefined ? {} : { before: data.before }),
    limit,
  });
  const reader = readerOf(member);
  const mentions = [];
  for (const id of ids) {
    const record = await node.store.findMessage(id);
    // Gone or deleted since the store's read: as if it were never listed.
    if (!record || record.message.deleted) continue;
    // Written before the account held its name: a mention of a guest or
    // of a deleted account under it, or an @room of before it existed,
    // was never this account's (conversations: mayReadRecord says so).
    if (Date.parse(record.message.ts) < member.since) continue;
    if (!await mayReadRecord(node, reader, record)) continue;
    mentions.push(readable(node, record.stream, record.message));
  }
  return succeed({
    mentions,
    next: ids.length === limit ? ids[ids.length - 1] : null,
  });
}
