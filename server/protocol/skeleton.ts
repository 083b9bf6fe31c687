/**
 * What a name looks like, for telling look-alike names apart. Apart from
 * names.ts because its table (unhomoglyph's 6,300 confusables, a JSON file
 * and a regular expression of them) costs 20-30 ms to load: the entry
 * loads names.ts before it starts the store's threads (early_store.ts),
 * and the web client needs only names.ts.
 */
import unhomoglyph from "unhomoglyph";
import { nameKey } from "./names.ts";

/**
 * The confusable skeleton of a name (UTS #39 section 4: NFD, each
 * character mapped to its prototype by Unicode's confusables.txt, NFD
 * again), taken of its key so that case and compatibility forms meet too.
 * Two names with one skeleton look alike (`root`, Cyrillic `rооt`,
 * `r००t` with Devanagari digits, even `rn` and `m`): only the first may be
 * taken. Never shown: a skeleton mixes scripts freely.
 */
export function nameSkeleton(name: string): string {
  return unhomoglyph(nameKey(name).normalize("NFD")).normalize("NFD");
}
