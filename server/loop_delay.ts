/**
 * How late the event loop runs: a timer asks to wake every `resolutionMs`
 * and records by how much it was late. Whatever holds the loop (a long
 * synchronous step, a garbage collection, a system call that blocks) shows
 * as a late wake-up, and every socket waited as long. Deno's
 * `perf_hooks.monitorEventLoopDelay` exists but does not see a blocked loop
 * (a 30 ms busy wait read as 0.16 ms on Deno 2.9.6), hence this one.
 *
 * Costs one timer callback per `resolutionMs` (100 a second by default)
 * and two small arrays of counts. The timer is one interval, not a timeout
 * made again at every wake-up: a new timeout cost its object, its async id
 * and its insertion each time, 1.4% of the server's busy samples in chat
 * (docs/performance.md, "Chat's CPU outside the store").
 */
import { setInterval as setNodeInterval } from "node:timers";

/** Options of {@link LoopDelayMonitor}. */
export interface LoopDelayOptions {
  /** How often the timer asks to run, in ms (default 10, as Node's). */
  resolutionMs?: number;
  /**
   * The quantiles and the maximum cover the last `windowMs` to
   * `2 * windowMs` (two windows rotate; default 30 s).
   */
  windowMs?: number;
}

/** Quantiles of the delays recorded, in ms. */
export interface DelaySummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

// Bucket bounds in ms: the R10 series (1, 1.25, 1.6, 2, 2.5, 3.15, 4, 5,
// 6.3, 8) over each decade from 0.01 ms to 10 s, so that round figures
// such as 1, 2, 5 and 10 ms are bounds; one more bucket for anything
// longer. Quantiles are read as a bucket's upper bound: at most 26 % high.
const R10 = [1, 1.25, 1.6, 2, 2.5, 3.15, 4, 5, 6.3, 8];
const BOUNDS_MS: readonly number[] = [
  ...[-2, -1, 0, 1, 2, 3].flatMap((decade) =>
    R10.map((r) => Number((r * 10 ** decade).toPrecision(3)))
  ),
  10_000,
];
const BUCKETS = BOUNDS_MS.length + 1;
// The histogram in /metrics starts at 0.1 ms: finer says nothing more.
const FIRST_SHOWN = BOUNDS_MS.indexOf(0.1);

/** A delay this long (ms) or longer counts as a stall (stalledMs). */
const STALL_MS = 50;

/** The upper bound (ms) of bucket `i`; the last one is open. */
function upperBound(i: number): number {
  return i < BOUNDS_MS.length ? BOUNDS_MS[i] : Infinity;
}

function bucketOf(ms: number): number {
  let low = 0;
  let high = BOUNDS_MS.length;
  // The first bound at or above `ms` (BOUNDS_MS.length when none is).
  while (low < high) {
    const mid = (low + high) >> 1;
    if (BOUNDS_MS[mid] >= ms) high = mid;
    else low = mid + 1;
  }
  return low;
}

/** Counts of delays in log-spaced buckets, with the exact maximum. */
class DelayCounts {
  counts = new Float64Array(BUCKETS);
  count = 0;
  sum = 0;
  max = 0;

  add(ms: number): void {
    this.counts[bucketOf(ms)]++;
    this.count++;
    this.sum += ms;
    if (ms > this.max) this.max = ms;
  }
}

function summarize(parts: DelayCounts[]): DelaySummary {
  const counts = new Float64Array(BUCKETS);
  let count = 0;
  let max = 0;
  for (const part of parts) {
    for (let i = 0; i < BUCKETS; i++) counts[i] += part.counts[i];
    count += part.count;
    max = Math.max(max, part.max);
  }
  const at = (q: number): number => {
    if (count === 0) return 0;
    const rank = Math.ceil(q * count);
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += counts[i];
      if (seen >= rank) return Math.min(upperBound(i), max);
    }
    return max;
  };
  return { count, p50: at(0.5), p99: at(0.99), max };
}

/** Measures event-loop delay; see the module comment. */
export class LoopDelayMonitor {
  #resolutionMs: number;
  #windowMs: number;
  #timer?: ReturnType<typeof setNodeInterval>;
  #due = 0;
  // Since start, for the Prometheus histogram.
  #all = new DelayCounts();
  // The current and the previous window, for the quantiles.
  #current = new DelayCounts();
  #previous = new DelayCounts();
  #windowStart = 0;
  #stalledMs = 0;

