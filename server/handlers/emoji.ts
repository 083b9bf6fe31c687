import { removeCustomEmoji, shownEmoji } from "../custom_emoji.ts";
import { fail, isFailure, type Outcome, succeed } from "../protocol/errors.ts";
import { emptyData, removeEmojiData } from "../protocol/schemas.ts";
import { auditOf } from "./audit.ts";
import { type MemberContext, parseData } from "./context.ts";

/**
 * `list_emoji {}`: the server's custom emoji, by name; a guest sees them
 * too (they show in messages and reactions it reads).
 */
export async function listEmoji(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(emptyData, raw);
  if (isFailure(data)) return data;
  const emoji = await ctx.node.store.listEmoji();
  return succeed({ emoji: emoji.map(shownEmoji) });
}

/**
 * `remove_emoji {name}`: removes a custom emoji, by its author or an admin
 * (audited); every connection hears `emoji_updated {removed}`. Adding one
 * is `PUT /api/emoji/:name` (its bytes are no JSON).
 */
export async function removeEmoji(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(removeEmojiData, raw);
  if (isFailure(data)) return data;
  const member = ctx.client.member;
  if (member.guest) {
    return fail("forbidden", "Guests cannot add or remove custom emoji.");
  }
  const removed = await removeCustomEmoji(
    ctx.node,
    { key: member.userKey, username: member.username, role: member.role },
    data.name,
    (facts) => auditOf(ctx, facts),
  );
  return isFailure(removed) ? removed : succeed({ name: data.name });
}
