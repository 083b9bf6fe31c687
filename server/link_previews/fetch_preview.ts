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

/**
 * What became of one link's fetch (`chat_link_previews_total{result}` in
 * /metrics): `ok` an HTML page read (a preview or not), `refused` an
 * address the rules forbid (the link's or a redirect's), `not_html` an
 * answer of another type, `timeout` the deadline passed, `error` anything
 * else (no answer, a status not 2xx, too many redirects).
 */
export type PreviewResult = "ok" | "refused" | "not_html" | "timeout" | "error";

/** Every {@link PreviewResult}, in the order /metrics lists them. */
export const PREVIEW_RESULTS: readonly PreviewResult[] = [
  "ok",
  "refused",
  "not_html",
  "timeout",
  "error",
];

/** A link's preview (none when its page gives none) and its fetch's result. */
export interface FetchedPreview {
  preview?: LinkPreview;
  result: PreviewResult;
}

/** The preview of `url`, with what became of its fetch. */
export async function fetchPreview(
  url: string,
  options: FetchPreviewOptions,
): Promise<FetchedPreview> {
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
        return { result: "refused" };
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
      if (page.body === undefined) {
        // getOutbound reads no body of a status not 2xx, nor of a type
        // not asked for.
        const ok = page.status >= 200 && page.status < 300;
        return { result: ok ? "not_html" : "error" };
      }
      const facts = await readPage(decode(page.body, page.charset));
      if (facts.title === undefined && facts.description === undefined) {
        return { result: "ok" };
      }
      return { preview: { url, ...facts }, result: "ok" };
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
    const reason = options.signal.aborted ? options.signal.reason : undefined;
    if ((reason as Error | undefined)?.name === "TimeoutError") {
      return { result: "timeout" };
    }
  }
  return { result: "error" };
}

// The page's text in the charset its answer names (windows-1252,
// shift_jis...), else the one a `<meta charset>` (or its older
// `http-equiv` form) names in the page's first 1024 bytes, where HTML
// requires it, else UTF-8. A charset no decoder knows: UTF-8.
function decode(body: Uint8Array, charset: string | undefined): string {
  try {
    return new TextDecoder(charset ?? metaCharset(body) ?? "utf-8")
      .decode(body);
  } catch {
    return new TextDecoder().decode(body);
  }
}

// The charset a `<meta>` in the first 1024 bytes names: `<meta
// charset="...">` or `<meta http-equiv="Content-Type" content="text/html;
// charset=...">`, both read as the HTML standard's prescan does, roughly
// (those bytes read as Latin-1: every charset a page may name there is
// ASCII-compatible).
function metaCharset(body: Uint8Array): string | undefined {
  const head = new TextDecoder("latin1").decode(body.subarray(0, 1024));
  return /<meta\s[^>]*?charset\s*=\s*["']?\s*([\w:.-]+)/i.exec(head)?.[1];
}
