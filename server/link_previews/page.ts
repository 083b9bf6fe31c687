/**
 * What a web page says of itself, for a link preview: its Open Graph tags
 * (`og:title`, `og:description`, `og:site_name`, as Slack, Zulip and
 * Mattermost read them), else `<title>` and `<meta name="description">`.
 * htmlparser2 reads the HTML (entities decoded, broken markup tolerated),
 * streaming: the parse stops at `</head>`, where these tags end.
 *
 * A page is parsed a slice at a time, a turn of the event loop each: a
 * hostile 512 KiB head of 20,000 `<meta>` tags took 8 to 26 ms of the
 * thread in one piece (on a busy 2-core machine), about 0.3 to 1 ms a
 * slice now; a page whose head comes first costs under a millisecond.
 */
import { setImmediate } from "node:timers";
import { Parser } from "htmlparser2";
import {
  MAX_PREVIEW_DESCRIPTION as MAX_DESCRIPTION,
  MAX_PREVIEW_TITLE as MAX_TITLE,
} from "../protocol/limits.ts";

/** A page's title, description and site name, as shown under a message. */
export interface PageFacts {
  title?: string;
  description?: string;
  site_name?: string;
}

/** Characters of HTML parsed in one turn of the event loop. */
const SLICE = 16_384;

/** Reads a page's title, description and site name from its HTML. */
export async function readPage(html: string): Promise<PageFacts> {
  const og: Record<string, string> = {};
  const named: Record<string, string> = {};
  let title = "";
  let inTitle = false;
  let done = false;
  const parser = new Parser({
    onopentag(name, attributes) {
      if (name === "title") inTitle = true;
      if (name === "body") done = true;
      if (name !== "meta" || attributes.content === undefined) return;
      const property = (attributes.property ?? "").toLowerCase();
      const metaName = (attributes.name ?? "").toLowerCase();
      if (property.startsWith("og:")) og[property] ??= attributes.content;
      if (metaName) named[metaName] ??= attributes.content;
    },
    ontext(text) {
      if (inTitle) title += text;
    },
    onclosetag(name) {
      if (name === "title") inTitle = false;
      if (name === "head") done = true;
    },
  }, { decodeEntities: true });
  // In slices, so that a page whose head ended early is not read further,
  // and the other connections are served between two.
  for (let at = 0; at < html.length && !done; at += SLICE) {
    if (at > 0) await new Promise((next) => setImmediate(next));
    parser.write(html.slice(at, at + SLICE));
  }
  parser.end();
  return tidy({
    title: og["og:title"] ?? named["twitter:title"] ?? title,
    description: og["og:description"] ?? named["twitter:description"] ??
      named.description,
    site_name: og["og:site_name"],
  });
}

// Whitespace folded, control characters out, clipped; empty fields left out.
function tidy(facts: PageFacts): PageFacts {
  const out: PageFacts = {};
  const title = clip(facts.title, MAX_TITLE);
  const description = clip(facts.description, MAX_DESCRIPTION);
  const site = clip(facts.site_name, MAX_TITLE);
  if (title) out.title = title;
  if (description) out.description = description;
  if (site) out.site_name = site;
  return out;
}

function clip(text: string | undefined, max: number): string {
  if (text === undefined) return "";
  // deno-lint-ignore no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f\s]+/g, " ").trim();
  const points = [...clean];
  return points.length <= max
    ? clean
    : points.slice(0, max - 1).join("").trimEnd() + "…";
}
