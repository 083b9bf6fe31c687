/**
 * profile_time.ts without a browser: a card's local time, the zones
 * offered, and the zone a search by days sends.
 */
import assert from "node:assert/strict";
import { localTime, searchZone, timeZones } from "../client/profile_time.ts";
import { searchData } from "../server/protocol/schemas.ts";

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

Deno.test("a search by days sends the browser's zone, but none for one the server has no days in (Factory, SystemV's): UTC's days, not a refusal", () => {
  const names = [
    "Europe/Paris",
    "America/Los_Angeles",
    "UTC",
    "Factory",
    "SystemV/AST4",
    "US/Pacific-New",
  ];
  for (const zone of names) {
    const sent = searchZone(zone);
    // The server takes what is sent: the zone, or no zone at all.
    const data = { query: "x", until: "2026-01-01", zone: sent };
    assert.ok(searchData.safeParse(data).success, zone);
    // And leaves out only a zone it would refuse.
    const refused = !searchData.safeParse({ ...data, zone }).success;
    assert.equal(sent === undefined, refused, zone);
  }
  assert.equal(searchZone("Factory"), undefined);
  assert.equal(searchZone("Europe/Paris"), "Europe/Paris");
});

Deno.test("a browser without Temporal leaves out the zones the server has no days in too", () => {
  const saved = Object.getOwnPropertyDescriptor(globalThis, "Temporal");
  Reflect.deleteProperty(globalThis, "Temporal");
  try {
    assert.equal(searchZone("Factory"), undefined);
    assert.equal(searchZone("SystemV/AST4"), undefined);
    assert.equal(searchZone("Europe/Paris"), "Europe/Paris");
  } finally {
    if (saved) Object.defineProperty(globalThis, "Temporal", saved);
  }
});
