/**
 * The bench's report: one table of every scenario's figures, a
 * `BENCH_JSON {...}` line, then the project's targets as its last lines,
 * each a ratio against a relay measured in the same run (the median of
 * the runs' ratios with --runs N), with its target and whether it is met.
 */
import { median, round } from "./stats.ts";

/** One scenario's figures (see bench/scenarios/). */
// deno-lint-ignore no-explicit-any
export type Result = Record<string, any>;

/** Everything the report is made from. */
export interface ReportInput {
  /** Medians over runs, by job key (`fanout`, `chat_bun`, ...). */
  results: Record<string, Result>;
  /** Each run's own results, for same-run ratios. */
  perRun: Record<string, Result>[];
  failures: Record<string, string[]>;
  /** Why some rows are missing (e.g. no Bun). */
  skipped: string[];
  /** Header facts. */
  runs: number;
  durationS: number;
  limits: string;
  openFileLimit: number;
  elapsedS: number;
}

/** How the table names a target kind. */
const LABELS: Record<string, string> = {
  project: "project",
  baseline: "deno relay",
  bun: "bun relay",
};

function fmt(x: unknown, digits = 1): string {
  if (typeof x !== "number" || !Number.isFinite(x)) return "-";
  return x.toLocaleString("en-US", {
    maximumFractionDigits: digits,
    minimumFractionDigits: 0,
  });
}

function pct(x: unknown): string {
  return typeof x === "number" && Number.isFinite(x)
    ? `${Math.round(x * 100)}%`
    : "-";
}

/** "≤p50/≤p99/≤max" of a loop-delay reading (bucket bounds). */
function loop(r: Result, prefix = "loop"): string {
  const p50 = r[`${prefix}_p50_ms`];
  if (typeof p50 !== "number") return "";
  return [p50, r[`${prefix}_p99_ms`], r[`${prefix}_max_ms`]]
    .map((x) => `≤${fmt(x, 2)}`).join("/");
}

const COLUMNS = [
  "scenario",
  "target",
  "rate",
  "p50 ms",
  "p99 ms",
  "max ms",
  "loop ms",
  "srv CPU",
  "gen CPU",
  "other",
  "CPU µs/op",
  "notes",
] as const;
type Column = typeof COLUMNS[number];

/**
 * What bounds a fan-out's rate: the generators' CPU per delivery, and each
 * side's busiest thread as run + wait for a core (a thread near 100% never
 * idled), e.g. "gen 1.1 µs/deliv; busiest thread srv 35+30%, gen 64+36%".
 */
function threads(r: Result): string {
  if (typeof r.gen_thread_run !== "number") return "";
  const share = (run: number, wait: number) =>
    `${Math.round(run * 100)}+${Math.round(wait * 100)}%`;
  return `gen ${
    fmt(r.gen_cpu_us_per_delivery, 2)
  } µs/deliv; busiest thread srv ${
    share(r.server_thread_run, r.server_thread_wait)
  }, gen ${share(r.gen_thread_run, r.gen_thread_wait)}`;
}

