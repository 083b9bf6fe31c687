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

/** A label: trimmed, 1 to 64 characters, each of the rules above. */
export const label = z.string().trim().min(1).max(64)
  .refine((s) => !/\p{Cc}/u.test(s), "no control characters")
  .refine(
    (s) => !DISGUISING.test(s),
    "no direction marks or invisible spaces",
  )
  .refine((s) => !PILED_MARKS.test(s), MARKS_RULE)
  .refine((s) => s.isWellFormed(), "not well-formed Unicode");
