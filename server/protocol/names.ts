/**
 * Usernames and room names share one alphabet: Unicode letters and digits
 * plus `_ - .`, 1 to 32 characters. Both are unique case-insensitively.
 */

const NAME_PATTERN = /^[\p{L}\p{N}_.-]+$/u;

/** Longest user or room name, in characters (code points). */
export const MAX_NAME_LENGTH = 32;

/**
 * Returns the name as it will be stored and shown (NFC, so a name typed with
 * combining accents equals the same name typed precomposed), or null when it
 * breaks the rules.
 */
export function cleanName(raw: string): string | null {
  if (raw.length === 0 || raw.length > MAX_NAME_LENGTH * 2) return null;
  const name = raw.normalize("NFC");
  const length = [...name].length;
  if (length < 1 || length > MAX_NAME_LENGTH) return null;
  return NAME_PATTERN.test(name) ? name : null;
}

/**
 * The key two names are compared by: NFKC folds look-alike compatibility
 * forms (full-width letters, ligatures) and lower-casing folds case.
 */
export function nameKey(name: string): string {
  return name.normalize("NFKC").toLowerCase();
}
