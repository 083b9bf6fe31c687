/**
 * What a link shows of its host. A host in another script can read as an
 * ASCII one (`https://аррӏе.com` is Cyrillic, not apple.com), so a link's
 * host is shown as typed only when a browser would show it so: Chromium's
 * IDN display policy, after Unicode's UTS #39. A host failing it is shown
 * in its ASCII form (`xn--80ak6aa92e.com`), the name the link goes to, as
 * the browser's address bar will show it. Genuine names in one script
 * (`münchen.de`, `例え.jp`, `пример.рф`) stay readable.
 */
import { ASCII_LOOKALIKE } from "./ascii_lookalikes.ts";

/**
 * Unicode's Recommended scripts for identifiers (UAX #31, table 5), those
 * UTS #39 lets a host be written in. A letter of any other script (runes,
 * Cherokee, which copies Latin capitals) is shown encoded, as Chromium does.
 * All are known to every browser's regular expressions since 2018.
 */
const SCRIPTS: [string, RegExp][] = (
  "Latin Arabic Armenian Bengali Bopomofo Cyrillic Devanagari Ethiopic " +
  "Georgian Greek Gujarati Gurmukhi Han Hangul Hebrew Hiragana Kannada " +
  "Katakana Khmer Lao Malayalam Myanmar Oriya Sinhala Tamil Telugu Thaana " +
  "Thai Tibetan"
).split(" ").map((name) => [name, new RegExp(`\\p{Script=${name}}`, "u")]);

/** Digits, punctuation and combining marks belong to no one script. */
const NEUTRAL = /[\p{Script=Common}\p{Script=Inherited}]/u;

/**
 * The mixes of scripts UTS #39's Highly Restrictive profile allows (each
 * with Latin, as Japanese, Chinese and Korean names mix in Latin letters).
 */
const MIXES = [
  ["Latin", "Han", "Hiragana", "Katakana"],
  ["Latin", "Han", "Bopomofo"],
  ["Latin", "Han", "Hangul"],
];

/** A label an ASCII host has. */
const ASCII = /^\p{ASCII}*$/u;

/** Every character of a label an ASCII host has, or one reading as such. */
const ASCII_LIKE = new RegExp(
  `^(?:[a-z0-9-]|${ASCII_LOOKALIKE.source})+$`,
  "u",
);

/**
 * Whether a host, as it is written in a message, must be shown in its
 * ASCII form: some label outside ASCII mixes scripts (`pаypal`, Latin with
 * one Cyrillic `а`), holds a letter of a script names are not written in,
 * or reads as an ASCII label all along (whole-script confusable: `аррӏе`,
 * Latin `ɑpple`). Chromium's one exception is kept: a label in the script
 * of its top-level domain (`рау.рф`) reads as what it is.
 */
export function lookalikeHost(host: string): boolean {
  // The host the browser resolves is normalized this way (UTS #46): what
  // is judged is what it goes to, in the letters the reader sees.
  const labels = host.normalize("NFKC").toLowerCase().split(/[.\u3002]/)
    .filter((label) => label !== "");
  const top = labels.length > 1 ? scriptsOf(labels.at(-1)!) : null;
  return labels.some((label) => {
    if (ASCII.test(label)) return false;
    const scripts = scriptsOf(label);
    if (scripts === null) return true;
    if (scripts.size > 1) {
      return !MIXES.some((mix) => [...scripts].every((s) => mix.includes(s)));
    }
    if (!ASCII_LIKE.test(label)) return false;
    const [script] = scripts;
    return !(script !== "Latin" && top?.size === 1 && top.has(script) &&
      !ASCII.test(labels.at(-1)!));
  });
}

/** The scripts a label's letters are written in; null for one of none allowed. */
function scriptsOf(label: string): Set<string> | null {
  const scripts = new Set<string>();
  for (const char of label) {
    if (NEUTRAL.test(char)) continue;
    const found = SCRIPTS.find(([, pattern]) => pattern.test(char));
    if (found === undefined) return null;
    scripts.add(found[0]);
  }
  return scripts;
}

/**
 * A link's text with its host in ASCII form when {@linkcode lookalikeHost}
 * says so; `href` is the URL the link goes to (its parsed form).
 */
export function shownLink(text: string, href: string): string {
  // No user name can come first (safeHref refuses them): the host runs
  // to the path, query or fragment, a backslash being a slash for http.
  const start = /^https?:\/\/([^/?#\\]*)/.exec(text);
  if (start === null) return text;
  const host = start[1].replace(/:\d*$/, "");
  if (!lookalikeHost(host)) return text;
  const scheme = text.slice(0, text.indexOf("//") + 2);
  return scheme + new URL(href).host + text.slice(start[0].length);
}
