import { mentionedNames } from "../client/markup.ts";
import { MAX_MENTIONS } from "./mentions.ts";
import type { ChatNode } from "./node.ts";
import { MAX_GROUP_MEMBERS } from "./protocol/limits.ts";
import { nameKey } from "./protocol/names.ts";
import type { Member } from "./registry.ts";
import { conversationUsers } from "./store/mod.ts";
import { type Failure } from "./protocol/errors.ts";
import { payWideMentions } from "./room_mentions.ts";

/**
 * A cheap first look, without a promise: a text with no "@" names no one
 * and awaits nothing for its groups (the send path's awaits,
 * docs/performance.md). The send path's to ask, before it calls
 * {@linkcode groupMembers}, which finds no name in such a text anyway.
 */
export function namesSomeone(text: string): boolean {
  return text.includes("@");
}

/**
 * The accounts a member's `@group` mentions in a room notify
 * (handlers/groups.ts), without the author: each member of the groups the
 * text names who is a member of the room (who may read a private one, and
 * whose counts a public one keeps), each once. Undefined when there are
 * none, or when the text names no one.
 *
 * Bounded as `@room` is (room_mentions.ts): more than
 * `--room-mention-members` of them notify only when the author is the
 * room's owner, a moderator or an admin (the message is still sent, its
 * groups then notifying nobody, as an `@room` that may not); never more
 * than {@link MAX_GROUP_MEMBERS}, the first by key. Never in a private
 * conversation (a group is not expanded there), nor from a guest.
 *
 * Its rows are paid from the author's message budget as an `@here`'s are
 * (room_mentions.ts, `hereCost`): `rate_limited` when they are more than
 * it pays for. Without it, an owner who added 1,000 accounts to a private
 * room (invite asks no one) wrote 1,000 rows a message with one `@group`.
 *
 * Cost: for a text that names a group, one store read (a primary-key
 * range of the group members for each group named, a membership probe
 * for each member found); none for one that names only people or no
 * one, the node knowing the groups' keys (group_names.ts: one read of
 * them after each creation or deletion of a group).
 */
export async function groupMembers(
  node: ChatNode,
  member: Member,
  stream: string,
  text: string,
): Promise<string[] | Failure | undefined> {
  if (member.guest) return undefined;
  if (conversationUsers(stream) !== undefined) return undefined;
  const named = new Set<string>();
  for (const name of mentionedNames(text)) {
    named.add(nameKey(name));
    if (named.size >= MAX_MENTIONS) break;
  }
  // Most texts with an "@" name people, not groups: the node's keys of
  // the groups tell so without a read.
  const known = node.groupNames.keys();
  const groups = known instanceof Promise ? await known : known;
  const groupKeys = [...named].filter((key) => groups.has(key));
  if (groupKeys.length === 0) return undefined;
  const privileged = member.role === "moderator" || member.role === "admin" ||
    node.registry.roomInfo(stream)?.owner === member.userKey;
  const cap = privileged ? MAX_GROUP_MEMBERS : node.roomMentionMembers;
  // One more than the cap, to know it was passed; the author too.
  const keys = (await node.store.groupMemberKeys(groupKeys, {
    roomKey: stream,
    limit: cap + 2,
  })).filter((key) => key !== member.userKey);
  if (keys.length > cap && !privileged) return undefined;
  if (keys.length === 0) return undefined;
  const notified = keys.slice(0, cap);
  return payWideMentions(node, member, notified);
}
