/**
 * The light markdown of chat messages (client/markup.ts), as data: what
 * becomes code, emphasis, a link or a mention, and what stays plain text.
 */

import assert from "node:assert/strict";
import {
  type Block,
  type Inline,
  mentionedNames,
  mentions,
  parseInline,
  parseMarkup,
  plainText,
  roomWritten,
  safeHref,
} from "../client/markup.ts";
import { highlight } from "../client/team/highlight.ts";

/** A paragraph's runs, as a test reads them. */
function runs(text: string): unknown[] {
  return parseInline(text);
}

Deno.test("markup keeps plain text as one text run", () => {
  assert.deepEqual(runs("just words, 2*3*4 and snake*case*name"), [
    { kind: "text", text: "just words, 2*3*4 and snake*case*name" },
  ]);
});

Deno.test("markup reads **bold**, *italic* and `code`, with no markup inside code", () => {
  assert.deepEqual(runs("a **b** *c* `*d* **e**`"), [
    { kind: "text", text: "a " },
    { kind: "bold", children: [{ kind: "text", text: "b" }] },
    { kind: "text", text: " " },
    { kind: "italic", children: [{ kind: "text", text: "c" }] },
    { kind: "text", text: " " },
    { kind: "code", text: "*d* **e**" },
  ]);
});

Deno.test("markup nests italic in bold, and leaves stars past four levels as text", () => {
  assert.deepEqual(runs("**a *b* c**"), [{
    kind: "bold",
    children: [
      { kind: "text", text: "a " },
      { kind: "italic", children: [{ kind: "text", text: "b" }] },
      { kind: "text", text: " c" },
    ],
  }]);
  const deep = runs("*".repeat(20) + "x" + "*".repeat(20)) as Inline[];
  assert.ok(depth(deep) <= 4, `nested ${depth(deep)} deep`);
  assert.ok(JSON.stringify(deep).includes("x"));
});

function depth(nodes: Inline[]): number {
  let most = 0;
  for (const node of nodes) {
    if (node.kind === "bold" || node.kind === "italic") {
      most = Math.max(most, 1 + depth(node.children));
    }
  }
  return most;
}

Deno.test("markup links http and https URLs, without the sentence's punctuation", () => {
  assert.deepEqual(runs("see https://example.com/a?b=1, then."), [
    { kind: "text", text: "see " },
    {
      kind: "link",
      href: "https://example.com/a?b=1",
      text: "https://example.com/a?b=1",
    },
    { kind: "text", text: ", then." },
  ]);
  // A closing parenthesis stays when the URL opened one.
  const wiki = "https://en.wikipedia.org/wiki/Rust_(language)";
  assert.deepEqual(runs(`(${wiki})`), [
    { kind: "text", text: "(" },
    { kind: "link", href: wiki, text: wiki },
    { kind: "text", text: ")" },
  ]);
  // Only the parentheses it did not open go, punctuation between them too.
  assert.deepEqual(runs(`((${wiki}).)),`), [
    { kind: "text", text: "((" },
    { kind: "link", href: wiki, text: wiki },
    { kind: "text", text: ").))," },
  ]);
});

Deno.test("markup never makes a link of another scheme", () => {
  for (const text of ["javascript:alert(1)", "data:text/html,x", "ftp://x"]) {
    assert.deepEqual(runs(text), [{ kind: "text", text }]);
  }
  assert.equal(safeHref("javascript:alert(1)"), null);
  assert.equal(safeHref("not a url"), null);
  assert.equal(safeHref("http://x.test/a b"), "http://x.test/a%20b");
});

Deno.test("markup shows a link's URL without the direction controls that would turn it around", () => {
  assert.deepEqual(runs("https://evil.example/\u202E/moc.elgoog\u2066x"), [{
    kind: "link",
    href: "https://evil.example/%E2%80%AE/moc.elgoog%E2%81%A6x",
    text: "https://evil.example//moc.elgoogx",
  }]);
});

Deno.test("markup makes no link of a URL with a user name before its host", () => {
  // It goes to evil.example, whatever the reader takes the start for.
  for (
    const text of [
      "https://accounts.google.com@evil.example/login",
      "https://accounts.google.com:x@evil.example/",
    ]
  ) {
    assert.deepEqual(runs(text), [{ kind: "text", text }], text);
  }
  // An @ after the host is a path's, as on Mastodon.
  assert.deepEqual(runs("https://mastodon.social/@ida"), [{
    kind: "link",
    href: "https://mastodon.social/@ida",
    text: "https://mastodon.social/@ida",
  }]);
});

Deno.test("markup reads @mentions, not e-mail addresses", () => {
  assert.deepEqual(runs("hi @Ida.B, mail ida@example.com"), [
    { kind: "text", text: "hi " },
    { kind: "mention", name: "Ida.B" },
    { kind: "text", text: ", mail ida@example.com" },
  ]);
  assert.deepEqual(mentionedNames("@ann **@bob** `@carl`"), ["ann", "bob"]);
});

