/**
 * client/ranks.ts: the page offers a moderator or admin what the server's
 * rank rule (server/protocol/ranks.ts) allows, from the staff list it read,
 * and Remove from room where remove_member's rule allows it.
 */

import assert from "node:assert/strict";
import * as actions from "../client/actions.ts";
import {
  isAuthor,
  mayDeleteOthers,
  mayModerate,
  mayRemoveMember,
} from "../client/ranks.ts";
import { createAppState } from "../client/state.ts";
import type { Role } from "../server/protocol/types.ts";

const MADE = "2026-12-01T12:00:00.000Z";

function viewer(role: Role) {
  const state = createAppState();
  state.role.value = role;
  return state;
}

Deno.test("ranks: nothing is offered on others before the staff list is read", () => {
  const state = viewer("admin");
  assert.equal(mayDeleteOthers(state, { user: "gus", ts: MADE }), false);
  assert.equal(mayModerate(state, "gus"), false);
  actions.staffListed(state, []);
  assert.equal(mayDeleteOthers(state, { user: "gus", ts: MADE }), true);
  assert.equal(mayModerate(state, "gus"), true);
});

Deno.test("ranks: a moderator deletes a peer's message, not an admin's, and kicks neither", () => {
  const state = viewer("moderator");
  actions.staffListed(state, [
    { username: "Root", role: "admin", created_at: MADE },
    { username: "mo", role: "moderator", created_at: MADE },
  ]);
  const at = "2026-12-02T00:00:00.000Z";
  assert.equal(mayDeleteOthers(state, { user: "ROOT", ts: at }), false);
  assert.equal(mayDeleteOthers(state, { user: "mo", ts: at }), true);
  assert.equal(mayModerate(state, "root"), false);
  assert.equal(mayModerate(state, "mo"), false);
  assert.equal(mayModerate(state, "gus"), true);
  // Written under the name before the account was made: a guest's.
  const before = "2026-11-30T00:00:00.000Z";
  assert.equal(mayDeleteOthers(state, { user: "root", ts: before }), true);
});

Deno.test("ranks: a plain user deletes and moderates nobody else's", () => {
  const state = viewer("user");
  actions.staffListed(state, []);
  assert.equal(mayDeleteOthers(state, { user: "gus", ts: MADE }), false);
  assert.equal(mayModerate(state, "gus"), false);
});

Deno.test("ranks: the author's rule takes a message under one's name sent since the account was made, not a former holder's of the name", () => {
  const state = createAppState();
  assert.equal(isAuthor(state, { user: "ida", ts: MADE }), false);
  state.username.value = "Ida";
  // A guest (no account, no since): every message under its name.
  assert.equal(isAuthor(state, { user: "IDA", ts: MADE }), true);
  state.since.value = Date.parse(MADE);
  assert.equal(isAuthor(state, { user: "ida", ts: MADE }), true);
  assert.equal(
    isAuthor(state, { user: "ida", ts: "2026-12-01T11:59:59.999Z" }),
    false,
  );
  assert.equal(isAuthor(state, { user: "gus", ts: MADE }), false);
});

/** `me` in the room `room`, owned by `owner`, which the server said `me` manages. */
function inRoom(
  me: string,
  role: Role,
  room: string,
  owner: string | undefined,
) {
  const state = viewer(role);
  state.username.value = me;
  actions.staffListed(state, [
    { username: "Root", role: "admin", created_at: MADE },
    { username: "mo", role: "moderator", created_at: MADE },
  ]);
  actions.roomEntered(state, { room, history: [] });
  actions.managesChanged(state, { room, manages: true });
  actions.membersUpdated(state, { room, users: [me, "owen"], owner });
  return state;
}

Deno.test("ranks: a room's owner removes anyone else from it, an admin too", () => {
  const state = inRoom("Owen", "user", "den", "owen");
  assert.equal(mayRemoveMember(state, "root"), true);
  assert.equal(mayRemoveMember(state, "mo"), true);
  assert.equal(mayRemoveMember(state, "gus"), true);
  assert.equal(mayRemoveMember(state, "OWEN"), false, "not oneself");
});

Deno.test("ranks: a moderator removes a user, never the room's owner, a peer or an admin", () => {
  const state = inRoom("lea", "moderator", "den", "owen");
  assert.equal(mayRemoveMember(state, "gus"), true);
  assert.equal(mayRemoveMember(state, "Owen"), false);
  assert.equal(mayRemoveMember(state, "mo"), false);
  assert.equal(mayRemoveMember(state, "root"), false);
  // A room without an owner (a guest's): the rank rule alone.
  const unowned = inRoom("lea", "moderator", "nook", undefined);
  assert.equal(mayRemoveMember(unowned, "owen"), true);
});

Deno.test("ranks: nobody is removed from general, nor from a room the server did not say one manages", () => {
  assert.equal(
    mayRemoveMember(inRoom("Root", "admin", "general", undefined), "gus"),
    false,
  );
  const state = inRoom("lea", "moderator", "den", "owen");
  actions.managesChanged(state, { room: "den", manages: false });
  assert.equal(mayRemoveMember(state, "gus"), false);
});
