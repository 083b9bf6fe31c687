/**
 * A room's topic: one line of plain text, trimmed, at most
 * MAX_TOPIC_LENGTH code points. Control characters (line breaks among
 * them) and the characters that disguise names (direction overrides,
 * invisible spaces: disguises.ts) are refused, as in names, and so is a
 * letter under more than 4 marks (piled_marks.ts): a topic shows under the
 * room's name in every member's header.
 */
import { DISGUISING_CLASS } from "./disguises.ts";
import { MAX_TOPIC_LENGTH } from "./limits.ts";
import { PILED_MARKS } from "./piled_marks.ts";

/**
 * What the rule was before the marks rule (12-05, a few hours after topics
 * came): every version held a topic to the rest of it, from the first.
 */
export const KEPT_TOPIC_RULE =
  `A topic is one line of at most ${MAX_TOPIC_LENGTH} ` +
  "characters, without control or text-direction characters";

/** What a topic may be, as the refusal says. */
export const TOPIC_RULE =
  `${KEPT_TOPIC_RULE}, and at most 4 marks on one letter.`;

/**
 * What a topic may hold: neither kind of refused character. Imports check
 * their `room` lines' topics with `keptTopic` (transfer/format.ts).
 */
export const TOPIC_CHARACTERS = new RegExp(
  `^(?:(?!${DISGUISING_CLASS})\\P{Cc})*$`,
  "u",
);

/**
 * The topic as it is stored (NFC, trimmed; "" means none), or null when
 * it breaks the rule.
 */
export function cleanTopic(raw: string): string | null {
  return cleaned(raw, { allowPiledMarks: false });
}

/**
 * A topic as the store may keep it: cleaned as {@link cleanTopic} does but
 * for the marks rule, which came after the first topics were set. A topic
 * stored under a pile of marks before it stays on the server that kept it
 * and comes through an import as it was (as labels do, `keptLabel`);
 * control and direction characters, untrimmed or over-long topics no
 * version stored.
 */
export function keptTopic(raw: string): string | null {
  return cleaned(raw, { allowPiledMarks: true });
}

function cleaned(
  raw: string,
  options: { allowPiledMarks: boolean },
): string | null {
  const topic = raw.normalize("NFC").trim();
  if (!TOPIC_CHARACTERS.test(topic)) return null;
  if (!options.allowPiledMarks && PILED_MARKS.test(topic)) return null;
  if (
    topic.length > MAX_TOPIC_LENGTH && [...topic].length > MAX_TOPIC_LENGTH
  ) {
    return null;
  }
  return topic;
}
