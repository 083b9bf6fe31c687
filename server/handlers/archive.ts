/**
 * `archive_room` and `unarchive_room`: a finished project's room stops
 * taking messages but keeps its history readable and searchable, and can
 * be brought back (Slack's, Mattermost's and Zulip's archived channels).
 *
 * Who: those who manage the room (its owner, moderators and admins who may
 * see it, as for invite links); never `general`, every account's room.
 * Staff acting on a room that is not theirs leave an audit entry, as their
 * topic changes do. While archived, the writes of a room answer
 * `room_archived` ({@linkcode archivedRefusal}); reads, joins and leaves
 * go on. The flag is the registry's on every node (the `room_archived`
 * control event), so a refusal is a map look-up, never a store read; the
 * store refuses the same writes as it commits them (RoomArchivedError,
 * {@linkcode storeRefusing}), for a node whose flag has not heard of an
 * archive yet.
 */
import type { ChatNode } from "../node.ts";
import {
  fail,
  type Failure,
  isFailure,
  type Outcome,
  succeed,
} from "../protocol/errors.ts";
import { roomData } from "../protocol/schemas.ts";
import { type NewAuditEntry, RoomArchivedError } from "../store/mod.ts";
import { GENERAL_ROOM, type SystemEvent } from "../protocol/types.ts";
import { auditOf } from "./audit.ts";
import { type MemberContext, parseData } from "./context.ts";
import { managedRoom } from "./invites.ts";

/** `archive_room {"room"}`: the room becomes read only. */
export function archiveRoom(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  return setArchived(ctx, raw, true);
}

/** `unarchive_room {"room"}`: the room takes messages again. */
export function unarchiveRoom(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  return setArchived(ctx, raw, false);
}

/**
 * The refusal of a write (a message, an edit, a reaction, a pin, a topic,
 * an invitation) to `stream` while it is an archived room; undefined for
 * any other room or a conversation.
 */
export function archivedRefusal(
  node: Pick<ChatNode, "registry">,
  stream: string,
): Failure | undefined {
  return node.registry.isArchived(stream)
    ? roomArchived(node, stream)
    : undefined;
}

/**
 * `room_archived` for a write to the room `stream`: the refusal
 * {@link archivedRefusal} gives, and the answer to a send the store refused
 * with `RoomArchivedError` (archived on another node before its commit,
 * when this node's flag had not heard of it yet).
 */
export function roomArchived(
  node: Pick<ChatNode, "registry">,
  stream: string,
): Failure {
  const name = node.registry.roomName(stream) ?? stream;
  return fail(
    "room_archived",
    `${name} is archived: it can be read, not written to.`,
  );
}

/**
 * What the store write `write` to `stream` answered, or `room_archived`
 * when the store refused it, the room archived as it committed
 * (RoomArchivedError): by another node, before this node's flag heard of
 * it, or just after the handler's check.
 */
export async function storeRefusing<T>(
  node: Pick<ChatNode, "registry">,
  stream: string,
  write: () => Promise<T>,
): Promise<T | Failure> {
  try {
    return await write();
  } catch (error) {
    if (error instanceof RoomArchivedError) return roomArchived(node, stream);
    throw error;
  }
}

async function setArchived(
  ctx: MemberContext,
  raw: Record<string, unknown>,
  archived: boolean,
): Promise<Outcome> {
  const data = parseData(roomData, raw);
  if (isFailure(data)) return data;
  const room = await managedRoom(ctx, data.room);
  if (isFailure(room)) return room;
  const action = archived ? "archive_room" : "unarchive_room";
  const audit = room.owner === ctx.client.member.userKey
    ? undefined
    : auditOf(ctx, { action, room: room.name });
  return await changeArchived(ctx, room.key, archived, audit);
}

/**
 * Archives the room `key` (`archived`) or brings it back, as someone
 * allowed to has asked (`archive_room`, an admin's `update_room`), with
 * `audit` written in the same commit when it changes something: answers
 * `{"room","archived"}`, and once sent, tells every node (its flag, its
 * room lists) and the room's readers (`system` `archived` or
 * `unarchived`). `general` cannot be archived (`forbidden`).
 */
export async function changeArchived(
  ctx: MemberContext,
  key: string,
  archived: boolean,
  audit?: NewAuditEntry,
): Promise<Outcome> {
  const { node } = ctx;
  if (key === GENERAL_ROOM) {
    const name = node.registry.roomName(key) ?? key;
    return fail("forbidden", `${name} cannot be archived.`);
  }
  // The store, not this node's flag, says whether it is so already: the
  // flag may not have heard of another node's change yet, and taking it
  // for the truth answered "done" to a change never made.
  const stored = await node.store.setRoomArchived(key, archived, audit);
  if (!stored) {
    const name = node.registry.roomName(key);
    if (name === undefined) {
      return fail("room_not_found", "The room was deleted meanwhile.");
    }
    // Asked twice (two clicks, two moderators, two nodes): done, nothing
    // written again and no second notice.
    return succeed({ room: name, archived });
  }
  const { username } = ctx.client.member;
  const kind = archived ? "archived" : "unarchived";
  const notice: SystemEvent = {
    room: stored.name,
    kind,
    user: username,
    text: `${username} ${kind} the room`,
  };
  return succeed({ room: stored.name, archived }, () => {
    node.control({ kind: "room_archived", key, archived });
    node.publish({ kind: "room", key }, "system", notice);
  });
}
