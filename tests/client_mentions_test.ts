/**
 * The composer's mention list (client/mention_query.ts) without a
 * browser: which "@" is being typed, which names it offers, and the text
 * once one is picked.
 */

import assert from "node:assert/strict";
import {
  completeMention,
  mentionAt,
  mentionCandidates,
  mentionChoices,
  spelledOut,
} from "../client/mention_query.ts";

Deno.test("mentions start at an @ after a space or the start, up to the caret", () => {
  assert.deepEqual(mentionAt("hi @bo", 6), { start: 3, query: "bo" });
  assert.deepEqual(mentionAt("@", 1), { start: 0, query: "" });
  assert.deepEqual(mentionAt("(@ann.lee", 9), { start: 1, query: "ann.lee" });
  // The caret in the middle of a word: the part before it.
  assert.deepEqual(mentionAt("@bobby", 3), { start: 0, query: "bo" });
});

Deno.test("mentions are not offered inside a word, an address, after a space or in a command", () => {
  assert.equal(mentionAt("mail bob@bo", 11), null);
  assert.equal(mentionAt("hi @bob and", 11), null);
  assert.equal(mentionAt("/msg @bo", 8), null);
  assert.equal(mentionAt("no at sign", 10), null);
});

Deno.test("mention candidates put the name spelled out, then names that start with the query first, without me, at most eight", () => {
  const names = ["elbow", "Bob", "carol", "bonnie", "alice", "BOB"];
  assert.deepEqual(mentionCandidates(names, "bo", { me: "alice" }), [
    "Bob",
    "bonnie",
    "elbow",
  ]);
  assert.deepEqual(mentionCandidates(names, "", { me: "ALICE" }), [
    "elbow",
    "Bob",
    "carol",
    "bonnie",
  ]);
  const many = Array.from({ length: 20 }, (_, i) => `user${i}`);
  assert.equal(mentionCandidates(many, "user").length, 8);
  // The name spelled out comes first, however it is written.
  assert.deepEqual(mentionCandidates(["bobby", "Bob"], "BOB"), [
    "Bob",
    "bobby",
  ]);
  // Compared as the server compares names.
  assert.deepEqual(mentionCandidates(["Straße"], "STRASS"), ["Straße"]);
});

Deno.test("a picked mention replaces what was typed and ends with one space", () => {
  const text = "hi @bo";
  assert.deepEqual(completeMention(text, mentionAt(text, 6)!, "bonnie"), {
    text: "hi @bonnie ",
    caret: 11,
  });
  const middle = "hi @bo there";
  assert.deepEqual(
    completeMention(middle, mentionAt(middle, 6)!, "bob"),
    { text: "hi @bob there", caret: 8 },
  );
});

Deno.test("a mention that spells a name out in full needs no completing", () => {
  assert.equal(spelledOut({ start: 0, query: "BOB" }, "bob"), true);
  assert.equal(spelledOut({ start: 0, query: "bo" }, "bob"), false);
});

Deno.test("mention choices put the people online first, then the room's other members, each once, at most the limit", () => {
  const online = ["alice", "elbow", "Bob"];
  const offline = ["bob", "bonnie", "boris", "alice"];
  assert.deepEqual(mentionChoices(online, offline, "bo", { me: "alice" }), [
    { name: "Bob", online: true },
    { name: "elbow", online: true },
    { name: "bonnie", online: false },
    { name: "boris", online: false },
  ]);
  assert.deepEqual(
    mentionChoices(online, offline, "bo", { me: "alice", limit: 3 }).map((
      c,
    ) => c.name),
    ["Bob", "elbow", "bonnie"],
  );
  assert.deepEqual(mentionChoices([], offline, "", { me: "alice" }), [
    { name: "bob", online: false },
    { name: "bonnie", online: false },
    { name: "boris", online: false },
  ]);
});
