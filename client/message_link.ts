/**
 * Links to one message, as its "Copy link" action shares them and the page
 * opens them (Slack's, Zulip's and Mattermost's permalinks):
 * `/#/room/<room>/<seq>` for a room's message and `/#/dm/<a>/<b>/<seq>` for
 * a conversation's, naming both parties, so each opens it as the
 * conversation with the other. Names are percent-encoded. A seq, not the
 * message's id: a place and a seq are what history pages by, so opening a
 * link is the jump a search result makes, and no request reveals anything
 * the reader could not read already (a private room's link opens nothing
 * for an outsider: `join_room` says no).
 */

import { nameKey } from "../server/protocol/names.ts";
import type { Place } from "./team/api.ts";

/** A message link read from the page's address. */
export type MessageRoute =
  | { room: string; seq: number }
  | { between: [string, string]; seq: number };

/** The full address of a message, on this page's origin. */
export function messageLink(origin: string, route: MessageRoute): string {
  const at = "room" in route
    ? `room/${encodeURIComponent(route.room)}`
    : `dm/${route.between.map(encodeURIComponent).join("/")}`;
  return `${origin}/#/${at}/${route.seq}`;
}

/** The message link in a location hash, or null when it is none. */
export function parseMessageHash(hash: string): MessageRoute | null {
  const match =
    /^#\/(?:room\/([^/?#\s]+)|dm\/([^/?#\s]+)\/([^/?#\s]+))\/([1-9]\d{0,15})\/?$/
      .exec(hash);
  if (!match) return null;
  const seq = Number(match[4]);
  if (!Number.isSafeInteger(seq)) return null;
  try {
    return match[1] !== undefined
      ? { room: decodeURIComponent(match[1]), seq }
      : {
        between: [decodeURIComponent(match[2]), decodeURIComponent(match[3])],
        seq,
      };
  } catch {
    return null; // A broken %-escape.
  }
}

/**
 * Where a link's message is for the reader `me`: a room, or the
 * conversation with the other party; null for a conversation between two
 * others, which the reader cannot read.
 */
export function routePlace(route: MessageRoute, me: string): Place | null {
  if ("room" in route) return { room: route.room };
  const [a, b] = route.between;
  const mine = nameKey(me);
  if (nameKey(a) === mine) return { with: b };
  if (nameKey(b) === mine) return { with: a };
  return null;
}

/** Whether `href` is a message link of the page at `origin`. */
export function isMessageLink(
  href: string,
  origin: string | undefined,
): boolean {
  if (origin === undefined) return false;
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return false;
  }
  return url.origin === origin && url.pathname === "/" &&
    parseMessageHash(url.hash) !== null;
}
