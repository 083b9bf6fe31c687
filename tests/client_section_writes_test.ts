/**
 * The sidebar's sections while this client's `set_sections` are under way
 * (client/actions/sections.ts, connection/mod.ts' setSections), without a
 * browser: a layout is shown as it is sent; a refused one goes back to
 * what the server has (the newest layout still under way, else the last
 * it confirmed), never to what was shown before it was sent.
 */

import assert from "node:assert/strict";
import {
  sectionsListed,
  sectionsRefused,
  sectionsSent,
  sectionsTaken,
} from "../client/actions/sections.ts";
import { roomRenamed } from "../client/actions/rooms.ts";
import { createAppState } from "../client/state.ts";
import type { Section } from "../server/protocol/types.ts";
import { loginAsAccount, rig, settle } from "./client_fake_server.ts";

const WORK: Section[] = [{ name: "Work", collapsed: false, items: ["#ops"] }];
const FOLDED: Section[] = [{ name: "Work", collapsed: true, items: ["#ops"] }];
const RENAMED: Section[] = [{ name: "Job", collapsed: true, items: ["#ops"] }];

Deno.test("sections: an earlier layout refused after a later one was taken leaves the later one shown", () => {
  const state = createAppState();
  sectionsListed(state, WORK);
  sectionsSent(state, FOLDED);
  sectionsSent(state, RENAMED);
  sectionsTaken(state, RENAMED);
  sectionsRefused(state, FOLDED);
  assert.deepEqual(state.sections.value, RENAMED);
  // A refusal of the newest goes back to the one the server took.
  const later: Section[] = [];
  sectionsSent(state, later);
  sectionsRefused(state, later);
  assert.deepEqual(state.sections.value, RENAMED);
});

Deno.test("sections: a layout refused while an earlier one is under way shows that one, and the login's when it is refused too", () => {
  const state = createAppState();
  sectionsListed(state, WORK);
  sectionsSent(state, FOLDED);
  sectionsSent(state, RENAMED);
  sectionsRefused(state, RENAMED);
  assert.deepEqual(state.sections.value, FOLDED);
  sectionsRefused(state, FOLDED);
  assert.deepEqual(state.sections.value, WORK);
  assert.deepEqual(state.sectionWrites.value.pending, []);
});

Deno.test("sections: a refusal after another device's layout (the sections event) leaves that layout, and a later one falls back to it", () => {
  const state = createAppState();
  sectionsListed(state, WORK);
  sectionsSent(state, FOLDED);
  sectionsListed(state, RENAMED);
  sectionsRefused(state, FOLDED);
  assert.deepEqual(state.sections.value, RENAMED);
  sectionsSent(state, []);
  sectionsRefused(state, state.sections.value);
  assert.deepEqual(state.sections.value, RENAMED);
});

Deno.test("sections: a room renamed meanwhile is renamed in the layout a refusal goes back to", () => {
  const state = createAppState();
  state.memberships.value = { ops: { room: "ops", private: false } };
  sectionsListed(state, WORK);
  roomRenamed(state, "ops", "platform");
  const folded = [{ name: "Work", collapsed: true, items: ["#platform"] }];
  sectionsSent(state, folded);
  sectionsRefused(state, folded);
  assert.deepEqual(state.sections.value, [
    { name: "Work", collapsed: false, items: ["#platform"] },
  ]);
});

Deno.test("setSections: the first of two layouts refused after the second was taken leaves the second shown", async () => {
  const r = rig();
  try {
    await loginAsAccount(r, "ann");
    const first = r.connection.setSections(FOLDED);
    const second = r.connection.setSections(RENAMED);
    const firstSent = await r.server.next("set_sections");
    const secondSent = await r.server.next("set_sections");
    assert.deepEqual(r.state.sections.value, RENAMED);
    r.server.reply(secondSent, {});
    assert.equal(await second, null);
    r.server.refuse(firstSent, "rate_limited", "Too many requests.");
    assert.equal((await first)?.code, "rate_limited");
    await settle();
    assert.deepEqual(r.state.sections.value, RENAMED);
  } finally {
    await r.stop();
  }
});
