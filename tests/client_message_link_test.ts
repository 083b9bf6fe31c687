/**
 * Links to one message (client/message_link.ts): what "Copy link" writes,
 * what the page reads back, and which addresses are no message link.
 */

import assert from "node:assert/strict";
import {
  isMessageLink,
  messageLink,
  parseMessageHash,
  routePlace,
} from "../client/message_link.ts";

const ORIGIN = "https://chat.example";

Deno.test("a message link names its room and seq, and reads back the same", () => {
  const link = messageLink(ORIGIN, { room: "dev.ops", seq: 42 });
  assert.equal(link, "https://chat.example/#/room/dev.ops/42");
  assert.deepEqual(parseMessageHash(new URL(link).hash), {
    room: "dev.ops",
    seq: 42,
  });
  // Names outside ASCII travel percent-encoded.
  const accented = messageLink(ORIGIN, { room: "équipe", seq: 7 });
  assert.equal(accented, "https://chat.example/#/room/%C3%A9quipe/7");
  assert.deepEqual(parseMessageHash(new URL(accented).hash), {
    room: "équipe",
    seq: 7,
  });
});

Deno.test("a conversation's message link names both parties, and each opens it with the other", () => {
  const link = messageLink(ORIGIN, { between: ["Ana", "bob"], seq: 3 });
  assert.equal(link, "https://chat.example/#/dm/Ana/bob/3");
  const route = parseMessageHash(new URL(link).hash)!;
  assert.deepEqual(route, { between: ["Ana", "bob"], seq: 3 });
  assert.deepEqual(routePlace(route, "ana"), { with: "bob" });
  assert.deepEqual(routePlace(route, "BOB"), { with: "Ana" });
  assert.equal(routePlace(route, "carol"), null);
  assert.deepEqual(routePlace({ room: "general", seq: 1 }, "carol"), {
    room: "general",
  });
});

Deno.test("an address that is no message link reads as none, whatever it holds", () => {
  for (
    const hash of [
      "",
      "#",
      "#/room/general",
      "#/room/general/0",
      "#/room/general/-1",
      "#/room/general/1.5",
      "#/room/general/01",
      "#/room/general/99999999999999999",
      "#/room/gen%ZZeral/1",
      "#/room//1",
      "#/room/a/b/1",
      "#/dm/ana/1",
      "#/dm/ana/bob/carol/1",
      "#/invite/abc/general",
      "#/room/general/1?x=1",
      "#/room/gen eral/1",
    ]
  ) {
    assert.equal(parseMessageHash(hash), null, hash);
  }
  assert.deepEqual(parseMessageHash("#/room/general/1/"), {
    room: "general",
    seq: 1,
  });
});

Deno.test("only this page's own message links open in place", () => {
  assert.equal(isMessageLink(`${ORIGIN}/#/room/general/5`, ORIGIN), true);
  assert.equal(
    isMessageLink("https://other.example/#/room/general/5", ORIGIN),
    false,
  );
  assert.equal(isMessageLink(`${ORIGIN}/admin#/room/general/5`, ORIGIN), false);
  assert.equal(isMessageLink(`${ORIGIN}/#/invite/abc`, ORIGIN), false);
  assert.equal(isMessageLink(`${ORIGIN}/#/room/general/5`, undefined), false);
  assert.equal(isMessageLink("not a url", ORIGIN), false);
});
