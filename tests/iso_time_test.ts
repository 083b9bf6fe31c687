/**
 * isoTime: a message's time written as toISOString writes it, whatever
 * the time (day edges, before 1970, the years toISOString writes with a
 * sign) and in whatever order the times come.
 */
import assert from "node:assert/strict";
import { isoTime } from "../server/store/iso_time.ts";

const DAY = 86_400_000;

Deno.test("iso time: every millisecond around day edges, before and after 1970, reads as toISOString's", () => {
  const edges = [0, DAY, 19_698 * DAY, -DAY, -365 * DAY, 2_147_483_647_000];
  for (const edge of edges) {
    for (let ms = edge - 2_000; ms <= edge + 2_000; ms++) {
      assert.equal(isoTime(ms), new Date(ms).toISOString());
    }
  }
});

Deno.test("iso time: times in random order, each day's part not carried over to another day", () => {
  let seed = 54;
  const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31);
  for (let i = 0; i < 100_000; i++) {
    // Years 1900 to 2100, each time a day away from the last at random.
    const ms = -2_208_988_800_000 + next() * 3_000_000 + (next() % 1000);
    assert.equal(isoTime(ms), new Date(ms).toISOString());
  }
});

Deno.test("iso time: the first and last times of years 0 to 9999, and the extended years beyond, as toISOString writes them", () => {
  for (
    const ms of [
      new Date("0000-01-01T00:00:00.000Z").getTime(),
      new Date("9999-12-31T23:59:59.999Z").getTime(),
      new Date("+010000-01-01T00:00:00.000Z").getTime(),
      new Date("-000001-12-31T23:59:59.999Z").getTime(),
      8.64e15,
      -8.64e15,
    ]
  ) {
    assert.equal(isoTime(ms), new Date(ms).toISOString());
  }
});

Deno.test("iso time: what is no time fails as toISOString fails, and a fraction of a millisecond is cut as it cuts it", () => {
  for (const ms of [NaN, Infinity, -Infinity, 8.64e15 + 1]) {
    assert.throws(() => isoTime(ms), RangeError);
  }
  assert.equal(isoTime(1_000.7), new Date(1_000.7).toISOString());
  assert.equal(isoTime(-1_000.7), new Date(-1_000.7).toISOString());
});
