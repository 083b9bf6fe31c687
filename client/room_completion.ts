import { nameKey } from "../server/protocol/names.ts";

/** The word that mentions a whole room (server/mentions.ts ROOM_WORD). */
export const ROOM_MENTION_WORD = "room";

/** The word that mentions the members online (server/mentions.ts HERE_WORD). */
export const HERE_MENTION_WORD = "here";

/**
 * Whether "@" + `query` may become `@room` in a room's composer: the
 * completion offers it first, with what it does, as Slack offers
 * `@channel`. Not in a private conversation, where it notifies nobody
 * (server/room_mentions.ts). Whether it notifies the room is the server's
 * to decide (the room's size, the author's role): offering it costs a
 * prefix test.
 */
export function offersRoomMention(query: string): boolean {
  return ROOM_MENTION_WORD.startsWith(nameKey(query));
}

/** As {@linkcode offersRoomMention}, for `@here`, offered after `@room`. */
export function offersHereMention(query: string): boolean {
  return HERE_MENTION_WORD.startsWith(nameKey(query));
}
