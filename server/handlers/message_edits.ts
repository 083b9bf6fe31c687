import { findReadable, readerOf } from "../access.ts";
import { isFailure, type Outcome, succeed } from "../protocol/errors.ts";
import { messageEditsData } from "../protocol/schemas.ts";
import type { MessageEdits } from "../protocol/types.ts";
import { type MemberContext, parseData } from "./context.ts";
import { noSuchMessage } from "./message_updates.ts";

/**
 * `message_edits` (extension): a message's edit history, the texts its
 * edits replaced oldest first (at most MAX_KEPT_EDITS) and its text now,
 * for whoever may read the message, as Zulip shows it by default: an edit
 * is no way to take words back from those who read them (a delete is, and
 * takes the history with it). A message absent, deleted or not the
 * reader's (a private room it is not in, a conversation's from before its
 * name was the reader's, a room it is banned from) is `invalid_message`,
 * as `edit_message` answers it. Two reads: the message, its edits.
 */
export async function messageEdits(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(messageEditsData, raw);
  if (isFailure(data)) return data;
  const { node } = ctx;
  const record = await findReadable(node, readerOf(ctx.client.member), data.id);
  if (record === undefined) return noSuchMessage(data.id);
  const { message } = record;
  const edits = await node.store.listEdits(data.id);
  return succeed(
    {
      edits: edits.map((edit) => ({
        text: edit.text,
        ts: new Date(edit.ts).toISOString(),
      })),
      current: { text: message.text, ts: message.edited_at ?? message.ts },
    } satisfies MessageEdits,
  );
}
