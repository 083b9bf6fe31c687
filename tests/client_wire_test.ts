/**
 * How the web client reads frames (client/wire.ts): a batched frame splits
 * into its objects, and nothing the network sends is trusted before its
 * shape is checked.
 */

import assert from "node:assert/strict";
import {
  decodeFrame,
  isAttachment,
  isChatMessage,
  isLocalPath,
  isPrivateMessage,
  isReminderEvent,
  isRoomList,
  isSearchResults,
  isSystemEvent,
  toErrorData,
} from "../client/wire.ts";

const MESSAGE = {
  id: "01J",
  seq: 1,
  room: "general",
  user: "ida",
  text: "hi",
  ts: "2026-12-01T12:00:00.000Z",
};

Deno.test("wire splits a batched frame on newlines into its objects, in order", () => {
  const frame = [
    JSON.stringify({ action: "success", id: "c1", data: { request: "x" } }),
    JSON.stringify({ action: "room_list", data: { rooms: [] } }),
    JSON.stringify({ action: "system", timestamp: "t" }),
  ].join("\n");
  assert.deepEqual(decodeFrame(frame), [
    {
      action: "success",
      id: "c1",
      data: { request: "x" },
      timestamp: undefined,
    },
    {
      action: "room_list",
      id: undefined,
      data: { rooms: [] },
      timestamp: undefined,
    },
    { action: "system", id: undefined, data: {}, timestamp: "t" },
  ]);
});

Deno.test("wire skips blank, broken and actionless lines, keeping the rest", () => {
  const frame = [
    "",
    "{not json",
    "[1,2]",
    '"text"',
    '{"data":{}}',
    '{"action":7}',
    '{"action":"typing","data":[1],"id":5}',
    "   ",
  ].join("\n");
  assert.deepEqual(decodeFrame(frame), [
    { action: "typing", data: {}, id: undefined, timestamp: undefined },
  ]);
});

Deno.test("wire accepts only file paths on this server", () => {
  assert.equal(isLocalPath("/files/abc"), true);
  for (const url of ["//evil.test/x", "/\\evil.test", "https://x.test/a", ""]) {
    assert.equal(isLocalPath(url), false, url);
  }
  const file = { url: "/files/abc", name: "a.png", size: 3, type: "image/png" };
  assert.equal(isAttachment(file), true);
  assert.equal(isAttachment({ ...file, url: "//evil.test/a.png" }), false);
  assert.equal(isAttachment({ ...file, size: "3" }), false);
});

Deno.test("wire tells room messages from private ones and refuses broken ones", () => {
  assert.equal(isChatMessage(MESSAGE), true);
  assert.equal(isPrivateMessage(MESSAGE), false);
  const { room: _room, ...rest } = MESSAGE;
  assert.equal(isPrivateMessage({ ...rest, to: "bob" }), true);
  assert.equal(isChatMessage({ ...MESSAGE, seq: "1" }), false);
  assert.equal(isChatMessage({ ...MESSAGE, deleted: "yes" }), false);
  assert.equal(
    isChatMessage({ ...MESSAGE, attachments: [{ url: "https://x.test" }] }),
    false,
  );
  assert.equal(isChatMessage(null), false);
  assert.equal(isChatMessage([MESSAGE]), false);
});

Deno.test("wire checks room lists and system events field by field", () => {
  assert.equal(isRoomList([{ name: "general", users: 2 }]), true);
  assert.equal(isRoomList([{ name: "general", users: "2" }]), false);
  assert.equal(isRoomList({}), false);
  const event = { room: "general", kind: "joined", text: "ida joined" };
  assert.equal(isSystemEvent(event), true);
  assert.equal(isSystemEvent({ ...event, user: 3 }), false);
});

Deno.test("wire fills in an error reply a broken server left incomplete", () => {
  assert.deepEqual(
    toErrorData(
      { request: "login", code: "banned", message: "No." },
      "unexplained",
    ),
    { request: "login", code: "banned", message: "No." },
  );
  assert.deepEqual(toErrorData({ code: 5 }, "unexplained"), {
    request: undefined,
    code: "internal",
    message: "unexplained",
  });
});

Deno.test("wire takes quotes, their badges, reactions, pins, room and here mentions of the right shape only", () => {
  const quote = { id: "01H", seq: 1, user: "bo", text: "", deleted: true };
  const full = {
    ...MESSAGE,
    reply_to: { ...quote, badge: "hook" },
    reactions: [{ emoji: "👍", count: 2, users: ["bo", "ida"] }],
    pinned: true,
    room_mention: true,
    here_mention: true,
  };
  assert.equal(isChatMessage(full), true);
  assert.equal(isChatMessage({ ...full, reply_to: "01H" }), false);
  assert.equal(
    isChatMessage({ ...full, reply_to: { ...quote, badge: "admin" } }),
    false,
  );
  assert.equal(
    isChatMessage({ ...full, reactions: [{ emoji: "👍", count: 1 }] }),
    false,
  );
  assert.equal(
    isChatMessage({ ...full, reactions: [{ emoji: 1, count: 1, users: [] }] }),
    false,
  );
  assert.equal(isChatMessage({ ...full, pinned: "yes" }), false);
  assert.equal(isChatMessage({ ...full, room_mention: 1 }), false);
  assert.equal(isChatMessage({ ...full, here_mention: "yes" }), false);
  assert.equal(
    isSearchResults([full, {
      ...MESSAGE,
      room: undefined,
      to: "bo",
      with: "bo",
    }]),
    true,
  );
  assert.equal(
    isSearchResults([{ ...MESSAGE, room: undefined, to: "bo" }]),
    false,
  );
});

Deno.test("wire takes a reminder with its id, due time and message, and nothing less", () => {
  const reminder = {
    id: "01J",
    saved_at: "2026-12-06T10:00:00.000Z",
    remind_at: "2026-12-06T11:00:00.000Z",
    message: { id: "01J", seq: 1, user: "bob", text: "hi", ts: "…" },
  };
  assert.equal(isReminderEvent(reminder), true);
  for (
    const broken of [
      { ...reminder, id: 1 },
      { ...reminder, remind_at: null },
      { ...reminder, message: null },
      { ...reminder, message: { ...reminder.message, text: 5 } },
      null,
      "reminder",
    ]
  ) {
    assert.equal(isReminderEvent(broken), false, JSON.stringify(broken));
  }
});

Deno.test("wire takes a forward's copy only in its shape: its seq a number, its room and with text, its badge one the server gives; blanked, its id only", () => {
  const copy = {
    id: "01H",
    seq: 3,
    user: "bob",
    ts: "2026-12-01T11:00:00.000Z",
    text: "hello",
    room: "general",
  };
  assert.ok(isChatMessage({ ...MESSAGE, forwarded: copy }));
  assert.ok(isPrivateMessage({
    id: "01K",
    seq: 1,
    user: "ida",
    to: "bob",
    text: "",
    ts: MESSAGE.ts,
    forwarded: { ...copy, room: undefined, with: "carol", badge: "bot" },
  }));
  assert.ok(
    isChatMessage({ ...MESSAGE, forwarded: { id: "01H", deleted: true } }),
  );
  for (
    const bad of [
      null,
      "hello",
      { ...copy, seq: "3" },
      { ...copy, room: 1 },
      { ...copy, with: ["carol"] },
      { ...copy, badge: "admin" },
      { ...copy, text: undefined },
      { deleted: true },
      { id: 1, deleted: true },
    ]
  ) {
    assert.equal(isChatMessage({ ...MESSAGE, forwarded: bad }), false);
  }
});
