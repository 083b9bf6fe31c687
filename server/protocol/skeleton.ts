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
 * again). Two names with one skeleton look alike (`root`, Cyrillic
 * `rооt`, `r००t` with Devanagari digits, `R00T` with zeros, `ADM1N` and
 * `ADMIN`, `BiII` and `Bill`, even `rn` and `m`): only the first may be
 * taken. Never shown: a skeleton mixes scripts freely.
 *
 * Mapped twice, as written and then folded to the name's key, and lower-
 * cased last: many prototypes are capitals (`0` is `O`, `1` and `I` are
 * `l`), which a skeleton taken of the key alone never met (the key has no
 * capitals, so `r00t` was `rOOt` beside `root`), and a capital `I` became
 * `i` in the key before it could become `l`. The second pass, on the key,
 * keeps what the key's folding gave (case, `ß` and `ss`, `rn` and `m`).
 * Stored with each account: a change here needs a migration that has the
 * store compute them again (fillSkeletons).
 */
export function nameSkeleton(name: string): string {
  const written = unhomoglyph(name.normalize("NFKC").normalize("NFD"));
  return unhomoglyph(nameKey(written).normalize("NFD")).toLowerCase()
    .normalize("NFD");
}
