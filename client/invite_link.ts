/**
 * Invite links as the web client shares and opens them:
 * `/#/invite/<code>/<room>`. The server's `url` is `/#/invite/<code>`;
 * `join_room` needs the room as well as the code, so the shared link
 * carries the room's name after the code.
 */

import type { InviteInfo } from "../server/protocol/types.ts";

/** An invite read from the page's address. */
export interface InviteRoute {
  /** The invite code. */
  code: string;
  /** The room it opens, when the link names it. */
  room?: string;
}

/** The full address to share for an invite, on this page's origin. */
export function inviteLink(invite: InviteInfo, origin: string): string {
  return `${origin}${invite.url}/${encodeURIComponent(invite.room)}`;
}

/** The invite in a location hash (`#/invite/<code>[/<room>]`), or null. */
export function parseInviteHash(hash: string): InviteRoute | null {
  const match = /^#\/invite\/([^/?#\s]{1,64})(?:\/([^/?#\s]+))?\/?$/.exec(
    hash,
  );
  if (!match) return null;
  let room: string | undefined;
  if (match[2] !== undefined) {
    try {
      room = decodeURIComponent(match[2]);
    } catch {
      return null;
    }
  }
  return room === undefined ? { code: match[1] } : { code: match[1], room };
}
