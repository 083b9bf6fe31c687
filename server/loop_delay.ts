/**
 * How late the event loop runs: a timer asks to wake every `resolutionMs`
 * and records by how much it was late. Whatever holds the loop (a long
 * synchronous step, a garbage collection, a system call that blocks) shows
 * as a late wake-up, and every socket waited as long. Deno's
 * `perf_hooks.monitorEventLoopDelay` exists but does not see a blocked loop
 * (a 30 ms busy wait read as 0.16 ms on Deno 2.9.6), hence this one.
 *
 * Costs one timer callback per `resolutionMs` (100 a second by default)
 * and two small arrays of counts.
 */
import { setTimeout as setNodeTimeout } from "node:timers";

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

// Buckets grow by 2^(1/4) (19 % wide) from 2^-4 ms up to 2^14 ms (16 s);
// bucket i holds delays up to LOWEST * STEP^i. Quantiles are read as the
// bucket's upper bound, so they are at most 19 % high.
const LOWEST_MS = 1 / 16;
const PER_DOUBLING = 4;
const BUCKETS = 18 * PER_DOUBLING + 1;

/** The upper bound (ms) of bucket `i`; the last one is open. */
function upperBound(i: number): number {
  return i >= BUCKETS - 1 ? Infinity : LOWEST_MS * 2 ** (i / PER_DOUBLING);
}

function bucketOf(ms: number): number {
  if (!(ms > LOWEST_MS)) return 0;
  // The small epsilon keeps exact bounds (1 ms, 2 ms...) in their bucket.
  const i = Math.ceil(Math.log2(ms / LOWEST_MS) * PER_DOUBLING - 1e-9);
  return Math.min(i, BUCKETS - 1);
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
  #timer?: ReturnType<typeof setNodeTimeout>;
  #due = 0;
  // Since start, for the Prometheus histogram.
  #all = new DelayCounts();
  // The current and the previous window, for the quantiles.
  #current = new DelayCounts();
  #previous = new DelayCounts();
  #windowStart = 0;

  constructor(options: LoopDelayOptions = {}) {
    this.#resolutionMs = options.resolutionMs ?? 10;
    this.#windowMs = options.windowMs ?? 30_000;
  }

  /** Starts sampling (again); the timer does not keep the process alive. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#windowStart = performance.now();
    this.#arm(this.#windowStart);
  }

  /** Stops sampling; what was recorded is kept. */
  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(now: number): void {
    this.#due = now + this.#resolutionMs;
    this.#timer = setNodeTimeout(() => {
      const woke = performance.now();
      this.record(Math.max(0, woke - this.#due), woke);
      this.#arm(woke);
    }, this.#resolutionMs);
    this.#timer.unref();
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
  }

  /** p50, p99 and maximum over the last one to two windows. */
  recent(): DelaySummary {
    return summarize([this.#previous, this.#current]);
  }

  /** p50, p99 and maximum since the monitor was made. */
  sinceStart(): DelaySummary {
    return summarize([this.#all]);
  }

  /**
   * Prometheus text: a summary (p50, p99) and a maximum over the recent
   * windows, and a histogram since start whose buckets grow by √2, from
   * which a scraper can take any interval's quantiles by difference.
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
    for (let i = 0; i < BUCKETS; i++) {
      cumulative += this.#all.counts[i];
      // Every second bucket: bounds that grow by √2 are enough to read.
      if (i % 2 === 0 && i < BUCKETS - 1) {
        lines.push(
          `${histogram}_bucket{le="${seconds(upperBound(i))}"} ${cumulative}`,
        );
      }
    }
    lines.push(
      `${histogram}_bucket{le="+Inf"} ${this.#all.count}`,
      `${histogram}_sum ${seconds(this.#all.sum)}`,
      `${histogram}_count ${this.#all.count}`,
    );
    return lines.join("\n");
  }
}
