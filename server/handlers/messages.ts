import type { MessageDraft } from "../store/mod.ts";
import { readRoomPage } from "../room_history.ts";
import { groupMembers, namesSomeone } from "../group_mentions.ts";
import {
  hereMembers,
  hereMentioned,
  mayMentionRoom,
  saysHere,
  saysRoom,
} from "../room_mentions.ts";
import {
  fail,
  type Failure,
  isFailure,
  type Outcome,
  succeed,
} from "../protocol/errors.ts";
import { nameKey } from "../protocol/names.ts";
import { historyData, sendMessageData } from "../protocol/schemas.ts";
import { MAX_MESSAGE_LENGTH } from "../protocol/limits.ts";
import type {
  Attachment,
  ChatMessage,
  DeletedForward,
  ForwardedMessage,
  MessageBase,
  PrivateMessage,
} from "../protocol/types.ts";
import { type MemberContext, parseData } from "./context.ts";
import { afterReply } from "./threads.ts";
import { notMembers } from "../outside_mentions.ts";
import { appendRefusal, postRefusal } from "./post_check.ts";
import {
  banRefusal,
  findReadable,
  findReadableRoom,
  isParty,
  memberBan,
  type Reader,
  readerOf,
  roomRefusal,
} from "../access.ts";
import { previewAuthor } from "../link_previews/mod.ts";

/** What a send carries besides its data: a forward's copy (forward.ts). */
export interface SendExtras {
  /** The message forwarded, given to the message before it goes out. */
  forwarded?: ForwardedMessage | DeletedForward;
}

/** `send_message`: store in the current room, then publish to its members. */
export async function sendMessage(
  ctx: MemberContext,
  raw: Record<string, unknown>,
  extras?: SendExtras,
): Promise<Outcome> {
  const data = parseData(sendMessageData, raw);
  if (isFailure(data)) return data;
  const { node } = ctx;
  const member = ctx.client.member;
  // The room the client sent it to: the one it looks at now.
  const roomKey = member.roomKey;
  // Most messages carry no file and answer none: they await nothing before
  // their append (an await costs a promise and a turn of the microtask
  // queue on the hot path, docs/performance.md).
  const content = data.attachments === undefined
    ? textContent(data.text, extras?.forwarded !== undefined)
    : await messageContent(ctx, data);
  if (isFailure(content)) return content;
  const replyTo = data.reply_to === undefined
    ? undefined
    : await replyTarget(ctx, data.reply_to, roomKey);
  // Overtaken first: a ban also hides the message it answers.
  if (member.roomKey !== roomKey || ctx.client.isClosed) {
    const answer = await overtaken(ctx, {
      roomKey,
      stream: roomKey,
      clientId: data.client_id,
    });
    return isFailure(answer) ? answer : succeed({ message: ownPart(answer) });
  }
  if (isFailure(replyTo)) return replyTo;
  const refused = postRefusal(node, member, roomKey);
  if (refused) {
    return await archivedRetry(ctx, roomKey, data.client_id) ?? refused;
  }
  const started = performance.now();
  const input: MessageDraft = {
    roomKey,
    userKey: member.userKey,
    user: member.username,
    clientId: data.client_id,
    sender: member.identity,
    roomCreatedAt: node.registry.createdAtOf(roomKey),
    ...content,
  };
  if (
    saysRoom(input.text) &&
    await mayMentionRoom(node, member, roomKey, input.text)
  ) {
    input.roomWide = true;
  }
  if (saysHere(input.text)) {
    const here = await hereMembers(node, member, roomKey, input.text);
    if (isFailure(here)) return here;
    if (here !== undefined) input.here = here;
  }
  if (namesSomeone(input.text)) {
    const groups = await groupMembers(node, member, roomKey, input.text);
    if (isFailure(groups)) return groups;
    if (groups !== undefined) input.groups = groups;
  }
  if (replyTo !== undefined) input.replyTo = replyTo;
  const appended = node.store.appendMessage(input);
  ctx.client.appendQueued();
  let result;
  try {
    result = await appended;
  } catch (error) {
    return appendRefusal(node, input, error);
  }
  const { duplicate } = result;
  // A send without extras awaits nothing more (the hot path).
  const message = duplicate || extras === undefined
    ? result.message
    : await carried(ctx, result.message, extras);
  node.metrics.storeLatency.observe(performance.now() - started);
  const outside = namedOutside(ctx, roomKey, message);
  const named = outside === undefined ? {} : await outside;
  if (duplicate) {
    return succeed({
      message: await retried(ctx, roomKey, message),
      ...named,
    });
  }
  node.metrics.messagesStored++;
  return succeed({ message, ...named }, () => {
    node.publishMessage(
      roomKey,
      message,
      input.here,
      input.groups,
      previewAuthor(member),
    );
    if (replyTo !== undefined) {
      afterReply(node, roomKey, replyTo, {
        authorKey: member.userKey,
        guest: member.guest,
        seq: message.seq,
        ts: message.ts,
        text: message.text,
      });
    }
  });
}

