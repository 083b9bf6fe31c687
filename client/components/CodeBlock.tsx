/** A fenced code block: its code as text, coloured when its fence names a language the highlighter knows. */

import type { JSX } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";
import { type CodeNode, highlighter, loadHighlighter } from "../highlighter.ts";

/** Props of {@linkcode CodeBlock}. */
export interface CodeBlockProps {
  /** The code as written between the fences. */
  text: string;
  /** The language its fence names (```` ```ts ````), if any. */
  language?: string;
}

/**
 * The code in `pre`, plain until the highlighter has loaded (and for a
 * language it does not know); then in spans whose classes (`hl-keyword`,
 * `hl-string`) the theme colours. Every piece is a text node: nothing is
 * read as HTML.
 */
export function CodeBlock({ text, language }: CodeBlockProps): JSX.Element {
  const [highlight, setHighlight] = useState(highlighter);
  useEffect(() => {
    if (language === undefined || highlight !== null) return;
    let live = true;
    loadHighlighter().then((loaded) => {
      if (live && loaded !== null) setHighlight(() => loaded);
    });
    return () => {
      live = false;
    };
  }, [language, highlight]);
  const nodes = useMemo(
    () =>
      language === undefined || highlight === null
        ? null
        : highlight(text, language),
    [text, language, highlight],
  );
  return (
    <pre class="md-pre">
      <code data-language={nodes === null ? undefined : language}>
        {nodes === null ? text : renderCode(nodes)}
      </code>
    </pre>
  );
}

function renderCode(nodes: CodeNode[]): (JSX.Element | string)[] {
  return nodes.map((node, i) =>
    typeof node === "string" ? node : (
      <span key={i} class={`hl-${node.kind}`}>
        {renderCode(node.children)}
      </span>
    )
  );
}