/** The table's rows for the results at hand. */
function tableRows(input: ReportInput): string[][] {
  const { results, failures } = input;
  const rows: string[][] = [[...COLUMNS]];
  const row = (cells: Partial<Record<Column, string>>) =>
    rows.push(COLUMNS.map((c) => cells[c] ?? ""));
  const label = (r: Result) => LABELS[r.target] ?? String(r.target);

  for (
    const key of [
      "fanout",
      "fanout_members_looking",
      "fanout_members_away",
      "fanout_baseline",
      "fanout_bun",
    ]
  ) {
    const r = results[key];
    if (!r) continue;
    row({
      scenario: `fan-out ${r.clients}${
        r.members === "looking"
          ? " members, looking"
          : r.members === "away"
          ? " members, elsewhere"
          : ""
      }`,
      target: label(r),
      rate: `${fmt(r.deliveries_per_s, 0)} deliv/s`,
      "p50 ms": fmt(r.p50_ms, 2),
      "p99 ms": fmt(r.p99_ms, 2),
      "max ms": fmt(r.max_ms, 2),
      "loop ms": loop(r),
      "srv CPU": pct(r.server_cpu_util),
      "gen CPU": pct(r.gen_cpu_util),
      other: pct(r.other_cpu_util),
      "CPU µs/op": `${fmt(r.cpu_us_per_delivery, 2)}/deliv`,
      notes: `${fmt(r.sent_per_s, 0)} msg/s sent, ${
        fmt(r.deliveries_per_frame, 1)
      } msg/frame, ${r.receivers_open} open, ${r.errors} err, ${r.closes_during_run} drops; ${
        threads(r)
      }`,
    });
  }
  for (const key of ["chat", "chat_baseline", "chat_bun"]) {
    const r = results[key];
    if (!r) continue;
    const setup = r.connect_s + r.rooms_s + r.settle_s;
    row({
      scenario: `chat 1000/50${
        r.rate_per_client !== undefined && r.rate_per_client !== 1
          ? ` at ${r.rate_per_client}/s`
          : ""
      }`,
      target: label(r),
      rate: `${fmt(r.deliveries_per_s, 0)} deliv/s`,
      "p50 ms": fmt(r.p50_ms, 2),
      "p99 ms": fmt(r.p99_ms, 2),
      "max ms": fmt(r.max_ms, 2),
      "loop ms": loop(r),
      "srv CPU": pct(r.server_cpu_util),
      "gen CPU": pct(r.gen_cpu_util),
      other: pct(r.other_cpu_util),
      "CPU µs/op": `${fmt(r.cpu_us_per_delivery, 2)}/deliv`,
      notes:
        `acked ${r.acked}/${r.sent}, lost ${r.lost}, dup ${r.duplicated}, ` +
        `misrouted ${r.misrouted}, ${r.errors} err, ${r.closes_during_run} drops, ` +
        `setup ${fmt(setup)} s`,
    });
  }
  for (const key of Object.keys(results).filter((k) => k.startsWith("conn"))) {
    const r = results[key];
    row({
      scenario: `connections`,
      target: label(r),
      rate: `${r.connected}/${r.clients} in ${fmt(r.connect_s, 1)} s`,
      "srv CPU": pct(r.setup_server_cpu_util),
      "gen CPU": pct(r.setup_gen_cpu_util),
      other: pct(r.setup_other_cpu_util),
      notes:
        `RSS ${fmt(r.rss_before_kib / 1024)} -> ${
          fmt(r.rss_after_kib / 1024)
        } MiB = ${fmt(r.kib_per_connection, 1)} KiB/conn, quiet ${
          fmt(r.settle_s, 1)
        } s later, ${r.still_open} open, ${r.dropped_while_connecting} dropped ` +
        `while connecting ${
          JSON.stringify(r.close_codes)
        }, ${r.closes_during_run} while idle`,
    });
  }
  const h = results.history;
  if (h) {
    row({
      scenario: "history store",
      target: "project",
      rate: `${fmt(h.stored_per_s, 0)} msg/s`,
      "loop ms": loop(h, "store_loop"),
      "srv CPU": pct(h.store_cpu_util),
      "gen CPU": pct(h.store_gen_cpu_util),
      other: pct(h.store_other_cpu_util),
      "CPU µs/op": `${fmt(h.cpu_us_per_store, 1)}/msg`,
      notes: `${h.clients} senders in rooms of their own, 8 in flight each`,
    });
    row({
      scenario: "history read",
      target: "project",
      rate: `${fmt(h.history_per_s, 0)} req/s`,
      "loop ms": loop(h, "read_loop"),
      "srv CPU": pct(h.history_cpu_util),
      "gen CPU": pct(h.history_gen_cpu_util),
      other: pct(h.history_other_cpu_util),
      "CPU µs/op": `${fmt(h.cpu_us_per_history, 1)}/req`,
      notes:
        `limit 50, ${h.history_short} short of ${h.history_checked} checked, ` +
        `${h.errors} err, ${h.closes_during_run} drops`,
    });
  }
  const se = results.search;
  if (se) {
    const kinds = se.by_kind as Record<
      string,
      { p50: number; p99: number; max: number; results_per_search: number }
    >;
    row({
      scenario: `search ${fmt((se.messages as number) / 1000, 0)}k`,
      target: `project ${se.store}`,
      rate: `${fmt(se.searches_per_s, 0)} req/s`,
      "p50 ms": fmt(se.p50_ms, 2),
      "p99 ms": fmt(se.p99_ms, 2),
      "max ms": fmt(se.max_ms, 2),
      "srv CPU": pct(se.cpu_util),
      other: pct(se.other_cpu_util),
      "CPU µs/op": `${fmt(se.cpu_us_per_search, 0)}/req`,
      notes: `one client, one at a time, ${se.searches} searches; ` +
        `filled in ${fmt(se.fill_s, 0)} s`,
    });
    for (const [label, k] of Object.entries(kinds)) {
      row({
        scenario: `  ${label}`,
        "p50 ms": fmt(k.p50, 2),
        "p99 ms": fmt(k.p99, 2),
        "max ms": fmt(k.max, 2),
        notes: `${fmt(k.results_per_search, 1)} results/page`,
      });
    }
  }
  const lf = results.login_flood;
  if (lf) {
    row({
      scenario: "login flood 200",
      target: "project",
      rate: `${fmt(lf.logins_per_s, 1)} logins/s`,
      "p50 ms": fmt(lf.p50_ms, 2),
      "p99 ms": fmt(lf.p99_ms, 2),
      notes: `bystander msg, max ${fmt(lf.max_ms, 2)} ms; quiet p99 ${
        fmt(lf.quiet_p99_ms, 2)
      } ms; RSS ${fmt(lf.rss_before_mib, 0)} -> peak ${
        fmt(lf.rss_peak_mib, 0)
      } MiB`,
    });
  }
  for (const [key, list] of Object.entries(failures)) {
    row({ scenario: key, target: "FAILED", notes: list[0].slice(0, 160) });
  }
  return rows;
}