Deno.test("markup reads #room where a word may start, not inside words, URLs or code", () => {
  assert.deepEqual(runs("see #dev, #Café_2 and #ops.eu."), [
    { kind: "text", text: "see " },
    { kind: "room", name: "dev" },
    { kind: "text", text: ", " },
    { kind: "room", name: "Café_2" },
    { kind: "text", text: " and " },
    { kind: "room", name: "ops.eu." },
  ]);
  // The dots that end it: the name's, or the sentence's, by the rooms known.
  const known = (name: string) =>
    ["dev", "v2.", "ops.eu"].includes(name) ? name : undefined;
  assert.deepEqual(roomWritten("dev.", known), {
    room: "dev",
    written: "dev",
    rest: ".",
  });
  assert.deepEqual(roomWritten("v2.", known), {
    room: "v2.",
    written: "v2.",
    rest: "",
  });
  assert.deepEqual(roomWritten("ops.eu...", known), {
    room: "ops.eu",
    written: "ops.eu",
    rest: "...",
  });
  assert.equal(roomWritten("ops.", known), null);
  assert.deepEqual(runs("**#constructor**"), [
    { kind: "bold", children: [{ kind: "room", name: "constructor" }] },
  ]);
  for (
    const text of [
      "a#b",
      "C# and F#",
      "##dev",
      "# heading",
      "&#39;",
    ]
  ) {
    assert.deepEqual(runs(text), [{ kind: "text", text }], text);
  }
  assert.deepEqual(runs("https://example.com/#dev"), [
    {
      kind: "link",
      href: "https://example.com/#dev",
      text: "https://example.com/#dev",
    },
  ]);
  assert.deepEqual(runs("`#dev`"), [{ kind: "code", text: "#dev" }]);
  assert.equal(plainText("join **#dev** now"), "join #dev now");
});

Deno.test("markup splits ```code blocks``` from paragraphs, their language tag kept apart from the code", () => {
  const blocks: Block[] = parseMarkup(
    "before\n```ts\nconst x = 1;\n```\nafter",
  );
  assert.deepEqual(blocks, [
    { kind: "paragraph", children: [{ kind: "text", text: "before" }] },
    { kind: "codeblock", text: "const x = 1;", language: "ts" },
    { kind: "paragraph", children: [{ kind: "text", text: "after" }] },
  ]);
  // No tag, no language: the block is plain, as before.
  assert.deepEqual(parseMarkup("```\nls -l\n```"), [
    { kind: "codeblock", text: "ls -l" },
  ]);
  assert.deepEqual(parseMarkup(""), [{ kind: "paragraph", children: [] }]);
  // Windows' line ends (an API client's, a form's): the tag is still read.
  assert.deepEqual(parseMarkup("```ts\r\nconst x = 1;\r\n```"), [
    { kind: "codeblock", text: "const x = 1;", language: "ts" },
  ]);
  // The same text parses to the same (shared) blocks.
  assert.equal(parseMarkup("same"), parseMarkup("same"));
});

Deno.test("markup strikes ~~words~~ and Slack's ~words~, not tildes in paths, ranges or words", () => {
  const struck = (text: string) => ({
    kind: "strike",
    children: [{ kind: "text", text }],
  });
  assert.deepEqual(runs("~~old~~ and ~gone too~"), [
    struck("old"),
    { kind: "text", text: " and " },
    struck("gone too"),
  ]);
  assert.deepEqual(runs("**~~both~~**"), [{
    kind: "bold",
    children: [struck("both")],
  }]);
  for (
    const text of [
      "cd ~/bin and ~/src",
      "a~b~c",
      "~5 min to ~10 min",
      "it costs ~ 3 ~ 4",
      "~~ ~~",
      "see https://ex.example/~ana/~x~",
    ]
  ) {
    assert.ok(
      runs(text).every((run) => (run as Inline).kind !== "strike"),
      text,
    );
  }
  assert.equal(plainText("~~old~~ new"), "old new");
  // A mention struck through is still a mention, as it was before.
  assert.deepEqual(mentionedNames("~@ida~ ~~@bob~~"), ["ida", "bob"]);
});

