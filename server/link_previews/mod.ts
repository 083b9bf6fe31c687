/**
 * Link previews, as Slack, Zulip, Mattermost and Matrix show them under a
 * message: after a message is stored and delivered (never delaying its
 * send), the server fetches the pages of its first {@link MAX_LINKS} links
 * (fetch_preview.ts: the SSRF rules), stores their title, description and
 * site name with the message, and its readers get the message again
 * (`message_updated`, its version one more). Each URL's preview is kept an
 * hour, so a link posted 100 times is fetched once; at most `inFlight`
 * fetches run at once on a node, each author's in turn (fair_queue.ts),
 * and at most {@link MAX_WAITING} wait, {@link MAX_WAITING_PER_AUTHOR} of
 * one author's, so a flood of links costs bounded work (past that, no
 * preview) and one author's flood neither delays nor refuses the others'.
 */
import type { OutboundGuard } from "../outbound.ts";
import type { LinkPreview, MessageBase } from "../protocol/types.ts";
import type { Store } from "../store/mod.ts";
import { VERSION } from "../version.ts";
import { log } from "../log.ts";
import { addressKey } from "../addresses.ts";
import { nameKey } from "../protocol/names.ts";
import { FairQueue } from "./fair_queue.ts";
import {
  fetchPreview,
  PREVIEW_RESULTS,
  type PreviewResult,
} from "./fetch_preview.ts";
import { linksOf } from "./links.ts";

export { linksOf, MAX_LINKS } from "./links.ts";
export type { PreviewResult } from "./fetch_preview.ts";

const logger = log("link_previews");

/** Fetches waiting for their turn at most; past that a link gets no preview. */
export const MAX_WAITING = 1000;
/**
 * An author's fetches waiting at most (34 messages' links): past that,
 * their links get no preview. One author alone filled MAX_WAITING, and
 * everyone else's links on the node got none (round 13); now it takes
 * ten accounts (the guests of an address are one author: previewAuthor).
 */
export const MAX_WAITING_PER_AUTHOR = 100;
/** URLs whose previews are kept at most (the oldest go first). */
const MAX_CACHED = 10_000;
/** How long a page that gave no preview (or failed) is not asked again. */
const MISS_MS = 5 * 60_000;

/**
 * Whose turn a message's links wait in (fair_queue.ts): an account's own,
 * and one for all the guests of an address (an IPv4 address or an IPv6
 * /64): a guest name costs nothing, and ten of them from one address
 * filled {@link MAX_WAITING} as ten accounts would (round 13).
 */
export function previewAuthor(
  member: { guest: boolean; userKey: string; address: string },
): string {
  // A space is in no account's key: the two kinds never meet.
  return member.guest ? `guests ${addressKey(member.address)}` : member.userKey;
}

/** What {@link LinkPreviews} needs. */
export interface LinkPreviewsOptions {
  guard: OutboundGuard;
  store: Pick<Store, "setLinkPreviews">;
  /** Told each message whose previews were stored, to send it to its readers. */
  stored: (stream: string, message: MessageBase) => void;
  /** Fetches at once on this node; default 4. */
  inFlight?: number;
  /** One link's whole fetch, redirects included, at most (ms); default 5 s. */
  timeoutMs?: number;
  /** How long a URL's preview is kept (ms); default an hour. */
  cacheMs?: number;
}

/** The link previews of the messages this node stores. */
export class LinkPreviews {
  #options: LinkPreviewsOptions;
  #pace: FairQueue;
  #cache = new Map<
    string,
    { until: number; preview: Promise<LinkPreview | undefined> }
  >();
  #stop = new AbortController();
  #running = new Set<Promise<void>>();
  #fetches = 0;
  #results = new Map<PreviewResult, number>(
    PREVIEW_RESULTS.map((result) => [result, 0]),
  );

  constructor(options: LinkPreviewsOptions) {
    this.#options = options;
    this.#pace = new FairQueue(options.inFlight ?? 4);
  }

  /** Pages asked for so far (a cached URL is asked once). */
  get fetches(): number {
    return this.#fetches;
  }

  /** The pages asked for so far by what became of them (/metrics). */
  get results(): ReadonlyMap<PreviewResult, number> {
    return this.#results;
  }

  /**
   * Fetches the previews of a message just stored or edited, in the
   * background, then stores them and hands the message on to be sent.
   * `author` is whose turn its links wait in ({@link previewAuthor}; a
   * hook's message, its name's).
   */
  messageStored(
    stream: string,
    message: MessageBase,
    author: string = nameKey(message.user),
  ): void {
    if (message.deleted || this.#stop.signal.aborted) return;
    const links = linksOf(message.text);
    if (links.length === 0) return;
    const task = this.#preview(stream, message.id, message.text, links, author)
      .catch((error) =>
        logger.warn("Link previews of {id} failed: {error}", {
          id: message.id,
          error,
        })
      )
      .finally(() => this.#running.delete(task));
    this.#running.add(task);
  }

  /** Stops the fetches under way and waits for them. */
  async close(): Promise<void> {
    this.#stop.abort();
    await Promise.allSettled([...this.#running]);
  }

  async #preview(
    stream: string,
    id: string,
    text: string,
    links: string[],
    author: string,
  ): Promise<void> {
    const found = await Promise.all(
      links.map((link) => this.#previewOf(link, author)),
    );
    const previews = found.filter((p): p is LinkPreview => p !== undefined);
    if (previews.length === 0 || this.#stop.signal.aborted) return;
    const message = await this.#options.store.setLinkPreviews(id, {
      previews,
      text,
    });
    if (message) this.#options.stored(stream, message);
  }

  // A URL's preview, from the cache while it is fresh; else fetched in
  // its author's turn.
  #previewOf(url: string, author: string): Promise<LinkPreview | undefined> {
    const now = Date.now();
    const cached = this.#cache.get(url);
    if (cached && cached.until > now) return cached.preview;
    this.#cache.delete(url);
    if (
      this.#pace.waiting >= MAX_WAITING ||
      this.#pace.waitingOf(author) >= MAX_WAITING_PER_AUTHOR
    ) {
      return Promise.resolve(undefined);
    }
    const entry = {
      until: now + (this.#options.cacheMs ?? 3_600_000),
      preview: this.#pace.run(author, () => this.#fetch(url)),
    };
    this.#cache.set(url, entry);
    if (this.#cache.size > MAX_CACHED) {
      this.#cache.delete(this.#cache.keys().next().value!);
    }
    // A page that gave nothing is asked again sooner: it may have been down.
    entry.preview.then((preview) => {
      if (preview === undefined) entry.until = Date.now() + MISS_MS;
    });
    return entry.preview;
  }

  #fetch(url: string): Promise<LinkPreview | undefined> {
    if (this.#stop.signal.aborted) return Promise.resolve(undefined);
    this.#fetches++;
    return fetchPreview(url, {
      guard: this.#options.guard,
      userAgent: `chat-server/${VERSION} (link previews)`,
      signal: AbortSignal.any([
        AbortSignal.timeout(this.#options.timeoutMs ?? 5000),
        this.#stop.signal,
      ]),
    }).then(({ preview, result }) => {
      this.#results.set(result, this.#results.get(result)! + 1);
      return preview;
    });
  }
}
