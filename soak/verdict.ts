/**
 * The soak's verdict: does memory plateau? Halves hide a late climb (a run
 * that grows only in its last minutes averages out), so the last quarter of
 * the samples is compared with the quarter before it, and the final sample
 * must not stand above both quarters by more than the margin either.
 */

/** What the verdict reads of one sample. */
export interface VerdictSample {
  rssMiB: number;
  fds: number;
}

/** The verdict and the figures it rests on. */
export interface Verdict {
  stable: boolean;
  /** Mean RSS of the quarter before the last, and of the last quarter. */
  before: number;
  last: number;
  /** Growth from `before` to `last`, in percent. */
  growth: number;
  /** The last sample's RSS. */
  final: number;
  fdsBefore: number;
  fdsLast: number;
  /** One line for people. */
  text: string;
}

/** Growth between the two quarters below which RSS is a plateau, in percent. */
export const STABLE_GROWTH_PERCENT = 10;

/** Compares the last quarter of samples with the one before; undefined under 4 samples. */
export function soakVerdict(samples: VerdictSample[]): Verdict | undefined {
  const quarter = Math.floor(samples.length / 4);
  if (quarter < 1) return undefined;
  const last = samples.slice(samples.length - quarter);
  const before = samples.slice(samples.length - 2 * quarter, -quarter);
  const rssBefore = mean(before.map((s) => s.rssMiB));
  const rssLast = mean(last.map((s) => s.rssMiB));
  const growth = (rssLast - rssBefore) / rssBefore * 100;
  const final = samples[samples.length - 1].rssMiB;
  const ceiling = Math.max(rssBefore, rssLast) *
    (1 + STABLE_GROWTH_PERCENT / 100);
  const fdsBefore = mean(before.map((s) => s.fds));
  const fdsLast = mean(last.map((s) => s.fds));
  // File descriptors track connections: a few percent either way is churn.
  const fdsFlat = fdsLast <= fdsBefore * 1.05 + 5;
  const stable = growth < STABLE_GROWTH_PERCENT && final <= ceiling && fdsFlat;
  const sign = growth >= 0 ? "+" : "";
  const text = `${stable ? "STABLE" : "GROWING"}: RSS ${
    rssBefore.toFixed(1)
  } MiB (quarter before last) -> ${
    rssLast.toFixed(1)
  } MiB (last quarter), ${sign}${growth.toFixed(1)}%, final ${
    final.toFixed(1)
  } MiB; fds ${fdsBefore.toFixed(0)} -> ${fdsLast.toFixed(0)}`;
  return {
    stable,
    before: rssBefore,
    last: rssLast,
    growth,
    final,
    fdsBefore,
    fdsLast,
    text,
  };
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
}