/**
 * The reply's `not_members`, when the message @mentions accounts that are
 * not members of the room (not notified: outside_mentions.ts); a retry's
 * too, since the first reply may have been lost. Undefined for most
 * messages, which name nobody: the handler awaits nothing for them.
 */
function namedOutside(
  ctx: MemberContext,
  roomKey: string,
  message: ChatMessage,
): Promise<{ not_members?: string[] }> | undefined {
  return notMembers(ctx.node, roomKey, {
    text: message.text,
    authorKey: ctx.client.member.userKey,
  })?.then((names) => names.length > 0 ? { not_members: names } : {});
}

/**
 * The answer to a retry: the first copy as it now is, or, when its sender
 * has been banned from the room since (the store answers such a retry, and
 * over the REST API a room ban lets it come), only what the sender wrote:
 * not the reactions, the pin or the quoted message's text now, which were
 * made after the ban by people the banned no longer reads. One ban read per
 * retry; a first send reads none.
 */
async function retried<M extends MessageBase>(
  ctx: MemberContext,
  roomKey: string,
  message: M,
): Promise<M> {
  const ban = await memberBan(ctx.node.store, ctx.client.member, roomKey);
  return ban ? ownPart(message) : message;
}

/**
 * The answer to a retry (same `client_id`) of a message stored before its
 * room was archived (or its posting limited to moderators): that first
 * copy, as any retry gets, so a send whose answer was lost is not refused
 * after it was kept. Undefined for a new message, which the archive (or
 * the limit) refuses. One read, for refused sends only.
 */
async function archivedRetry(
  ctx: MemberContext,
  roomKey: string,
  clientId: string | undefined,
): Promise<Outcome | undefined> {
  if (clientId === undefined) return undefined;
  const member = ctx.client.member;
  const first = await ctx.node.store.findFirstSent(roomKey, {
    userKey: member.userKey,
    sender: member.identity,
    clientId,
  });
  if (first === undefined) return undefined;
  return succeed({ message: await retried(ctx, roomKey, first) });
}

/**
 * What a banned sender gets of its own message: what it wrote, without the
 * reactions, the pin and the quoted message's text now (retried), nor the
 * version, which counts those reactions and pins too (without one, a copy
 * is never taken for later than another).
 */
function ownPart<M extends MessageBase>(message: M): M {
  const { reactions: _, pinned: __, version: _v, reply_to, ...own } = message;
  if (reply_to === undefined) return own as M;
  const { text: ___, deleted: ____, ...quoted } = reply_to;
  return { ...own, reply_to: { ...quoted, text: "" } } as M;
}

/** Where an overtaken send was going ({@link overtaken}). */
export interface OvertakenSend {
  /** The room it was sent to; absent for a private message. */
  roomKey?: string;
  /** Its stream: the room's key, or the conversation's. */
  stream: string;
  clientId?: string;
}

/**
 * The answer to a send that awaited something (its files, the message it
 * answers) while a ban, kick, removal or room change was acknowledged and
 * moved its connection out of the room or closed it: stored now, it would
 * appear after that acknowledgement. `banned` for a ban, unless the send is
 * a retry (same `client_id`) of a message stored before the ban: a ban
 * refuses new messages only, so it gets that first copy as stored, which
 * the caller answers as it answers the retry the append recognises (in a
 * room, stripped as `retried` strips it), as had it not awaited.
 * `internal` for a closed connection (nobody reads it; a client that comes
 * back sends it again); `room_not_found` otherwise. The check
 * before the append is a comparison; only a refused send reads the bans,
 * and only a banned one with a `client_id` looks for its first copy.
 */
export async function overtaken(
  ctx: MemberContext,
  send: OvertakenSend,
): Promise<Failure | ChatMessage | PrivateMessage> {
  const member = ctx.client.member;
  const ban = await memberBan(ctx.node.store, member, send.roomKey);
  if (ban) {
    const first = send.clientId === undefined
      ? undefined
      : await ctx.node.store.findFirstSent(send.stream, {
        userKey: member.userKey,
        sender: member.identity,
        clientId: send.clientId,
      });
    return first ?? banRefusal(ban);
  }
  if (ctx.client.isClosed) {
    return fail(
      "internal",
      "The connection closed before the message was stored; send it again.",
    );
  }
  return fail("room_not_found", "You are no longer in that room.");
}

/**
 * What a room or private message says: its cleaned text and its files (left
 * out when there are none), or the failure that refuses it; its text may
 * be empty with files, or `withMore` (a forward's copy).
 */