/** One target: a figure from each run, and the bound it must keep. */
interface Target {
  what: string;
  /** The figure of one run's results; undefined when it lacks the rows. */
  of: (run: Record<string, Result>) => number | undefined;
  unit: "x" | "µs" | "ms" | "/s";
  /** "max": the figure must stay at or below `bound`; "min": at or above. */
  kind: "max" | "min";
  bound: number;
  /** The same figure of a baseline, printed beside the verdict. */
  beside?: {
    label: string;
    of: (run: Record<string, Result>) => number | undefined;
  };
}

function ratio(
  run: Record<string, Result>,
  a: string,
  b: string,
  field: string,
): number | undefined {
  const x = run[a]?.[field];
  const y = run[b]?.[field];
  return typeof x === "number" && typeof y === "number" && y > 0
    ? x / y
    : undefined;
}

/** The targets of issue 14 (and the earlier ones kept), in print order. */
function targets(input: ReportInput): Target[] {
  const list: Target[] = [
    {
      what: "chat p99 vs deno relay",
      of: (r) => ratio(r, "chat", "chat_baseline", "p99_ms"),
      unit: "x",
      kind: "max",
      bound: 1.5,
    },
    {
      what: "chat CPU/delivery vs deno relay",
      of: (r) => ratio(r, "chat", "chat_baseline", "cpu_us_per_delivery"),
      unit: "x",
      kind: "max",
      bound: 1.2,
    },
    {
      what: "chat event-loop delay max",
      of: (r) => r.chat?.loop_max_ms,
      unit: "ms",
      kind: "max",
      bound: 10,
      // What the machine lets a loop that does nearly nothing keep.
      beside: { label: "deno relay", of: (r) => r.chat_baseline?.loop_max_ms },
    },
    {
      what: "fan-out vs bun relay",
      of: (r) => ratio(r, "fanout", "fanout_bun", "deliveries_per_s"),
      unit: "x",
      kind: "min",
      bound: 2,
    },
    {
      what: "fan-out vs deno relay",
      of: (r) => ratio(r, "fanout", "fanout_baseline", "deliveries_per_s"),
      unit: "x",
      kind: "min",
      bound: 5,
    },
    {
      what: "fan-out CPU per delivery",
      of: (r) => r.fanout?.cpu_us_per_delivery,
      unit: "µs",
      kind: "max",
      bound: 1.5,
    },
  ];
  const counts = new Set<number>();
  for (const key of Object.keys(input.results)) {
    const m = /^connections_(\d+)$/.exec(key);
    if (m) counts.add(Number(m[1]));
  }
  for (const n of [...counts].sort((a, b) => a - b)) {
    list.push({
      what: `memory/connection vs deno relay at ${n.toLocaleString("en-US")}`,
      of: (r) =>
        ratio(
          r,
          `connections_${n}`,
          `connections_${n}_baseline`,
          "kib_per_connection",
        ),
      unit: "x",
      kind: "max",
      bound: 1.1,
    });
  }
  list.push({
    what: "history: messages stored",
    of: (r) => r.history?.stored_per_s,
    unit: "/s",
    kind: "min",
    bound: 66_000,
  });
  return list;
}

