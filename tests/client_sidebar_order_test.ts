/**
 * Where Alt+Up and Alt+Down go (client/sidebar_order.ts), without a
 * browser: the sidebar's rows in its order, rooms then conversations;
 * with Shift, the nearest unread one that is not muted; the starred ones
 * first, as the sidebar's "Starred" section shows them, then the
 * account's own sections (a collapsed one's rows skipped).
 */

import assert from "node:assert/strict";
import {
  listedRooms,
  nextStop,
  sectionedPlaces,
  sortConversations,
  starredConversations,
  starredRooms,
} from "../client/sidebar_order.ts";
import { roomRenamed } from "../client/actions/rooms.ts";
import { sectionsListed } from "../client/actions/sections.ts";
import { starSet, starsListed } from "../client/actions/stars.ts";
import { movedItem } from "../client/sections.ts";
import { type AppState, createAppState } from "../client/state.ts";

/** An account in general, design and ops, talking with bob (newest) and carol. */
function account(): AppState {
  const state = createAppState();
  state.account.value = true;
  state.memberships.value = {
    ops: { room: "ops", private: false },
    general: { room: "general", private: false },
    design: { room: "design", private: true },
  };
  state.rooms.value = [{ name: "random", users: 3 }];
  state.conversations.value = {
    carol: { name: "carol", lastTs: "2026-12-01T10:00:00.000Z" },
    bob: { name: "bob", lastTs: "2026-12-02T10:00:00.000Z" },
  };
  return state;
}

/** Where the key goes: "#room", "@name", or null. */
function go(state: AppState, step: 1 | -1, unread = false): string | null {
  const stop = nextStop(state, { step, unread });
  if (!stop) return null;
  return stop.kind === "room" ? `#${stop.name}` : `@${stop.name}`;
}

Deno.test("Alt+Down walks general first, the rooms by name, then the newest conversation first, and stops at the end", () => {
  const state = account();
  assert.equal(go(state, 1), "#design");
  state.currentRoom.value = "design";
  assert.equal(go(state, 1), "#ops");
  state.currentRoom.value = "ops";
  assert.equal(go(state, 1), "@bob");
  state.view.value = { kind: "dm", with: "bob" };
  assert.equal(go(state, 1), "@carol");
  state.view.value = { kind: "dm", with: "carol" };
  assert.equal(go(state, 1), null);
  assert.equal(go(state, -1), "@bob");
  // Rooms not joined ("More rooms") are not stops.
  state.view.value = { kind: "room" };
  state.currentRoom.value = "general";
  assert.equal(go(state, -1), null);
});

Deno.test("an archived room is listed after the live ones, marked, and Alt+Down reaches it last", () => {
  const state = account();
  state.rooms.value = [
    { name: "design", users: 1, private: true, archived: true },
    { name: "ops", users: 2 },
    { name: "attic", users: 0, archived: true },
  ];
  const { mine, others } = listedRooms(state);
  assert.deepEqual(
    mine.map((r) => [r.name, r.archived ?? false]),
    [["general", false], ["ops", false], ["design", true]],
  );
  assert.deepEqual(others.map((r) => r.name), ["attic"]);
  state.currentRoom.value = "general";
  assert.equal(go(state, 1), "#ops");
  state.currentRoom.value = "ops";
  assert.equal(go(state, 1), "#design");
});

Deno.test("Alt+Shift+Down goes round to the nearest unread room or conversation, past muted ones", () => {
  const state = account();
  state.currentRoom.value = "design";
  state.unread.value = { general: 2, "@carol": 1, ops: 4 };
  state.notifyLevels.value = { ops: "none" };
  assert.equal(go(state, 1, true), "@carol");
  assert.equal(go(state, -1, true), "#general");
  state.view.value = { kind: "dm", with: "carol" };
  assert.equal(go(state, 1, true), "#general");
  // Nothing else unread: nowhere to go.
  state.unread.value = { "@carol": 1, ops: 4 };
  assert.equal(go(state, 1, true), null);
});

Deno.test("a guest's Alt+Down walks every room, as its sidebar lists them", () => {
  const state = createAppState();
  state.rooms.value = [
    { name: "zoo", users: 1 },
    { name: "general", users: 2 },
    { name: "art", users: 1 },
  ];
  assert.equal(go(state, 1), "#art");
  state.unread.value = { zoo: 1 };
  assert.equal(go(state, -1, true), "#zoo");
});

