/**
 * The composer's "#room" and ":emoji" completion (client/completion.ts,
 * client/emoji_names.ts) without a browser: what is being typed, what it
 * offers, the text once one is picked, the emoji in a skin tone
 * (client/emoji_tones.ts), and the emoji files as `deno task emoji` writes
 * them.
 */

import assert from "node:assert/strict";
import { completeWith, completionAt } from "../client/completion.ts";
import {
  customEmojiCandidates,
  emojiCandidates,
  emojiNames,
  type EmojiRow,
} from "../client/emoji_names.ts";
import { emojiTones, toned, type ToneRow } from "../client/emoji_tones.ts";
import { emojiFile, emojiRows, toneRows } from "../scripts/emoji.ts";
import { reactionEmoji } from "../server/protocol/emoji.ts";

Deno.test("completion finds a room after # and an emoji after : and two letters, at the start of a word", () => {
  assert.deepEqual(completionAt("see #de", 7), {
    kind: "room",
    start: 4,
    query: "de",
  });
  assert.deepEqual(completionAt("#", 1), { kind: "room", start: 0, query: "" });
  assert.deepEqual(completionAt("ok :thu", 7), {
    kind: "emoji",
    start: 3,
    query: "thu",
  });
  assert.deepEqual(completionAt("(:+1", 4), {
    kind: "emoji",
    start: 1,
    query: "+1",
  });
  assert.deepEqual(completionAt("hi @bo", 6), {
    kind: "mention",
    start: 3,
    query: "bo",
  });
  // Emoji are words in a command's text too.
  assert.deepEqual(completionAt("/me waves :wa", 13), {
    kind: "emoji",
    start: 10,
    query: "wa",
  });
});

Deno.test("completion stays quiet inside a word, a time, a smiley, after one letter, or for a room in a command", () => {
  assert.equal(completionAt("issue#4", 7), null);
  assert.equal(completionAt("at 12:30", 8), null);
  assert.equal(completionAt("ok :)", 5), null);
  assert.equal(completionAt("ok :t", 5), null);
  assert.equal(completionAt("ok ::th", 7), null);
  assert.equal(completionAt("done :thumbsup: ", 16), null);
  assert.equal(completionAt("/join #de", 9), null);
  assert.equal(completionAt("see #dev now", 12), null);
});

Deno.test("completion replaces what was typed with the pick and one space, the caret after it", () => {
  const room = completionAt("see #de", 7)!;
  assert.deepEqual(completeWith("see #de", room, "#dev"), {
    text: "see #dev ",
    caret: 9,
  });
  // In the middle of the text, the space already there is kept, not doubled.
  const emoji = completionAt("ok :thu then", 7)!;
  assert.deepEqual(completeWith("ok :thu then", emoji, "👍"), {
    text: "ok 👍 then",
    caret: 6,
  });
});

const ROWS: EmojiRow[] = [
  ["😄", "smile"],
  ["🙃", "upside_down_face"],
  ["👍", "+1", "thumbsup"],
  ["👎", "-1", "thumbsdown"],
  ["⬆️", "up"],
  ["🦖", "t-rex"],
];

Deno.test("emoji candidates put the shortcode spelled out first, then those that start with it, then those that hold it, each emoji once", () => {
  const names = emojiNames(ROWS);
  assert.deepEqual(emojiCandidates(names, "thu"), [
    { emoji: "👍", name: "thumbsup" },
    { emoji: "👎", name: "thumbsdown" },
  ]);
  assert.deepEqual(emojiCandidates(names, "up").map((c) => c.name), [
    "up",
    "upside_down_face",
    "thumbsup",
  ]);
  assert.deepEqual(emojiCandidates(names, "THUMBSUP"), [
    { emoji: "👍", name: "thumbsup" },
  ]);
  assert.deepEqual(emojiCandidates(names, "t-r"), [
    { emoji: "🦖", name: "t-rex" },
  ]);
  assert.deepEqual(emojiCandidates(names, "th", 1).length, 1);
  assert.deepEqual(emojiCandidates(names, "zz"), []);
});