export async function messageContent(
  ctx: MemberContext,
  data: { text: string; attachments?: { url: string }[] },
  withMore = false,
): Promise<{ text: string; attachments?: Attachment[] } | Failure> {
  const files = await resolveAttachments(ctx, data.attachments);
  if (isFailure(files)) return files;
  const text = cleanText(data.text, withMore || files.length > 0);
  if (isFailure(text)) return text;
  return files.length > 0 ? { text, attachments: files } : { text };
}

/**
 * What a message without files says: its cleaned text, or the failure;
 * empty only with something else to show (a forward's copy).
 */
function textContent(
  raw: string,
  withMore = false,
): { text: string } | Failure {
  const text = cleanText(raw, withMore);
  return isFailure(text) ? text : { text };
}

/**
 * A message just stored, with what `extras` give it in a commit of their
 * own (a forward's copy, as a poll's) before anyone reads it.
 */
export async function carried<M extends MessageBase>(
  ctx: MemberContext,
  message: M,
  extras: SendExtras,
): Promise<M> {
  if (extras.forwarded === undefined) return message;
  const now = await ctx.node.store.setForwarded(message.id, extras.forwarded);
  return (now as M | undefined) ?? message;
}

/**
 * The id a new message answers: `reply_to` must name a message the user
 * may read in the same room or conversation (`stream`), not deleted, and
 * in a conversation one the `recipient` may read too; anything else is
 * `message_not_found`, whatever the reason.
 */
export async function replyTarget(
  ctx: MemberContext,
  id: string | undefined,
  stream: string,
  recipient?: () => Promise<Reader>,
): Promise<string | undefined | Failure> {
  if (id === undefined) return undefined;
  const record = await findReadable(ctx.node, readerOf(ctx.client.member), id);
  if (
    record?.stream !== stream ||
    (recipient !== undefined &&
      !isParty(await recipient(), stream, Date.parse(record.message.ts)))
  ) {
    return fail(
      "message_not_found",
      `No message with id '${id.slice(0, 64)}' in this conversation.`,
    );
  }
  return id;
}

/** The failure for a message id the user cannot see, whatever the reason. */
export function messageNotFound(id: string): Failure {
  return fail("message_not_found", `No message with id '${id.slice(0, 64)}'.`);
}

/**
 * The attachments of a message, as the server's own records describe them;
 * `invalid_message` for a file that was never uploaded here, or not by the
 * sender (a URL seen elsewhere cannot make a private file public).
 */
async function resolveAttachments(
  ctx: MemberContext,
  requested: { url: string }[] | undefined,
): Promise<Attachment[] | Failure> {
  const files: Attachment[] = [];
  for (const { url } of requested ?? []) {
    const file = await ctx.node.files.attach(url, ctx.client.member.userKey);
    if (!file) {
      return fail(
        "invalid_message",
        `No file was shared at '${url.slice(0, 100)}'.`,
      );
    }
    files.push(file);
  }
  return files;
}

/**
 * The text of a message as stored: trimmed, not too long, and not empty
 * unless files go with it.
 */
export function cleanText(raw: string, withFiles = false): string | Failure {
  const text = raw.trim();
  if (text.length === 0 && !withFiles) {
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
  return text;
}

/** `history`: a page of a room's or a private conversation's messages. */
export async function history(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(historyData, raw);
  if (isFailure(data)) return data;
  const { node } = ctx;
  const query = {
    beforeSeq: data.before_seq,
    afterSeq: data.after_seq,
    aroundSeq: data.around_seq,
    limit: data.limit,
  };
  if (data.with !== undefined) {
    const member = ctx.client.member;
    const messages = await node.store.conversation(
      member.userKey,
      nameKey(data.with),
      // The name may have been someone else's before (a guest's): only
      // what was said since it became this user's.
      { ...query, since: member.since },
    );
    return succeed({
      with: data.with,
      messages: messages.map((m) => node.files.signed(m)),
    });
  }
  const key = data.room === undefined
    ? ctx.client.member.roomKey
    : await findReadableRoom(node, readerOf(ctx.client.member), data.room);
  if (key === undefined) {
    return fail("room_not_found", `No room named '${data.room}'.`);
  }
  // Both reads leave in one batch, one round trip to the store's thread
  // instead of two; a banned reader's page is read for nothing.
  const [banned, page] = await Promise.all([
    roomRefusal(node.store, readerOf(ctx.client.member), key),
    readRoomPage(node, key, { ...query, epoch: data.epoch }),
  ]);
  if (banned) return banned;
  if (isFailure(page)) return page;
  // Undefined (no `@here` that pinged) leaves the field out of the JSON.
  return succeed({
    ...page,
    here_mentioned: await hereMentioned(
      node,
      ctx.client.member,
      key,
      page.messages,
    ),
  });
}

function codePoints(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}
