/**
 * The code blocks' highlighter (client/code_highlighter.ts), as data: the
 * languages it knows by their names and aliases, pieces that give back the
 * code exactly, and null for a language it does not know or a line too
 * long to colour cheaply.
 */

import assert from "node:assert/strict";
import {
  type CodeNode,
  DEEPEST_SPAN,
  highlightCode,
  LONGEST_LINE,
} from "../client/code_highlighter.ts";

/** The code the pieces spell, as the page shows it. */
function spelled(nodes: CodeNode[]): string {
  return nodes.map((node) =>
    typeof node === "string" ? node : spelled(node.children)
  ).join("");
}

/** The kinds of span in the pieces, each once. */
function kinds(nodes: CodeNode[], into = new Set<string>()): Set<string> {
  for (const node of nodes) {
    if (typeof node !== "string") {
      into.add(node.kind);
      kinds(node.children, into);
    }
  }
  return into;
}

Deno.test("code highlight marks keywords, strings and comments, and gives back the code as written", () => {
  const code = "const a = '<b>x</b>'; // why\nlet n = 42;";
  const nodes = highlightCode(code, "ts")!;
  assert.equal(spelled(nodes), code);
  assert.deepEqual(nodes.slice(0, 1), [{
    kind: "keyword",
    children: ["const"],
  }]);
  for (const kind of ["keyword", "string", "comment", "number"]) {
    assert.ok(kinds(nodes).has(kind), kind);
  }
});

/** How deep the pieces' spans nest. */
function depth(nodes: CodeNode[]): number {
  let deepest = 0;
  for (const node of nodes) {
    if (typeof node !== "string") {
      deepest = Math.max(deepest, 1 + depth(node.children));
    }
  }
  return deepest;
}

Deno.test("code highlight nests spans at most DEEPEST_SPAN deep, the text below given back uncoloured: template literals, f-strings, ${} and comments nested a message's length", () => {
  // Lines of at most 399: each under LONGEST_LINE, 10 of them a message.
  const nested = (unit: string) =>
    Array(10).fill(unit.repeat(Math.floor(396 / unit.length))).join("\n");
  const cases: [string, string][] = [
    ["ts", nested("`${")],
    ["js", nested("`${")],
    ["py", nested("f'{")],
    ["bash", nested("${")],
    ["rust", nested("/*")],
  ];
  for (const [language, code] of cases) {
    assert.ok(code.length <= 4000);
    const nodes = highlightCode(code, language)!;
    assert.equal(depth(nodes), DEEPEST_SPAN, language);
    assert.equal(spelled(nodes), code, language);
  }
  const shallow = "const a = `x ${`y ${z}`}`;";
  assert.equal(spelled(highlightCode(shallow, "ts")!), shallow);
});

Deno.test("code highlight knows the languages teams paste, by name and by alias, whatever the case", () => {
  const samples: Record<string, string> = {
    ts: "type A = { b: string };",
    typescript: "const x: number = 1;",
    js: "function f() { return 1; }",
    javascript: "const x = null;",
    json: '{"a": [1, true]}',
    py: "def f():\n    return None",
    python: "import os",
    bash: 'echo "$HOME"',
    sh: "if [ -f x ]; then ls; fi",
    shell: "$ ls -l",
    sql: "SELECT id FROM rooms WHERE name = 'dev';",
    go: "func main() { fmt.Println(1) }",
    rust: "fn main() { let x = 1; }",
    rs: "pub struct A;",
    java: "public class A { int x = 1; }",
    css: "a { color: red; }",
    html: '<p class="a">x</p>',
    xml: '<a b="c"/>',
    yaml: "key: value\nlist:\n  - 1",
    yml: "a: true",
    diff: "--- a\n+++ b\n-old\n+new",
    SQL: "select 1",
  };
  for (const [language, code] of Object.entries(samples)) {
    const nodes = highlightCode(code, language);
    assert.ok(nodes !== null, `${language} is known`);
    assert.equal(spelled(nodes), code, language);
    assert.ok(kinds(nodes).size > 0, `${language} marks something`);
  }
});

Deno.test("code highlight leaves a language it does not know, or an object's own key, to plain text", () => {
  for (const language of ["cobol", "constructor", "__proto__", "toString"]) {
    assert.equal(highlightCode("x = 1", language), null, language);
  }
});

Deno.test("code highlight leaves code with a line too long to colour cheaply plain", () => {
  // One word of a message's 4,000 letters cost highlight.js 90-125 ms.
  assert.equal(highlightCode("a".repeat(4000), "ts"), null);
  assert.equal(
    highlightCode(`let a = 1;\n${"x".repeat(LONGEST_LINE + 1)}`, "ts"),
    null,
  );
  assert.ok(highlightCode("x".repeat(LONGEST_LINE), "ts") !== null);
});
