import { fail, isFailure, type Outcome, succeed } from "../protocol/errors.ts";
import { nameKey } from "../protocol/names.ts";
import { privateMessageData } from "../protocol/schemas.ts";
import { type MemberContext, parseData } from "./context.ts";
import { messageContent } from "./messages.ts";

/**
 * `private_message`: stored, then delivered to every connection of both
 * sides. To an account that is offline it waits for its next login.
 */
export async function privateMessage(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(privateMessageData, raw);
  if (isFailure(data)) return data;
  const content = await messageContent(ctx, data);
  if (isFailure(content)) return content;
  const { node } = ctx;
  const member = ctx.client.member;
  const toKey = nameKey(data.to);
  const online = await node.onlineName(toKey);
  const to = online ?? (await node.accounts.find(data.to))?.username;
  if (to === undefined) {
    return fail("user_not_found", `Nobody is called '${data.to}'.`);
  }
  const appended = node.store.appendPrivate({
    fromKey: member.userKey,
    from: member.username,
    toKey,
    to,
    clientId: data.client_id,
    sender: member.identity,
    ...content,
    delivered: online !== undefined,
  });
  ctx.client.appendQueued();
  const { message, duplicate } = await appended;
  if (duplicate) return succeed({ message });
  node.metrics.messagesStored++;
  return succeed({ message }, () => {
    node.publish({ kind: "user", key: toKey }, "private_message", message);
    if (toKey !== member.userKey) {
      node.publish(
        { kind: "user", key: member.userKey },
        "private_message",
        message,
      );
    }
  });
}
