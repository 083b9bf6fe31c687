/**
 * What a reaction may be: one emoji, or a `:name:` from the built-in set
 * below (for keyboards and bots without emoji), stored as its emoji so
 * `:+1:` and 👍 count as one reaction. Shared with the web client, which
 * offers the same set in its picker.
 */

/** The built-in reaction names (Slack's and GitHub's), each with its emoji. */
export const REACTION_NAMES: Readonly<Record<string, string>> = {
  "+1": "👍",
  thumbsup: "👍",
  "-1": "👎",
  thumbsdown: "👎",
  heart: "❤️",
  smile: "😄",
  laughing: "😆",
  joy: "😂",
  slightly_smiling_face: "🙂",
  wink: "😉",
  thinking: "🤔",
  open_mouth: "😮",
  cry: "😢",
  sob: "😭",
  angry: "😠",
  tada: "🎉",
  eyes: "👀",
  rocket: "🚀",
  fire: "🔥",
  clap: "👏",
  pray: "🙏",
  raised_hands: "🙌",
  muscle: "💪",
  wave: "👋",
  ok_hand: "👌",
  "100": "💯",
  star: "⭐",
  sparkles: "✨",
  white_check_mark: "✅",
  heavy_check_mark: "✔️",
  x: "❌",
  warning: "⚠️",
  question: "❓",
  exclamation: "❗",
  bulb: "💡",
  coffee: "☕",
  pizza: "🍕",
  beers: "🍻",
  party: "🥳",
  see_no_evil: "🙈",
};

const GRAPHEMES = new Intl.Segmenter("en", { granularity: "grapheme" });
const RGI_EMOJI = /^\p{RGI_Emoji}$/v;
// Emoji newer than this runtime's Unicode tables: a pictograph, then only
// modifiers, joiners, variation selectors and tags.
const FUTURE_EMOJI =
  /^\p{Extended_Pictographic}[\p{Extended_Pictographic}\p{Emoji_Modifier}\u200d\ufe0f\u{e0020}-\u{e007f}]*$/u;
const BARE_PICTOGRAPH = /^\p{Extended_Pictographic}$/u;
const NAMED = /^:([a-z0-9_+-]{1,32}):$/;

/**
 * The emoji a reaction stands for, or null when `raw` is not one emoji
 * (one grapheme cluster) nor a known `:name:`. A pictograph written
 * without its emoji variation selector (❤ for ❤️) gets it, so both
 * spellings are one reaction.
 */
export function reactionEmoji(raw: string): string | null {
  const named = NAMED.exec(raw);
  if (named) {
    return Object.hasOwn(REACTION_NAMES, named[1])
      ? REACTION_NAMES[named[1]]
      : null;
  }
  if (raw.length === 0 || raw.length > 64) return null;
  const first = GRAPHEMES.segment(raw)[Symbol.iterator]().next().value;
  if (!first || first.segment !== raw) return null;
  if (BARE_PICTOGRAPH.test(raw) && RGI_EMOJI.test(`${raw}\ufe0f`)) {
    return `${raw}\ufe0f`;
  }
  return RGI_EMOJI.test(raw) || FUTURE_EMOJI.test(raw) ? raw : null;
}
