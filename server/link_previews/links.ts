/** The http(s) links a message's text holds, as link previews take them. */

import { MAX_PREVIEW_LINKS, MAX_PREVIEW_URL } from "../protocol/limits.ts";

/** Links previewed per message, the first ones written. */
export const MAX_LINKS = MAX_PREVIEW_LINKS;

// A link runs to whitespace or a character that cannot be in a bare URL;
// the client's linkifier reads text the same way.
const LINK = /\bhttps?:\/\/[^\s<>"'`]+/gi;
// Punctuation that ends a sentence rather than the link.
const TRAILING = /[.,;:!?'"»”’]+$/;

/** The first {@link MAX_LINKS} distinct http(s) links of `text`, in order. */
export function linksOf(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(LINK)) {
    let link = match[0].replace(TRAILING, "");
    // A closing bracket belongs to the link only when it opened one.
    while (/[)\]]$/.test(link) && !balanced(link)) link = link.slice(0, -1);
    let url: URL;
    try {
      url = new URL(link);
    } catch {
      continue;
    }
    // Past what an export keeps of a preview's URL, its dump would not
    // import (transfer/format.ts): such a link gets no preview.
    if (link.length > MAX_PREVIEW_URL) continue;
    if (!url.hostname || found.includes(link)) continue;
    found.push(link);
    if (found.length === MAX_LINKS) break;
  }
  return found;
}

function balanced(link: string): boolean {
  const close = link.at(-1);
  const open = close === ")" ? "(" : "[";
  return link.split(open).length >= link.split(close!).length;
}
