import {
  canPin,
  canRead,
  findReadable,
  findReadableRoom,
  readerOf,
  roomRefusal,
} from "../access.ts";
import { fail, isFailure, type Outcome, succeed } from "../protocol/errors.ts";
import { MAX_PINS } from "../protocol/limits.ts";
import { nameKey } from "../protocol/names.ts";
import { listPinsData, pinData } from "../protocol/schemas.ts";
import { conversationKey, conversationUsers } from "../store/mod.ts";
import { type MemberContext, parseData } from "./context.ts";
import { ignoredThere } from "./ignores.ts";
import { publishUpdate, readable } from "./message_updates.ts";
import { messageNotFound } from "./messages.ts";
import { archivedRefusal, storeRefusing } from "./archive.ts";

/**
 * `pin`: pins (`on`, the default) or unpins a message. In a room,
 * moderators and admins may; in a private conversation, either side.
 * Everyone who sees the message gets it updated, and a room hears a
 * `pinned` or `unpinned` notice.
 */
export async function pin(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(pinData, raw);
  if (isFailure(data)) return data;
  const { node } = ctx;
  const member = ctx.client.member;
  const record = await findReadable(node, readerOf(member), data.id);
  if (!record) return messageNotFound(data.id);
  if (!canPin(node, member, record.stream)) {
    return fail(
      "forbidden",
      "Only a moderator or the room's owner may pin messages in a room.",
    );
  }
  const archived = archivedRefusal(node, record.stream);
  if (archived) return archived;
  const ignored = await ignoredThere(ctx, record.stream);
  if (ignored) return ignored;
  const on = data.on ?? true;
  const result = await storeRefusing(
    node,
    record.stream,
    () => node.store.pin(data.id, on),
  );
  if (isFailure(result)) return result;
  if (result.status === "not_found") return messageNotFound(data.id);
  if (result.status === "full") {
    return fail(
      "invalid_message",
      `At most ${MAX_PINS} messages can be pinned in one place.`,
    );
  }
  const { message, changed } = result;
  const reply = { message: readable(node, record.stream, message) };
  if (!changed) return succeed(reply);
  return succeed(reply, () => {
    publishUpdate(node, record.stream, message);
    if (conversationUsers(record.stream) !== undefined) return;
    const kind = on ? "pinned" : "unpinned";
    // "ana pinned a message by ana" read as two people. A hook's message
    // under the pinner's name is not the pinner's own, nor one sent under
    // the name before its account was made (a guest's: findOwn's rule).
    const own = message.badge !== "hook" &&
      record.userKey === member.userKey &&
      Date.parse(record.message.ts) >= member.since;
    const whose = own ? "their own message" : `a message by ${message.user}`;
    node.publish({ kind: "room", key: record.stream }, "system", {
      room: node.registry.roomName(record.stream) ?? record.stream,
      kind,
      user: member.username,
      text: `${member.username} ${kind} ${whose}`,
      id: message.id,
      // Said so, not left to the clients' comparing of names, which took
      // a hook's post under the pinner's name for the pinner's own.
      ...(own ? { own: true as const } : {}),
    });
  });
}

/**
 * `list_pins`: the pinned messages of a room, of a private conversation
 * (`with`), or of the current room, latest pinned first.
 */
export async function listPins(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(listPinsData, raw);
  if (isFailure(data)) return data;
  const { node } = ctx;
  const member = ctx.client.member;
  const reader = readerOf(member);
  if (data.with !== undefined) {
    const stream = conversationKey(member.userKey, nameKey(data.with));
    const messages = [];
    for (const message of await node.store.listPins(stream)) {
      if (await canRead(node, reader, stream, Date.parse(message.ts))) {
        messages.push(node.files.signed(message));
      }
    }
    return succeed({ with: data.with, messages });
  }
  const key = data.room === undefined
    ? member.roomKey
    : await findReadableRoom(node, reader, data.room);
  if (key === undefined) {
    return fail("room_not_found", `No room named '${data.room}'.`);
  }
  const banned = await roomRefusal(node.store, reader, key);
  if (banned) return banned;
  const messages = await node.store.listPins(key);
  return succeed({ room: node.registry.roomName(key), messages });
}
