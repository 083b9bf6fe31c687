/**
 * The emoji the composer offers after ":" and their shortcodes, fetched
 * at the first ":" typed from static/emoji/ (written by `deno task emoji`
 * from emojibase-data): 1,870 names would add 48 KB to a bundle every page
 * load pays for, when most messages never ask for one. English names
 * (GitHub's, as Slack's: `:thumbsup:`) always, French ones (CLDR's:
 * `:pouce_vers_le_haut:`) first in French.
 */

import type { Lang } from "./i18n.ts";
import { entry, put } from "./state.ts";

/** One emoji and its shortcodes, as static/emoji/*.json hold it. */
export type EmojiRow = [emoji: string, ...names: string[]];

/** An emoji offered: the character inserted, and the name that matched. */
export interface EmojiChoice {
  emoji: string;
  name: string;
}

/** Every shortcode of a language, in the order offered, with its emoji. */
export interface EmojiNames {
  /** Shortcodes by themselves, in emojibase's order (faces first). */
  names: string[];
  /** The emoji of each shortcode (keyed by people's typing: use `entry`). */
  emoji: Record<string, string>;
}

/** How many emoji the list offers at most. */
export const EMOJI_LIMIT = 8;

/** The shortcodes of these rows (the first language given first). */
export function emojiNames(...languages: EmojiRow[][]): EmojiNames {
  const names: string[] = [];
  const emoji: Record<string, string> = {};
  for (const rows of languages) {
    for (const [char, ...codes] of rows) {
      for (const code of codes) {
        if (entry(emoji, code) !== undefined) continue;
        put(emoji, code, char);
        names.push(code);
      }
    }
  }
  return { names, emoji };
}

/**
 * The emoji a query may stand for, each once: the shortcode it spells out,
 * then those that start with it, then those that hold it (`:up` finds
 * `:up:`, then `:upside_down_face:`, then `:thumbsup:`), each group in
 * emojibase's order.
 */
export function emojiCandidates(
  table: EmojiNames,
  query: string,
  limit = EMOJI_LIMIT,
): EmojiChoice[] {
  const wanted = query.toLowerCase();
  const groups: EmojiChoice[][] = [[], [], []];
  const seen = new Set<string>();
  for (const name of table.names) {
    const rank = name === wanted
      ? 0
      : name.startsWith(wanted)
      ? 1
      : name.includes(wanted)
      ? 2
      : -1;
    if (rank < 0) continue;
    groups[rank].push({ emoji: entry(table.emoji, name)!, name });
  }
  const out: EmojiChoice[] = [];
  for (const choice of groups.flat()) {
    if (seen.has(choice.emoji)) continue;
    seen.add(choice.emoji);
    out.push(choice);
    if (out.length === limit) break;
  }
  return out;
}

/**
 * The names of the server's custom emoji that `query` finds, ranked as
 * the built-in ones are (the name itself, then those it starts, then
 * those that hold it), at most `limit`.
 */
export function customEmojiCandidates(
  names: readonly string[],
  query: string,
  limit = EMOJI_LIMIT,
): string[] {
  const wanted = query.toLowerCase();
  const rank = (name: string) =>
    name === wanted
      ? 0
      : name.startsWith(wanted)
      ? 1
      : name.includes(wanted)
      ? 2
      : 3;
  return names.filter((name) => rank(name) < 3)
    .sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, limit);
}

const loading = new Map<Lang, Promise<EmojiNames>>();

/**
 * The shortcodes for an interface language, fetched once (a failed fetch
 * is tried again at the next ":", and offers nothing meanwhile).
 */
export function loadEmojiNames(lang: Lang): Promise<EmojiNames> {
  let names = loading.get(lang);
  if (names === undefined) {
    const files = lang === "en" ? ["en"] : [lang, "en"];
    names = Promise.all(files.map(fetchRows)).then((rows) =>
      emojiNames(...rows)
    );
    names.catch(() => loading.delete(lang));
    loading.set(lang, names);
  }
  return names;
}

async function fetchRows(language: string): Promise<EmojiRow[]> {
  const response = await fetch(`/emoji/${language}.json`);
  if (!response.ok) {
    throw new Error(
      `Cannot load emoji names: /emoji/${language}.json answered ${response.status}`,
    );
  }
  return await response.json() as EmojiRow[];
}
