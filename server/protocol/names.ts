/**
 * Usernames and room names share one alphabet: Unicode letters and digits
 * plus `_ - .`, 1 to 32 characters. Both are unique case-insensitively.
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
  const length = [...name].length;
  if (length < 1 || length > MAX_NAME_LENGTH) return null;
  return NAME_PATTERN.test(name) && !INVISIBLE.test(name) ? name : null;
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
