/** The soak's verdict: quarters, not halves, so a late climb shows. */
import assert from "node:assert/strict";
import { soakVerdict } from "../soak/verdict.ts";

function samples(rss: number[], fds = 300): { rssMiB: number; fds: number }[] {
  return rss.map((rssMiB) => ({ rssMiB, fds }));
}

Deno.test("soak verdict: the last session's climb is GROWING, though its halves looked stable", () => {
  // The RSS per minute of the 10-minute run that the issue quotes.
  const verdict = soakVerdict(
    samples([98, 107, 120, 97, 108, 121, 123, 123, 150, 150]),
  );
  assert.ok(verdict);
  assert.equal(verdict.stable, false);
  assert.match(verdict.text, /^GROWING/);
});

Deno.test("soak verdict: a plateau with noise is STABLE", () => {
  const verdict = soakVerdict(
    samples([90, 101, 104, 103, 105, 102, 104, 103, 105, 104, 103, 105]),
  );
  assert.ok(verdict);
  assert.equal(verdict.stable, true, verdict.text);
});

Deno.test("soak verdict: a last sample far above the plateau is GROWING", () => {
  const verdict = soakVerdict(
    samples([100, 100, 100, 100, 100, 100, 100, 130]),
  );
  assert.equal(verdict?.stable, false);
});

Deno.test("soak verdict: file descriptors that keep climbing are GROWING", () => {
  const rss = [100, 100, 100, 100, 100, 100, 100, 100];
  const verdict = soakVerdict(
    rss.map((rssMiB, i) => ({ rssMiB, fds: 300 + i * 40 })),
  );
  assert.equal(verdict?.stable, false);
});

Deno.test("soak verdict: fewer than four samples give no verdict", () => {
  assert.equal(soakVerdict(samples([100, 101, 102])), undefined);
});
