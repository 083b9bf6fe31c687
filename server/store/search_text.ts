/**
 * Words as search sees them, the same for both stores: SQLite's FTS5 and
 * PostgreSQL's tsvector each index the words this module gives them, so
 * they match the same messages for the same query (the store contract
 * checks it). Folding happens here rather than in either database: the
 * two disagree at the edges (PostgreSQL's parser reads URLs and numbers
 * its own way, `unaccent` may not be installed, unicode61 knows Unicode
 * 6.1), and one function has no edges to disagree on.
 */

/** Words longer than this are cut: PostgreSQL refuses lexemes over 2 KiB. */
export const MAX_WORD_LENGTH = 100;

// Characters unicode61 (SQLite's tokenizer) takes for separators although
// later Unicode versions made them letters: separators here too, or SQLite
// would split words that PostgreSQL keeps whole.
const OLD_SEPARATORS = /[\u19b0-\u19c0\u19c8\u19c9\u1cf2\u1cf3]/gu;
const MARKS = /\p{M}/gu;
const NOT_WORD = /[^\p{L}\p{N}]+/u;
const NON_ASCII = /[\u0080-\uffff]/;
// Global: match() collects every run (and resets lastIndex itself).
const ASCII_WORD = /[a-z0-9]+/g;

/**
 * The words of a text, folded: compatibility forms unified (ﬁ is fi,
 * full-width letters are letters), accents and other marks removed (école
 * is ecole), lower case, final sigma as sigma. A word is a run of letters
 * and digits: punctuation, symbols and emoji separate words and are never
 * searched, so `"`, `*`, `-` or `:` in a query cannot mean anything else.
 */
export function searchWords(text: string): string[] {
  // Most chat is ASCII: the same words for a fifth of the cost (every
  // stored message passes here).
  const ascii = !NON_ASCII.test(text);
  const folded = ascii
    ? text.toLowerCase()
    : text.normalize("NFKD").toLowerCase().normalize("NFKD")
      .replace(MARKS, "").replace(OLD_SEPARATORS, " ").replaceAll("ς", "σ")
      // Hangul syllables, split into letters by NFKD, whole again.
      .normalize("NFC");
  // ASCII runs collected by match(), not cut out by split(): the same
  // words (split's empty ones were dropped) for half the CPU, 1 µs of 2 a
  // chat message (docs/performance.md, "Chat's CPU: the search index's
  // documents").
  if (ascii) return cutLong(folded.match(ASCII_WORD) ?? []);
  const words: string[] = [];
  for (const word of folded.split(NOT_WORD)) {
    if (word === "") continue;
    words.push(
      word.length > MAX_WORD_LENGTH
        ? [...word].slice(0, MAX_WORD_LENGTH).join("")
        : word,
    );
  }
  return words;
}

// ASCII words cut at MAX_WORD_LENGTH, in place (one letter a code unit).
function cutLong(words: string[]): string[] {
  for (let i = 0; i < words.length; i++) {
    if (words[i].length > MAX_WORD_LENGTH) {
      words[i] = words[i].slice(0, MAX_WORD_LENGTH);
    }
  }
  return words;
}

/**
 * Whether a text holds each of `whole` as a word and, when given, a word
 * that starts with `prefix`: what `searchWords(text)` says, words and
 * prefix taken from `searchWords` too. A store checks a search's words on
 * its candidates with it (SqliteStore), most of them turned down on the
 * first word: ASCII text is looked through for each word in turn rather
 * than split whole, a tenth of the cost.
 */
export function textHolds(
  text: string,
  whole: string[],
  prefix?: string,
): boolean {
  if (NON_ASCII.test(text)) {
    const own = new Set(searchWords(text));
    if (!whole.every((word) => own.has(word))) return false;
    if (prefix === undefined) return true;
    for (const word of own) if (word.startsWith(prefix)) return true;
    return false;
  }
  const lower = text.toLowerCase();
  return whole.every((word) => startsWord(lower, word, true)) &&
    (prefix === undefined || startsWord(lower, prefix, false));
}

// Whether `word` starts a word of ASCII `lower` and, if `whole`, is all of
// it (or its first MAX_WORD_LENGTH characters: searchWords cuts there).
function startsWord(lower: string, word: string, whole: boolean): boolean {
  if (word === "") return false;
  const last = whole && word.length < MAX_WORD_LENGTH;
  for (
    let at = lower.indexOf(word);
    at !== -1;
    at = lower.indexOf(word, at + 1)
  ) {
    if (at > 0 && isWordCharacter(lower.charCodeAt(at - 1))) continue;
    const end = at + word.length;
    if (last && end < lower.length && isWordCharacter(lower.charCodeAt(end))) {
      continue;
    }
    return true;
  }
  return false;
}

// a-z and 0-9: the characters of an ASCII word (ASCII_WORD's).
function isWordCharacter(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 48 && code <= 57);
}
