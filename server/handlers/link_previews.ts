import { fail, isFailure, type Outcome, succeed } from "../protocol/errors.ts";
import { removeLinkPreviewsData } from "../protocol/schemas.ts";
import { type MemberContext, parseData } from "./context.ts";
import { findOwn, publishUpdate, readable } from "./message_updates.ts";

/**
 * `remove_link_previews` (extension): a message's author, or a moderator
 * or admin for a room message, takes its link previews away (a page that
 * previews badly, or says what should not be shown). They stay away until
 * the message is edited; its readers get the message again.
 */
export async function removeLinkPreviews(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(removeLinkPreviewsData, raw);
  if (isFailure(data)) return data;
  const record = await findOwn(ctx, data.id, true);
  if (isFailure(record)) return record;
  const { node } = ctx;
  const message = await node.store.setLinkPreviews(data.id, { removed: true });
  // None to remove (none fetched, removed already): the message as it is.
  if (message === undefined) {
    const now = await node.store.findMessage(data.id);
    if (!now || now.message.deleted) {
      return fail("invalid_message", `No message with id '${data.id}'.`);
    }
    return succeed({ message: readable(node, record.stream, now.message) });
  }
  return succeed(
    { message: readable(node, record.stream, message) },
    () => publishUpdate(node, record.stream, message),
  );
}
