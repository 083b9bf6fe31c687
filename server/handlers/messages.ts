import { fail, isFailure, type Outcome, succeed } from "../protocol/errors.ts";
import { historyData, sendMessageData } from "../protocol/schemas.ts";
import { MAX_MESSAGE_LENGTH } from "../protocol/types.ts";
import { type MemberContext, parseData } from "./context.ts";

/** `send_message`: store in the current room, then publish to its members. */
export async function sendMessage(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(sendMessageData, raw);
  if (isFailure(data)) return data;
  const text = data.text.trim();
  if (text.length === 0) {
    return fail("empty_message", "The message is empty.");
  }
  // Characters are code points, so an emoji counts once.
  if (
    text.length > MAX_MESSAGE_LENGTH && codePoints(text) > MAX_MESSAGE_LENGTH
  ) {
    return fail(
      "message_too_long",
      `A message is at most ${MAX_MESSAGE_LENGTH} characters.`,
    );
  }
  const { node } = ctx;
  const member = ctx.client.member;
  const roomKey = member.roomKey;
  const started = performance.now();
  const { message, duplicate } = await node.store.appendMessage({
    roomKey,
    userKey: member.userKey,
    user: member.username,
    text,
    clientId: data.client_id,
  });
  node.metrics.storeLatency.observe(performance.now() - started);
  if (duplicate) return succeed({ message });
  node.metrics.messagesStored++;
  return succeed({ message }, () => node.publishMessage(roomKey, message));
}

/** `history`: a page of a room's messages, oldest first. */
export async function history(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(historyData, raw);
  if (isFailure(data)) return data;
  if (data.with !== undefined) {
    return fail(
      "invalid_message",
      "Private conversations are not available on this server yet.",
    );
  }
  const { node } = ctx;
  const key = data.room === undefined
    ? ctx.client.member.roomKey
    : node.findRoom(data.room);
  if (key === undefined) {
    return fail("room_not_found", `No room named '${data.room}'.`);
  }
  const messages = await node.store.history(key, {
    beforeSeq: data.before_seq,
    afterSeq: data.after_seq,
    limit: data.limit,
  });
  return succeed({ room: node.registry.roomName(key), messages });
}

function codePoints(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}