  constructor(options: LoopDelayOptions = {}) {
    this.#resolutionMs = options.resolutionMs ?? 10;
    this.#windowMs = options.windowMs ?? 30_000;
  }

  /** Starts sampling (again); the timer does not keep the process alive. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#windowStart = performance.now();
    this.#due = this.#windowStart + this.#resolutionMs;
    this.#timer = setNodeInterval(() => {
      const woke = performance.now();
      this.record(Math.max(0, woke - this.#due), woke);
      // The next wake-up is due a resolution after this one (the interval
      // counts from when it ran, as the timeout made here did).
      this.#due = woke + this.#resolutionMs;
    }, this.#resolutionMs);
    this.#timer.unref();
  }

  /** Stops sampling; what was recorded is kept. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Records one delay in ms observed at `now` (performance.now()). */
  record(ms: number, now = performance.now()): void {
    if (now - this.#windowStart >= this.#windowMs) {
      // A window with no sample at all (a stop) leaves nothing behind.
      this.#previous = now - this.#windowStart >= 2 * this.#windowMs
        ? new DelayCounts()
        : this.#current;
      this.#current = new DelayCounts();
      this.#windowStart = now;
    }
    this.#all.add(ms);
    this.#current.add(ms);
    if (ms >= STALL_MS) this.#stalledMs += ms;
  }

  /** p50, p99 and maximum over the last one to two windows. */
  recent(): DelaySummary {
    return summarize([this.#previous, this.#current]);
  }

  /**
   * The delays of 50 ms or more since the monitor was made, added up, in
   * ms: how long something held the loop (a stopped process, a starved
   * one). Shorter ones are left out: each wake-up is late by a millisecond
   * or so, which adds up to a tenth of any idle time.
   */
  get stalledMs(): number {
    return this.#stalledMs;
  }

  /** p50, p99 and maximum since the monitor was made. */
  sinceStart(): DelaySummary {
    return summarize([this.#all]);
  }

  /**
   * Prometheus text: a summary (p50, p99) and a maximum over the recent
   * windows, and a histogram since start (bounds of the R10 series from
   * 0.1 ms), from which a scraper takes any interval's quantiles by
   * difference.
   */
  render(): string {
    const recent = this.recent();
    const seconds = (ms: number) => String(Number((ms / 1000).toPrecision(6)));
    const name = "chat_event_loop_delay_seconds";
    const lines = [
      `# HELP ${name} How late the event loop ran a ${this.#resolutionMs} ms timer, over the last ${
        this.#windowMs / 1000
      } to ${(2 * this.#windowMs) / 1000} s.`,
      `# TYPE ${name} summary`,
      `${name}{quantile="0.5"} ${seconds(recent.p50)}`,
      `${name}{quantile="0.99"} ${seconds(recent.p99)}`,
      `${name}_sum ${seconds(this.#all.sum)}`,
      `${name}_count ${this.#all.count}`,
      `# HELP chat_event_loop_delay_max_seconds The longest event-loop delay over the same windows.`,
      `# TYPE chat_event_loop_delay_max_seconds gauge`,
      `chat_event_loop_delay_max_seconds ${seconds(recent.max)}`,
    ];
    const histogram = "chat_event_loop_delay_since_start_seconds";
    lines.push(
      `# HELP ${histogram} Event-loop delays since the server started.`,
      `# TYPE ${histogram} histogram`,
    );
    let cumulative = 0;
    for (let i = 0; i < BUCKETS - 1; i++) {
      cumulative += this.#all.counts[i];
      if (i >= FIRST_SHOWN) {
        lines.push(
          `${histogram}_bucket{le="${seconds(upperBound(i))}"} ${cumulative}`,
        );
      }
    }
    lines.push(
      `${histogram}_bucket{le="+Inf"} ${this.#all.count}`,
      `${histogram}_sum ${seconds(this.#all.sum)}`,
      `${histogram}_count ${this.#all.count}`,
      `# HELP chat_event_loop_stalls_seconds_total Event-loop delays of ${STALL_MS} ms or more since the server started, added up.`,
      `# TYPE chat_event_loop_stalls_seconds_total counter`,
      `chat_event_loop_stalls_seconds_total ${seconds(this.#stalledMs)}`,
    );
    return lines.join("\n");
  }
}
