/**
 * Who a room's message names but does not reach: the accounts it
 * @mentions that are not members of the room. A mention counts, and is
 * pushed, only for members (the read counts, push.ts: "a mention must not
 * be a way to page anyone"), so such an account was not told. The
 * sender's `send_message` reply names them (`not_members`), and the web
 * client offers to invite them, as Slack does.
 */

import { belongsTo } from "./access.ts";
import { log } from "./log.ts";
import { namedKeys } from "./mentions.ts";
import type { ChatNode } from "./node.ts";
import { GENERAL_ROOM } from "./protocol/types.ts";

const logger = log("mentions");

/** What {@linkcode notMembers} needs of the message. */
export interface MentionsOf {
  /** The message's text. */
  text: string;
  /** Its author's name key: naming oneself is no mention. */
  authorKey: string;
}

/**
 * The display names of the accounts `message` @mentions that are not
 * members of the room, in the order named; undefined, with no promise,
 * when there can be none: in `general`, which every account belongs to,
 * and for a message that names nobody (most). Per name, membership is the
 * registry's answer while the account is online on this node, else one
 * store read; a non-member costs one more read, for its account. A
 * message names at most 50 (MAX_MENTIONS).
 */
export function notMembers(
  node: ChatNode,
  roomKey: string,
  message: MentionsOf,
): Promise<string[]> | undefined {
  if (roomKey === GENERAL_ROOM || !message.text.includes("@")) return;
  const keys = namedKeys(message.text, message.authorKey);
  return keys.length === 0 ? undefined : outside(node, roomKey, keys);
}

async function outside(
  node: ChatNode,
  roomKey: string,
  keys: string[],
): Promise<string[]> {
  try {
    const names = await Promise.all(keys.map(async (key) => {
      if (await belongsTo(node, key, roomKey)) return undefined;
      return (await node.store.findAccount(key))?.username;
    }));
    return names.filter((name) => name !== undefined);
  } catch (error) {
    // A hint, read after the message was stored: a failed read must not
    // turn the stored message's reply into an error.
    logger.warn("Cannot tell who a message names outside {room}: {error}", {
      room: roomKey,
      error,
    });
    return [];
  }
}
