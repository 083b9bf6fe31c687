/**
 * Which messages make a sound and a desktop notification
 * (client/notifier.ts shouldAlert), by the room's or conversation's
 * notification level and do not disturb, without a browser; and the
 * pause menu's times (client/do_not_disturb.ts).
 */

import assert from "node:assert/strict";
import {
  inAnHour,
  pauseEnd,
  tomorrowAtNine,
} from "../client/do_not_disturb.ts";
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

Deno.test("shouldAlert while do not disturb lasts: nothing alerts, at 'all' nor for mentions and private messages; a pause whose time passed no longer silences", () => {
  const state = account();
  state.notifyLevels.value = { ops: "all" };
  state.doNotDisturb.value = Date.now() + 3_600_000;
  assert.equal(shouldAlert(state, plain), false);
  assert.equal(shouldAlert(state, mention), false);
  assert.equal(shouldAlert(state, privately), false);
  state.doNotDisturb.value = Date.now() - 1;
  assert.equal(shouldAlert(state, plain), true);
  assert.equal(shouldAlert(state, privately), true);
});

Deno.test("the pause menu's times: an hour on, 9:00 the next day, said with the day when not today", () => {
  const now = new Date(2026, 11, 5, 22, 30).getTime();
  assert.equal(inAnHour(now), now + 3_600_000);
  assert.equal(
    tomorrowAtNine(now),
    new Date(2026, 11, 6, 9, 0).getTime(),
  );
  assert.equal(pauseEnd(now + 10 * 60_000, now), "22:40");
  assert.match(pauseEnd(tomorrowAtNine(now), now), / 09:00$/);
});
