/**
 * How deep a JSON text nests its arrays and objects, read before it is
 * parsed. V8's JSON.parse slows sharply with depth: a 64 KiB frame of
 * 32,000 nested arrays took 31 ms to parse (16,000: 2 ms; the same size
 * flat: under 1 ms; best of 7 at a load of 20), and four sockets that never
 * logged in, sending such frames in a loop, took other clients' replies
 * from 1 ms to 219 ms (p50). No request of the protocol nests deeper
 * than a few levels. The scan costs less than the parse it guards
 * (same machine): 2 µs for a 118-byte frame (JSON.parse:
 * 4.7), 0.6 µs for 64 KB in one string (39), 0.5 ms for 16,000 sibling
 * arrays (3.7 ms); a frame of escaped quotes costs it about what it costs
 * JSON.parse.
 */

/** The deepest nesting of arrays and objects a client's JSON may have. */
export const MAX_JSON_DEPTH = 32;

/**
 * True when `text` opens more than `max` arrays or objects inside each
 * other (brackets inside strings do not count). A text that is not JSON
 * may be counted wrong either way; JSON.parse then refuses it. One pass
 * over the text, its strings skipped by the native search.
 */
export function nestedDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) {
      // Strings are most of a frame: skipped with the native search.
      let end = text.indexOf('"', i + 1);
      while (end !== -1 && escaped(text, end)) {
        end = text.indexOf('"', end + 1);
      }
      if (end === -1) return false;
      i = end;
    } else if (code === OPEN_ARRAY || code === OPEN_OBJECT) {
      if (++depth > max) return true;
    } else if (code === CLOSE_ARRAY || code === CLOSE_OBJECT) {
      depth--;
    }
  }
  return false;
}

// Whether the quote at `at` is escaped: an odd run of backslashes before it.
function escaped(text: string, at: number): boolean {
  let backslashes = 0;
  while (text.charCodeAt(at - 1 - backslashes) === BACKSLASH) backslashes++;
  return backslashes % 2 === 1;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
