/** client/status.ts: which statuses the web client shows, and the presets' ends. */
import assert from "node:assert/strict";
import {
  endOfDay,
  nextStatusEnd,
  STATUS_PRESETS,
  statusLine,
  statusShown,
} from "../client/status.ts";

const NOW = new Date(2026, 11, 6, 15, 30).getTime();
const HOUR = 3_600_000;

Deno.test("client status: one whose until has come is not shown; one without until always is", () => {
  const kept = { text: "On holiday", emoji: "🌴", until: null };
  const ended = { text: "In a meeting", emoji: null, until: NOW };
  const later = { text: "Out sick", emoji: "🤒", until: NOW + HOUR };
  assert.equal(statusShown(kept, NOW), kept);
  assert.equal(statusShown(ended, NOW), null);
  assert.equal(statusShown(later, NOW), later);
  assert.equal(statusShown(undefined, NOW), null);
  assert.equal(nextStatusEnd([kept, ended, later, null], NOW), NOW + HOUR);
  assert.equal(nextStatusEnd([kept, ended], NOW), null);
});

Deno.test("client status: the presets end in an hour, at midnight, and never; a line puts the emoji first", () => {
  const ends = Object.fromEntries(
    STATUS_PRESETS.map((p) => [p.id, p.until(NOW)]),
  );
  assert.deepEqual(ends, {
    meeting: NOW + HOUR,
    sick: new Date(2026, 11, 7).getTime(),
    holiday: null,
  });
  assert.equal(endOfDay(NOW), new Date(2026, 11, 7).getTime());
  assert.equal(
    statusLine({ text: "Out sick", emoji: "🤒", until: null }),
    "🤒 Out sick",
  );
  assert.equal(statusLine({ text: "", emoji: "🌴", until: null }), "🌴");
  assert.equal(statusLine({ text: "Busy", emoji: null, until: null }), "Busy");
});
