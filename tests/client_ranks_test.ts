/**
 * client/ranks.ts: the page offers a moderator or admin what the server's
 * rank rule (server/protocol/ranks.ts) allows, from the staff list it read.
 */

import assert from "node:assert/strict";
import * as actions from "../client/actions.ts";
import { mayDeleteOthers, mayModerate } from "../client/ranks.ts";
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
