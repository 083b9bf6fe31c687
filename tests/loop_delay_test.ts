/** LoopDelayMonitor: quantiles, windows and Prometheus text, then a real blocked loop. */
import assert from "node:assert/strict";
import { LoopDelayMonitor } from "../server/loop_delay.ts";

// Quantiles are bucket upper bounds: at most 26 % above the true value.
function near(actual: number, expected: number): void {
  assert.ok(
    actual >= expected && actual <= expected * 1.26,
    `${actual} is not within [${expected}, ${expected * 1.26}]`,
  );
}

Deno.test("loop delay: p50, p99 and max of recorded delays", () => {
  const monitor = new LoopDelayMonitor({ windowMs: 60_000 });
  for (let i = 0; i < 980; i++) monitor.record(0.5, 1);
  for (let i = 0; i < 19; i++) monitor.record(4, 1);
  monitor.record(37, 1);
  const summary = monitor.recent();
  assert.equal(summary.count, 1000);
  near(summary.p50, 0.5);
  near(summary.p99, 4);
  assert.equal(summary.max, 37);
});

Deno.test("loop delay: a stall older than two windows leaves the recent figures", () => {
  const monitor = new LoopDelayMonitor({ windowMs: 1000 });
  monitor.record(80, 10);
  monitor.record(1, 500);
  assert.equal(monitor.recent().max, 80);
  // Next window: the stall is still in the previous one.
  monitor.record(1, 1500);
  assert.equal(monitor.recent().max, 80);
  // Two windows on, it is gone from the recent figures, kept since start.
  monitor.record(2, 2600);
  assert.equal(monitor.recent().max, 2);
  assert.equal(monitor.sinceStart().max, 80);
  assert.equal(monitor.sinceStart().count, 4);
});

Deno.test("loop delay: delays of 50 ms or more add up as stalls, in stalledMs and /metrics", () => {
  const monitor = new LoopDelayMonitor();
  for (let i = 0; i < 100; i++) monitor.record(1);
  monitor.record(49);
  monitor.record(50);
  monitor.record(1200);
  assert.equal(monitor.stalledMs, 1250);
  assert.match(
    monitor.render(),
    /^chat_event_loop_stalls_seconds_total 1\.25$/m,
  );
});

Deno.test("loop delay: /metrics text has the summary, the max and a cumulative histogram", () => {
  const monitor = new LoopDelayMonitor();
  monitor.record(0.3);
  monitor.record(12);
  const text = monitor.render();
  assert.match(text, /^# TYPE chat_event_loop_delay_seconds summary$/m);
  assert.match(
    text,
    /^chat_event_loop_delay_seconds\{quantile="0.99"\} 0\.01\d+$/m,
  );
  assert.match(text, /^chat_event_loop_delay_max_seconds 0.012$/m);
  assert.match(text, /^chat_event_loop_delay_seconds_count 2$/m);
  const buckets = [
    ...text.matchAll(
      /^chat_event_loop_delay_since_start_seconds_bucket\{le="([^"]+)"\} (\d+)$/gm,
    ),
  ].map(([, le, n]) => [le === "+Inf" ? Infinity : Number(le), Number(n)]);
  // Cumulative counts never go down and end with every sample.
  for (let i = 1; i < buckets.length; i++) {
    assert.ok(buckets[i][0] > buckets[i - 1][0]);
    assert.ok(buckets[i][1] >= buckets[i - 1][1]);
  }
  assert.deepEqual(buckets.at(-1), [Infinity, 2]);
  const at = (le: number) => buckets.findLast(([bound]) => bound <= le)![1];
  // Round figures are bounds: 0.3 ms is counted at 0.315, 12 ms at 12.5.
  assert.equal(at(0.0003), 0);
  assert.equal(at(0.000315), 1);
  assert.equal(at(0.01), 1);
  assert.equal(at(0.0125), 2);
});

Deno.test("loop delay: a 60 ms busy wait shows as a delay of about 60 ms", async () => {
  const monitor = new LoopDelayMonitor({ resolutionMs: 5 });
  monitor.start();
  try {
    await new Promise((resolve) => setTimeout(resolve, 30));
    const until = performance.now() + 60;
    while (performance.now() < until) {
      // Hold the loop, as a long synchronous step would.
    }
    await new Promise((resolve) => setTimeout(resolve, 30));
  } finally {
    monitor.stop();
  }
  const { max, count } = monitor.recent();
  assert.ok(count >= 2, `only ${count} samples`);
  // The timer was due within 5 ms of the wait's start: late by at least
  // 55 ms. A busy machine can only make it later.
  assert.ok(max >= 55, `longest delay ${max} ms`);
});
