/** The search dialog's marks: the words the server matched, folded as it folds them. */

import assert from "node:assert/strict";
import { highlight } from "../client/team/highlight.ts";

/** The marked pieces of a text. */
function marked(text: string, query: string): string[] {
  return highlight(text, query).filter((s) => s.hit).map((s) => s.text);
}

Deno.test("search marks words without case or accents", () => {
  assert.deepEqual(marked("L'École ouvre; ECOLE ferme", "ecole"), [
    "École",
    "ECOLE",
  ]);
});

Deno.test("search marks the last query word as a prefix, the others whole", () => {
  assert.deepEqual(marked("economy of the école", "the eco"), [
    "economy",
    "the",
    "école",
  ]);
  assert.deepEqual(marked("theory then", "the eco"), []);
});

Deno.test("search marks keep every character of the text, in order", () => {
  const text = "<b>pas</b> d'école, 🎉 ici";
  const pieces = highlight(text, "ecole");
  assert.equal(pieces.map((s) => s.text).join(""), text);
  assert.deepEqual(pieces.filter((s) => s.hit).map((s) => s.text), ["école"]);
});

Deno.test("search marks nothing for a query of punctuation alone", () => {
  assert.deepEqual(highlight("a - b", "--"), [{ text: "a - b", hit: false }]);
  assert.deepEqual(highlight("", "x"), []);
});

Deno.test("search marks compatibility forms as their plain letters", () => {
  assert.deepEqual(marked("ｆｕｌｌ ﬁle", "full file"), ["ｆｕｌｌ", "ﬁle"]);
});
