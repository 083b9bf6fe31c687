/**
 * The web client's rules for one room's log, on their own: history pages and
 * live events that cross each other still leave each message once, in seq
 * order, in its latest state.
 */

import assert from "node:assert/strict";
import {
  addNotice,
  emptyLog,
  firstSeq,
  insertMessage,
  lastSeq,
  MAX_MESSAGES_PER_ROOM,
  MAX_SCROLLED_BACK,
  mergePage,
  othersAfter,
  replaceMessage,
  type RoomLog,
  threadCounted,
  trim,
} from "../client/room_log.ts";
import type { ChatMessage } from "../server/protocol/types.ts";

function message(seq: number, more: Partial<ChatMessage> = {}): ChatMessage {
  return {
    id: `id${seq}`,
    seq,
    room: "general",
    user: "ida",
    text: `message ${seq}`,
    ts: new Date(Date.UTC(2026, 10, 25, 12, 0, seq)).toISOString(),
    ...more,
  };
}

function texts(log: RoomLog): string[] {
  return log.messages.map((m) => `${m.seq}:${m.text}`);
}

const EDIT_1 = "2026-11-25T12:05:00.000Z";
const EDIT_2 = "2026-11-25T12:06:00.000Z";

Deno.test("a page overlapping what is held merges without duplicates", () => {
  let log = emptyLog();
  log = insertMessage(log, message(3));
  log = insertMessage(log, message(4));
  log = mergePage(log, [message(1), message(2), message(3)]);
  assert.deepEqual(texts(log), [
    "1:message 1",
    "2:message 2",
    "3:message 3",
    "4:message 4",
  ]);
  // The same live message twice is held once.
  assert.equal(insertMessage(log, message(4)), log);
});

Deno.test("a page read before an edit does not bring the old text back", () => {
  // The edit's event arrived first; the page was read before the edit.
  let log = mergePage(emptyLog(), [message(1), message(2)]);
  log = replaceMessage(
    log,
    message(2, { text: "at 4pm", edited_at: EDIT_1 }),
  );
  log = mergePage(log, [message(1), message(2)]);
  assert.deepEqual(texts(log), ["1:message 1", "2:at 4pm"]);
});

Deno.test("a page read after an edit brings the new text", () => {
  let log = mergePage(emptyLog(), [message(1), message(2)]);
  log = mergePage(log, [
    message(1),
    message(2, { text: "at 4pm", edited_at: EDIT_1 }),
  ]);
  assert.deepEqual(texts(log), ["1:message 1", "2:at 4pm"]);
});

Deno.test("a deletion stays, whatever copy comes after it", () => {
  let log = mergePage(emptyLog(), [message(1), message(2)]);
  const deleted = message(2, { text: "", deleted: true });
  log = replaceMessage(log, deleted);
  log = mergePage(log, [message(1), message(2, { edited_at: EDIT_2 })]);
  assert.equal(log.messages[1].deleted, true);
  assert.equal(
    replaceMessage(log, message(2, { text: "again", edited_at: EDIT_2 })),
    log,
  );
});

Deno.test("an older edit event does not undo a newer one", () => {
  let log = mergePage(emptyLog(), [message(1)]);
  log = replaceMessage(log, message(1, { text: "second", edited_at: EDIT_2 }));
  log = replaceMessage(log, message(1, { text: "first", edited_at: EDIT_1 }));
  assert.deepEqual(texts(log), ["1:second"]);
  // An update for a message not held is ignored.
  assert.equal(replaceMessage(log, message(9, { edited_at: EDIT_2 })), log);
});

Deno.test("an update with a lower version does not undo a higher one, whatever the edit times say", () => {
  // Two nodes' clocks: the edit committed last was stamped earlier.
  let log = mergePage(emptyLog(), [message(1)]);
  log = replaceMessage(
    log,
    message(1, { text: "second", edited_at: EDIT_1, version: 2 }),
  );
  log = replaceMessage(
    log,
    message(1, { text: "first", edited_at: EDIT_2, version: 1 }),
  );
  assert.deepEqual(texts(log), ["1:second"]);
  // A page read before both keeps the held state too.
  log = mergePage(log, [message(1)]);
  assert.deepEqual(texts(log), ["1:second"]);
});

