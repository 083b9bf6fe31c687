/**
 * What a page says of itself for a link preview (server/link_previews/
 * page.ts), and the links a message's text holds (links.ts).
 */
import assert from "node:assert/strict";
import { readPage } from "../server/link_previews/page.ts";
import { linksOf } from "../server/link_previews/links.ts";
import { MAX_PREVIEW_URL } from "../server/protocol/limits.ts";

Deno.test("link page: Open Graph tags come first, then twitter: tags, then <title> and the description meta; entities decoded, whitespace folded", async () => {
  assert.deepEqual(
    await readPage(`<head><title>Plain</title>
      <meta name="description" content="Named">
      <meta name="twitter:title" content="Bird">
      <meta property="og:title" content="Open &amp; Graph">
      <meta property="og:site_name" content=" Site
        Name ">`),
    { title: "Open & Graph", description: "Named", site_name: "Site Name" },
  );
  assert.deepEqual(await readPage("<title> A\n\tB </title>"), { title: "A B" });
  assert.deepEqual(await readPage("<p>no head at all</p>"), {});
});

Deno.test("link page: a long title or description is clipped, in code points, with an ellipsis", async () => {
  const facts = await readPage(
    `<title>${"🍵".repeat(300)}</title><meta name="description" content="${
      "d".repeat(900)
    }">`,
  );
  assert.equal([...facts.title!].length, 200);
  assert.ok(facts.title!.endsWith("🍵…"));
  assert.equal([...facts.description!].length, 500);
});

Deno.test("link page: tags in the body, after </head>, are not read", async () => {
  assert.deepEqual(
    await readPage(
      `<head><title>Head</title></head><body>${
        "<p>x</p>".repeat(10_000)
      }<meta property="og:title" content="Body"></body>`,
    ),
    { title: "Head" },
  );
});

Deno.test("link page: a message's first three distinct http(s) links, without the punctuation that ends a sentence", () => {
  assert.deepEqual(
    linksOf(
      "See https://a.example/x. And (https://b.example/wiki/Tea_(drink)), " +
        "https://a.example/x again, ftp://c.example, https://d.example/?q=1! " +
        "https://e.example",
    ),
    [
      "https://a.example/x",
      "https://b.example/wiki/Tea_(drink)",
      "https://d.example/?q=1",
    ],
  );
  assert.deepEqual(linksOf("no links here"), []);
});

Deno.test("link page: a link longer than an export keeps of a preview's URL is not previewed, so the server's own dump still imports", () => {
  const long = `https://a.example/${"x".repeat(MAX_PREVIEW_URL)}`;
  const most = `https://b.example/${"y".repeat(MAX_PREVIEW_URL - 18)}`;
  assert.equal(most.length, MAX_PREVIEW_URL);
  assert.deepEqual(linksOf(`${long} ${most} https://c.example`), [
    most,
    "https://c.example",
  ]);
});
