/**
 * Names of tokens and hooks, and an incoming hook's display name, are
 * labels people read: no control characters, and none of the characters
 * that disguise a name (disguises.ts), nor a letter under a pile of
 * combining marks (piled_marks.ts). Imports hold a dump's token and hook
 * names, and the display names of hooks' posts, to it too.
 */
import { z } from "zod";
import { DISGUISING } from "./disguises.ts";
import { MARKS_RULE, PILED_MARKS } from "./piled_marks.ts";

/**
 * The rules above on a text: for labels, and for other short texts shown
 * beside a name (an account's custom status, set_status).
 */
export function labelRules(text: z.ZodString): z.ZodString {
  return text
    .refine((s) => !/\p{Cc}/u.test(s), "no control characters")
    .refine(
      (s) => !DISGUISING.test(s),
      "no direction marks or invisible spaces",
    )
    .refine((s) => !PILED_MARKS.test(s), MARKS_RULE)
    .refine((s) => s.isWellFormed(), "not well-formed Unicode");
}

/** A label: trimmed, 1 to 64 characters, each of the rules above. */
export const label = labelRules(z.string().trim().min(1).max(64));

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
