/**
 * `set_topic`: a room's topic, one line under its name in every member's
 * header (Slack's channel topic, Matrix's m.room.topic).
 *
 * Who may set it: in a public room any account that is a member; in a
 * private room its owner; in `general`, which every account belongs to,
 * no plain user. Moderators and admins may everywhere they can read (a
 * private room: once members), and their change of a topic the rule would
 * not let them set as users (`general`, another's private room) goes to
 * the audit log, as their other actions on what is not theirs do.
 * Guests never: a topic outlives a guest's visit. In an announcement room
 * only those who may post there (posting.ts): a topic reaches every room
 * list and the room as a notice, a post by another door (attack round 14).
 */
import { belongsTo, findReadableRoom, readerOf } from "../access.ts";
import { fail, isFailure, type Outcome, succeed } from "../protocol/errors.ts";
import { setTopicData } from "../protocol/schemas.ts";
import { cleanTopic, TOPIC_RULE } from "../protocol/topics.ts";
import type { SystemEvent } from "../protocol/types.ts";
import { GENERAL_ROOM } from "../protocol/types.ts";
import { auditOf } from "./audit.ts";
import { archivedRefusal, storeRefusing } from "./archive.ts";
import { postingRefusal } from "./posting.ts";
import { type MemberContext, parseData } from "./context.ts";

/**
 * `set_topic {"room"?, "topic"}`: sets the topic of a room (default: the
 * current one); `""` clears it. Every node updates its room lists, and the
 * room hears a `system` `topic` notice.
 */
export async function setTopic(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(setTopicData, raw);
  if (isFailure(data)) return data;
  const { node } = ctx;
  const member = ctx.client.member;
  if (member.guest) {
    return fail("forbidden", "Log in with an account to set a topic.");
  }
  const topic = cleanTopic(data.topic);
  if (topic === null) return fail("invalid_message", TOPIC_RULE);
  const notFound = fail(
    "room_not_found",
    `No room named '${data.room ?? member.roomKey}'.`,
  );
  const key = data.room === undefined
    ? member.roomKey
    : await findReadableRoom(node, readerOf(member), data.room);
  if (key === undefined) return notFound;
  const room = node.registry.roomInfo(key);
  if (!room) return notFound;
  const archived = archivedRefusal(node, key);
  if (archived) return archived;
  if (!await belongsTo(node, member.userKey, key)) {
    return fail("forbidden", `Join ${room.name} to set its topic.`);
  }
  const staff = member.role === "moderator" || member.role === "admin";
  const asUser = room.private
    ? room.owner === member.userKey
    : key !== GENERAL_ROOM;
  if (!asUser && !staff) {
    return fail(
      "forbidden",
      room.private
        ? `Only the owner of ${room.name} may set its topic.`
        : `Only moderators and admins may set the topic of ${room.name}.`,
    );
  }
  const restricted = postingRefusal(node, member, key);
  if (restricted) return restricted;
  const audit = asUser ? undefined : auditOf(ctx, {
    action: "set_topic",
    room: room.name,
    details: { topic },
  });
  const stored = await storeRefusing(
    node,
    key,
    () => node.store.setRoomTopic(key, topic || null, audit),
  );
  if (isFailure(stored)) return stored;
  if (!stored) return notFound;
  const reply: { room: string; topic?: string } = { room: stored.name };
  if (stored.topic !== undefined) reply.topic = stored.topic;
  const notice: SystemEvent = {
    room: stored.name,
    kind: "topic",
    user: member.username,
    text: topic
      ? `${member.username} set the topic: ${topic}`
      : `${member.username} cleared the topic`,
  };
  if (topic) notice.topic = topic;
  return succeed(reply, () => {
    node.control({ kind: "room_topic", key, topic: stored.topic });
    node.publish({ kind: "room", key }, "system", notice);
  });
}