Deno.test("markup reads lines quoted with > as one quote a run, and keeps >_< and a lone > as text", () => {
  assert.deepEqual(parseMarkup("> first\n>second\n> third @ida\nmy answer"), [
    { kind: "quote", children: [{ kind: "text", text: "first" }] },
    // ">" and a word with no space between stay text: ">.<", ">:(".
    { kind: "paragraph", children: [{ kind: "text", text: ">second" }] },
    {
      kind: "quote",
      children: [
        { kind: "text", text: "third " },
        { kind: "mention", name: "ida" },
      ],
    },
    { kind: "paragraph", children: [{ kind: "text", text: "my answer" }] },
  ]);
  assert.deepEqual(parseMarkup("> a\n> b\n\n> c"), [
    { kind: "quote", children: [{ kind: "text", text: "a\nb" }] },
    { kind: "quote", children: [{ kind: "text", text: "c" }] },
  ]);
  for (const text of [">_<", ">", "> ", "a > b", "3 >2", ">\n>"]) {
    assert.ok(
      parseMarkup(text).every((block) => block.kind === "paragraph"),
      text,
    );
    assert.equal(plainText(text), text);
  }
  // A quote inside a code block is code.
  assert.deepEqual(parseMarkup("```\n> not a quote\n```"), [
    { kind: "codeblock", text: "> not a quote" },
  ]);
  assert.equal(plainText("> quoted\nanswer"), "quoted answer");
  assert.deepEqual(mentionedNames("> @ida said\n@bob"), ["ida", "bob"]);
});

Deno.test("markup reads lines of -, * and • as a bulleted list, with markup in its items", () => {
  const text = (text: string) => ({ kind: "text", text });
  assert.deepEqual(parseMarkup("todo:\n- **ship** it\n* ask @ida\n• done"), [
    { kind: "paragraph", children: [text("todo:")] },
    {
      kind: "list",
      ordered: false,
      items: [
        {
          children: [
            { kind: "bold", children: [text("ship")] },
            text(" it"),
          ],
        },
        { children: [text("ask "), { kind: "mention", name: "ida" }] },
        { children: [text("done")] },
      ],
    },
  ]);
  assert.deepEqual(mentionedNames("- ask @ida\n  - and @bob"), ["ida", "bob"]);
  assert.equal(plainText("- one\n- *two*"), "one two");
});

Deno.test("markup reads a list whose lines end as Windows ends them (\\r\\n, as an API client or a form posts them), without the \\r", () => {
  const item = (words: string) => ({
    children: [{ kind: "text", text: words }],
  });
  assert.deepEqual(parseMarkup("- one\r\n- two\r\n1. three\r\n2. four"), [
    { kind: "list", ordered: false, items: [item("one"), item("two")] },
    {
      kind: "list",
      ordered: true,
      start: 1,
      items: [item("three"), item("four")],
    },
  ]);
});

Deno.test("markup reads 1. and 1) lines as a numbered list from its first number, and one level indented under an item", () => {
  const item = (text: string) => ({ children: [{ kind: "text", text }] });
  assert.deepEqual(
    parseMarkup("3. three\n4) four\n  - under four\n   - and\n5. five"),
    [{
      kind: "list",
      ordered: true,
      start: 3,
      items: [
        item("three"),
        {
          ...item("four"),
          list: {
            kind: "list",
            ordered: false,
            items: [item("under four"), item("and")],
          },
        },
        item("five"),
      ],
    }],
  );
  // Bullets after numbers start a list of their own; blank lines between
  // a list and the words around it part them.
  assert.deepEqual(
    parseMarkup("1. a\n- b\n\nafter").map((block) =>
      block.kind === "list" ? `list ordered=${block.ordered}` : block.kind
    ),
    ["list ordered=true", "list ordered=false", "paragraph"],
  );
  assert.equal(plainText("1. a\n  - b\n2. c"), "a b c");
});

Deno.test("markup keeps -5 degrees, a year that starts a sentence, a lone - and **bold** as text, not a list", () => {
  for (
    const text of [
      "-5 degrees",
      "2024. was a year",
      "-",
      "- ",
      "*",
      "**bold** line\n*italic* line",
      "1.5 is the version",
      "a - b\nc * d",
      "```\n- code\n```",
      "> - quoted",
    ]
  ) {
    assert.ok(
      parseMarkup(text).every((block) => block.kind !== "list"),
      text,
    );
  }
  assert.equal(plainText("-5 degrees"), "-5 degrees");
});

Deno.test("markup mentions a user whatever the case, outside code only", () => {
  assert.equal(mentions("hey @IDA", "ida"), true);
  assert.equal(mentions("hey `@ida`", "ida"), false);
  assert.equal(mentions("hey @idaho", "ida"), false);
  assert.equal(mentions("hey @ida", null), false);
});

Deno.test("markup's plain text shows a search result's words without ** or `, and the match is still marked", () => {
  const text =
    "the **deploy** of `main` by @bob, see https://ex.example/x\n```\nmake\n```";
  const plain = plainText(text);
  assert.equal(
    plain,
    "the deploy of main by @bob, see https://ex.example/x make",
  );
  assert.deepEqual(
    highlight(plain, "deploy").filter((s) => s.hit).map((s) => s.text),
    ["deploy"],
  );
  // Tags typed by the user stay text: nothing here is HTML.
  assert.equal(plainText("<b>pas</b> *si* vite"), "<b>pas</b> si vite");
});
