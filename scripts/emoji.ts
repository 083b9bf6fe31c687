/**
 * `deno task emoji`: rewrites static/emoji/en.json and static/emoji/fr.json,
 * the shortcodes the composer offers after ":" (`:thu` → 👍 `:thumbsup:`),
 * from emojibase-data: GitHub's shortcodes (Slack's and most chat apps'
 * too) in English, Unicode's CLDR ones in French. Each file is a list of
 * `[emoji, name, …]` in emojibase's order (faces first), 40-60 KB: the web
 * client fetches the one it needs at the first ":" typed, so the bundle
 * and the first page do not grow. tests/client_completion_test.ts fails
 * when a file differs from what this writes, so an emojibase update cannot
 * leave them behind. It also writes static/emoji/tones.json, the toned
 * forms of the emoji that take a skin tone (`[👍, 👍🏻, …, 👍🏿]`), which
 * the client fetches only once a person has chosen a tone.
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
  skins?: CompactEmoji[];
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

/** The five skin tones, light to dark (Fitzpatrick 1-2 to 6), as hex. */
const TONES = ["1F3FB", "1F3FC", "1F3FD", "1F3FE", "1F3FF"];

/**
 * Every emoji that takes a skin tone, each as `[emoji, light, medium-light,
 * medium, medium-dark, dark]`, from emojibase's `skins`: the form the
 * composer inserts (as `character` makes it), then its toned forms. An
 * emoji of two people (🧑‍🤝‍🧑) takes the tone for both; its mixed pairs
 * are not offered, as Slack offers one tone too.
 */
export function toneRows(): EmojiRow[] {
  const rows: EmojiRow[] = [];
  const all = (compact as CompactEmoji[]).toSorted((a, b) =>
    (a.order ?? Infinity) - (b.order ?? Infinity)
  );
  for (const emoji of all) {
    if (emoji.skins === undefined) continue;
    const toned = TONES.map((tone) =>
      emoji.skins!.find((skin) =>
        skin.hexcode.split("-").every((hex) =>
          !TONES.includes(hex) || hex === tone
        )
      )?.unicode
    );
    if (toned.some((form) => form === undefined)) continue;
    rows.push([character(emoji), ...toned as string[]]);
  }
  return rows;
}

/** A file's text: one row a line, so a diff shows what an update changed. */
export function emojiFile(rows: EmojiRow[]): string {
  return `[\n${rows.map((row) => JSON.stringify(row)).join(",\n")}\n]\n`;
}

if (import.meta.main) {
  const files: Record<string, EmojiRow[]> = { tones: toneRows() };
  for (const language of Object.keys(SOURCES)) {
    files[language] = emojiRows(language);
  }
  for (const [name, rows] of Object.entries(files)) {
    const target = new URL(`../static/emoji/${name}.json`, import.meta.url);
    await Deno.mkdir(new URL(".", target), { recursive: true });
    await Deno.writeTextFile(target, emojiFile(rows));
    console.log(`wrote ${target.pathname} (${rows.length} emoji)`);
  }
}
