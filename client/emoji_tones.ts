/**
 * Skin tones: a person chooses one (or none, the default yellow) and the
 * picker and the composer's `:thumbsup:` put in 👍🏽 rather than 👍, as in
 * Slack. Which emoji take a tone, and their toned forms, come from
 * static/emoji/tones.json (written by `deno task emoji` from emojibase's
 * `skins`): 330 emoji, 33 KB (6 KB gzipped), fetched once a tone is chosen,
 * so the bundle and the people who never choose one pay nothing.
 */

/** No tone (0, the default yellow), or a Fitzpatrick tone, light (1) to dark (5). */
export type SkinTone = 0 | 1 | 2 | 3 | 4 | 5;

/** The tones offered, none first. */
export const SKIN_TONES: readonly SkinTone[] = [0, 1, 2, 3, 4, 5];

/**
 * Each tone's swatch: a raised hand in it. The five modifiers are
 * Unicode's (U+1F3FB to U+1F3FF); ✋ takes them directly.
 */
export function toneSwatch(tone: SkinTone): string {
  return tone === 0 ? "✋" : `✋${String.fromCodePoint(0x1f3fa + tone)}`;
}

/** The tone a remembered value stands for; anything else is none. */
export function parseTone(raw: string | null): SkinTone {
  const tone = Number(raw);
  return SKIN_TONES.includes(tone as SkinTone) ? tone as SkinTone : 0;
}

/** One emoji that takes a tone, then its five toned forms, as tones.json holds it. */
export type ToneRow = [emoji: string, ...toned: string[]];

/** The toned forms of each emoji that takes a tone, by its untoned form. */
export type EmojiTones = Map<string, readonly string[]>;

/** The table of these rows. */
export function emojiTones(rows: ToneRow[]): EmojiTones {
  return new Map(rows.map(([emoji, ...toned]) => [emoji, toned]));
}

/**
 * The emoji in this tone: its toned form if it takes one, else itself
 * (🎉 has no tone; with no table yet, nothing is toned).
 */
export function toned(
  table: EmojiTones | null,
  emoji: string,
  tone: SkinTone,
): string {
  if (tone === 0 || table === null) return emoji;
  return table.get(emoji)?.[tone - 1] ?? emoji;
}

let loading: Promise<EmojiTones> | undefined;

/** The table, fetched once (a failed fetch is tried again at the next call). */
export function loadEmojiTones(): Promise<EmojiTones> {
  if (loading === undefined) {
    loading = fetch("/emoji/tones.json").then(async (response) => {
      if (!response.ok) {
        throw new Error(
          `Cannot load skin tones: /emoji/tones.json answered ${response.status}`,
        );
      }
      return emojiTones(await response.json() as ToneRow[]);
    });
    loading.catch(() => loading = undefined);
  }
  return loading;
}
