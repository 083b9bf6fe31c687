/**
 * The arithmetic of the web client's long lists (client/list_window.ts):
 * which rows to render for a view, where to scroll to show a row, where a
 * key moves; and the find box's matching (client/name_filter.ts).
 */

import assert from "node:assert/strict";
import {
  OVERSCAN,
  revealRow,
  rowAfterKey,
  rowSpan,
} from "../client/list_window.ts";
import { filterByName } from "../client/name_filter.ts";

Deno.test("the rows in view and the overscan either side are rendered, the rest is padding of their height", () => {
  const span = rowSpan({
    count: 3000,
    rowHeight: 30,
    viewTop: 30_000,
    viewHeight: 600,
    overscan: 5,
  });
  assert.deepEqual(span, {
    start: 995,
    end: 1025,
    before: 995 * 30,
    after: (3000 - 1025) * 30,
  });
  assert.equal(span.before + (span.end - span.start) * 30 + span.after, 90_000);
});

Deno.test("at the top of a list the window starts at its first row", () => {
  const span = rowSpan({
    count: 3000,
    rowHeight: 30,
    viewTop: 0,
    viewHeight: 600,
  });
  assert.equal(span.start, 0);
  assert.equal(span.end, 20 + OVERSCAN);
  assert.equal(span.before, 0);
});

Deno.test("a list that starts below the view renders its first rows, so a Tab into it lands", () => {
  const span = rowSpan({
    count: 3000,
    rowHeight: 30,
    viewTop: -5000,
    viewHeight: 600,
  });
  assert.deepEqual([span.start, span.end], [0, OVERSCAN]);
});

Deno.test("a view past the end of the list renders its last rows, never an empty window", () => {
  const span = rowSpan({
    count: 3000,
    rowHeight: 30,
    viewTop: 1_000_000,
    viewHeight: 600,
  });
  assert.deepEqual([span.start, span.end], [3000 - OVERSCAN, 3000]);
  assert.equal(span.after, 0);
});

Deno.test("a short list is rendered whole and an empty one not at all", () => {
  assert.deepEqual(
    rowSpan({ count: 5, rowHeight: 30, viewTop: 0, viewHeight: 600 }),
    { start: 0, end: 5, before: 0, after: 0 },
  );
  assert.deepEqual(
    rowSpan({ count: 0, rowHeight: 30, viewTop: 0, viewHeight: 600 }),
    { start: 0, end: 0, before: 0, after: 0 },
  );
});

Deno.test("a row height not measured yet (0) or a hidden view (height 0) still gives a bounded window", () => {
  const unmeasured = rowSpan({
    count: 3000,
    rowHeight: 0,
    viewTop: 0,
    viewHeight: 600,
  });
  assert.ok(unmeasured.end <= 600 + OVERSCAN);
  const hidden = rowSpan({
    count: 3000,
    rowHeight: 30,
    viewTop: 0,
    viewHeight: 0,
  });
  assert.deepEqual([hidden.start, hidden.end], [0, OVERSCAN]);
});

Deno.test("revealing a row scrolls as little as it can: not at all when in view, to its top from below, to its bottom from above", () => {
  assert.equal(revealRow(10, 30, 0, 600), 0);
  assert.equal(revealRow(100, 30, 0, 600), 101 * 30 - 600);
  assert.equal(revealRow(5, 30, 3000, 600), 150);
});

Deno.test("arrow keys move one row, Page keys a view less one, Home and End to the ends, clamped; other keys none", () => {
  assert.equal(rowAfterKey("ArrowDown", 4, 3000, 20), 5);
  assert.equal(rowAfterKey("ArrowUp", 4, 3000, 20), 3);
  assert.equal(rowAfterKey("ArrowUp", 0, 3000, 20), 0);
  assert.equal(rowAfterKey("ArrowDown", 2999, 3000, 20), 2999);
  assert.equal(rowAfterKey("PageDown", 4, 3000, 20), 23);
  assert.equal(rowAfterKey("PageUp", 4, 3000, 20), 0);
  assert.equal(rowAfterKey("Home", 400, 3000, 20), 0);
  assert.equal(rowAfterKey("End", 4, 3000, 20), 2999);
  assert.equal(rowAfterKey("PageDown", 4, 3000, 0), 5);
  assert.equal(rowAfterKey("Enter", 4, 3000, 20), undefined);
});

Deno.test("the find box keeps the names holding the text, compared as the server compares names, in order", () => {
  const names = ["general", "Straße", "room-12", "ROOM-120", "other"];
  assert.deepEqual(filterByName(names, "room-12", (n) => n), [
    "room-12",
    "ROOM-120",
  ]);
  assert.deepEqual(filterByName(names, "STRASSE", (n) => n), ["Straße"]);
  assert.deepEqual(filterByName(names, "  ", (n) => n), names);
  assert.deepEqual(filterByName(names, "nothing", (n) => n), []);
});
