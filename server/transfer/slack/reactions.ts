/**
 * A Slack reaction's name (`+1`, `thumbsup::skin-tone-3`) as the emoji
 * our reactions store: through the reactions' own names
 * (protocol/emoji.ts) and the built-in set's shortcodes
 * (static/emoji/en.json, GitHub's, which are Slack's), a skin tone
 * through the toned forms (static/emoji/tones.json). A team's own emoji
 * has no picture here: undefined, and the importer counts it.
 */
import shortcodes from "../../../static/emoji/en.json" with { type: "json" };
import tones from "../../../static/emoji/tones.json" with { type: "json" };
import { REACTION_NAMES, reactionEmoji } from "../../protocol/emoji.ts";

let byName: Map<string, string> | undefined;
let toned: Map<string, string[]> | undefined;

// Each name's answer: an export names the same few thousands of times.
const answers = new Map<string, string | undefined>();

/** The emoji a Slack reaction stands for, or undefined for a custom one. */
export function slackReaction(name: string): string | undefined {
  if (answers.has(name)) return answers.get(name);
  const emoji = emojiNamed(name);
  answers.set(name, emoji);
  return emoji;
}

function emojiNamed(name: string): string | undefined {
  if (!byName || !toned) {
    byName = new Map(Object.entries(REACTION_NAMES));
    for (const [emoji, ...names] of shortcodes as string[][]) {
      for (const code of names) if (!byName.has(code)) byName.set(code, emoji);
    }
    toned = new Map((tones as string[][]).map((row) => [row[0], row]));
  }
  const [base, tone] = name.split("::");
  // Slack's `flag-fr` is GitHub's `fr`.
  const emoji = byName.get(base) ?? byName.get(base.replace(/^flag-/, ""));
  if (emoji === undefined) return undefined;
  // Slack's skin-tone-2 to -6 are the five tones, lightest first.
  const step = /^skin-tone-([2-6])$/.exec(tone ?? "");
  const withTone = step ? toned.get(emoji)?.[Number(step[1]) - 1] : undefined;
  return reactionEmoji(withTone ?? emoji) ?? undefined;
}
