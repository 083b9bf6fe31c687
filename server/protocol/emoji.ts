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

// Made with the first reaction, not at load: the segmenter (ICU's break
// rules) and the expression (every RGI emoji sequence) took 30-40 ms of
// CPU at every start of the server (the segmenter also at every load of
// the web client, which only wants the names), and the expression's
// first test takes 25 ms more (docs/performance.md).
let graphemes: Intl.Segmenter | undefined;
let rgiEmoji: RegExp | undefined;
// Emoji newer than this runtime's Unicode tables: a pictograph, then only
// modifiers, joiners, variation selectors and tags.
const FUTURE_EMOJI =
  /^\p{Extended_Pictographic}[\p{Extended_Pictographic}\p{Emoji_Modifier}\u200d\ufe0f\u{e0020}-\u{e007f}]*$/u;
const BARE_PICTOGRAPH = /^\p{Extended_Pictographic}$/u;
// A skin tone belongs right after an emoji that takes one (UTS #51's
// modifier sequence): alone (🏽, which Unicode also lists as an emoji of its
// own, a swatch), after another tone (👍🏽🏿) or after a variation selector
// (✌️🏿) it is not a toned emoji but one more key that looks like one.
const STRAY_TONE = /(?<!\p{Emoji_Modifier_Base})\p{Emoji_Modifier}/u;
const NAMED = /^:([a-z0-9_+-]{1,32}):$/;

/** What a custom emoji's name may be (PUT /api/emoji/:name). */
export const CUSTOM_EMOJI_NAME = /^[a-z0-9_+-]{1,32}$/;

/**
 * The name of the custom emoji a reaction's `:name:` may stand for: a
 * `:name:` outside the built-in set, else null. Whether such an emoji
 * exists is the caller's to ask (handlers/reactions.ts); once stored, the
 * reaction is kept as its `:name:`, even after the emoji is removed.
 */
export function customReactionName(raw: string): string | null {
  const named = NAMED.exec(raw);
  return named && !Object.hasOwn(REACTION_NAMES, named[1]) ? named[1] : null;
}

/**
 * The emoji a reaction stands for, or null when `raw` is not one emoji
 * (one grapheme cluster) nor a known `:name:`. A pictograph written
 * without its emoji variation selector (❤ for ❤️) gets it, so both
 * spellings are one reaction. A skin tone counts only right after an
 * emoji that takes one (👍🏽, 🧑🏿‍💻), so each toned emoji is one key.
 */
export function reactionEmoji(raw: string): string | null {
  return emojiOf(raw, { strayTones: false });
}

/**
 * Whether a reaction's emoji as stored keeps what every version let one
 * be: one emoji (one grapheme cluster), as `reactionEmoji` stores it.
 * Imports check reactions with it; a custom emoji's `:name:` is kept
 * as written (customReactionName). The rule on stray skin tones came
 * later, and reactions stored before it (👍🏽🏿) are kept by the server
 * and by imports alike.
 */
export function keptReactionEmoji(emoji: string): boolean {
  return emojiOf(emoji, { strayTones: true }) === emoji ||
    customReactionName(emoji) !== null;
}

function emojiOf(
  raw: string,
  options: { strayTones: boolean },
): string | null {
  const named = NAMED.exec(raw);
  if (named) {
    return Object.hasOwn(REACTION_NAMES, named[1])
      ? REACTION_NAMES[named[1]]
      : null;
  }
  if (raw.length === 0 || raw.length > 64) return null;
  graphemes ??= new Intl.Segmenter("en", { granularity: "grapheme" });
  const first = graphemes.segment(raw)[Symbol.iterator]().next().value;
  if (!first || first.segment !== raw) return null;
  if (!options.strayTones && STRAY_TONE.test(raw)) return null;
  rgiEmoji ??= /^\p{RGI_Emoji}$/v;
  if (BARE_PICTOGRAPH.test(raw) && rgiEmoji.test(`${raw}\ufe0f`)) {
    return `${raw}\ufe0f`;
  }
  return rgiEmoji.test(raw) || FUTURE_EMOJI.test(raw) ? raw : null;
}
