/**
 * The "find" box of a long list: a windowed list renders only the rows in
 * view, so the browser's own find cannot see the others; this narrows the
 * list to the names holding the text instead, compared as the server
 * compares names (NFKC, case-folded: "STRASSE" finds "Straße").
 */

import { nameKey } from "../server/protocol/names.ts";

/** The items whose name holds `query`, in their order; all of them for a blank query. */
export function filterByName<T>(
  items: T[],
  query: string,
  nameOf: (item: T) => string,
): T[] {
  const wanted = nameKey(query.trim());
  if (wanted === "") return items;
  return items.filter((item) => nameKey(nameOf(item)).includes(wanted));
}
