/**
 * Whether a message mentions the reader through one of its user groups
 * (client/room_mention.ts), without a browser: a room message that names
 * the group does, a private message does not (the server expands no
 * group there), nor one naming another group.
 */

import assert from "node:assert/strict";
import { mentionsReader } from "../client/room_mention.ts";

Deno.test("a room message naming one of the reader's groups mentions the reader, in any case; another group's or a private message's does not", () => {
  const room = (text: string) => ({ text, room: "general" });
  assert.equal(mentionsReader(room("@Design review"), "bob", ["design"]), true);
  assert.equal(mentionsReader(room("@ops review"), "bob", ["design"]), false);
  assert.equal(mentionsReader(room("@design review"), "bob"), false);
  assert.equal(
    mentionsReader({ text: "@design review" }, "bob", ["design"]),
    false,
  );
  assert.equal(
    mentionsReader(room("`@design` code"), "bob", ["design"]),
    false,
  );
});
