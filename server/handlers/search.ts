import type { z } from "zod";
import {
  canRead,
  findReadableRoom,
  type Reader,
  readerOf,
  roomRefusal,
  searchScope,
} from "../access.ts";
import { encodeTime } from "ulid";
import type { ChatNode } from "../node.ts";
import { fail, isFailure, type Outcome, succeed } from "../protocol/errors.ts";
import {
  SEARCH_DEFAULT_LIMIT,
  SEARCH_MAX_QUERY_LENGTH,
  SEARCH_MAX_WORDS,
} from "../protocol/limits.ts";
import { nameKey } from "../protocol/names.ts";
import { searchData } from "../protocol/schemas.ts";
import type {
  ChatMessage,
  PrivateMessage,
  SearchResult,
} from "../protocol/types.ts";
import {
  LINK_SEARCH_SHARE,
  type MessageRecord,
  SEARCH_BUDGET,
} from "../store/mod.ts";
import { searchWords } from "../store/search_text.ts";
import { type MemberContext, parseData } from "./context.ts";

/**
 * `search`: what the user may read that holds every word and passes the
 * filters (`from`, `has`, `after`, `until` in `zone`), newest first.
 */
export async function search(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(searchData, raw);
  if (isFailure(data)) return data;
  return await searchMessages(ctx.node, readerOf(ctx.client.member), data);
}

/**
 * A search as `search` and `GET /api/search` both answer it: one page of
 * `results` and, when there may be more, `next` to send back as `before`:
 * the last result's id, or where the store stopped when its work budget
 * ran out before the page filled (fewer results, even none).
 */
export async function searchMessages(
  node: ChatNode,
  reader: Reader,
  data: z.infer<typeof searchData>,
): Promise<Outcome> {
  const query = (data.query ?? "").trim();
  const filtered = data.from !== undefined || (data.has?.length ?? 0) > 0 ||
    data.after !== undefined || data.until !== undefined;
  if (query.length === 0 && !filtered) {
    return fail("invalid_message", "Type something to search for.");
  }
  if (
    query.length > SEARCH_MAX_QUERY_LENGTH &&
    [...query].length > SEARCH_MAX_QUERY_LENGTH
  ) {
    return fail(
      "invalid_message",
      `A search is at most ${SEARCH_MAX_QUERY_LENGTH} characters.`,
    );
  }
  const words = searchWords(query);
  if (words.length > SEARCH_MAX_WORDS) {
    return fail(
      "invalid_message",
      `A search is at most ${SEARCH_MAX_WORDS} words.`,
    );
  }
  let only: { roomKey?: string; withKey?: string } = {};
  if (data.with !== undefined) {
    only = { withKey: nameKey(data.with) };
  } else if (data.room !== undefined) {
    const roomKey = await findReadableRoom(node, reader, data.room);
    if (roomKey === undefined) {
      return fail("room_not_found", `No room named '${data.room}'.`);
    }
    const banned = await roomRefusal(node.store, reader, roomKey);
    if (banned) return banned;
    only = { roomKey };
  }
  // Punctuation alone searches for nothing, and finds nothing; with a
  // filter, the filters alone choose.
  if (words.length === 0 && !filtered) return succeed({ results: [] });
  const range = dayRange(data.after, data.until, data.before, data.zone);
  if (range === undefined) return succeed({ results: [] });
  const limit = data.limit ?? SEARCH_DEFAULT_LIMIT;
  const { records, next } = await node.store.search({
    words,
    scope: await searchScope(node, reader, only),
    ...range,
    from: data.from === undefined ? undefined : await author(node, data.from),
    has: data.has,
    // One more than asked tells whether there is a next page.
    limit: limit + 1,
    // The link test reads every row's text: a page reads fewer.
    ...(data.has?.includes("link")
      ? { budget: SEARCH_BUDGET / LINK_SEARCH_SHARE }
      : {}),
  });
  // The scope keeps out what the reader may not read; this says it again
  // in the one place that decides.
  const results: SearchResult[] = [];
  for (const record of records.slice(0, limit)) {
    const ts = Date.parse(record.message.ts);
    if (await canRead(node, reader, record.stream, ts)) {
      results.push(resultOf(node, record, reader));
    }
  }
  return succeed(
    records.length > limit
      ? { results, next: records[limit - 1].message.id }
      : next !== undefined
      ? { results, next }
      : { results },
  );
}

// The ids a search's days and cursor leave (ids sort by time: a time as
// a ULID's first 10 characters sorts before every id of its millisecond):
// from the start of `after`'s day, below the start of the day after
// `until` and below `before`, days of `zone`. Undefined when they leave
// none.
function dayRange(
  after: string | undefined,
  until: string | undefined,
  before: string | undefined,
  zone = "UTC",
): { after?: string; before?: string } | undefined {
  const start = after === undefined
    ? undefined
    : idAt(dayStart(Temporal.PlainDate.from(after), zone));
  const end = until === undefined
    ? undefined
    : idAt(dayStart(Temporal.PlainDate.from(until).add({ days: 1 }), zone));
  const below = end === undefined || (before !== undefined && before < end)
    ? before
    : end;
  if (start !== undefined && below !== undefined && below <= start) {
    return undefined;
  }
  return { after: start, before: below };
}

// The instant a day begins in `zone`: its first moment there, midnight
// or, where a change of clocks skips midnight, the hour after. Each
// bound is its own day's start, as a day there is 23, 24 or 25 hours.
function dayStart(day: Temporal.PlainDate, zone: string): number {
  return day.toZonedDateTime(zone).epochMilliseconds;
}

// The first 10 characters of the ids made at `ms`, held to the times a
// ULID can hold.
function idAt(ms: number): string {
  return encodeTime(Math.min(Math.max(ms, 0), 2 ** 48 - 1), 10);
}

// The messages `from` names: its account's since the account was made
// (the rule of a conversation's earlier messages: those are someone
// else's), or, for a name without an account, every one under it.
async function author(
  node: ChatNode,
  name: string,
): Promise<{ userKey: string; since: number }> {
  const userKey = nameKey(name);
  const account = await node.store.findAccount(userKey);
  return { userKey, since: account?.createdAt ?? 0 };
}

// A private message names the other side of the conversation in `with`,
// and its files are signed for the reader.
function resultOf(
  node: ChatNode,
  record: MessageRecord,
  reader: Reader,
): SearchResult {
  if ("room" in record.message) return record.message as ChatMessage;
  const message = node.files.signed(record.message as PrivateMessage);
  return {
    ...message,
    with: record.userKey === reader.userKey ? message.to : message.user,
  };
}