Deno.test("an edit's stale event does not take away the reaction that came after it", () => {
  let log = mergePage(emptyLog(), [message(1)]);
  const reactions = [{ emoji: "👍", count: 1, users: ["bo"] }];
  log = replaceMessage(
    log,
    message(1, { text: "edited", edited_at: EDIT_1, reactions, version: 2 }),
  );
  log = replaceMessage(
    log,
    message(1, { text: "edited", edited_at: EDIT_1, version: 1 }),
  );
  assert.deepEqual(log.messages[0].reactions, reactions);
});

Deno.test("a forward's copy blanked by its original's delete stays, under its version or a higher one that kept the old copy", () => {
  const copy = {
    id: "orig",
    seq: 3,
    user: "bo",
    ts: "2026-11-25T11:00:00.000Z",
    text: "abuse",
  };
  const blanked = { id: "orig", deleted: true as const };
  let log = mergePage(emptyLog(), [message(1, { forwarded: copy })]);
  // The update of the same version that blanks it is taken.
  log = replaceMessage(log, message(1, { forwarded: blanked }));
  assert.deepEqual(log.messages[0].forwarded, blanked);
  // A page read before it does not bring the copy back.
  log = mergePage(log, [message(1, { forwarded: copy })]);
  assert.deepEqual(log.messages[0].forwarded, blanked);
  // An edit of the forward read before the blanking keeps its text.
  log = replaceMessage(
    log,
    message(1, { text: "look", version: 2, forwarded: copy }),
  );
  assert.deepEqual(texts(log), ["1:look"]);
  assert.deepEqual(log.messages[0].forwarded, blanked);
});

/** A log's message 1 as its thread shows: [reply_count, last_reply_seq]. */
function threadOfFirst(log: RoomLog): [number?, number?] {
  return [log.messages[0].reply_count, log.messages[0].last_reply_seq];
}

Deno.test("two replies_updated that cross keep the later count: the higher thread_version wins, whichever comes last", () => {
  let log = mergePage(emptyLog(), [message(1)]);
  // Two replies at once, read and published by two nodes: 2 arrives first.
  const second = { id: "id1", seq: 1, reply_count: 2, last_reply_seq: 3 };
  const first = { id: "id1", seq: 1, reply_count: 1, last_reply_seq: 2 };
  log = threadCounted(log, { ...second, thread_version: 2 });
  log = threadCounted(log, { ...first, thread_version: 1 });
  assert.deepEqual(threadOfFirst(log), [2, 3]);
  assert.equal(log.messages[0].thread_version, 2);
  // A delete lowers the count and last_reply_seq; its version still wins.
  log = threadCounted(log, {
    id: "id1",
    seq: 1,
    reply_count: 1,
    last_reply_seq: 2,
    thread_version: 3,
  });
  assert.deepEqual(threadOfFirst(log), [1, 2]);
  // The last reply deleted: no count shown, and an older event that
  // arrives after it does not bring one back.
  log = threadCounted(log, {
    id: "id1",
    seq: 1,
    reply_count: 0,
    thread_version: 4,
  });
  log = threadCounted(log, { ...second, thread_version: 2 });
  assert.deepEqual(threadOfFirst(log), [undefined, undefined]);
  assert.equal(log.messages[0].thread_version, 4);
});

