/**
 * Benchmark of the chat server: each scenario starts a fresh server
 * process on 127.0.0.1 with a temporary database, drives it with load
 * generator processes (bench/load_worker.ts) and reads the server's CPU
 * time and memory from /proc. Prints one table and one `BENCH_JSON {...}`
 * line.
 *
 *   deno task bench [--scenario fanout,fanout-members,chat,connections,history,search,baseline,login-flood]
 *                   [--duration S] [--runs N] [--baselines deno,bun]
 *
 * The baselines are two bare relays that store nothing: one on Deno.serve
 * (bench/baseline_relay.ts) and one on Bun's native pub/sub
 * (bench/baseline_bun.ts, Bun installed from npm on first use). With the
 * `baseline` scenario each runs the fan-out, chat and connections
 * scenarios beside the project, and the last lines of the table are the
 * project's targets as ratios against them.
 *
 * The task raises the open-file limit first (`ulimit -n 20000`): the
 * connections scenario holds 10,000 sockets on each side.
 */
import { clkTck, openFileLimit } from "./proc.ts";
import { printReport, type Result } from "./report.ts";
import { bunBinary } from "./bun.ts";
import { parseOptions } from "./options.ts";
import { guardChildren, killAll } from "./children.ts";
import { type Kind, ROOT } from "./targets.ts";
import { median, round } from "./stats.ts";
import { fanout } from "./scenarios/fanout.ts";
import { chat } from "./scenarios/chat.ts";
import { connections } from "./scenarios/connections.ts";
import { history } from "./scenarios/history.ts";
import { search } from "./scenarios/search.ts";
import { loginFlood } from "./scenarios/login_flood.ts";

const o = parseOptions(Deno.args, ROOT);
// The whole bench never runs longer than this.
const watchdog = guardChildren((8 + o.runs * 6) * 60_000);

type Job = { key: string; run: () => Promise<Result> };
const jobs: Job[] = [];
const skipped: string[] = [];
const relays: Kind[] = [];
if (o.scenarios.includes("baseline")) {
  if (o.baselines.includes("deno")) relays.push("baseline");
  if (o.baselines.includes("bun")) {
    const bun = await bunBinary();
    if (typeof bun === "string") relays.push("bun");
    else skipped.push(`the Bun relay rows (${bun.missing})`);
  }
}
// Each relay runs right after the project in the same scenario, so that
// a ratio compares figures taken minutes apart at most.
const suffix = (kind: Kind) => kind === "project" ? "" : `_${kind}`;
for (const kind of ["project", ...relays] as Kind[]) {
  if (o.scenarios.includes("fanout")) {
    jobs.push({ key: `fanout${suffix(kind)}`, run: () => fanout(o, kind) });
  }
}
if (o.scenarios.includes("fanout-members")) {
  for (const members of ["looking", "away"] as const) {
    jobs.push({
      key: `fanout_members_${members}`,
      run: () => fanout(o, "project", members),
    });
  }
}
for (const kind of ["project", ...relays] as Kind[]) {
  if (o.scenarios.includes("chat")) {
    jobs.push({ key: `chat${suffix(kind)}`, run: () => chat(o, kind) });
  }
}
for (const n of o.connectionCounts) {
  for (const kind of ["project", ...relays] as Kind[]) {
    if (o.scenarios.includes("connections")) {
      jobs.push({
        key: `connections_${n}${suffix(kind)}`,
        run: () => connections(o, { kind, clients: n }),
      });
    }
  }
}
if (o.scenarios.includes("history")) {
  jobs.push({
    key: "history",
    run: () => history(o),
  });
}
if (o.scenarios.includes("search")) {
  jobs.push({
    key: "search",
    run: () => search(o),
  });
}
if (o.scenarios.includes("login-flood")) {
  jobs.push({ key: "login_flood", run: () => loginFlood(o) });
}

const began = performance.now();
const perRun: Record<string, Result>[] = [];
const failures: Record<string, string[]> = {};
const limit = await openFileLimit();
await clkTck();
console.error(
  `bench: ${jobs.map((j) => j.key).join(", ")}; ${o.runs} run(s), ` +
    `${o.duration} s windows, open-file limit ${limit}`,
);
for (const why of skipped) console.error(`bench: skipping ${why}`);
for (let run = 1; run <= o.runs; run++) {
  const results: Record<string, Result> = {};
  perRun.push(results);
  for (const job of jobs) {
    const t = performance.now();
    try {
      results[job.key] = await job.run();
      console.error(
        `bench: run ${run} ${job.key} done in ${
          ((performance.now() - t) / 1000).toFixed(1)
        } s`,
      );
    } catch (error) {
      killAll();
      const message = (error as Error).message;
      (failures[job.key] ??= []).push(message);
      console.error(`bench: run ${run} ${job.key} FAILED: ${message}`);
    }
  }
}

/** Medians of the numeric fields over runs; the rest from the last run. */
function combine(list: Result[]): Result {
  const out: Result = { ...list[list.length - 1] };
  if (list.length > 1) {
    for (const key of Object.keys(out)) {
      const nums = list.map((r) => r[key]).filter((v) =>
        typeof v === "number"
      ) as number[];
      if (nums.length === list.length) out[key] = round(median(nums), 3);
    }
    out.runs = list.length;
  }
  return out;
}

const results: Record<string, Result> = {};
for (const job of jobs) {
  const list = perRun.map((r) => r[job.key]).filter(Boolean);
  if (list.length > 0) results[job.key] = combine(list);
}
printReport({
  results,
  perRun,
  failures,
  skipped,
  runs: o.runs,
  durationS: o.duration,
  limits: o.limits,
  openFileLimit: limit,
  elapsedS: (performance.now() - began) / 1000,
});
clearTimeout(watchdog);
Deno.exit(Object.keys(failures).length > 0 ? 1 : 0);
