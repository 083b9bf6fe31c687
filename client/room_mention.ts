import { mentions } from "./markup.ts";

/**
 * Whether a message mentions the reader: by name, by an `@room` the
 * server says notified the room (`room_mention`, server/room_mentions.ts),
 * or by an `@here` it says notified the members online (`here_mention`):
 * a message that arrives live finds the reader online, which is what
 * `@here` asks; in a page of history read later it stands out as
 * `@room`'s does, though the server's counts left it out for a reader
 * offline when it was sent (telling readers apart would need a field per
 * reader on a message encoded once for its whole room).
 * The client cannot tell the latter from the text: whether its author
 * might ping the room (the room's size, the author's role) is the
 * server's to decide. Its author's own and an ignored account's messages
 * are left out by the caller, as for any mention.
 */
export function mentionsReader(
  message: { text: string; room_mention?: boolean; here_mention?: boolean },
  me: string | null,
): boolean {
  if (me === null) return false;
  return message.room_mention === true || message.here_mention === true ||
    mentions(message.text, me);
}
