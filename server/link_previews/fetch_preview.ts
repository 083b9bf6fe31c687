/**
 * One link's preview fetched: its host checked by OutboundGuard (only
 * public addresses, unless `--link-previews-private`), the page asked of
 * the addresses checked (no DNS rebinding), each redirect checked again,
 * at most {@link MAX_REDIRECTS}; only `text/html`, at most
 * {@link MAX_PAGE_BYTES} of it read; no cookies sent or kept.
 */
import type { OutboundGuard } from "../outbound.ts";
import { getOutbound } from "../outbound_get.ts";
import type { LinkPreview } from "../protocol/types.ts";
import { log } from "../log.ts";
import { readPage } from "./page.ts";

const logger = log("link_previews");

/** Redirects followed at most, each checked as the first URL. */
export const MAX_REDIRECTS = 3;
/** Bytes of a page read at most: the head of any page worth previewing. */
export const MAX_PAGE_BYTES = 512 * 1024;

/** How {@link fetchPreview} calls out. */
export interface FetchPreviewOptions {
  guard: OutboundGuard;
  /** The User-Agent, naming the server (sites tell bots apart by it). */
  userAgent: string;
  /** Aborts the fetch: its deadline, the server stopping. */
  signal: AbortSignal;
}

/** The preview of `url`, or undefined when its page gives none or cannot be read. */
export async function fetchPreview(
  url: string,
  options: FetchPreviewOptions,
): Promise<LinkPreview | undefined> {
  let current = url;
  try {
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      // "webhook": the guard's `*` lets any host through; the addresses
      // are checked all the same (outbound.ts).
      const verdict = await options.guard.check(current, "webhook", {
        signal: options.signal,
      });
      if (!verdict.ok) {
        logger.debug("No preview of {url}: {reason}", {
          url: current,
          reason: verdict.reason,
        });
        return undefined;
      }
      const page = await getOutbound(current, {
        addresses: verdict.addresses,
        headers: {
          "user-agent": options.userAgent,
          accept: "text/html",
        },
        signal: options.signal,
        maxBytes: MAX_PAGE_BYTES,
        accepts: (type) => type === "text/html",
      });
      if (page.status >= 300 && page.status < 400 && page.location) {
        current = new URL(page.location, current).href;
        continue;
      }
      if (page.body === undefined) return undefined;
      const facts = await readPage(decode(page.body, page.charset));
      if (facts.title === undefined && facts.description === undefined) {
        return undefined;
      }
      return { url, ...facts };
    }
    logger.debug("No preview of {url}: more than {max} redirects", {
      url,
      max: MAX_REDIRECTS,
    });
  } catch (error) {
    logger.debug("No preview of {url}: {error}", {
      url: current,
      error: (error as Error).message,
    });
  }
  return undefined;
}

// The page's text in the charset its answer names (windows-1252,
// shift_jis...), else UTF-8. A `<meta charset>` alone is not read: most
// pages are UTF-8 now, and the others mostly say so in the header.
function decode(body: Uint8Array, charset: string | undefined): string {
  try {
    return new TextDecoder(charset ?? "utf-8").decode(body);
  } catch {
    return new TextDecoder().decode(body);
  }
}
