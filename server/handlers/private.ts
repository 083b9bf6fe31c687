import { fail, isFailure, type Outcome, succeed } from "../protocol/errors.ts";
import { nameKey } from "../protocol/names.ts";
import { privateMessageData } from "../protocol/schemas.ts";
import {
  MAX_WAITING_PER_RECIPIENT,
  MAX_WAITING_PER_SENDER,
} from "../protocol/limits.ts";
import type { Reader } from "../access.ts";
import { conversationKey } from "../store/mod.ts";
import { afterReply } from "./threads.ts";
import { type MemberContext, parseData } from "./context.ts";
import {
  carried,
  messageContent,
  overtaken,
  replyTarget,
  type SendExtras,
} from "./messages.ts";
import { refusedAppend } from "./post_check.ts";
import { previewAuthor } from "../link_previews/mod.ts";

const WAITING_LIMITS = {
  perRecipient: MAX_WAITING_PER_RECIPIENT,
  perSender: MAX_WAITING_PER_SENDER,
};

/**
 * `private_message`: stored, then delivered to every connection of both
 * sides. To an account that is offline it waits for its next login.
 */
export async function privateMessage(
  ctx: MemberContext,
  raw: Record<string, unknown>,
  extras?: SendExtras,
): Promise<Outcome> {
  const data = parseData(privateMessageData, raw);
  if (isFailure(data)) return data;
  const content = await messageContent(
    ctx,
    data,
    extras?.forwarded !== undefined,
  );
  if (isFailure(content)) return content;
  const { node } = ctx;
  const member = ctx.client.member;
  const toKey = nameKey(data.to);
  const online = await node.onlineName(toKey);
  const to = online ?? (await node.accounts.find(data.to))?.username;
  if (to === undefined) {
    return fail("user_not_found", `Nobody is called '${data.to}'.`);
  }
  // One key probe: the recipient's ignore of the sender. The refusal says
  // no more than that it was not accepted (not since when, nor whether
  // the recipient is online).
  if (
    toKey !== member.userKey &&
    await node.store.isIgnoring(toKey, member.userKey)
  ) {
    return fail(
      "not_accepted",
      `${to} does not accept private messages from you.`,
    );
  }
  const stream = conversationKey(member.userKey, toKey);
  const replyTo = await replyTarget(
    ctx,
    data.reply_to,
    stream,
    () => recipient(ctx, data.to),
  );
  // A server ban, kick or account deletion acknowledged while this send
  // awaited closed the connection: stored now, it would come after it.
  // A retry of a message stored before a ban gets that first copy, as below.
  if (ctx.client.isClosed) {
    const answer = await overtaken(ctx, { stream, clientId: data.client_id });
    return isFailure(answer)
      ? answer
      : succeed({ message: node.files.signed(answer) });
  }
  if (isFailure(replyTo)) return replyTo;
  const appended = node.store.appendPrivate({
    fromKey: member.userKey,
    from: member.username,
    toKey,
    to,
    clientId: data.client_id,
    sender: member.identity,
    ...content,
    ...(replyTo === undefined ? {} : { replyTo }),
    delivered: online !== undefined,
    waitingLimits: WAITING_LIMITS,
  });
  ctx.client.appendQueued();
  let result;
  try {
    result = await appended;
  } catch (error) {
    return refusedAppend(error);
  }
  if ("full" in result) {
    return fail(
      "mailbox_full",
      result.full === "recipient"
        ? `${to} has ${MAX_WAITING_PER_RECIPIENT} private messages waiting already: try again once they have logged in.`
        : `You have ${MAX_WAITING_PER_SENDER} private messages waiting for offline users already: try again once they have logged in.`,
    );
  }
  const { duplicate } = result;
  // Its files are fetched with signed URLs (guests have no session).
  const message = node.files.signed(
    duplicate || extras === undefined
      ? result.message
      : await carried(ctx, result.message, extras),
  );
  if (duplicate) return succeed({ message });
  node.metrics.messagesStored++;
  return succeed({ message }, () => {
    // Offline, or online with every client hidden: push decides (presence).
    if (toKey !== member.userKey) {
      node.push.privateMessage(toKey, member.userKey, message);
      node.missedMail?.privateMessage(toKey, member.userKey, message);
      node.webhooks.privateMessageStored(toKey, message);
    }
    node.linkPreviews?.messageStored(stream, message, previewAuthor(member));
    node.publish({ kind: "user", key: toKey }, "private_message", message);
    if (toKey !== member.userKey) {
      node.publish(
        { kind: "user", key: member.userKey },
        "private_message",
        message,
      );
    }
    if (replyTo !== undefined) {
      afterReply(node, stream, replyTo, {
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
 * The other side as a reader, for a reply's quote: it reads only what was
 * sent since the name became its own, so a later holder of a freed guest
 * name, or of a deleted account's name registered again, is never quoted
 * the old conversation. An account's since is its creation; a guest's its
 * login, on whichever node (presence carries it). A name no guest holds
 * (it left meanwhile, or Redis is away and the guest is on another node)
 * reads nothing yet: the quote is refused rather than checked against
 * nothing.
 */
async function recipient(ctx: MemberContext, to: string): Promise<Reader> {
  const { node } = ctx;
  const userKey = nameKey(to);
  const account = await node.accounts.find(to);
  if (account) return { userKey, since: account.createdAt };
  return { userKey, since: await node.guestSince(userKey) ?? Date.now() };
}
