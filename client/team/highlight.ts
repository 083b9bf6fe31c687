/**
 * Which words of a text a search matched, as the server matches them:
 * words are runs of letters and digits, compared without case, accents or
 * compatibility forms, the query's last word also as a prefix. Pure, so
 * the search dialog can mark them with `<mark>` around plain text.
 */

/** A piece of a text, matched or not. */
export interface Segment {
  /** The original text of the piece. */
  text: string;
  /** Whether it is a word the query matched. */
  hit: boolean;
}

const WORD = /[\p{L}\p{N}]+/gu;
/** The server cuts query words at this many characters. */
const MAX_WORD = 100;

/** A word as the search compares it: NFKD, without marks, lower case. */
export function fold(word: string): string {
  return word.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();
}

/** The query's words, folded, in order. */
export function queryWords(query: string): string[] {
  return [...query.matchAll(WORD)].map((m) => fold(m[0]).slice(0, MAX_WORD));
}

/** Splits `text` into pieces, marking the words `query` matched. */
export function highlight(text: string, query: string): Segment[] {
  const words = queryWords(query);
  if (words.length === 0) return text === "" ? [] : [{ text, hit: false }];
  const exact = new Set(words);
  const prefix = words[words.length - 1];
  const segments: Segment[] = [];
  let at = 0;
  for (const match of text.matchAll(WORD)) {
    const folded = fold(match[0]);
    if (!exact.has(folded) && !folded.startsWith(prefix)) continue;
    const start = match.index;
    if (start > at) segments.push({ text: text.slice(at, start), hit: false });
    segments.push({ text: match[0], hit: true });
    at = start + match[0].length;
  }
  if (at < text.length) segments.push({ text: text.slice(at), hit: false });
  return segments;
}
