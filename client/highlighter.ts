/**
 * The code blocks' highlighter (client/code_highlighter.ts), bundled apart
 * as static/highlight.js beside app.js: its grammars are more bytes than
 * most pages need, so it is fetched with the first code block that names a
 * language, once, and a block shows its plain code until then.
 */

import type { CodeNode, highlightCode } from "./code_highlighter.ts";

export type { CodeNode };

/** Highlights code in a language it knows, else returns null. */
export type Highlighter = typeof highlightCode;

// Beside the page's own script, wherever the server serves it from; a
// specifier the bundler cannot read, so it leaves the import to run time.
const CHUNK = new URL("highlight.js", import.meta.url).href;

let loaded: Highlighter | null = null;
let loading: Promise<Highlighter | null> | null = null;

/** The highlighter if it has loaded, else null. */
export function highlighter(): Highlighter | null {
  return loaded;
}

/**
 * Loads the highlighter, once; null when it cannot be had (offline, a page
 * cached before the chunk existed), and then the next block tries again.
 */
export function loadHighlighter(): Promise<Highlighter | null> {
  loading ??= import(CHUNK).then(
    (chunk: { highlightCode: Highlighter }) => (loaded = chunk.highlightCode),
    () => {
      loading = null;
      return null;
    },
  );
  return loading;
}
