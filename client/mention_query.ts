/**
 * The "@na" being typed before the caret, the names it may stand for, and
 * the text once one is picked: what the composer's mention list needs, as
 * Slack and Zulip offer it. Names compare as the server compares them
 * (NFKC, case-folded), and a mention starts where the markup's does: not
 * inside a word or an e-mail address ("bob@example").
 */

import { nameKey } from "../server/protocol/names.ts";

/** How many names the list offers at most: more is a scroll nobody reads. */
export const MENTION_LIMIT = 8;

/** An "@" being typed: where it starts in the text, and what follows it. */
export interface MentionQuery {
  /** The index of the "@". */
  start: number;
  /** The characters typed after it, up to the caret. */
  query: string;
}

// What may precede the "@" and what a name holds: markup.ts's mention rule.
const BEFORE = /[\p{L}\p{N}_.@-]/u;
const PARTIAL = /^[\p{L}\p{N}_.-]*$/u;

/** The mention being typed at `caret`, if the caret ends one. */
export function mentionAt(text: string, caret: number): MentionQuery | null {
  const head = text.slice(0, caret);
  const start = head.lastIndexOf("@");
  if (start < 0) return null;
  const query = head.slice(start + 1);
  if (!PARTIAL.test(query)) return null;
  if (start > 0 && BEFORE.test(head[start - 1])) return null;
  // "/msg bob" and other commands take bare names: only messages mention.
  if (text.trimStart().startsWith("/")) return null;
  return { start, query };
}

/**
 * The names the query may stand for, without `me`: the one it spells out
 * first, then those that start with it, then those that hold it, each
 * group in the order given.
 */
export function mentionCandidates(
  names: string[],
  query: string,
  options: { me?: string | null; limit?: number } = {},
): string[] {
  const wanted = nameKey(query);
  const me = options.me ? nameKey(options.me) : undefined;
  const seen = new Set<string>();
  const exact: string[] = [];
  const starts: string[] = [];
  const holds: string[] = [];
  for (const name of names) {
    const key = nameKey(name);
    if (key === me || seen.has(key)) continue;
    seen.add(key);
    if (key === wanted) exact.push(name);
    else if (key.startsWith(wanted)) starts.push(name);
    else if (key.includes(wanted)) holds.push(name);
  }
  return [...exact, ...starts, ...holds].slice(
    0,
    options.limit ?? MENTION_LIMIT,
  );
}

/**
 * The names to offer for a query, the people online first (as
 * {@linkcode mentionCandidates} ranks them), then the room's other
 * members, each once, at most `limit` in all.
 */
export function mentionChoices(
  online: string[],
  offline: string[],
  query: string,
  options: { me?: string | null; limit?: number } = {},
): { name: string; online: boolean }[] {
  const limit = options.limit ?? MENTION_LIMIT;
  const first = mentionCandidates(online, query, { ...options, limit });
  const known = new Set(first.map(nameKey));
  const rest = mentionCandidates(
    offline.filter((name) => !known.has(nameKey(name))),
    query,
    { ...options, limit: limit - first.length },
  );
  return [
    ...first.map((name) => ({ name, online: true })),
    ...rest.map((name) => ({ name, online: false })),
  ];
}

/** Whether the mention already names this person in full: nothing to complete. */
export function spelledOut(mention: MentionQuery, name: string): boolean {
  return nameKey(mention.query) === nameKey(name);
}

/** The text with the mention replaced by "@name ", and where the caret goes. */
export function completeMention(
  text: string,
  mention: MentionQuery,
  name: string,
): { text: string; caret: number } {
  const end = mention.start + 1 + mention.query.length;
  const rest = text.slice(end);
  // The space that ends the mention, unless one is there already.
  const inserted = `@${name}${rest.startsWith(" ") ? "" : " "}`;
  return {
    text: text.slice(0, mention.start) + inserted + rest,
    caret: mention.start + inserted.length + (rest.startsWith(" ") ? 1 : 0),
  };
}
