/**
 * `set_room_posting`: announcement rooms (Slack's posting permissions,
 * Mattermost's read-only channels). With `"moderators"`, only the room's
 * owner, moderators and admins post in it; the other members read, react,
 * follow threads and mark them read, and their posts answer
 * `posting_restricted` ({@linkcode postingRefusal}).
 *
 * What counts as a post: `send_message` in every form (a reply, a message
 * with files, one sent through the REST API, a scheduled message at its
 * send time, which is checked as a live send). What stays allowed, said
 * here once: incoming webhooks (an admin or the room's manager made them
 * for the room, and they post as themselves) and bots (accounts an admin
 * made for integrations), as Slack lets apps post in announcement
 * channels; edits and deletes of one's own earlier messages (they add no
 * new post); reactions and read state.
 *
 * Who sets it: those who manage the room (its owner, moderators and admins
 * who may see it, as for invite links and archives); staff acting on a
 * room that is not theirs leave an audit entry. The rule is the
 * registry's on every node (the `room_posting` control event), so a
 * refusal is a map look-up; unlike an archive, the store does not check it
 * again as it commits: a post that passed a node's rule in the moment
 * before another node's change is kept, as one sent just before it would
 * have been (docs/security.md).
 */
import type { ChatNode } from "../node.ts";
import {
  fail,
  type Failure,
  isFailure,
  type Outcome,
  succeed,
} from "../protocol/errors.ts";
import { roomPostingData } from "../protocol/schemas.ts";
import type { Member } from "../registry.ts";
import type { NewAuditEntry, RoomPosting } from "../store/mod.ts";
import { auditOf } from "./audit.ts";
import { type MemberContext, parseData } from "./context.ts";
import { managedRoom } from "./invites.ts";
import { RANK } from "./roles.ts";

/** `set_room_posting {"room","posting"}`: who may post in the room. */
export async function setRoomPosting(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(roomPostingData, raw);
  if (isFailure(data)) return data;
  const room = await managedRoom(ctx, data.room);
  if (isFailure(room)) return room;
  const audit = room.owner === ctx.client.member.userKey
    ? undefined
    : auditOf(ctx, {
      action: "set_room_posting",
      room: room.name,
      details: { posting: data.posting },
    });
  return await changePosting(ctx, room.key, data.posting, audit);
}

/**
 * `posting_restricted` for a post by `member` to the room `stream` when
 * only its owner, moderators and admins post there and it is none of
 * them; undefined otherwise (a conversation, an open room, a bot).
 */
export function postingRefusal(
  node: Pick<ChatNode, "registry">,
  member: Pick<Member, "userKey" | "role" | "bot">,
  stream: string,
): Failure | undefined {
  const { registry } = node;
  if (!registry.moderatorsPost(stream)) return undefined;
  if (member.bot || RANK[member.role] >= RANK.moderator) return undefined;
  const room = registry.roomInfo(stream);
  if (room === undefined || room.owner === member.userKey) return undefined;
  return fail(
    "posting_restricted",
    `Only the owner of ${room.name}, moderators and admins post there.`,
  );
}

/**
 * Sets who posts in the room `key`, as someone allowed to has asked
 * (`set_room_posting`, an admin's `update_room`), with `audit` written in
 * the same commit when it changes something: answers `{"room","posting"}`
 * and once sent tells every node (its rule, its room lists).
 */
export async function changePosting(
  ctx: MemberContext,
  key: string,
  posting: RoomPosting,
  audit?: NewAuditEntry,
): Promise<Outcome> {
  const { node } = ctx;
  // The store says whether it is so already, not this node's rule, which
  // may not have heard of another node's change yet (as archives do).
  const stored = await node.store.setRoomPosting(key, posting, audit);
  if (!stored) {
    const name = node.registry.roomName(key);
    if (name === undefined) {
      return fail("room_not_found", "The room was deleted meanwhile.");
    }
    return succeed({ room: name, posting });
  }
  return succeed({ room: stored.name, posting }, () => {
    node.control({ kind: "room_posting", key, posting });
  });
}
