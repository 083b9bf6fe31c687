import { groupMembers } from "../group_mentions.ts";
import { hereMembers, mayMentionRoom } from "../room_mentions.ts";
import { canRead, mayReadRoom, readerOf } from "../access.ts";
import {
  fail,
  type Failure,
  isFailure,
  type Outcome,
  succeed,
} from "../protocol/errors.ts";
import type { ChatNode } from "../node.ts";
import { deleteMessageData, editMessageData } from "../protocol/schemas.ts";
import type { ChatMessage, MessageBase } from "../protocol/types.ts";
import { conversationUsers, type MessageRecord } from "../store/mod.ts";
import { auditOf } from "./audit.ts";
import { ignoredThere } from "./ignores.ts";
import { afterReply } from "./threads.ts";
import { type MemberContext, parseData } from "./context.ts";
import { cleanText } from "./messages.ts";
import { RANK, refuseRank } from "./roles.ts";
import { archivedRefusal, storeRefusing } from "./archive.ts";
import { previewAuthor } from "../link_previews/mod.ts";
import { mentionsAdded, notifyMentionsAdded } from "./edit_mentions.ts";

// Replies whose quote is brought up to date live after an edit or delete
// of their original; older ones show it the next time they are read.
const LIVE_REPLIES = 100;

/** `edit_message` (extension): authors edit their own messages. */
export async function editMessage(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(editMessageData, raw);
  if (isFailure(data)) return data;
  const record = await findOwn(ctx, data.id, false);
  if (isFailure(record)) return record;
  // A poll's text is its question, which its voters answered: an edit
  // would change what they chose under them.
  if (record.message.poll !== undefined) {
    return fail(
      "invalid_message",
      "A poll cannot be edited: close it, or delete it and send another.",
    );
  }
  const ignored = await ignoredThere(ctx, record.stream);
  if (ignored) return ignored;
  // An author shut out of the room (removed from a private one, banned
  // from it or the server) edits nothing there: the reply, the message as
  // it now is, showed the reactions and pin that came after, and the room
  // saw a banned author's new words. A delete shows nothing and stays.
  if (
    conversationUsers(record.stream) === undefined &&
    !await mayReadRoom(ctx.node, readerOf(ctx.client.member), record.stream)
  ) {
    return fail("forbidden", "You can no longer write in this room.");
  }
  // After the check above: the refusal names the room as it is now, which
  // an author removed from a private one must not learn (nor its archive).
  const archived = archivedRefusal(ctx.node, record.stream);
  if (archived) return archived;
  // A forward's own text may be empty, as a message's with files: its
  // copy stays.
  const text = cleanText(
    data.text,
    (record.message.attachments ?? []).length > 0 ||
      record.message.forwarded !== undefined,
  );
  if (isFailure(text)) return text;
  const roomWide = await mayMentionRoom(
    ctx.node,
    ctx.client.member,
    record.stream,
    text,
  );
  const here = await hereMembers(
    ctx.node,
    ctx.client.member,
    record.stream,
    text,
  );
  if (isFailure(here)) return here;
  const groups = await groupMembers(
    ctx.node,
    ctx.client.member,
    record.stream,
    text,
  );
  if (isFailure(groups)) return groups;
  // Those the edit newly names are told (edit_mentions.ts): read before
  // the edit replaces the text.
  const added = await mentionsAdded(ctx.node, record, text);
  const message = await storeRefusing(
    ctx.node,
    record.stream,
    () =>
      ctx.node.store.updateMessage(data.id, {
        text,
        ...(roomWide ? { roomWide } : {}),
        ...(here ? { here } : {}),
        ...(groups ? { groups } : {}),
      }),
  );
  if (isFailure(message)) return message;
  if (!message) return noSuchMessage(data.id);
  const outcome = await changed(ctx, record.stream, message);
  if (!outcome.ok) return outcome;
  // The edit cleared its previews: those of its new links follow.
  const { data: reply, after } = outcome;
  return succeed(reply, () => {
    after?.();
    notifyMentionsAdded(ctx.node, record, message as ChatMessage, added);
    ctx.node.linkPreviews?.messageStored(
      record.stream,
      message,
      previewAuthor(ctx.client.member),
    );
  });
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
  // Moderators and admins still take down what should not stay readable;
  // authors' own deletes would rewrite the record the archive keeps. An
  // author shut out of the room deletes as before the archive: the
  // refusal would tell one removed from a private room that it was
  // archived, and its name now. One read more, for archived rooms only.
  const byAuthor = RANK[ctx.client.member.role] < RANK.moderator;
  const shutOut = () =>
    mayReadRoom(ctx.node, readerOf(ctx.client.member), record.stream).then(
      (may) => !may,
    );
  if (byAuthor) {
    const archived = archivedRefusal(ctx.node, record.stream);
    if (archived && !await shutOut()) return archived;
  }
  const outranked = record.userKey === ctx.client.member.userKey
    ? undefined
    : await refuseAuthor(ctx, record);
  if (outranked) return outranked;
  // Someone else's message is a moderator's act, and leaves a trace as a
  // ban does (the text stays deleted: the entry names the message only),
  // written in the deletion's commit.
  const entry = record.userKey === ctx.client.member.userKey
    ? undefined
    : auditOf(ctx, {
      action: "delete_message",
      target: record.message.user,
      room: (record.message as ChatMessage).room,
      details: { id: data.id },
    });
  // The store refuses an author's delete as it commits too, for a node
  // whose flag has not heard of the archive yet; an author shut out of
  // the room deletes then as above (the room's read again, rarely).
  const remove = (refuseArchived: boolean) =>
    ctx.node.store.updateMessage(
      data.id,
      { deleted: true, ...(refuseArchived ? { refuseArchived } : {}) },
      entry,
    );
  let message = await storeRefusing(
    ctx.node,
    record.stream,
    () => remove(byAuthor),
  );
  if (isFailure(message)) {
    if (!await shutOut()) return message;
    message = await remove(false);
  }
  if (!message) return noSuchMessage(data.id);
  const outcome = await changed(ctx, record.stream, message);
  // Its files are no longer served; bytes nobody else shares go now.
  if (record.message.attachments?.length) void ctx.node.files.sweep();
  if (!outcome.ok) return outcome;
  // Its forwards' copies now read as `{id, deleted}` (store/sqlite_rows.ts):
  // their readers hear it for the newest LIVE_FORWARDS; older ones show it
  // when next read. Unpaid: a moderator's delete of forwarded abuse must
  // not stop at the budget, and the bound keeps it to 100 events.
  const forwards = await ctx.node.store.findForwards(data.id, LIVE_FORWARDS);
  // A reply deleted leaves its thread: the root's readers hear the count.
  const root = record.message.reply_to?.id;
  const { data: reply, after } = outcome;
  return succeed(reply, () => {
    after?.();
    for (const forward of forwards.reverse()) {
      publishUpdate(ctx.node, forward.stream, forward.message);
    }
    if (root !== undefined) afterReply(ctx.node, record.stream, root);
  });
}

