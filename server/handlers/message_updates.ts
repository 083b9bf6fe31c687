import {
  fail,
  type Failure,
  isFailure,
  type Outcome,
  succeed,
} from "../protocol/errors.ts";
import { deleteMessageData, editMessageData } from "../protocol/schemas.ts";
import type { MessageBase } from "../protocol/types.ts";
import type { MessageRecord } from "../store/mod.ts";
import { type MemberContext, parseData } from "./context.ts";
import { cleanText } from "./messages.ts";

/** `edit_message` (extension): authors edit their own messages. */
export async function editMessage(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(editMessageData, raw);
  if (isFailure(data)) return data;
  const record = await findOwn(ctx, data.id, false);
  if (isFailure(record)) return record;
  const text = cleanText(
    data.text,
    (record.message.attachments ?? []).length > 0,
  );
  if (isFailure(text)) return text;
  const updated = await ctx.node.store.updateMessage(data.id, { text });
  if (!updated) return noSuchMessage(data.id);
  const message = readable(ctx, record, updated);
  return succeed({ message }, () => publishUpdate(ctx, record, message));
}

/**
 * `delete_message` (extension): authors delete their own messages;
 * moderators and admins any room message.
 */
export async function deleteMessage(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(deleteMessageData, raw);
  if (isFailure(data)) return data;
  const record = await findOwn(ctx, data.id, true);
  if (isFailure(record)) return record;
  const message = await ctx.node.store.updateMessage(data.id, {
    deleted: true,
  });
  if (!message) return noSuchMessage(data.id);
  return succeed({ message }, () => {
    publishUpdate(ctx, record, message);
    // Its files are no longer served; bytes nobody else shares go now.
    if (record.message.attachments?.length) void ctx.node.files.sweep();
  });
}

async function findOwn(
  ctx: MemberContext,
  id: string,
  moderatorsToo: boolean,
): Promise<MessageRecord | Failure> {
  const record = await ctx.node.store.findMessage(id);
  if (!record || record.message.deleted) return noSuchMessage(id);
  const member = ctx.client.member;
  const isRoom = !record.stream.startsWith("@");
  const moderator = member.role === "admin" || member.role === "moderator";
  if (record.userKey === member.userKey && record.message.ts >= since(ctx)) {
    return record;
  }
  if (moderatorsToo && moderator && isRoom) return record;
  return fail("forbidden", "You can only change your own messages.");
}

// A name may have been someone else's before it became this user's.
function since(ctx: MemberContext): string {
  return new Date(ctx.client.member.since).toISOString();
}

// A private message's files are fetched with signed URLs.
function readable(
  ctx: MemberContext,
  record: MessageRecord,
  message: MessageBase,
): MessageBase {
  return record.stream.startsWith("@")
    ? ctx.node.files.signed(message)
    : message;
}

function noSuchMessage(id: string): Failure {
  return fail("invalid_message", `No message with id '${id.slice(0, 64)}'.`);
}

// Everyone who can see the message hears the change: the room's members,
// or both sides of a private conversation.
function publishUpdate(
  ctx: MemberContext,
  record: MessageRecord,
  message: MessageBase,
): void {
  const { node } = ctx;
  if (!record.stream.startsWith("@")) {
    node.publish(
      { kind: "room", key: record.stream },
      "message_updated",
      message,
    );
    return;
  }
  const [a, b] = record.stream.slice(1).split(":");
  for (const key of new Set([a, b])) {
    node.publish({ kind: "user", key }, "message_updated", message);
  }
}
