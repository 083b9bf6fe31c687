import { accountCreatedAt } from "../accounts/identity.ts";
import { findReadable, readerOf } from "../access.ts";
import { customReactionName, reactionEmoji } from "../protocol/emoji.ts";
import type { ChatNode } from "../node.ts";
import { fail, isFailure, type Outcome, succeed } from "../protocol/errors.ts";
import { MAX_REACTIONS_PER_MESSAGE } from "../protocol/limits.ts";
import { reactData } from "../protocol/schemas.ts";
import { type MemberContext, parseData } from "./context.ts";
import { ignoredThere } from "./ignores.ts";
import { publishUpdate, readable } from "./message_updates.ts";
import { messageNotFound } from "./messages.ts";
import { archivedRefusal, storeRefusing } from "./archive.ts";

/**
 * `react`: adds (`on`, the default) or takes back the user's reaction to a
 * message they may read; everyone who sees the message gets it updated.
 * Reacting twice, or taking back what is not there, changes nothing and
 * sends nothing.
 */
export async function react(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(reactData, raw);
  if (isFailure(data)) return data;
  const { node } = ctx;
  const emoji = reactionEmoji(data.emoji) ??
    await customReaction(node, data.emoji, data.on ?? true);
  if (emoji === null) {
    return fail(
      "invalid_message",
      "A reaction is one emoji, or a :name: of the built-in set or of a " +
        "custom emoji.",
    );
  }
  const member = ctx.client.member;
  const record = await findReadable(node, readerOf(member), data.id);
  if (!record) return messageNotFound(data.id);
  const archived = archivedRefusal(node, record.stream);
  if (archived) return archived;
  const ignored = await ignoredThere(ctx, record.stream);
  if (ignored) return ignored;
  const result = await storeRefusing(
    node,
    record.stream,
    () =>
      node.store.react({
        id: data.id,
        userKey: member.userKey,
        user: member.username,
        emoji,
        on: data.on ?? true,
        accountCreatedAt: accountCreatedAt(member.identity),
      }),
  );
  if (isFailure(result)) return result;
  if (result.status === "not_found") return messageNotFound(data.id);
  if (result.status === "gone") {
    return fail("forbidden", "Your account was deleted.");
  }
  if (result.status === "full") {
    return fail(
      "invalid_message",
      `A message has at most ${MAX_REACTIONS_PER_MESSAGE} different reactions.`,
    );
  }
  const { message, changed } = result;
  const reply = { message: readable(node, record.stream, message) };
  if (!changed) return succeed(reply);
  return succeed(reply, () => publishUpdate(node, record.stream, message));
}

// A custom emoji's `:name:`, kept as written: one that exists, or, to take
// a reaction back, one removed since (its reactions stay, shown as text).
// One store read, for a `:name:` outside the built-in set only.
async function customReaction(
  node: ChatNode,
  raw: string,
  on: boolean,
): Promise<string | null> {
  const name = customReactionName(raw);
  if (name === null) return null;
  return !on || await node.store.findEmoji(name) ? raw : null;
}
