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
 * `code` as highlighted pieces in `language` (a name or an alias: `ts`,
 * `py`, `sh`, `html`, `yml`), or null for a language it does not know, or
 * for code with a line longer than {@linkcode LONGEST_LINE}.
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
  return pieces(lowlight.highlight(name, code, { prefix: "" }).children);
}

// lowlight's tree (hast), named through lowlight rather than its types' package.
type TreeNode = ReturnType<typeof lowlight.highlight>["children"][number];

function pieces(nodes: readonly TreeNode[]): CodeNode[] {
  const out: CodeNode[] = [];
  for (const node of nodes) {
    if (node.type === "text") {
      out.push(node.value);
    } else if (node.type === "element") {
      // lowlight's class names, without a prefix: "keyword", "title
      // function_" (a scope and its sub-scope): the first names the colour.
      const classes = node.properties.className;
      const kind = Array.isArray(classes) ? String(classes[0] ?? "") : "";
      out.push({ kind, children: pieces(node.children) });
    }
  }
  return out;
}
