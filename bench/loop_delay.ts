/**
 * The server's event-loop delay over a measured window, read from its
 * /metrics: the histogram `chat_event_loop_delay_since_start_seconds` is
 * cumulative, so the counts at the window's end minus those at its start
 * are the window's own. Quantiles are bucket upper bounds (the server's
 * bounds are the R10 series: 1, 1.25, 1.6, 2, 2.5, 3.15, 4, 5, 6.3, 8 per
 * decade), so they read "at most".
 */

const BUCKET =
  /^chat_event_loop_delay_since_start_seconds_bucket\{le="([^"]+)"\} (\S+)$/gm;

/** Cumulative counts per upper bound (ms), in increasing order. */
export type DelayBuckets = [number, number][];

/** The server's delay histogram now; undefined when it has none. */
export async function readDelayBuckets(
  baseUrl: string,
): Promise<DelayBuckets | undefined> {
  try {
    const response = await fetch(`${baseUrl}/metrics`);
    if (!response.ok) {
      await response.body?.cancel();
      return undefined;
    }
    const text = await response.text();
    const buckets: DelayBuckets = [];
    for (const [, le, count] of text.matchAll(BUCKET)) {
      buckets.push([
        le === "+Inf" ? Infinity : Number(le) * 1000,
        Number(count),
      ]);
    }
    return buckets.length > 0 ? buckets : undefined;
  } catch {
    return undefined;
  }
}

/** p50, p99 and max (ms, bucket upper bounds) between two readings. */
export function windowDelay(
  before: DelayBuckets | undefined,
  after: DelayBuckets | undefined,
): { samples: number; p50: number; p99: number; max: number } | undefined {
  if (!before || !after || before.length !== after.length) return undefined;
  const counts = after.map(([le, n], i) => {
    const below = i === 0 ? 0 : after[i - 1][1] - before[i - 1][1];
    return [le, n - before[i][1] - below] as const;
  });
  const samples = after.at(-1)![1] - before.at(-1)![1];
  if (samples <= 0) return undefined;
  const at = (q: number) => {
    const rank = Math.ceil(q * samples);
    let seen = 0;
    for (const [le, n] of counts) {
      seen += n;
      if (seen >= rank) return le;
    }
    return Infinity;
  };
  let max = 0;
  for (const [le, n] of counts) if (n > 0) max = le;
  return { samples, p50: at(0.5), p99: at(0.99), max };
}
