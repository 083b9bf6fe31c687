/**
 * What the quick switcher (Ctrl+K) offers for what is typed
 * (client/quick_switch.ts), without a browser: one's rooms and
 * conversations, then public rooms to join and people to write to; the
 * better match first, then unread, then the most recent.
 */

import assert from "node:assert/strict";
import {
  matchRank,
  peopleQuery,
  rankPlaces,
  switchChoices,
  switchPlaces,
  withPeople,
} from "../client/quick_switch.ts";
import { type AppState, createAppState, put } from "../client/state.ts";

/** Alice's account: in general, design (private) and dev-ops; talking with bob and carol. */
function account(): AppState {
  const state = createAppState();
  state.account.value = true;
  state.username.value = "alice";
  state.memberships.value = {
    general: { room: "general", private: false },
    design: { room: "design", private: true },
    "dev-ops": { room: "dev-ops", private: false },
  };
  state.rooms.value = [
    { name: "general", users: 4 },
    { name: "devices", users: 2 },
    { name: "secret", users: 1, private: true },
    { name: "random", users: 3 },
  ];
  state.conversations.value = {
    carol: { name: "carol", lastTs: "2026-12-01T10:00:00.000Z" },
    bob: { name: "bob", lastTs: "2026-12-02T10:00:00.000Z" },
  };
  state.members.value = ["alice", "bob", "dave", "Devon"];
  return state;
}

/** The choices for `query` as "#room", "@name", with "+" for one to join or write to anew. */
function offered(state: AppState, query: string): string[] {
  return switchChoices(state, query).map((c) =>
    `${c.mine ? "" : "+"}${c.kind === "room" ? "#" : "@"}${c.name}`
  );
}

Deno.test("quick switcher offers, for nothing typed, one's places most recent first, then rooms to join and people to write to, never oneself nor a private room one is not in", () => {
  // No room has a message held yet: the conversations are more recent.
  assert.deepEqual(offered(account(), ""), [
    "@bob",
    "@carol",
    "#general",
    "#design",
    "#dev-ops",
    "+#devices",
    "+#random",
    "+@dave",
    "+@Devon",
  ]);
});

Deno.test("quick switcher ranks one's own places first, then the whole name, its start, a word's start, inside, letters in order", () => {
  assert.equal(matchRank("dev", "dev"), 0);
  assert.equal(matchRank("devices", "dev"), 1);
  assert.equal(matchRank("team-dev", "dev"), 2);
  assert.equal(matchRank("abdev", "dev"), 3);
  assert.equal(matchRank("dv-ops", "dvps"), 4);
  assert.equal(matchRank("ops", "dev"), null);
  // One letter: only a start, as nearly every name holds it somewhere.
  assert.equal(matchRank("dev-ops", "o"), 2);
  assert.equal(matchRank("random", "d"), null);
  // Joined dev-ops (a word's start) before devices to join (its start);
  // a name that only holds the letters in order comes after every match.
  assert.deepEqual(offered(account(), "ops"), ["#dev-ops"]);
  assert.deepEqual(offered(account(), "dev"), [
    "#dev-ops",
    "+#devices",
    "+@Devon",
  ]);
  assert.deepEqual(offered(account(), "dvc"), ["+#devices"]);
  // Case and width fold as the server folds names.
  assert.deepEqual(offered(account(), "ＤＥＳＩＧＮ"), ["#design"]);
});

Deno.test("quick switcher puts unread places first among equal matches, then the most recent", () => {
  const state = account();
  state.unread.value = { "@carol": 2 };
  assert.deepEqual(offered(state, "").slice(0, 2), ["@carol", "@bob"]);
  const carol = switchChoices(state, "carol")[0];
  assert.equal(carol.unread, 2);
  // Rooms by their last message held, when no unread sets them apart.
  state.logs.value = {};
  put(state.logs.value, "dev-ops", {
    messages: [{ user: "bob", ts: "2026-12-03T10:00:00.000Z" }],
  } as never);
  assert.deepEqual(offered(state, "").slice(0, 5), [
    "@carol",
    "#dev-ops",
    "@bob",
    "#general",
    "#design",
  ]);
});

