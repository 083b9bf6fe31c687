/**
 * The bench's arithmetic: rounding, medians, quantiles of timings, and the
 * sums of what the load generators report.
 */
import type { Message } from "./workers.ts";

/** `x` rounded to `digits` decimals (non-finite values as they are). */
export function round(x: number, digits = 2): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** The median (the mean of the middle two of an even count). */
export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** p50, p99 and max of timings in ms. */
export function msQuantiles(
  ms: number[],
): { p50: number; p99: number; max: number } {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return {
    p50: round(at(0.5), 2),
    p99: round(at(0.99), 2),
    max: round(sorted[sorted.length - 1], 2),
  };
}

/** Merged latency histogram -> quantiles in ms (see load_worker Histogram). */
export function quantiles(hists: Message[]): {
  n: number;
  p50: number;
  p99: number;
  max: number;
} {
  const counts = new Map<number, number>();
  let n = 0;
  let max = 0;
  for (const h of hists) {
    if (!h) continue;
    n += h.n;
    max = Math.max(max, h.max);
    for (const [b, c] of h.buckets as [number, number][]) {
      counts.set(b, (counts.get(b) ?? 0) + c);
    }
  }
  const sorted = [...counts].sort((a, b) => a[0] - b[0]);
  const at = (q: number) => {
    if (n === 0) return NaN;
    const rank = Math.ceil(q * n);
    let seen = 0;
    for (const [b, c] of sorted) {
      seen += c;
      // Geometric middle of the bucket, in ms.
      if (seen >= rank) return Math.min(max, Math.pow(1.02, b + 0.5) / 1000);
    }
    return max;
  };
  return { n, p50: at(0.5), p99: at(0.99), max };
}

/** The sum of a numeric field over the generators' reports. */
export function sum(list: Message[], key: string): number {
  return list.reduce((s, m) => s + (Number(m[key]) || 0), 0);
}

/** Counts by key (e.g. close codes) added up over the reports. */
export function mergeCounts(
  list: Message[],
  key: string,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of list) {
    for (const [k, v] of Object.entries(m[key] ?? {})) {
      out[k] = (out[k] ?? 0) + Number(v);
    }
  }
  return out;
}

/** The first close reason each close code came with, over the reports. */
export function reasons(list: Message[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of list) {
    for (const [code, reason] of Object.entries(m.closeReasons ?? {})) {
      out[code] ??= String(reason);
    }
  }
  return out;
}

/** The first three error samples of the reports. */
export function samples(list: Message[]): string[] {
  return list.flatMap((m) => m.errorSamples ?? []).slice(0, 3);
}
