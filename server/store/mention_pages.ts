/**
 * What both stores' lists of mentions (sqlite_mentions.ts,
 * postgres_mentions.ts) do with their two pages: an account's own rows
 * and its rooms' `@room` markers, each read newest first.
 */

/**
 * The `before` of a first page: after every message id in both stores'
 * byte order (the greatest code point, its UTF-8 above any id's ASCII),
 * so that every page is one range of (user_key, message_id): a test of
 * "no before" beside the range left the range out of the plans, and a
 * page deep in the list walked every row newer than it.
 */
export const AFTER_EVERY_ID = "\u{10FFFF}";

/** Crockford's base 32, the digits of a ULID. */
const ULID_DIGITS = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/**
 * SQL (SQLite's and PostgreSQL's alike) of a ULID's first 10 characters,
 * its time, from `ms`, an expression of a time in milliseconds: as
 * ulid's encodeTime(ms, 10), which sorts before every id made in that
 * millisecond or after it, and after every id made before.
 */
function ulidTimeSql(ms: string): string {
  const digits = [];
  for (let shift = 45; shift >= 0; shift -= 5) {
    digits.push(
      `substr('${ULID_DIGITS}', CAST(((${ms} >> ${shift}) & 31) AS INTEGER) + 1, 1)`,
    );
  }
  return `(${digits.join(" || ")})`;
}

/**
 * What an `@room` marker (n) must be to count for a member (its
 * membership b): sent since the member joined, as Slack's `@channel` (one
 * was not there). Message ids are ULIDs, which sort by time: the marker's
 * id against the join's time as a ULID's first characters, a bound of the
 * range each room's markers are read in (mentions_room_markers: stream,
 * message_id), so the markers from before the join are not read at all:
 * no statement more, no probe of a message. A member who left and came
 * back counts from its return; a message of the join's very millisecond
 * counts (joined_at is later only when the account joined several rooms
 * in one millisecond: memberships list in their order, each a
 * millisecond after the one before). A row of the account's own (a name,
 * a group, an `@here` that reached it) is not bound so: it was written
 * for the account.
 */
export const SINCE_JOINED = `n.message_id >= ${ulidTimeSql("b.joined_at")}`;

/**
 * The newest `limit` ids of two lists each sorted newest first (ids
 * compared as strings, byte by byte: the order of message ids), each
 * once: a message that names the account beside its `@room` is in both
 * (mentions.ts). The newest `limit` of each list hold the newest `limit`
 * of both however many are in both.
 */
export function newestOf(
  a: readonly string[],
  b: readonly string[],
  limit: number,
): string[] {
  if (b.length === 0) return a.slice(0, limit);
  return [...new Set([...a, ...b])].sort((x, y) => x < y ? 1 : x > y ? -1 : 0)
    .slice(0, limit);
}