Deno.test("a message's copy that wins for its text keeps the later thread count a replies_updated brought", () => {
  let log = mergePage(emptyLog(), [message(1)]);
  log = threadCounted(log, {
    id: "id1",
    seq: 1,
    reply_count: 2,
    last_reply_seq: 3,
    thread_version: 2,
  });
  // An edit read before the second reply: a higher version, an older thread.
  log = replaceMessage(
    log,
    message(1, {
      text: "edited",
      edited_at: EDIT_1,
      version: 1,
      reply_count: 1,
      last_reply_seq: 2,
      thread_version: 1,
    }),
  );
  assert.deepEqual(texts(log), ["1:edited"]);
  assert.deepEqual(threadOfFirst(log), [2, 3]);
  // A page read before the edit and after a third reply: the held text, the
  // page's thread.
  log = mergePage(log, [
    message(1, { reply_count: 3, last_reply_seq: 4, thread_version: 3 }),
  ]);
  assert.deepEqual(texts(log), ["1:edited"]);
  assert.deepEqual(threadOfFirst(log), [3, 4]);
  // A copy from a server before thread_version changes nothing held.
  log = replaceMessage(
    log,
    message(1, { text: "edited", edited_at: EDIT_1, version: 1 }),
  );
  assert.deepEqual(threadOfFirst(log), [3, 4]);
});

Deno.test("a page after a gap replaces what is held", () => {
  let log = mergePage(emptyLog(), [message(1), message(2)]);
  log = mergePage(log, [message(10), message(11)]);
  assert.deepEqual(texts(log), ["10:message 10", "11:message 11"]);
});

Deno.test("a confirmed message replaces the pending one with its client_id", () => {
  let log: RoomLog = {
    ...emptyLog(),
    pending: [{
      clientId: "c1",
      room: "general",
      user: "ida",
      text: "hello",
      ts: message(1).ts,
      status: "pending",
    }],
  };
  log = insertMessage(log, message(1, { text: "hello", client_id: "c1" }));
  assert.deepEqual(log.pending, []);
  assert.deepEqual(texts(log), ["1:hello"]);
});

Deno.test("a page confirms pending messages by client_id and keeps the others", () => {
  const pending = (clientId: string) => ({
    clientId,
    room: "general",
    user: "ida",
    text: clientId,
    ts: message(1).ts,
    status: "pending" as const,
  });
  let log: RoomLog = { ...emptyLog(), pending: [pending("a"), pending("b")] };
  log = mergePage(log, [message(1, { client_id: "a" }), message(2)]);
  assert.deepEqual(log.pending.map((p) => p.clientId), ["b"]);
});

Deno.test("an older page the user scrolled up for is kept, while live messages trim the log", () => {
  const newest = Array.from(
    { length: MAX_MESSAGES_PER_ROOM },
    (_, i) => message(1000 + i),
  );
  let log = mergePage(emptyLog(), newest);
  const older = Array.from({ length: 50 }, (_, i) => message(950 + i));
  log = mergePage(log, older);
  assert.equal(log.messages.length, MAX_MESSAGES_PER_ROOM + 50);
  assert.equal(firstSeq(log), 950);
  // Live messages trim back only past twice the limit.
  let seq = 1000 + MAX_MESSAGES_PER_ROOM;
  while (log.messages.length < 2 * MAX_MESSAGES_PER_ROOM) {
    log = insertMessage(log, message(seq++));
  }
  assert.equal(log.messages.length, 2 * MAX_MESSAGES_PER_ROOM);
  log = insertMessage(log, message(seq));
  assert.equal(log.messages.length, MAX_MESSAGES_PER_ROOM);
  assert.equal(lastSeq(log), seq);
});

Deno.test("live messages do not trim a log the user is reading back in, and stop at the window", () => {
  const held = Array.from(
    { length: MAX_MESSAGES_PER_ROOM + 10 },
    (_, i) => message(i + 1),
  );
  // As scrolling up leaves it: older pages are not trimmed on arrival.
  let log: RoomLog = { ...emptyLog(), messages: held };
  let seq = held.length + 1;
  while (log.messages.length < MAX_SCROLLED_BACK) {
    log = insertMessage(log, message(seq++), true);
  }
  assert.equal(firstSeq(log), 1);
  assert.equal(log.unloaded, undefined);
  // Past the window, the log stops taking them, and remembers the newest.
  log = insertMessage(log, message(seq), true);
  assert.equal(log.messages.length, MAX_SCROLLED_BACK);
  assert.equal(firstSeq(log), 1);
  assert.equal(log.unloaded, seq);
});

