/** profile_time.ts without a browser: a card's local time, and the zones offered. */
import assert from "node:assert/strict";
import { localTime, timeZones } from "../client/profile_time.ts";

Deno.test("a card's local time is the hour and minute on a 24-hour clock in the person's zone, summer time counted", () => {
  // 2026-07-01 12:05 UTC: 14:05 in Paris (summer), 00:05 the next day in Auckland.
  const at = Date.UTC(2026, 6, 1, 12, 5);
  assert.deepEqual(localTime("Europe/Paris", at), { hour: "14", minute: "05" });
  assert.deepEqual(localTime("Pacific/Auckland", at), {
    hour: "00",
    minute: "05",
  });
  assert.deepEqual(localTime("UTC", Date.UTC(2026, 0, 1, 23, 59)), {
    hour: "23",
    minute: "59",
  });
});

Deno.test("a zone the browser does not know shows no local time, not an error", () => {
  assert.equal(localTime("Mars/Base", Date.now()), null);
});

Deno.test("the zones offered hold the browser's own", () => {
  const { own, all } = timeZones();
  assert.ok(all.includes(own));
  assert.ok(all.length > 100);
});
