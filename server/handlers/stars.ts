/**
 * Starred rooms and conversations (Slack's "Starred", Mattermost's
 * favourites): those an account keeps atop its sidebar, kept on the server
 * so that every device of the account shows one list.
 */
import type { ChatNode } from "../node.ts";
import { fail, isFailure, type Outcome, succeed } from "../protocol/errors.ts";
import { starData } from "../protocol/schemas.ts";
import type { StarredEvent, StarredList } from "../protocol/types.ts";
import { type MemberContext, parseData } from "./context.ts";
import { keptPlace, namedPlaces } from "./own_place.ts";

/**
 * Stars an account may keep: a person stars a handful; stars of
 * conversations with any name would be rows without end.
 */
export const MAX_STARS = 500;

const GUESTS = "Guests cannot star rooms: log in with an account.";

/** `star`: stars a room the account belongs to or a conversation. */
export function star(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  return setStarred(ctx, raw, true);
}

/** `unstar`: the contrary; one not starred answers the same. */
export function unstar(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  return setStarred(ctx, raw, false);
}

/**
 * Stars or unstars; every connection of the account, on every node, gets
 * `starred` (this one too: a client's other tabs and this one's own list
 * follow the one event), even when nothing changed, so a client that
 * missed one is put right.
 */
async function setStarred(
  ctx: MemberContext,
  raw: Record<string, unknown>,
  starred: boolean,
): Promise<Outcome> {
  const data = parseData(starData, raw);
  if (isFailure(data)) return data;
  const { node } = ctx;
  const member = ctx.client.member;
  const place = await keptPlace(ctx, data, { guests: GUESTS, adds: starred });
  if (isFailure(place)) return place;
  const { stream, where } = place;
  if (starred) {
    const kept = await node.store.star(
      member.userKey,
      {
        stream,
        ...where.with === undefined ? {} : { with: where.with },
        createdAt: Date.now(),
      },
      MAX_STARS,
    );
    if (!kept) {
      return fail(
        "too_many_stars",
        `An account stars at most ${MAX_STARS} rooms and conversations: unstar one first.`,
      );
    }
  } else {
    await node.store.unstar(member.userKey, stream);
  }
  const event: StarredEvent = { ...where, starred };
  return succeed(
    {},
    () => node.publish({ kind: "user", key: member.userKey }, "starred", event),
  );
}

/**
 * An account's stars as the login says them: those of rooms it does not
 * belong to are left out (namedPlaces says why), kept for a rejoin.
 */
export async function starsOf(
  node: ChatNode,
  userKey: string,
): Promise<StarredList> {
  const list: StarredList = { rooms: [], with: [] };
  const named = await namedPlaces(node, userKey, node.store.listStars(userKey));
  for (const { where } of named) {
    if ("room" in where) list.rooms.push(where.room);
    else list.with.push(where.with);
  }
  return list;
}