Deno.test("an older page past the window unloads the newest messages, and live ones wait", () => {
  let log = mergePage(
    emptyLog(),
    Array.from({ length: 50 }, (_, i) => message(2001 + i)),
  );
  for (let before = 2001; log.messages.length < MAX_SCROLLED_BACK;) {
    before -= 50;
    log = mergePage(
      log,
      Array.from({ length: 50 }, (_, i) => message(before + i)),
    );
  }
  log = mergePage(log, Array.from({ length: 50 }, (_, i) => message(1001 + i)));
  assert.equal(log.messages.length, MAX_SCROLLED_BACK);
  assert.equal(firstSeq(log), 1001);
  assert.equal(lastSeq(log), 2000);
  assert.equal(log.unloaded, 0);
  // A live message would show after a gap: it waits, remembered.
  log = insertMessage(log, message(2051));
  assert.equal(lastSeq(log), 2000);
  assert.equal(log.unloaded, 2051);
});

Deno.test("a page reaching the end follows live messages again, once none that came is missing", () => {
  let log: RoomLog = {
    ...emptyLog(),
    messages: [message(1), message(2)],
    unloaded: 5,
  };
  // The end as read before message 5 was stored: 5 is still to fetch.
  log = mergePage(log, [message(3), message(4)], true);
  assert.equal(log.unloaded, 5);
  log = mergePage(log, [message(5)], true);
  assert.equal(log.unloaded, undefined);
  log = insertMessage(log, message(6));
  assert.equal(lastSeq(log), 6);
});

Deno.test("a jump to an old page leaves the newer messages unloaded", () => {
  let log = mergePage(emptyLog(), [message(500), message(501)]);
  log = mergePage(log, [message(10), message(11)]);
  assert.deepEqual(log.messages.map((m) => m.seq), [10, 11]);
  assert.equal(log.unloaded, 0);
  log = insertMessage(log, message(502));
  assert.equal(lastSeq(log), 11);
});

Deno.test("a late live message goes in seq order, not at the end", () => {
  let log = mergePage(emptyLog(), [message(1), message(3)]);
  log = insertMessage(log, message(2));
  assert.deepEqual(log.messages.map((m) => m.seq), [1, 2, 3]);
});

Deno.test("notices sit after the newest message held, and follow it when history arrives first", () => {
  let log = addNotice(emptyLog(), {
    key: "n1",
    kind: "system",
    text: "bob joined",
    ts: message(1).ts,
  });
  assert.equal(log.notices[0].afterSeq, 0);
  // The notice came while no message was known: it happened after this page.
  log = mergePage(log, [message(1), message(2)]);
  assert.equal(log.notices[0].afterSeq, 2);
  log = addNotice(log, { key: "n2", kind: "info", text: "x", ts: "" });
  assert.equal(log.notices[1].afterSeq, 2);
  // Trimming drops the notices that have no place among the messages kept.
  const trimmed = trim(insertMessage(log, message(3)), 1);
  assert.deepEqual(trimmed.notices.map((n) => n.key), ["n1", "n2"]);
  assert.deepEqual(trim(trimmed, 1), trimmed);
  const shorter = trim(mergePage(log, [message(3), message(4)]), 1);
  assert.deepEqual(shorter.notices, []);
});

Deno.test("room log: someone else's message may follow one's own only if one is held after it, or newer ones are not held", () => {
  const isIda = (user: string) => user.toLowerCase() === "ida";
  const log: RoomLog = {
    ...emptyLog(),
    messages: [
      message(1),
      message(2, { user: "bob" }),
      message(3, { user: "IDA" }),
    ],
  };
  assert.equal(othersAfter(log, 1, isIda), true);
  assert.equal(othersAfter(log, 3, isIda), false);
  assert.equal(othersAfter(log, 2, isIda), false);
  // Read back with the newest unloaded: they may be anyone's.
  assert.equal(othersAfter({ ...log, unloaded: 0 }, 3, isIda), true);
  assert.equal(othersAfter(undefined, 3, isIda), true);
});
