import { avatarsOf } from "../avatars.ts";
import type { z } from "zod";
import type { ChatNode } from "../node.ts";
import { toReadState } from "../node.ts";
import { fail, isFailure, type Outcome, succeed } from "../protocol/errors.ts";
import { CONVERSATIONS_DEFAULT_LIMIT } from "../protocol/limits.ts";
import { listConversationsData } from "../protocol/schemas.ts";
import type {
  ConversationList,
  ConversationSummary,
} from "../protocol/types.ts";
import { conversationKey } from "../store/mod.ts";
import { type MemberContext, parseData } from "./context.ts";

/** The account a list is for: its name key, and since when the name is its. */
export interface ConversationOwner {
  userKey: string;
  /** The account's creation: older messages to its name are not its. */
  since: number;
}

/**
 * `list_conversations`: the account's private conversations, the one with
 * the newest message first, each with its read state, so that every device
 * lists the same ones after a login. Guests get `forbidden`.
 */
export async function listConversations(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(listConversationsData, raw);
  if (isFailure(data)) return data;
  const member = ctx.client.member;
  // What the server keeps of a guest's conversations is kept under its
  // name, which the next guest of that name gets too: none is its own.
  if (member.guest) {
    return fail(
      "forbidden",
      "Guests have no list of conversations: log in with an account.",
    );
  }
  return await conversationPage(ctx.node, member, data);
}

/**
 * A page of an account's conversations as `list_conversations` and
 * `GET /api/conversations` answer it: at most `limit` (default 50), from
 * the one with the newest message down, below `before` (a message id);
 * `next` (the last one's `last_id`) only when older ones follow.
 */
export async function conversationPage(
  node: ChatNode,
  owner: ConversationOwner,
  data: z.infer<typeof listConversationsData>,
): Promise<Outcome> {
  const limit = data.limit ?? CONVERSATIONS_DEFAULT_LIMIT;
  // One more than asked tells whether older ones follow, so that `next`
  // is there only when they do.
  const entries = await node.store.listConversations(owner.userKey, {
    since: owner.since,
    before: data.before,
    limit: limit + 1,
  });
  const page = entries.slice(0, limit);
  const streams = page.map((entry) =>
    conversationKey(owner.userKey, entry.withKey)
  );
  // Counted as a login counts its rooms: in slices, between other work.
  const states = await node.countReadStates(owner.userKey, streams);
  // A conversation the account never marked may begin with a former
  // holder's messages (a guest's, a deleted account's, under the name):
  // not the account's to count, as mark_read does not count them. Its
  // first mark_read moves past them; done here for those with something
  // unread (one read has a position, which is past them already).
  for (const [i, state] of states.entries()) {
    if (state.lastReadSeq > 0 || state.unread === 0) continue;
    const marked = await node.store.markRead(
      owner.userKey,
      streams[i],
      0,
      owner.since,
    );
    states[i] = marked.state;
  }
  // The other sides' pictures: a client asks `/avatars/` for them only.
  const avatars = await avatarsOf(node, page.map((entry) => entry.with));
  const conversations = page.map((entry, i): ConversationSummary => ({
    with: entry.with,
    last_seq: entry.lastSeq,
    last_id: entry.lastId,
    last_ts: new Date(entry.lastAt).toISOString(),
    ...toReadState(states[i]),
    ...(entry.withDeleted ? { deleted: true as const } : {}),
    ...(avatars[entry.with] === undefined
      ? {}
      : { avatar: avatars[entry.with] }),
  }));
  const list: ConversationList = entries.length > limit
    ? { conversations, next: page[page.length - 1].lastId }
    : { conversations };
  return succeed({ ...list });
}