/** How many of a deleted message's forwards are told at once, newest first. */
const LIVE_FORWARDS = 100;

// A moderator deletes the messages of those below it and of other
// moderators, not an admin's (before, a moderator deleted an admin's
// messages); an admin deletes anyone's. The author's role is its account's now; a
// message sent under the name before the account was made was someone
// else's (a guest's), a user's.
async function refuseAuthor(
  ctx: MemberContext,
  record: MessageRecord,
): Promise<Failure | undefined> {
  const account = await ctx.node.store.findAccount(record.userKey);
  const role = account && Date.parse(record.message.ts) >= account.createdAt
    ? account.role
    : "user";
  return refuseRank(ctx.client.member.role, {
    name: record.message.user,
    role,
  }, { equal: true });
}

// The reply, then `message_updated` for the message and for the replies
// that quote it (their quote changed with it). Those replies are paid for
// from the actor's message budget, one each, since each goes to every
// reader as a send would: unpaid, one edit of a message with 100 replies
// was 101 events to each reader, 76,760 per reader in 7 s from one
// connection, and everyone's sends went from 4 ms to 63 ms. Over budget
// they show the new quote when next read, as replies past the newest 100
// always do.
async function changed(
  ctx: MemberContext,
  stream: string,
  message: MessageBase,
): Promise<Outcome> {
  const { node } = ctx;
  let replies = await node.store.findReplies(message.id, LIVE_REPLIES);
  if (
    replies.length > 0 &&
    node.userLimits.take(
        ctx.client.member.userKey,
        "message",
        performance.now(),
        replies.length,
      ) > 0
  ) {
    replies = [];
  }
  return succeed({ message: readable(node, stream, message) }, () => {
    publishUpdate(node, stream, message);
    for (const reply of replies.reverse()) publishUpdate(node, stream, reply);
  });
}

