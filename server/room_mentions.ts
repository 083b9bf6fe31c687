import type { ChatNode } from "./node.ts";
import type { Member } from "./registry.ts";
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
  if (!saysRoom(text)) return false;
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

const ROOM_WORD = /@room/i;
