/**
 * Names of tokens and hooks, and an incoming hook's display name, are
 * labels people read: no control characters, and none of the characters
 * that disguise a name (disguises.ts), nor a letter under a pile of
 * combining marks (piled_marks.ts). Imports hold a dump's token and hook
 * names, and the display names of hooks' posts, to it but for the marks,
 * which came later (`keptLabel`).
 */
import { z } from "zod";
import { DISGUISING } from "./disguises.ts";
import { MARKS_RULE, PILED_MARKS } from "./piled_marks.ts";

/**
 * The rules above on a text: for labels, and for other short texts shown
 * beside a name (an account's custom status, set_status).
 */
export function labelRules(text: z.ZodString): z.ZodString {
  return rules(text, { allowPiledMarks: false });
}

function rules(
  text: z.ZodString,
  options: { allowPiledMarks: boolean },
): z.ZodString {
  const oneLine = text
    .refine((s) => !/\p{Cc}/u.test(s), "no control characters")
    .refine(
      (s) => !DISGUISING.test(s),
      "no direction marks or invisible spaces",
    );
  return (options.allowPiledMarks
    ? oneLine
    : oneLine.refine((s) => !PILED_MARKS.test(s), MARKS_RULE))
    .refine((s) => s.isWellFormed(), "not well-formed Unicode");
}

/** A label: trimmed, 1 to 64 characters, each of the rules above. */
export const label = labelRules(z.string().trim().min(1).max(64));

/**
 * A label as the store may keep it: a label's rules as they stood before
 * the marks rule (12-04), so a token's or a hook's name, or a hook's
 * post's display name, stored before it imports as the server keeps it
 * (as reactions' stray skin tones, `keptReactionEmoji`). Every version
 * held labels to one line (no control characters), trimmed, 1 to 64
 * characters; none stored a lone surrogate (the stores keep UTF-8).
 * Direction marks and invisible spaces stay refused, though labels took
 * them from 12-01 to 12-03: they turn a name around (U+202E) where the
 * marks only stack it; an import takes them out of a label made in those
 * days and says so (transfer/format.ts `cleanLabels`).
 */
export const keptLabel = rules(z.string().trim().min(1).max(64), {
  allowPiledMarks: true,
});

/**
 * The most characters (code points) of a custom status's text: Slack's
 * 100, a line beside a name.
 */
export const MAX_STATUS_TEXT = 100;

/**
 * A custom status's text (set_status): trimmed, a label's rules, up to
 * {@link MAX_STATUS_TEXT} code points (counted after the rules, so an emoji
 * counts one), "" for none.
 */
export const statusText = labelRules(z.string().trim()).refine(
  (s) => [...s].length <= MAX_STATUS_TEXT,
  `at most ${MAX_STATUS_TEXT} characters`,
);

/** The most characters (code points) of a sidebar section's name. */
export const MAX_SECTION_NAME = 40;

/**
 * A sidebar section's name (set_sections): trimmed, a label's rules, 1 to
 * {@link MAX_SECTION_NAME} code points (an emoji counts one), as a
 * status's text is counted.
 */
export const sectionName = labelRules(z.string().trim()).refine(
  (s) => s.length > 0 && [...s].length <= MAX_SECTION_NAME,
  `1 to ${MAX_SECTION_NAME} characters`,
);
