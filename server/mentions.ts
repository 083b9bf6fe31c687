import { mentionedNames } from "../client/markup.ts";
import { nameKey } from "./protocol/names.ts";

/** Most names one message can mention: a flood of @s costs bounded rows. */
export const MAX_MENTIONS = 50;

/**
 * The mentions row that stands for every member of a room (`@room`): one
 * row a message instead of one per member (a room of 5,000 would write
 * 5,000), which the counts read as a second index range beside the
 * account's own. No name key holds '@' (protocol/names.ts), so no account
 * can be it. The rows of those the message names (by name or group) are
 * written beside it: the marker counts for the room's members of now, and
 * only since they joined, while a name is the account's for good.
 */
export const ROOM_MENTION_KEY = "@room";

/**
 * The marker row of a message whose `@here` notified the members online
 * when it was sent (room_mentions.ts hereMembers): it says so on every
 * copy (`here_mention`) and counts for nobody. Those members each get a
 * row of their own, as if named: a member offline then never counts it.
 */
export const HERE_MENTION_KEY = "@here";

/** The word that mentions a whole room, as a name key. */
const ROOM_WORD = "room";

/** The word that mentions the room's members online now, as a name key. */
const HERE_WORD = "here";

/** Which wide mentions a message's rows hold: 1 for `@room`, 2 for `@here`. */
export function wideMentions(keys: readonly string[]): number {
  return (keys.includes(ROOM_MENTION_KEY) ? 1 : 0) |
    (keys.includes(HERE_MENTION_KEY) ? 2 : 0);
}

/**
 * The name keys a message @mentions, by the web client's own rule
 * (client/markup.ts: outside code, after a non-name character), folded
 * as names are, without the author and without repeats. The stores keep
 * them so unread mention counts need no text scan. `roomWide`: its
 * `@room` notifies the room (room_mentions.ts), the marker first. `here`
 * and `groups`: the members its `@here` and its `@group`s notify
 * (room_mentions.ts, group_mentions.ts), added.
 */
export function mentionKeys(
  text: string,
  authorKey: string,
  roomWide = false,
  here?: readonly string[],
  groups?: readonly string[],
): string[] {
  // Most messages mention nobody, and each stored one passes here twice
  // (its store's rows, its push): without an "@" nor groups there is
  // nothing to build. 50 against 245 ns a call (docs/performance.md,
  // "Stored messages a second, measured apart").
  if (!text.includes("@") && !groups?.length) return [];
  const { keys, heard } = markersFirst(
    firstKeys(text, authorKey, MAX_MENTIONS + 2),
    { roomWide, here },
    MAX_MENTIONS,
  );
  return withGroups(heard ? [...keys, ...here!] : keys, authorKey, groups);
}

/**
 * With `groups` (the members its `@group`s notify: group_mentions.ts), a
 * message gets a row for each of them too, as if named, each once and not
 * the author's; not capped as names are (group_mentions.ts bounds them).
 * Beside the `@room` marker too, as names are.
 */
function withGroups(
  keys: readonly string[],
  authorKey: string,
  groups?: readonly string[],
): string[] {
  const all = new Set([...keys, ...groups ?? []]);
  all.delete(authorKey);
  return [...all];
}

/**
 * The name keys a message @mentions as names (the first MAX_MENTIONS,
 * without the author's): not `room` and `here`, words for the whole room
 * to whoever reads them, which no new account may take
 * (accounts/reserved_names.ts).
 */
export function namedKeys(text: string, authorKey: string): string[] {
  return firstKeys(text, authorKey, MAX_MENTIONS).filter((key) =>
    key !== ROOM_WORD && key !== HERE_WORD
  );
}

/** Whether a mention row's key is a marker (`@room`, `@here`), no name's. */
export function isMarker(key: string): boolean {
  // No name key holds '@' (protocol/names.ts).
  return key.startsWith("@");
}

/**
 * A message's markers first, then the first `max` names it holds: the
 * words `room` and `here` take no name's place when they are markers.
 *
 * With `roomWide` (the author may ping the room: room_mentions.ts), a
 * message that says `@room` gets the one `@room` marker, which counts for
 * every member of the room since it joined, and the rows of the names it
 * holds beside it: a named member who leaves the room (and comes back)
 * keeps the mention, as without `@room`; a member named counts the
 * message once (the counts and the list read the marker for it only
 * where it has no row of its own). Without, `@room` is only the name of
 * whoever holds it.
 *
 * With `here` (the members online when it was sent, its author may ping
 * the room), a message that says `@here` gets the `@here` marker, and
 * `heard` says that the caller adds one row for each of them, beside
 * those it names (each once: a named member online counts it once). Not
 * capped as names are: as many rows as members online, in a room of more
 * than `--room-mention-members` only from its owner, moderators and
 * admins. Not beside `@room`, whose marker counts for each of them
 * already: no row a member online.
 */
function markersFirst(
  keys: string[],
  wide: { roomWide: boolean; here: readonly string[] | undefined },
  max: number,
): { keys: string[]; heard: boolean } {
  const room = wide.roomWide && keys.includes(ROOM_WORD);
  const here = wide.here !== undefined && keys.includes(HERE_WORD);
  const names = keys.filter((key) =>
    !(room && key === ROOM_WORD) && !(here && key === HERE_WORD)
  ).slice(0, max);
  if (!room && !here) return { keys: names, heard: false };
  return {
    keys: [
      ...room ? [ROOM_MENTION_KEY] : [],
      ...here ? [HERE_MENTION_KEY] : [],
      ...names,
    ],
    heard: here && !room,
  };
}

/**
 * For a store that learns the author only inside its statement (an edit
 * on PostgreSQL): the markers ({@linkcode isMarker}), then the first
 * MAX_MENTIONS + 1 different name keys in order, the author's maybe among
 * them. Without the author's, the first MAX_MENTIONS names are
 * {@linkcode mentionKeys}': the author's name never takes a place in the
 * cap. One key more to send is what that costs. With `here` and the
 * `@here` marker but no `@room` one, the caller adds the members online.
 */
export function mentionCandidates(
  text: string,
  roomWide = false,
  here?: readonly string[],
): string[] {
  return markersFirst(
    firstKeys(text, undefined, MAX_MENTIONS + 3),
    { roomWide, here },
    MAX_MENTIONS + 1,
  ).keys;
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