function show(x: number, unit: Target["unit"]): string {
  switch (unit) {
    case "x":
      return `${fmt(x, 2)}x`;
    case "µs":
      return `${fmt(x, 2)} µs`;
    case "ms":
      return `≤${fmt(x, 2)} ms`;
    case "/s":
      return `${fmt(x, 0)}/s`;
  }
}

/** With --gc: the server main thread's collections in each window. */
function gcLines(results: Record<string, Result>): string[] {
  const lines: string[] = [];
  for (const [key, r] of Object.entries(results)) {
    if (typeof r.gc_scavenges !== "number") continue;
    lines.push(
      `gc ${key}: per 10,000 messages ${fmt(r.gc_scavenges_per_10k_msgs)} ` +
        `scavenges, ${
          fmt(r.gc_mark_compacts_per_10k_msgs, 2)
        } mark-compacts, ` +
        `${fmt(r.gc_pause_ms_per_10k_msgs)} ms paused; ${
          fmt(r.gc_alloc_bytes_per_msg, 0)
        } B allocated per message (${
          fmt(r.gc_alloc_bytes_per_delivery, 0)
        } per delivery); pauses p50 ${fmt(r.gc_pause_p50_ms, 2)} ms, max ${
          fmt(r.gc_pause_max_ms, 1)
        } ms, ${r.gc_pauses_over_10ms} over 10 ms; ${
          fmt(r.gc_survived_bytes_per_scavenge / 1024, 0)
        } KiB kept per scavenge; workers ${
          fmt(r.gc_workers_alloc_bytes_per_msg, 0)
        } B/message`,
    );
  }
  return lines;
}