Deno.test("quick switcher offers an archived room, one's own or one to join, after the live places that match as well, and marks it", () => {
  const state = account();
  state.rooms.value = [
    ...state.rooms.value,
    { name: "dev-ops", users: 2, archived: true },
    { name: "devs", users: 1, archived: true },
  ];
  // One's own first, archived or not; among the others, live ones first.
  assert.deepEqual(offered(state, "dev"), [
    "#dev-ops",
    "+#devices",
    "+@Devon",
    "+#devs",
  ]);
  // A live room that matches as well goes first, one's own or not.
  state.rooms.value = [
    ...state.rooms.value,
    { name: "dev-old", users: 0 },
  ];
  state.memberships.value = {
    ...state.memberships.value,
    "dev-old": { room: "dev-old", private: false },
  };
  assert.deepEqual(offered(state, "dev").slice(0, 2), ["#dev-old", "#dev-ops"]);
  const archived = switchChoices(state, "dev")
    .filter((c) => c.archived)
    .map((c) => c.name);
  assert.deepEqual(archived, ["dev-ops", "devs"]);
  // The whole name still wins over a live room that only starts so.
  assert.deepEqual(offered(state, "devs").slice(0, 1), ["+#devs"]);
});

Deno.test("quick switcher offers who wrote in the rooms held as people to write to, not a hook posting under a name", () => {
  const state = account();
  state.logs.value = {};
  put(state.logs.value, "general", {
    messages: [
      { user: "erin", ts: "2026-12-03T10:00:00.000Z" },
      { user: "Mallory", badge: "hook", ts: "2026-12-03T10:01:00.000Z" },
      { user: "alice", ts: "2026-12-03T10:02:00.000Z" },
    ],
  } as never);
  assert.deepEqual(offered(state, "@"), [
    "@bob",
    "@carol",
    "+@dave",
    "+@Devon",
    "+@erin",
  ]);
});

Deno.test("quick switcher takes # for rooms only and @ for people only", () => {
  assert.deepEqual(offered(account(), "#d"), [
    "#design",
    "#dev-ops",
    "+#devices",
  ]);
  assert.deepEqual(offered(account(), "@d"), ["+@dave", "+@Devon"]);
  assert.deepEqual(offered(account(), "@"), [
    "@bob",
    "@carol",
    "+@dave",
    "+@Devon",
  ]);
});

Deno.test("quick switcher finds rooms and people named constructor or __proto__ as any other", () => {
  const state = account();
  state.memberships.value = {};
  put(state.memberships.value, "constructor", {
    room: "constructor",
    private: false,
  });
  state.rooms.value = [{ name: "__proto__", users: 1 }];
  state.conversations.value = {};
  state.members.value = ["toString"];
  assert.deepEqual(offered(state, "con"), ["#constructor"]);
  assert.deepEqual(offered(state, "proto"), ["+#__proto__"]);
  assert.deepEqual(offered(state, "tostr"), ["+@toString"]);
  assert.equal(switchChoices(state, "")[0].unread, 0);
});

Deno.test("quick switcher adds the people the server's directory found after what the page knows, once each, never oneself", () => {
  const state = account();
  const found = [
    { username: "Daria", online: true },
    { username: "DAVE", online: true }, // a member already: offered once
    { username: "Alice", online: true }, // oneself, as the server spells it
  ];
  const places = withPeople(switchPlaces(state), found, "alice");
  const choices = rankPlaces(places, "da").map((c) =>
    `${c.mine ? "" : "+"}@${c.name}`
  );
  assert.deepEqual(choices, ["+@dave", "+@Daria"]);
  assert.equal(withPeople(switchPlaces(state), []).length, places.length - 1);
});

Deno.test("quick switcher asks the directory about a name typed, with or without @, never about rooms only or nothing", () => {
  assert.equal(peopleQuery("  da "), "da");
  assert.equal(peopleQuery("@da"), "da");
  assert.equal(peopleQuery("#da"), "");
  assert.equal(peopleQuery("  "), "");
  assert.equal(peopleQuery("@"), "");
});
