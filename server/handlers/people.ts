/**
 * `find_people`: the user directory, as Matrix's by default. Accounts whose
 * name starts with what was typed, among those the caller shares a room
 * with or who belong to a public room: someone to write to who is in no
 * room with the caller right now. Online ones first.
 */
import type { z } from "zod";
import type { ChatNode } from "../node.ts";
import { fail, isFailure, type Outcome, succeed } from "../protocol/errors.ts";
import { MAX_NAME_LENGTH } from "../protocol/limits.ts";
import { nameKey } from "../protocol/names.ts";
import { findPeopleData } from "../protocol/schemas.ts";
import type { Person } from "../protocol/types.ts";
import { type MemberContext, parseData } from "./context.ts";

/** People in an answer when `limit` is not given, and the most it may ask. */
export const PEOPLE_LIMIT = 20;

// Matches read in name order before the online ones are put first: all of
// them for a prefix of two or three letters on most servers, so the
// people online are found first, not only those early in the alphabet.
// The cost: one presence look-up each (memory, or one Redis reply).
const CANDIDATES = 100;

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
 * `GET /api/people` give it: `people` (`username`, `online`), online ones
 * first, each part in name order.
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
  const accounts = await node.store.findPeople({
    prefix: nameKey(typed),
    viewerKey,
    limit: CANDIDATES,
  });
  const online = await Promise.all(
    accounts.map(async (a) => (await node.onlineName(a.key)) !== undefined),
  );
  const people: Person[] = accounts.map((a, i) => ({
    username: a.username,
    online: online[i],
  }));
  // Stable: each part stays in name order.
  people.sort((a, b) => Number(b.online) - Number(a.online));
  return succeed({ people: people.slice(0, data.limit ?? PEOPLE_LIMIT) });
}
