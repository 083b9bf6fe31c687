/**
 * How a page keeps the user groups in step with `group_updated` events
 * (client/actions/groups.ts), without a browser: a change says only what
 * changed (names added and removed, the description, a creator gone), and
 * the page makes it on the group it listed.
 */

import assert from "node:assert/strict";
import { groupsListed, groupUpdated } from "../client/actions/groups.ts";
import { createAppState } from "../client/state.ts";

Deno.test("client: a group's change adds and removes its members by name key, in the order of their keys, and sets its description and a creator gone; a change of a group the page does not know is left out", () => {
  const state = createAppState();
  groupsListed(state, [
    {
      name: "Design",
      description: "The designers",
      creator: "ann",
      members: ["Ben", "cat", "eve"],
    },
  ]);
  groupUpdated(state, {
    name: "Design",
    changed: {
      description: "Who draws",
      added: ["Dan", "ann", "cat"],
      removed: ["BEN", "zed"],
    },
  });
  assert.deepEqual(state.groups.value.design, {
    name: "Design",
    description: "Who draws",
    creator: "ann",
    members: ["ann", "cat", "Dan", "eve"],
  });
  groupUpdated(state, {
    name: "design",
    changed: { creator: null, removed: ["ann"] },
  });
  assert.deepEqual(state.groups.value.design, {
    name: "Design",
    description: "Who draws",
    creator: null,
    members: ["cat", "Dan", "eve"],
  });
  groupUpdated(state, { name: "ops", changed: { added: ["ann"] } });
  assert.deepEqual(Object.keys(state.groups.value), ["design"]);
  groupUpdated(state, { name: "Design", group: null });
  assert.deepEqual(state.groups.value, {});
});
