/**
 * Characters that no name people read needs, and that disguise one:
 * direction overrides, embeddings, isolates and marks turn it around where
 * it is shown ("\u202Egnp.exe" shows as "exe.png"), and invisible
 * characters make a copy of a name look the same as the original. Those
 * are Unicode's default ignorables (what names refuse, names.ts) but for
 * what writing needs: joiners and variation selectors make emoji, tags a
 * flag's (England's), the non-joiner shapes Persian and Indic letters, the
 * Mongolian selectors Mongolian. Round 15 found the first list (U+200B,
 * U+2060, U+FEFF) missing the soft hyphen, the grapheme joiner, the
 * invisible operators and Hangul's fillers (a blank): a webhook posted as
 * "ali\u00ADce", shown as alice.
 *
 * Labels (token, hook and webhook names) are refused with one; file names
 * lose them, as a browser's upload cannot be asked again.
 */
/** Them as a character class, for a pattern (with the `u` flag) that refuses them. */
export const DISGUISING_CLASS = "[" +
  // Soft hyphen, grapheme joiner, Arabic letter mark, Hangul fillers,
  // Khmer's invisible vowels.
  "\\u00AD\\u034F\\u061C\\u115F\\u1160\\u17B4\\u17B5" +
  // Zero-width space, direction marks, embeddings and overrides.
  "\\u200B\\u200E\\u200F\\u202A-\\u202E" +
  // Word joiner, invisible operators, isolates, deprecated format controls.
  "\\u2060-\\u2064\\u2066-\\u206F" +
  // Hangul filler, zero-width no-break space, half-width Hangul filler,
  // interlinear annotation (hides the text it annotates).
  "\\u3164\\uFEFF\\uFFA0\\uFFF9-\\uFFFB" +
  // Shorthand format controls, musical symbols' format controls.
  "\\u{1BCA0}-\\u{1BCA3}\\u{1D173}-\\u{1D17A}" +
  "]";

/** Whether a string holds one. */
export const DISGUISING = new RegExp(DISGUISING_CLASS, "u");

/** Every one in a string, for `replace`. */
export const EVERY_DISGUISING = new RegExp(DISGUISING_CLASS, "gu");
