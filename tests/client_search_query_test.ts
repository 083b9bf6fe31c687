/**
 * The search box's modifiers (client/team/search_query.ts): Slack's
 * `from:`, `in:`, `has:`, `after:`, `before:` and `on:` read into the
 * `search` action's fields, the rest left as words.
 */
import assert from "node:assert/strict";
import {
  asksAnything,
  modifierCompletion,
  parseSearch,
} from "../client/team/search_query.ts";

Deno.test("search box: modifiers become filters and the rest stays words, in order", () => {
  assert.deepEqual(
    parseSearch(
      "deploy from:@alice in:#general has:file after:2026-01-01 before:2026-02-01 notes",
    ),
    {
      query: "deploy notes",
      from: "alice",
      room: "general",
      has: ["file"],
      after: "2026-01-02",
      until: "2026-01-31",
    },
  );
  assert.deepEqual(parseSearch("from:bob in:@carol HAS:LINK has:image"), {
    query: "",
    from: "bob",
    with: "carol",
    has: ["link", "image"],
  });
  assert.deepEqual(parseSearch("thanks has:reaction has:Reaction"), {
    query: "thanks",
    has: ["reaction"],
  });
  assert.deepEqual(parseSearch("on:2024-02-29"), {
    query: "",
    after: "2024-02-29",
    until: "2024-02-29",
  });
  // Across a month and a year's end.
  assert.deepEqual(parseSearch("after:2025-12-31 before:2026-03-01"), {
    query: "",
    after: "2026-01-01",
    until: "2026-02-28",
  });
});

Deno.test("search box: a modifier with a value it cannot take stays words", () => {
  for (
    const text of [
      "has:gif",
      "after:monday",
      "on:2026-02-30",
      "before:2026-1-1",
      "from:@",
      "in:#",
      "in:@",
      "to:alice",
    ]
  ) {
    const ask = parseSearch(text);
    assert.deepEqual(ask, { query: text }, text);
  }
  // The day after the last a date can name, the day before the first:
  // none the server takes (it read "+010000-01" and "-000001-12" and
  // refused the search).
  for (const text of ["after:9999-12-31", "before:0000-01-01"]) {
    assert.deepEqual(parseSearch(text), { query: text }, text);
  }
  assert.deepEqual(parseSearch("on:9999-12-31 before:0000-01-02"), {
    query: "",
    after: "9999-12-31",
    until: "0000-01-01",
  });
  assert.equal(asksAnything(parseSearch("  ")), false);
  assert.equal(asksAnything(parseSearch("in:#general")), false);
  assert.equal(asksAnything(parseSearch("from:alice")), true);
  assert.equal(asksAnything(parseSearch("word")), true);
});

Deno.test("search box: a name is completed after from:@, in:@ and in:#, nowhere else", () => {
  const at = (text: string) => modifierCompletion(text, text.length);
  assert.deepEqual(at("deploy from:@al"), {
    kind: "mention",
    start: 12,
    query: "al",
  });
  assert.deepEqual(at("in:@"), { kind: "mention", start: 3, query: "" });
  assert.deepEqual(at("x IN:#gen"), { kind: "room", start: 5, query: "gen" });
  assert.equal(at("@al"), null);
  assert.equal(at("#gen"), null);
  assert.equal(at("from:#gen"), null);
  assert.equal(at("xfrom:@al"), null);
  assert.equal(at("has:@al"), null);
  // The caret decides: a modifier before it is done.
  assert.equal(modifierCompletion("from:@al words", 14), null);
});
