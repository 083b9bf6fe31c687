/**
 * `find_people`: the user directory, as Matrix's by default. Accounts whose
 * name starts with what was typed, among those the caller shares a room
 * with or who belong to a public room: someone to write to who is in no
 * room with the caller right now. Online ones first.
 */
import type { z } from "zod";
import { avatarsOf } from "../avatars.ts";
import type { ChatNode } from "../node.ts";
import { fail, isFailure, type Outcome, succeed } from "../protocol/errors.ts";
import { MAX_NAME_LENGTH } from "../protocol/limits.ts";
import { nameKey } from "../protocol/names.ts";
import { findPeopleData } from "../protocol/schemas.ts";
import type { Person } from "../protocol/types.ts";
import { type MemberContext, parseData } from "./context.ts";

/** People in an answer when `limit` is not given, and the most it may ask. */
export const PEOPLE_LIMIT = 20;

/** `find_people {"query","limit"?}`: accounts by the start of their name. */
export async function findPeople(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(findPeopleData, raw);
  if (isFailure(data)) return data;
  const member = ctx.client.member;
  // A guest could list the accounts of every public room without one of
  // its own; it finds its way to people through the rooms it is in.
  if (member.guest) {
    return fail(
      "forbidden",
      "Guests cannot look people up: log in with an account.",
    );
  }
  return await peopleFor(ctx.node, member.userKey, data);
}

/**
 * The directory's answer for the account `viewerKey`, as `find_people` and
 * `GET /api/people` give it: `people` (`username`, `online`, `avatar` when
 * it has a picture), online ones first, each part in name order.
 */
export async function peopleFor(
  node: ChatNode,
  viewerKey: string,
  data: z.infer<typeof findPeopleData>,
): Promise<Outcome> {
  // "@bo" is how people write a name in a message: it finds bob too.
  const typed = data.query.trim().replace(/^@/, "");
  if (typed.length === 0) {
    return fail("invalid_message", "Type the start of a name to look for.");
  }
  if ([...typed].length > MAX_NAME_LENGTH) {
    return fail(
      "invalid_message",
      `A name is at most ${MAX_NAME_LENGTH} characters.`,
    );
  }
  const prefix = nameKey(typed);
  const limit = data.limit ?? PEOPLE_LIMIT;
  // Online first over all the matches: those online among them (as many
  // as hold the prefix, each a key probe), then the rest in name order,
  // read up to `limit` past the online ones found, who come again there.
  // Never more than twice `limit` accounts whatever their number.
  const among = await node.presence.onlineStartingWith(prefix);
  const online = among.length === 0
    ? []
    : await node.store.findPeople({ prefix, viewerKey, among, limit });
  const seen = new Set(online.map((a) => a.key));
  const rest = online.length === limit ? [] : (await node.store.findPeople({
    prefix,
    viewerKey,
    limit: limit + online.length,
  })).filter((a) => !seen.has(a.key)).slice(0, limit - online.length);
  const found = [
    ...online.map((a) => ({ username: a.username, online: true })),
    ...rest.map((a) => ({ username: a.username, online: false })),
  ];
  // The picture's version of those who have one: a client asks
  // `/avatars/` for them only. One store read for the page.
  const avatars = await avatarsOf(node, found.map((p) => p.username));
  const people: Person[] = found.map((person) => {
    const avatar = avatars[person.username];
    return avatar === undefined ? person : { ...person, avatar };
  });
  return succeed({ people });
}
