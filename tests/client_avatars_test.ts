/**
 * client/components/Avatar.tsx's URL of a name's picture and
 * client/actions/avatars.ts: which picture the web client asks for, and
 * when it stops asking.
 */
import assert from "node:assert/strict";
import {
  avatarMissing,
  avatarSeen,
  avatarsReset,
} from "../client/actions/avatars.ts";
import { avatarUrl } from "../client/components/Avatar.tsx";
import { createAppState } from "../client/state.ts";

Deno.test("client avatars: a name not heard of is asked for once without a version, a version heard is a new URL, none is no URL", () => {
  const state = createAppState();
  assert.equal(avatarUrl(state, "Léa"), "/avatars/L%C3%A9a");
  // A 404 (no picture): the initials, and that URL not asked for again.
  avatarMissing(state, "LÉA", "/avatars/L%C3%A9a");
  assert.equal(avatarUrl(state, "Léa"), undefined);
  // Set since: its event gives the version, a URL of its own.
  avatarSeen(state, "léa", "3f1c0a9b2e4d5f60");
  assert.equal(avatarUrl(state, "Léa"), "/avatars/L%C3%A9a?v=3f1c0a9b2e4d5f60");
  avatarSeen(state, "Léa", null);
  assert.equal(avatarUrl(state, "Léa"), undefined);
});

Deno.test("client avatars: a login forgets what was heard (changes meanwhile came as no event) but keeps its own from the reply", () => {
  const state = createAppState();
  avatarSeen(state, "bob", null);
  avatarMissing(state, "carol", "/avatars/carol");
  avatarsReset(state, "ann", "0123456789abcdef");
  assert.equal(avatarUrl(state, "ann"), "/avatars/ann?v=0123456789abcdef");
  assert.equal(avatarUrl(state, "bob"), "/avatars/bob");
  assert.equal(avatarUrl(state, "carol"), "/avatars/carol");
  avatarsReset(state, "gus", undefined);
  assert.equal(avatarUrl(state, "ann"), "/avatars/ann");
});
