/** searchWords: the folding both stores index and search with. */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import {
  MAX_WORD_LENGTH,
  searchWords,
  textHolds,
} from "../server/store/search_text.ts";

Deno.test("searchWords folds accents, case, compatibility forms and final sigma", () => {
  assert.deepEqual(searchWords("L'École  FERMÉE!"), ["l", "ecole", "fermee"]);
  assert.deepEqual(searchWords("ﬁnal ｆｕｌｌ x²"), ["final", "full", "x2"]);
  assert.deepEqual(searchWords("ΣΟΦΟΣ σοφός"), ["σοφοσ", "σοφοσ"]);
  assert.deepEqual(searchWords("İstanbul Ørsted"), ["istanbul", "ørsted"]);
  assert.deepEqual(searchWords("한국어 ガイド"), ["한국어", "カイト"]);
});

Deno.test("searchWords splits on everything but letters and digits", () => {
  assert.deepEqual(searchWords('"NEAR" OR a-b:c*d (e) 😀x'), [
    "near",
    "or",
    "a",
    "b",
    "c",
    "d",
    "e",
    "x",
  ]);
  assert.deepEqual(searchWords("  *** -- "), []);
  assert.deepEqual(searchWords(""), []);
});

Deno.test("searchWords cuts words at 100 characters", () => {
  const [word] = searchWords("é".repeat(150));
  assert.equal(word, "e".repeat(MAX_WORD_LENGTH));
  const [emojiless] = searchWords("𝐀".repeat(150));
  assert.equal([...emojiless].length, MAX_WORD_LENGTH);
});

// The Basic Multilingual Plane, and the astral ranges with letters,
// digits and symbols that fold (a full sweep takes a minute).
const CODE_POINTS = [
  [0x20, 0xd800],
  [0xe000, 0x10000],
  [0x10400, 0x10500],
  [0x1d400, 0x1d800],
  [0x1f100, 0x1f300],
  [0x20000, 0x20100],
];

Deno.test("searchWords gives words SQLite's unicode61 tokenizer keeps as they are", () => {
  // Were unicode61 to split or fold a word further, SQLite would match
  // words PostgreSQL (which takes the words as they are) does not.
  const db = new DatabaseSync(":memory:");
  try {
    db.exec(`CREATE VIRTUAL TABLE t USING fts5 (words,
      tokenize = "unicode61 remove_diacritics 2")`);
    db.exec("CREATE VIRTUAL TABLE v USING fts5vocab (t, 'instance')");
    const insert = db.prepare("INSERT INTO t (rowid, words) VALUES (?, ?)");
    const expected = new Map<number, string>();
    db.exec("BEGIN");
    for (const [from, to] of CODE_POINTS) {
      for (let cp = from; cp < to; cp++) {
        const c = String.fromCodePoint(cp);
        const words = searchWords(`a${c}b ${c}`).join(" ");
        expected.set(cp, words);
        insert.run(cp, words);
      }
    }
    db.exec("COMMIT");
    const got = new Map<number, string[]>();
    const rows = db.prepare("SELECT term, doc FROM v ORDER BY doc, offset")
      .all() as { term: string; doc: number }[];
    for (const { term, doc } of rows) {
      const terms = got.get(doc) ?? [];
      terms.push(term);
      got.set(doc, terms);
    }
    const differ = [...expected].filter(([cp, words]) =>
      (got.get(cp) ?? []).join(" ") !== words
    ).map(([cp]) => cp.toString(16));
    assert.deepEqual(differ.slice(0, 20), []);
  } finally {
    db.close();
  }
});

Deno.test("searchWords reads ASCII text as it reads the same text with a non-ASCII letter added", () => {
  // ASCII text takes a shorter path: it must give the same words.
  let ascii = "";
  for (let c = 0; c < 0x80; c++) ascii += `${String.fromCharCode(c)}x `;
  for (
    const text of [ascii, "Hello, World! a-b_c d.e 42x\tTAB", "x".repeat(150)]
  ) {
    assert.deepEqual([...searchWords(text), "e"], searchWords(`${text} é`));
  }
});

// What textHolds must say: its definition, by searchWords.
function holdsByWords(text: string, whole: string[], prefix?: string) {
  const own = searchWords(text);
  return whole.every((word) => own.includes(word)) &&
    (prefix === undefined || own.some((word) => word.startsWith(prefix)));
}

Deno.test("textHolds says what searchWords says: whole words, a prefix, cut words", () => {
  const long = "x".repeat(150);
  const cases: [string, string[], string?][] = [
    ["Deploy the release-2 now", ["deploy", "release", "2"]],
    ["redeploy", ["deploy"]],
    ["deployed", ["deploy"]],
    ["deployed", [], "deploy"],
    ["redeployed", [], "deploy"],
    ["a-b:c*d", ["a", "b", "c", "d"]],
    ["ab ab1 1ab", ["ab"]],
    ["ab1 1ab", ["ab"]],
    [`${long} end`, ["x".repeat(MAX_WORD_LENGTH), "end"]],
    [`${long} end`, ["x".repeat(MAX_WORD_LENGTH - 1)]],
    [`${long}`, [], "x".repeat(MAX_WORD_LENGTH)],
    ["L'École FERMÉE", ["ecole", "fermee"]],
    ["L'École FERMÉE", ["ecole"], "ferm"],
    ["L'École FERMÉE", ["école"]],
    ["plain words", ["école"]],
    ["", ["a"]],
    ["anything", []],
  ];
  for (const [text, whole, prefix] of cases) {
    assert.equal(
      textHolds(text, whole, prefix),
      holdsByWords(text, whole, prefix),
      JSON.stringify([text, whole, prefix]),
    );
  }
  // Random texts of few letters, so words meet inside others often.
  let seed = 1;
  const next = (n: number) => (seed = (seed * 48271) % 2147483647) % n;
  const pieces = ["a", "b", "ab", "ba", "1", " ", "-", "É", "é", ".", "A"];
  for (let i = 0; i < 3000; i++) {
    const text = Array.from({ length: next(12) }, () => pieces[next(11)])
      .join("");
    const words = searchWords(
      Array.from({ length: 3 }, () => pieces[next(5)]).join(" "),
    );
    const prefix = next(2) === 0 ? words.pop() : undefined;
    assert.equal(
      textHolds(text, words, prefix),
      holdsByWords(text, words, prefix),
      JSON.stringify([text, words, prefix]),
    );
  }
});