Deno.test("emoji names of the interface's language come first, and a shortcode named like an object's own member is only a name", () => {
  const french: EmojiRow[] = [["👍", "pouce_vers_le_haut"], [
    "❓",
    "constructor",
  ]];
  const names = emojiNames(french, ROWS);
  assert.deepEqual(emojiCandidates(names, "pou"), [
    { emoji: "👍", name: "pouce_vers_le_haut" },
  ]);
  assert.deepEqual(emojiCandidates(names, "constructor"), [
    { emoji: "❓", name: "constructor" },
  ]);
  assert.deepEqual(emojiCandidates(names, "__proto"), []);
});

Deno.test("emoji files hold emojibase's shortcodes as deno task emoji writes them", async () => {
  for (const language of ["en", "fr"]) {
    const written = await Deno.readTextFile(
      new URL(`../static/emoji/${language}.json`, import.meta.url),
    );
    assert.equal(
      written,
      emojiFile(emojiRows(language)),
      `static/emoji/${language}.json is stale: run \`deno task emoji\``,
    );
  }
  const english = emojiNames(emojiRows("en"));
  // The example everyone knows, as people type it: no variation selector.
  assert.deepEqual(emojiCandidates(english, "thumbsu")[0], {
    emoji: "👍",
    name: "thumbsup",
  });
  // One that needs it to show as an emoji keeps it.
  assert.equal(emojiCandidates(english, "heart")[0].emoji, "❤️");
});

Deno.test("skin tones: tones.json holds emojibase's toned forms as deno task emoji writes it, keyed as completion inserts each emoji", async () => {
  const written = await Deno.readTextFile(
    new URL("../static/emoji/tones.json", import.meta.url),
  );
  assert.equal(
    written,
    emojiFile(toneRows()),
    "static/emoji/tones.json is stale: run `deno task emoji`",
  );
  const tones = emojiTones(JSON.parse(written) as ToneRow[]);
  const english = emojiNames(emojiRows("en"));
  const emojiOf = (query: string) => emojiCandidates(english, query)[0].emoji;
  assert.equal(toned(tones, emojiOf("thumbsup"), 3), "\u{1f44d}\u{1f3fd}");
  assert.equal(toned(tones, emojiOf("thumbsup"), 0), "👍");
  // A joined sequence takes the tone on its person, not at its end.
  assert.equal(
    toned(tones, emojiOf("technologist"), 5),
    "\u{1f9d1}\u{1f3ff}\u200d\u{1f4bb}",
  );
  // Its variation selector gives way to the tone (✌️ → ✌🏿).
  assert.equal(toned(tones, emojiOf("v"), 5), "\u270c\u{1f3ff}");
  // Two people take one tone for both.
  assert.equal(
    toned(tones, emojiOf("people_holding_hands"), 1),
    "🧑🏻‍🤝‍🧑🏻",
  );
  // An emoji without skin, and any emoji before the table is here, as is.
  assert.equal(toned(tones, emojiOf("tada"), 4), "🎉");
  assert.equal(toned(null, "👍", 4), "👍");
  // Every emoji a shortcode inserts that takes a tone is found by it.
  const inserted = new Set(Object.values(english.emoji));
  assert.ok(
    [...tones.keys()].filter((emoji) => inserted.has(emoji)).length > 300,
  );
});

Deno.test("skin tones: every toned form offered is a reaction the server takes as it is", () => {
  for (const [, ...forms] of toneRows()) {
    for (const form of forms) assert.equal(reactionEmoji(form), form);
  }
});

Deno.test("completion offers the server's custom emoji that a query finds: the name itself, then those it starts, then those that hold it", () => {
  const names = ["parrot", "party_parrot", "blob_party", "partyblob", "cat"];
  assert.deepEqual(customEmojiCandidates(names, "party"), [
    "party_parrot",
    "partyblob",
    "blob_party",
  ]);
  assert.deepEqual(customEmojiCandidates(names, "PARROT"), [
    "parrot",
    "party_parrot",
  ]);
  assert.deepEqual(customEmojiCandidates(names, "dog"), []);
  assert.deepEqual(customEmojiCandidates(names, "pa", 2).length, 2);
});
