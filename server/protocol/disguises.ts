/**
 * Characters that no name people read needs, and that disguise one:
 * direction overrides, embeddings, isolates and marks turn it around where
 * it is shown ("\u202Egnp.exe" shows as "exe.png"), and invisible spaces
 * make a copy of a name look the same as the original. Joiners and
 * variation selectors are not among them: emoji are made of them.
 *
 * Labels (token, hook and webhook names) are refused with one; file names
 * lose them, as a browser's upload cannot be asked again.
 */
/** Them as a character class, for a pattern that refuses them. */
export const DISGUISING_CLASS =
  "[\\u061C\\u200B\\u200E\\u200F\\u202A-\\u202E\\u2060\\u2066-\\u2069\\uFEFF]";

/** Whether a string holds one. */
export const DISGUISING = new RegExp(DISGUISING_CLASS);

/** Every one in a string, for `replace`. */
export const EVERY_DISGUISING = new RegExp(DISGUISING_CLASS, "g");