/** Prints the table, the JSON line and the targets; returns the ratios. */
export function printReport(input: ReportInput): void {
  const rows = tableRows(input);
  const widths = rows[0].map((_, i) =>
    Math.max(...rows.map((r) => r[i].length))
  );
  const line = (r: string[]) =>
    r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join(
      "  ",
    ).trimEnd();
  console.log(
    `chat-server bench: ${input.runs} run(s), ${
      input.runs > 1 ? "medians, " : ""
    }` +
      `${input.durationS} s windows, server limits ${input.limits}, deno ${Deno.version.deno}, ` +
      `${navigator.hardwareConcurrency} cores`,
  );
  console.log(line(rows[0]));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows.slice(1)) console.log(line(r));
  const others = Object.values(input.results).flatMap((r) =>
    Object.entries(r).filter(([k, v]) =>
      k.includes("other_cpu_util") && typeof v === "number"
    ).map(([, v]) => v as number)
  );
  const maxOther = others.length > 0 ? Math.max(...others) : 0;
  console.log(
    `total ${
      input.elapsedS.toFixed(1)
    } s. CPU columns: share of one core over the ` +
      `measured window (connections: while connecting); "other" is every other ` +
      `process on the machine. "loop ms": the target's event-loop delay ` +
      `p50/p99/max over the window, as bucket bounds.`,
  );
  for (const line of gcLines(input.results)) console.log(line);
  for (const why of input.skipped) console.log(`skipped: ${why}`);
  if (maxOther > 0.2) {
    console.log(
      `warning: other processes used up to ${pct(maxOther)} of a core during ` +
        `measurement: rates are lower and noisier than on a quiet machine ` +
        `(use --runs 3 for medians).`,
    );
  }

  // The median of a figure over the runs that have it.
  const medianOf = (of: Target["of"]): number | undefined => {
    const values = input.perRun.map(of).filter((v): v is number =>
      typeof v === "number" && !Number.isNaN(v)
    );
    return values.length === 0 ? undefined : median(values);
  };
  const measured: { target: Target; value: number; beside?: number }[] = [];
  for (const target of targets(input)) {
    const value = medianOf(target.of);
    if (value === undefined) continue;
    measured.push({
      target,
      value,
      beside: target.beside && medianOf(target.beside.of),
    });
  }
  const ratios = Object.fromEntries(
    measured.map(({ target, value }) => [target.what, round(value, 3)]),
  );
  console.log(
    "BENCH_JSON " + JSON.stringify({
      version: 2,
      deno: Deno.version.deno,
      cores: navigator.hardwareConcurrency,
      open_file_limit: input.openFileLimit,
      runs: input.runs,
      duration_s: input.durationS,
      limits: input.limits,
      elapsed_s: round(input.elapsedS, 1),
      max_other_cpu_util: round(maxOther, 3),
      scenarios: input.results,
      targets: ratios,
      skipped: input.skipped,
      failures: input.failures,
    }),
  );
  if (measured.length === 0) return;
  console.log(
    `targets (same-run figures${
      input.runs > 1 ? `, medians of ${input.runs} runs` : ""
    }${maxOther > 0.2 ? "; MACHINE BUSY, indicative only" : ""}):`,
  );
  const width = Math.max(...measured.map((m) => m.target.what.length));
  for (const { target, value, beside } of measured) {
    const met = target.kind === "max"
      ? value <= target.bound
      : value >= target.bound;
    const bound = `${target.kind === "max" ? "≤" : "≥"} ${
      show(target.bound, target.unit).replace("≤", "")
    }`;
    console.log(
      `  ${target.what.padEnd(width)}  ${
        show(value, target.unit).padStart(12)
      }  target ${bound.padEnd(12)} ${met ? "met" : "NOT MET"}${
        beside === undefined
          ? ""
          : ` (${target.beside!.label}: ${show(beside, target.unit)})`
      }`,
    );
  }
  for (const line of fanoutBounds(input.results)) console.log(line);
}

/**
 * Under the targets, what the fan-out against the Bun relay measured
 * (docs/performance.md, "Fan-out against the Bun relay: what bounds it"):
 * the ratio of each side's CPU a delivery, and how busy each run's
 * busiest generator thread was (near 100%: the generators, not the
 * server, set that run's rate).
 */
function fanoutBounds(results: Record<string, Result>): string[] {
  const p = results.fanout;
  const b = results.fanout_bun;
  if (typeof p?.gen_cpu_us_per_delivery !== "number" || !b) return [];
  const both = (r: Result) => r.cpu_us_per_delivery + r.gen_cpu_us_per_delivery;
  const busy = (r: Result) =>
    `${Math.round(r.gen_thread_run * 100)}+${
      Math.round(r.gen_thread_wait * 100)
    }%`;
  return [
    `  fan-out vs bun relay, CPU a delivery: server ${
      fmt(b.cpu_us_per_delivery / p.cpu_us_per_delivery, 2)
    }x, server + generators ${fmt(both(b) / both(p), 2)}x; ` +
    `busiest generator thread run+wait ${busy(p)} (project), ${busy(b)} (bun)`,
  ];
}
