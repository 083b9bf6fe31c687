/**
 * Slack's user and channel names made names of ours (protocol/names.ts):
 * 1 to 32 letters, digits, `_ . -` in one script, unique by key and by
 * look (skeleton), never `room` or `here` for a person. Slack allows
 * longer names, spaces and mixed scripts; each one changed is a rename
 * the command says on stderr.
 */
import { reservedName } from "../../accounts/reserved_names.ts";
import { MAX_NAME_LENGTH } from "../../protocol/limits.ts";
import { cleanName, nameKey } from "../../protocol/names.ts";
import { nameSkeleton } from "../../protocol/skeleton.ts";

/** Hands out names of one namespace (accounts, or rooms), each once. */
export class NameBook {
  #taken = new Set<string>();
  /**
   * Per stem, the number its next give tries first: numbers below it are
   * taken. Without it each give of a stem tried every number from 2 up
   * again, so 4,000 people of one name took 15 s and 100,000 hours
   * (round 18). A number skipped there may still be free (another stem
   * looked alike): it is only left unused.
   */
  #next = new Map<string, number>();
  #fallback: string;
  #people: boolean;
  #tried = 0;

  /**
   * `fallback`: the stem of a name with nothing usable (`user`, `room`);
   * `people`: the reserved words are refused too (accounts' namespace).
   */
  constructor(fallback: string, options: { people: boolean }) {
    this.#fallback = fallback;
    this.#people = options.people;
  }

  /**
   * How many names the book has looked at so far, each given one and each
   * passed over: the work of choosing, which a test counts (a linear walk
   * looks at about one a give; the quadratic one of round 18 at every
   * number from 2 up, for each give of a stem).
   */
  get tried(): number {
    return this.#tried;
  }

  /** Keeps a name as it is (`general`): no other may take it. */
  reserve(name: string): void {
    this.#taken.add(nameSkeleton(name));
  }

  /**
   * The name `wanted` gets: itself when it is free and valid, else made
   * valid, else `instead` (a Slack id), else the book's stem; with a
   * number when taken.
   */
  give(wanted: string, instead?: string): string {
    const stem = valid(wanted) ?? (instead && valid(instead)) ??
      this.#fallback;
    for (let n = this.#next.get(stem) ?? 1;; n++) {
      const suffix = n === 1 ? "" : String(n);
      const name = [...stem].slice(0, MAX_NAME_LENGTH - suffix.length)
        .join("") + suffix;
      this.#tried++;
      const skeleton = nameSkeleton(name);
      if (this.#taken.has(skeleton)) continue;
      if (this.#people && reservedName(name)) continue;
      if (cleanName(name) !== name || nameKey(name) === "") continue;
      this.#taken.add(skeleton);
      this.#next.set(stem, n + 1);
      return name;
    }
  }
}

/**
 * The name itself when valid; else its letters and digits with every other
 * run made `_` (`john smith` is `john_smith`), cut to the length, or
 * undefined when nothing valid is left.
 */
function valid(wanted: string): string | undefined {
  const name = wanted.normalize("NFC").trim();
  if (cleanName(name) === name) return name;
  const replaced = name.replace(/[^\p{L}\p{N}_.-]+/gu, "_")
    .replace(/^_+|_+$/g, "");
  const cut = [...replaced].slice(0, MAX_NAME_LENGTH).join("");
  return cut !== "" && cleanName(cut) === cut ? cut : undefined;
}
