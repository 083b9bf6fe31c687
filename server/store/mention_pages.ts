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

/**
 * The newest `limit` ids of two lists each sorted newest first (ids
 * compared as strings, byte by byte: the order of message ids).
 */
export function newestOf(
  a: readonly string[],
  b: readonly string[],
  limit: number,
): string[] {
  if (b.length === 0) return a.slice(0, limit);
  return [...a, ...b].sort((x, y) => x < y ? 1 : x > y ? -1 : 0).slice(
    0,
    limit,
  );
}
