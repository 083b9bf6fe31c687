/**
 * What a forward of a forward carries (docs/protocol.md, "Forwarding"),
 * shared by the server, which makes the copy, and the web client, whose
 * dialog previews it.
 */
import type { DeletedForward, ForwardedMessage, MessageBase } from "./types.ts";

/**
 * The copy a forward of `message` passes on, or undefined when it makes
 * its own: a forward with no text of its own passes on its copy (as Slack
 * shares the original), so the new copy is of the same original, whose
 * delete blanks both, and a copy never nests. It is blank if that copy is;
 * else without `with`, which names the other side of the first
 * forwarder's conversation, a link for those two people only (a public
 * room's name stays).
 */
export function passedOn(
  message: Pick<MessageBase, "text" | "forwarded">,
): ForwardedMessage | DeletedForward | undefined {
  const copy = message.forwarded;
  if (copy === undefined || message.text !== "") return undefined;
  if ("deleted" in copy) return { id: copy.id, deleted: true };
  const { with: _, ...rest } = copy;
  return rest;
}
