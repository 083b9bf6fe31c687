/**
 * The code blocks' highlighter, bundled apart as static/highlight.js and
 * loaded with the first block that names a language (client/highlighter.ts):
 * highlight.js's grammars through lowlight, which hands back a tree of
 * nodes rather than HTML, so the code is rendered as text, never parsed.
 * A handful of the languages teams paste: each more costs bytes for all.
 */

import { createLowlight } from "lowlight";
import bash from "highlight.js/lib/languages/bash";
import css from "highlight.js/lib/languages/css";
import diff from "highlight.js/lib/languages/diff";
import go from "highlight.js/lib/languages/go";
import java from "highlight.js/lib/languages/java";
import javascript from "highlight.js/lib/languages/javascript";
import json from "highlight.js/lib/languages/json";
import python from "highlight.js/lib/languages/python";
import rust from "highlight.js/lib/languages/rust";
import shell from "highlight.js/lib/languages/shell";
import sql from "highlight.js/lib/languages/sql";
import typescript from "highlight.js/lib/languages/typescript";
import xml from "highlight.js/lib/languages/xml";
import yaml from "highlight.js/lib/languages/yaml";

/** A piece of highlighted code: text, or a span of one kind (`keyword`, `string`) around pieces. */
export type CodeNode = string | { kind: string; children: CodeNode[] };

const lowlight = createLowlight({
  bash,
  css,
  diff,
  go,
  java,
  javascript,
  json,
  python,
  rust,
  shell,
  sql,
  typescript,
  xml,
  yaml,
});

/**
 * The longest line highlighted. highlight.js takes time in the square of a
 * long word's length: one of 4,000 letters (a message's most) held the
 * page 90-125 ms on a busy machine, each time it was shown. A line this
 * long is minified code or a blob, which colours would not help read.
 */
export const LONGEST_LINE = 400;

/**
 * The deepest spans nest. highlight.js opens a span for each template
 * literal, `${…}`, f-string brace or nested comment, so `` `${ `` written
 * 1,300 times (3,900 characters) nested 2,660 spans: rendering them ran
 * out of stack in Chromium, and with the highlighter loaded the message
 * list stopped drawing every message from that one on, for every reader
 * of the room until the page was loaded again. Code people read nests a
 * few deep; below this depth a span's text is its parent's, uncoloured.
 */
export const DEEPEST_SPAN = 16;

/**
 * `code` as highlighted pieces in `language` (a name or an alias: `ts`,
 * `py`, `sh`, `html`, `yml`), or null for a language it does not know, or
 * for code with a line longer than {@linkcode LONGEST_LINE}. Spans nest at
 * most {@linkcode DEEPEST_SPAN} deep.
 */
export function highlightCode(
  code: string,
  language: string,
): CodeNode[] | null {
  const name = language.toLowerCase();
  if (!lowlight.registered(name)) return null;
  if (code.split("\n").some((line) => line.length > LONGEST_LINE)) {
    return null;
  }
  let tree;
  try {
    tree = lowlight.highlight(name, code, { prefix: "" });
  } catch {
    // lowlight throws what highlight.js caught (a grammar's error, a
    // stack run out in a deep tree): the code is then shown plain,
    // rather than failing the render of the message list around it.
    return null;
  }
  return pieces(tree.children, DEEPEST_SPAN);
}

// lowlight's tree (hast), named through lowlight rather than its types' package.
type TreeNode = ReturnType<typeof lowlight.highlight>["children"][number];

// The pieces of `nodes`, spans at most `depth` deep; a span below that is
// its text alone.
function pieces(nodes: readonly TreeNode[], depth: number): CodeNode[] {
  const out: CodeNode[] = [];
  for (const node of nodes) {
    if (node.type === "text") {
      out.push(node.value);
    } else if (node.type === "element") {
      if (depth === 0) {
        out.push(textOf(node.children));
        continue;
      }
      // lowlight's class names, without a prefix: "keyword", "title
      // function_" (a scope and its sub-scope): the first names the colour.
      const classes = node.properties.className;
      const kind = Array.isArray(classes) ? String(classes[0] ?? "") : "";
      out.push({ kind, children: pieces(node.children, depth - 1) });
    }
  }
  return out;
}

// The text of `nodes` in order, walked without recursion: the tree below
// a cut may be thousands of spans deep.
function textOf(nodes: readonly TreeNode[]): string {
  let text = "";
  const stack = [...nodes].reverse();
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    if (node.type === "text") text += node.value;
    else if (node.type === "element") {
      for (let i = node.children.length - 1; i >= 0; i--) {
        stack.push(node.children[i]);
      }
    }
  }
  return text;
}
