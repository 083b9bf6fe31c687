import { MAX_MENTIONS } from "./mentions.ts";
import type { ChatNode } from "./node.ts";
import type { Member } from "./registry.ts";
import { type Failure, rateLimited } from "./protocol/errors.ts";
import type { ChatMessage } from "./protocol/types.ts";
import { conversationUsers } from "./store/mod.ts";

/**
 * Whether a member's `@room` in a room notifies its members (mentions.ts
 * ROOM_MENTION_KEY). As Slack's and Mattermost's `@channel`: anyone in a
 * small room; in one of more than `--room-mention-members` members, only
 * its owner, the moderators and the admins. Another's message is still
 * sent, its `@room` then notifying nobody (Mattermost sends it so too):
 * refusing would lose the words for a ping. Never in a private
 * conversation, whose one other member its every message already
 * notifies. Only a text that says `@room` costs the member count: one
 * read of at most N + 1 names.
 */
export async function mayMentionRoom(
  node: ChatNode,
  member: Member,
  stream: string,
  text: string,
): Promise<boolean> {
  return saysRoom(text) && await mayPingRoom(node, member, stream);
}

/**
 * The members of a room online now whom a member's `@here` notifies
 * (mentions.ts HERE_MENTION_KEY), without the author; undefined when the
 * text does not say `@here` or its author may not ping the room (the rule
 * of `@room`, mayMentionRoom). Online: a logged-in connection on any node
 * counting in the room, hidden or not, as presence says at this moment
 * (the send's, or an edit's: an edit decides again): one presence read
 * (on Redis, of every node's entries), only for a text that says `@here`.
 * Accounts only: a guest keeps no counts, so its row counted for nobody,
 * and guests cost nothing to bring: a room's owner with 250 of its own in
 * the room wrote 251 rows a message (18 to 25 MiB of database per 1,000,
 * against 0.2 to 0.9 for plain ones).
 *
 * `rate_limited` when its rows are more than the author's message budget
 * pays for ({@linkcode hereCost}): its owner's `@here` in a room of many
 * accounts online was a flood of rows no named mention could write.
 */
export async function hereMembers(
  node: ChatNode,
  member: Member,
  stream: string,
  text: string,
): Promise<string[] | Failure | undefined> {
  if (!saysHere(text) || !await mayPingRoom(node, member, stream)) {
    return undefined;
  }
  const online = await node.presence.accountsIn(stream);
  const here = online.filter((key) => key !== member.userKey);
  return payWideMentions(node, member, here);
}

/**
 * Takes what mentioning `accounts` at once costs (`hereCost`) from the
 * author's message budget: `accounts` when it pays, else `rate_limited`
 * with the wait. For `@here` and `@group` (group_mentions.ts) alike.
 */
export function payWideMentions(
  node: ChatNode,
  member: Member,
  accounts: string[],
): string[] | Failure {
  const cost = hereCost(accounts.length);
  const wait = cost === 0
    ? 0
    : node.userLimits.take(member.userKey, "message", performance.now(), cost);
  return wait === 0 ? accounts : rateLimited(wait);
}

/**
 * What an `@here` that notifies `accounts` costs its author's message
 * budget, past the send (or edit) itself: one message for each
 * MAX_MENTIONS accounts past the first MAX_MENTIONS, as if it named them
 * 50 to a message, which is the most rows a message's names write. So in
 * a room of up to `--room-mention-members` (50), where anyone may, an
 * `@here` costs what any message does; its owner's in a room of 2,000
 * online costs 40 messages, and an account writes no more mention rows a
 * second with `@here` than with names (5,000 at the default 100 messages a
 * second). Before, one owner with 250 accounts online in its room wrote
 * 245,000 rows in 10 s of `@here` (79 MiB of database and WAL; 2,000
 * messages naming 50 each: 25 MiB). A take is at most the bucket's burst:
 * past 50,000 accounts online an `@here` costs the whole burst.
 */
export function hereCost(accounts: number): number {
  return Math.max(0, Math.ceil(accounts / MAX_MENTIONS) - 1);
}

/**
 * Of a page of a room's messages, read by `reader`, the seqs of those
 * whose `@here` mentioned it (`here_mentioned` in the page's reply):
 * `here_mention` says a message pinged the members online then, the same
 * for every reader, since a message is encoded once for its whole room;
 * whether this reader was one of them is the reply's to say, and a reply
 * is read by one connection anyway. From the reader's own mention rows
 * (mentions.ts), so it agrees with the counts; messages stored before the
 * name was the reader's (`since`) were a former holder's (a guest's).
 * Undefined, costing no read, when the page holds no `here_mention`
 * message; `[]`, costing none either, for a guest; else one range of the
 * mentions' primary key.
 */
export async function hereMentioned(
  node: ChatNode,
  reader: PageReader,
  stream: string,
  messages: readonly ChatMessage[],
): Promise<number[] | undefined> {
  let any = false;
  const seqs: number[] = [];
  for (const message of messages) {
    if (message.here_mention !== true) continue;
    any = true;
    if (Date.parse(message.ts) >= (reader.since ?? 0)) seqs.push(message.seq);
  }
  if (!any) return undefined;
  // A guest gets no mention row (hereMembers: accounts only): its
  // answer is known without the read.
  return seqs.length === 0 || reader.userKey === undefined || !!reader.guest
    ? []
    : await node.store.mentionedAt(reader.userKey, stream, seqs);
}

/**
 * Who reads a page, for {@linkcode hereMentioned}: a connection's member,
 * or an HTTP request's reader (access.ts; none without an account). No
 * `@here` mentions a guest: only accounts online get a row.
 */
export interface PageReader {
  userKey?: string;
  /**
   * Set for a guest (a Member's flag, a Reader's name key), whom no `@here`
   * mentioned: its answer costs no read.
   */
  guest?: boolean | string;
  /** When the name became the reader's (ms); 0 when absent. */
  since?: number;
}

// Whether a member may ping a room's members at once: anyone in a small
// room; in a large one its owner, the moderators and the admins.
async function mayPingRoom(
  node: ChatNode,
  member: Member,
  stream: string,
): Promise<boolean> {
  if (conversationUsers(stream) !== undefined || member.guest) return false;
  if (member.role === "moderator" || member.role === "admin") return true;
  if (node.registry.roomInfo(stream)?.owner === member.userKey) return true;
  const limit = node.roomMentionMembers;
  const members = await node.store.roomMembers(stream, "", limit + 1);
  return members.length <= limit;
}

/**
 * A cheap first look, without a promise: most messages do not say `@room`
 * and await nothing for it (the send path's awaits, docs/performance.md).
 * mentions.ts decides by the markup's own rule.
 */
export function saysRoom(text: string): boolean {
  return ROOM_WORD.test(text);
}

/** As {@linkcode saysRoom}, for `@here`. */
export function saysHere(text: string): boolean {
  return HERE_WORD.test(text);
}

const ROOM_WORD = /@room/i;
const HERE_WORD = /@here/i;
