/**
 * Which messages make a sound and a desktop notification
 * (client/notifier.ts shouldAlert), by the room's or conversation's
 * notification level, without a browser.
 */

import assert from "node:assert/strict";
import { shouldAlert } from "../client/notifier.ts";
import { type AppState, createAppState } from "../client/state.ts";

/** An account sitting in general, the page visible. */
function account(): AppState {
  const state = createAppState();
  state.account.value = true;
  state.visible.value = true;
  return state;
}

const plain = { key: "ops", dm: false, mention: false };
const mention = { key: "ops", dm: false, mention: true };
const privately = { key: "@bob", dm: true, mention: false };

Deno.test("shouldAlert at 'mentions', the default: mentions and private messages alert, another room's plain message does not", () => {
  const state = account();
  assert.equal(shouldAlert(state, plain), false);
  assert.equal(shouldAlert(state, mention), true);
  assert.equal(shouldAlert(state, privately), true);
});

Deno.test("shouldAlert at 'all': every message of that room alerts, unless it is on screen", () => {
  const state = account();
  state.notifyLevels.value = { ops: "all" };
  assert.equal(shouldAlert(state, plain), true);
  state.currentRoom.value = "ops";
  assert.equal(shouldAlert(state, plain), false);
  state.visible.value = false;
  assert.equal(shouldAlert(state, plain), true);
});

Deno.test("shouldAlert at 'none': nothing there alerts, mentions and private messages included", () => {
  const state = account();
  state.notifyLevels.value = { ops: "none", "@bob": "none" };
  assert.equal(shouldAlert(state, mention), false);
  assert.equal(shouldAlert(state, privately), false);
  assert.equal(shouldAlert(state, { ...mention, key: "design" }), true);
});
