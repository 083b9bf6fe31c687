import { mentions } from "./markup.ts";

/**
 * Whether a message mentions the reader: by name, or by an `@room` the
 * server says notified the room (`room_mention`, server/room_mentions.ts).
 * The client cannot tell the latter from the text: whether its author
 * might ping the room (the room's size, the author's role) is the
 * server's to decide. Its author's own and an ignored account's messages
 * are left out by the caller, as for any mention.
 */
export function mentionsReader(
  message: { text: string; room_mention?: boolean },
  me: string | null,
): boolean {
  if (me === null) return false;
  return message.room_mention === true || mentions(message.text, me);
}
