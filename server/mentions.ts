import { mentionedNames } from "../client/markup.ts";
import { nameKey } from "./protocol/names.ts";

/** Most names one message can mention: a flood of @s costs bounded rows. */
export const MAX_MENTIONS = 50;

/**
 * The mentions row that stands for every member of a room (`@room`): one
 * row a message instead of one per member (a room of 5,000 would write
 * 5,000), which the counts read as a second index range beside the
 * account's own. No name key holds '@' (protocol/names.ts), so no account
 * can be it.
 */
export const ROOM_MENTION_KEY = "@room";

/** The word that mentions a whole room, as a name key. */
const ROOM_WORD = "room";

/**
 * The name keys a message @mentions, by the web client's own rule
 * (client/markup.ts: outside code, after a non-name character), folded
 * as names are, without the author and without repeats. The stores keep
 * them so unread mention counts need no text scan.
 */
export function mentionKeys(
  text: string,
  authorKey: string,
  roomWide = false,
): string[] {
  return roomMarker(firstKeys(text, authorKey, MAX_MENTIONS), roomWide);
}

/**
 * With `roomWide` (the author may ping the room: server/room_mentions.ts),
 * a message that says `@room` gets the one marker row and no other: it
 * already counts for every member, so no one counts it twice. Without,
 * `@room` is only the name of whoever holds it.
 */
function roomMarker(keys: string[], roomWide: boolean): string[] {
  return roomWide && keys.includes(ROOM_WORD) ? [ROOM_MENTION_KEY] : keys;
}

/**
 * For a store that learns the author only inside its statement (an edit
 * on PostgreSQL): the first MAX_MENTIONS + 1 different keys in order, the
 * author's maybe among them. Without the author's, the first MAX_MENTIONS
 * of them are {@linkcode mentionKeys}: the author's name never takes a
 * place in the cap. One key more to send is what that costs.
 */
export function mentionCandidates(text: string, roomWide = false): string[] {
  return roomMarker(firstKeys(text, undefined, MAX_MENTIONS + 1), roomWide);
}

function firstKeys(
  text: string,
  authorKey: string | undefined,
  max: number,
): string[] {
  // Most messages mention nobody: no parse for them.
  if (!text.includes("@")) return [];
  const keys = new Set<string>();
  for (const name of mentionedNames(text)) {
    const key = nameKey(name);
    if (key !== authorKey) keys.add(key);
    if (keys.size >= max) break;
  }
  return [...keys];
}