Deno.test("starred rooms and conversations move to the Starred section, a starred conversation not listed yet too, and Alt+Down walks them first", () => {
  const state = account();
  starsListed(state, { rooms: ["Ops"], with: ["carol", "dave"] });
  const rooms = starredRooms(state, listedRooms(state).mine);
  assert.deepEqual(rooms.starred.map((r) => r.name), ["ops"]);
  assert.deepEqual(rooms.rest.map((r) => r.name), ["general", "design"]);
  const talks = starredConversations(
    state,
    sortConversations(state.conversations.value),
  );
  assert.deepEqual(talks.starred.map((c) => c.name), ["carol", "dave"]);
  assert.deepEqual(talks.rest.map((c) => c.name), ["bob"]);
  state.currentRoom.value = "ops";
  assert.equal(go(state, 1), "@carol");
  state.view.value = { kind: "dm", with: "dave" };
  assert.equal(go(state, 1), "#general");

  // An event unstars one; a login's list replaces them all.
  starSet(state, { with: "Carol", starred: false });
  assert.deepEqual(
    starredConversations(state, []).starred.map((c) => c.name),
    ["dave"],
  );
  starsListed(state, undefined);
  assert.deepEqual(state.starred.value, {});
});

Deno.test("a starred room renamed stays starred under its new name", () => {
  const state = account();
  starsListed(state, { rooms: ["ops"], with: [] });
  roomRenamed(state, "ops", "Operations");
  const rooms = starredRooms(state, listedRooms(state).mine);
  assert.deepEqual(rooms.starred.map((r) => r.name), ["Operations"]);
  assert.deepEqual(state.starred.value, { operations: "Operations" });
});

Deno.test("a section takes its rooms and conversations out of Rooms and Conversations, in its order, after the starred ones; Alt+Down walks it before them and skips it collapsed", () => {
  const state = account();
  starsListed(state, { rooms: ["design"], with: [] });
  sectionsListed(state, [
    // A starred room stays in Starred; a room not joined is not shown;
    // a conversation the sidebar has not listed is.
    {
      name: "Work",
      collapsed: false,
      items: ["@Carol", "#OPS", "#design", "#random", "@dave"],
    },
    { name: "Later", collapsed: true, items: ["@bob"] },
  ]);
  const rooms = starredRooms(state, listedRooms(state).mine);
  const talks = starredConversations(
    state,
    sortConversations(state.conversations.value),
  );
  const shown = sectionedPlaces(state, rooms.rest, talks.rest);
  assert.deepEqual(
    shown.sections.map((s) => [
      s.name,
      s.rooms.map((r) => r.name),
      s.talks.map((c) => c.name),
    ]),
    [["Work", ["ops"], ["carol", "dave"]], ["Later", [], ["bob"]]],
  );
  assert.deepEqual(shown.rooms.map((r) => r.name), ["general"]);
  assert.deepEqual(shown.talks, []);
  state.currentRoom.value = "design";
  assert.equal(go(state, 1), "#ops");
  state.currentRoom.value = "ops";
  assert.equal(go(state, 1), "@carol");
  state.view.value = { kind: "dm", with: "dave" };
  // Later is collapsed: bob is not a stop.
  assert.equal(go(state, 1), "#general");
  state.view.value = { kind: "room" };
  state.currentRoom.value = "general";
  assert.equal(go(state, 1), null);

  // Moved out of every section, it is back under Conversations; renamed,
  // a room keeps its place under its new name.
  state.sections.value = movedItem(state.sections.value, "@bob", null);
  roomRenamed(state, "ops", "Operations");
  assert.deepEqual(state.sections.value.map((s) => s.items), [
    ["@Carol", "#Operations", "#design", "#random", "@dave"],
    [],
  ]);
  const again = sectionedPlaces(
    state,
    listedRooms(state).mine,
    sortConversations(state.conversations.value),
  );
  assert.deepEqual(again.talks.map((c) => c.name), ["bob"]);
  // A frame that is not a layout leaves none.
  sectionsListed(state, [{ name: "x", items: "no" }]);
  assert.deepEqual(state.sections.value, []);
});

Deno.test("sidebar sections: a room renamed to the name of a room gone from a section is in the layout once, as the server keeps it", () => {
  const state = account();
  // "#old" is a room deleted since (a left room's item stays, as the
  // server keeps it for a rejoin); ops then takes its name.
  sectionsListed(state, [
    { name: "Work", collapsed: false, items: ["#old"] },
    { name: "Later", collapsed: false, items: ["#ops", "@bob"] },
  ]);
  roomRenamed(state, "ops", "OLD");
  assert.deepEqual(state.sections.value.map((s) => s.items), [
    [],
    ["#OLD", "@bob"],
  ]);
  // A change of case only keeps the room's item.
  roomRenamed(state, "old", "Old");
  assert.deepEqual(state.sections.value.map((s) => s.items), [
    [],
    ["#Old", "@bob"],
  ]);
});
