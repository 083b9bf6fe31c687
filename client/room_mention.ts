import type { ChatMessage } from "../server/protocol/types.ts";
import { nameKey } from "../server/protocol/names.ts";
import { mentionedNames, mentions } from "./markup.ts";

/**
 * Whether a message mentions the reader: by name, by one of its groups
 * (`groups`, their name keys), by an `@room` the
 * server says notified the room (`room_mention`, server/room_mentions.ts),
 * or by an `@here` that notified the reader (`here_mention` as the
 * client holds it: {@linkcode hereHeard}, {@linkcode updateHeard}).
 * The client cannot tell the latter two from the text: whether its author
 * might ping the room (the room's size, the author's role) and who was
 * online are the server's to decide. Its author's own and an ignored
 * account's messages are left out by the caller, as for any mention.
 */
export function mentionsReader(
  message: {
    text: string;
    room?: string;
    room_mention?: boolean;
    here_mention?: boolean;
  },
  me: string | null,
  groups: readonly string[] = [],
): boolean {
  if (me === null) return false;
  return message.room_mention === true || message.here_mention === true ||
    mentions(message.text, me) || namesGroup(message, groups);
}

/**
 * Whether a room message names one of the reader's groups (`@design`,
 * server/group_mentions.ts): a mention of each member in the room. Not in
 * a conversation, where the server expands no group. The server may have
 * notified no one (an author who may not ping that many): the client
 * cannot tell, and shows it as a mention, as for a name.
 */
function namesGroup(
  message: { text: string; room?: string },
  groups: readonly string[],
): boolean {
  if (groups.length === 0 || message.room === undefined) return false;
  if (!message.text.includes("@")) return false;
  return mentionedNames(message.text).some((name) =>
    groups.includes(nameKey(name))
  );
}

/**
 * A page's messages as the client holds them: `here_mention` kept only on
 * those that the reply's `here_mentioned` lists (their `@here` mentioned
 * this reader: server/room_mentions.ts hereMentioned), so that a reader
 * offline when an `@here` was sent does not see it as its mention, as its
 * counts leave it out. On the wire the field says the message pinged those
 * online, the same for every reader (a message is encoded once for its
 * whole room); in the client's logs it says it pinged this one. A message
 * heard live keeps it: its reader is online then. The same array when no
 * message changes.
 */
export function hereHeard(
  messages: ChatMessage[],
  mentioned: readonly number[] | undefined,
): ChatMessage[] {
  if (!messages.some((m) => m.here_mention === true)) return messages;
  const heard = new Set(mentioned);
  return messages.map((m) =>
    m.here_mention !== true || heard.has(m.seq) ? m : withoutHere(m)
  );
}

/**
 * An update of a held message (`message_updated`) as the client holds it:
 * an `@here` that did not mention this reader stays none through a
 * reaction, a pin or a thread's count; an edit, which the server decides
 * again among those online at that moment (this reader, who hears it
 * live), may make it one. An edit is told by its `edited_at`.
 */
export function updateHeard<M extends ChatMessage>(
  held: ChatMessage | undefined,
  update: M,
): M {
  if (
    update.here_mention !== true || held === undefined ||
    held.here_mention === true || update.edited_at !== held.edited_at
  ) {
    return update;
  }
  return withoutHere(update);
}

function withoutHere<M extends ChatMessage>(message: M): M {
  const { here_mention: _, ...rest } = message;
  return rest as M;
}