/** A message as its readers get it: a private one's file URLs signed. */
export function readable<M extends MessageBase>(
  node: ChatNode,
  stream: string,
  message: M,
): M {
  return conversationUsers(stream) === undefined
    ? message
    : node.files.signed(message);
}

/**
 * The message `id` as its author, or (moderatorsToo, room messages) a
 * moderator or admin, may change it; else the failure to answer.
 */
export async function findOwn(
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
  // Someone else's message the member may not read (a private room it
  // does not belong to, or was removed from) is answered as no message:
  // a moderator outside a private room deleted its messages, and the
  // reply named the room, renamed or not.
  const reader = readerOf(member);
  if (
    !await canRead(
      ctx.node,
      reader,
      record.stream,
      Date.parse(record.message.ts),
    )
  ) {
    return noSuchMessage(id);
  }
  if (moderatorsToo && moderator && isRoom) return record;
  return fail("forbidden", "You can only change your own messages.");
}

// A name may have been someone else's before it became this user's.
function since(ctx: MemberContext): string {
  return new Date(ctx.client.member.since).toISOString();
}

/** The `invalid_message` answer for a message absent, deleted or not the reader's. */
export function noSuchMessage(id: string): Failure {
  return fail("invalid_message", `No message with id '${id.slice(0, 64)}'.`);
}

/**
 * Sends `message_updated` for messages the server itself changed (their
 * attachments' previews, once an upload's bytes were read again) to
 * everyone who sees them, as for an edit. One store read per message;
 * one that is gone or deleted meanwhile is left out. Nobody's budget pays:
 * the server reads each upload again once.
 */
export async function publishCorrections(
  node: ChatNode,
  messageIds: string[],
): Promise<void> {
  for (const id of messageIds) {
    const record = await node.store.findMessage(id);
    if (record === undefined || record.message.deleted) continue;
    publishUpdate(node, record.stream, record.message);
  }
}

/**
 * Sends `message_updated` to everyone who can see the message: the room's
 * members, or both sides of a private conversation (as they were when it
 * was sent).
 */
export function publishUpdate(
  node: ChatNode,
  stream: string,
  message: MessageBase,
): void {
  const users = conversationUsers(stream);
  const updated = {
    id: message.id,
    deleted: message.deleted === true,
    version: message.version ?? 0,
  };
  if (users === undefined) {
    node.publish({ kind: "room", key: stream }, "message_updated", message, {
      updated,
    });
    return;
  }
  // Only to those who held the names when it was sent, as history reads
  // it (isParty in access.ts): a later guest or account under one of the
  // names got each edit, reaction and pin of the old conversation.
  const signed = node.files.signed(message);
  const sentAt = Date.parse(message.ts);
  for (const key of new Set(users)) {
    node.publish({ kind: "user", key }, "message_updated", signed, {
      sentAt,
      updated,
    });
  }
}
