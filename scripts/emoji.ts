/**
 * `deno task emoji`: rewrites static/emoji/en.json and static/emoji/fr.json,
 * the shortcodes the composer offers after ":" (`:thu` → 👍 `:thumbsup:`),
 * from emojibase-data: GitHub's shortcodes (Slack's and most chat apps'
 * too) in English, Unicode's CLDR ones in French. Each file is a list of
 * `[emoji, name, …]` in emojibase's order (faces first), 40-60 KB: the web
 * client fetches the one it needs at the first ":" typed, so the bundle
 * and the first page do not grow. tests/client_completion_test.ts fails
 * when a file differs from what this writes, so an emojibase update cannot
 * leave them behind.
 */
import compact from "emojibase-data/en/compact.json" with { type: "json" };
import github from "emojibase-data/en/shortcodes/github.json" with {
  type: "json",
};
import frenchCldr from "emojibase-data/fr/shortcodes/cldr.json" with {
  type: "json",
};

/** One emoji and its shortcodes, as the files hold it. */
export type EmojiRow = [emoji: string, ...names: string[]];

/** The languages the files are written for, with their shortcode sets. */
const SOURCES: Record<string, Record<string, string | string[]>> = {
  en: github,
  fr: frenchCldr,
};

interface CompactEmoji {
  hexcode: string;
  unicode: string;
  order?: number;
}

/**
 * The emoji as the composer inserts it: its bare code points when they
 * show as an emoji on their own (👍, not 👍 with a variation selector
 * after it, which compares unequal to what people type), else with
 * emojibase's fully qualified form (❤️, which alone would be a text heart).
 */
function character(emoji: CompactEmoji): string {
  const bare = String.fromCodePoint(
    ...emoji.hexcode.split("-").map((hex) => parseInt(hex, 16)),
  );
  return /^\p{Emoji_Presentation}/u.test(bare) ? bare : emoji.unicode;
}

/** The rows of one language: every emoji with a shortcode, in emojibase's order. */
export function emojiRows(language: string): EmojiRow[] {
  const names = SOURCES[language];
  // Without skin tones (GitHub's set has none; CLDR's would double the
  // French file): the list offers one thumbs up, not six.
  const all = (compact as CompactEmoji[]).toSorted((a, b) =>
    (a.order ?? Infinity) - (b.order ?? Infinity)
  );
  const rows: EmojiRow[] = [];
  for (const emoji of all) {
    const codes = names[emoji.hexcode];
    if (codes === undefined) continue;
    rows.push([character(emoji), ...(Array.isArray(codes) ? codes : [codes])]);
  }
  return rows;
}

/** A file's text: one row a line, so a diff shows what an update changed. */
export function emojiFile(rows: EmojiRow[]): string {
  return `[\n${rows.map((row) => JSON.stringify(row)).join(",\n")}\n]\n`;
}

if (import.meta.main) {
  for (const language of Object.keys(SOURCES)) {
    const target = new URL(`../static/emoji/${language}.json`, import.meta.url);
    await Deno.mkdir(new URL(".", target), { recursive: true });
    const rows = emojiRows(language);
    await Deno.writeTextFile(target, emojiFile(rows));
    console.log(`wrote ${target.pathname} (${rows.length} emoji)`);
  }
}
