/**
 * Usernames and room names share one alphabet: Unicode letters and digits
 * plus `_ - .`, 1 to 32 characters. Both are unique case-insensitively,
 * and a name may not look like another (skeleton.ts).
 */

import { MAX_NAME_LENGTH } from "./limits.ts";

const NAME_PATTERN = /^[\p{L}\p{N}_.-]+$/u;
// Letters that render as nothing (Hangul fillers, for one) would make
// names that look empty or identical to others.
const INVISIBLE = /\p{Default_Ignorable_Code_Point}/u;

/**
 * Returns the name as it will be stored and shown (NFC, so a name typed with
 * combining accents equals the same name typed precomposed), or null when it
 * breaks the rules.
 */
export function cleanName(raw: string): string | null {
  // Cheap bound first: NFC never shrinks a name by more than this.
  if (raw.length === 0 || raw.length > MAX_NAME_LENGTH * 8) return null;
  const name = raw.normalize("NFC");
  return inNameAlphabet(name) && highlyRestrictive(name) ? name : null;
}

/**
 * The display name anonymised messages carry (`delete_account` with
 * `"anonymise"`): no account's, as a space is outside the alphabet, so it
 * names no card.
 */
export const ANONYMOUS_NAME = "deleted user";

/** The alphabet's rule, as a refusal says it. */
export const NAME_ALPHABET_RULE =
  `1 to ${MAX_NAME_LENGTH} letters, digits, '_', '.' or '-', in NFC, ` +
  "none invisible";

/**
 * Whether a name as stored keeps the alphabet every name has been held
 * to since the first version: NFC, 1 to 32 letters and digits and `_ . -`,
 * none invisible. Imports check names with it; the rule on mixed scripts
 * (`highlyRestrictive`) came later, and accounts and rooms named before
 * it are kept by the server and by imports alike.
 */
export function inNameAlphabet(name: string): boolean {
  if (name.length === 0 || name.length > MAX_NAME_LENGTH * 2) return false;
  if (name.normalize("NFC") !== name) return false;
  const length = [...name].length;
  return length >= 1 && length <= MAX_NAME_LENGTH &&
    NAME_PATTERN.test(name) && !INVISIBLE.test(name);
}

/**
 * The key two names are compared by: NFKC folds look-alike compatibility
 * forms (full-width letters, ligatures, superscripts), and upper- then
 * lower-casing approximates Unicode full case folding ("Straße" and
 * "STRASSE" meet at "strasse").
 */
export function nameKey(name: string): string {
  return name.normalize("NFKC").toUpperCase().toLowerCase().normalize("NFKC");
}

/**
 * The order member lists show names in: case and accents aside, by the
 * server's locale. One collator for every comparison: `localeCompare` with
 * options makes one a call, which took 180 to 250 ms to sort 2,000 names
 * (`list_users` of a busy room, any socket's 200 requests a second), this
 * 1.5 to 3 ms with the list's JSON.
 */
export const compareNames: (a: string, b: string) => number = new Intl
  .Collator(undefined, { sensitivity: "base" }).compare;

// The scripts of UTS #31's Recommended list that names are written in,
// with their property names for `\p{Script_Extensions=…}`.
const SCRIPTS = [
  "Latin",
  "Greek",
  "Cyrillic",
  "Armenian",
  "Hebrew",
  "Arabic",
  "Syriac",
  "Thaana",
  "Devanagari",
  "Bengali",
  "Gurmukhi",
  "Gujarati",
  "Oriya",
  "Tamil",
  "Telugu",
  "Kannada",
  "Malayalam",
  "Sinhala",
  "Thai",
  "Lao",
  "Tibetan",
  "Myanmar",
  "Georgian",
  "Hangul",
  "Ethiopic",
  "Cherokee",
  "Canadian_Aboriginal",
  "Mongolian",
  "Khmer",
  "Hiragana",
  "Katakana",
  "Bopomofo",
  "Han",
  "Yi",
  "Tifinagh",
  "Javanese",
  "Balinese",
  "Nko",
  "Ol_Chiki",
  "Adlam",
].map((script) => ({
  script,
  pattern: new RegExp(`\\p{Script_Extensions=${script}}`, "u"),
}));
const COMMON = /[\p{Script_Extensions=Common}\p{Script_Extensions=Inherited}]/u;

// UTS #39 section 5.1: Han goes with Japanese, Korean and Chinese writing,
// whose other scripts it mixes with in one name.
const AUGMENTED: Record<string, string[]> = {
  Han: ["Jpan", "Kore", "Hanb"],
  Hiragana: ["Jpan"],
  Katakana: ["Jpan"],
  Hangul: ["Kore"],
  Bopomofo: ["Hanb"],
};

/** The scripts a character may belong to, augmented; undefined for any. */
function scriptsOf(char: string): Set<string> | undefined {
  if (COMMON.test(char)) return undefined;
  const found = new Set<string>();
  for (const { script, pattern } of SCRIPTS) {
    if (!pattern.test(char)) continue;
    found.add(script);
    for (const extra of AUGMENTED[script] ?? []) found.add(extra);
  }
  return found;
}

/**
 * UTS #39 restriction level "Highly Restrictive" (section 5.2): the name's
 * characters share one script (Common and Inherited ones, such as digits
 * and `_ - .`, go with any), or it is Latin with Japanese, Chinese or
 * Korean writing. So Latin mixed with Cyrillic (`rооt`) or with Devanagari
 * digits (`r००t`) is refused; a whole name in Cyrillic is not.
 */
export function highlyRestrictive(name: string): boolean {
  let all: Set<string> | undefined;
  let withoutLatin: Set<string> | undefined;
  for (const char of name) {
    const scripts = scriptsOf(char);
    if (scripts === undefined) continue;
    // A letter of no Recommended script (historic, symbols): refused.
    if (scripts.size === 0) return false;
    all = intersect(all, scripts);
    if (!scripts.has("Latin")) withoutLatin = intersect(withoutLatin, scripts);
  }
  if (all === undefined || all.size > 0) return true;
  if (withoutLatin === undefined) return true;
  return ["Jpan", "Kore", "Hanb"].some((writing) => withoutLatin!.has(writing));
}

function intersect(
  current: Set<string> | undefined,
  next: Set<string>,
): Set<string> {
  if (current === undefined) return new Set(next);
  return new Set([...current].filter((script) => next.has(script)));
}
