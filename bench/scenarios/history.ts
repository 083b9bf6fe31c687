/**
 * The history scenario: what storing messages and reading pages of them
 * cost, each in a window of its own.
 */
import type { Result } from "../report.ts";
import type { BenchOptions } from "../options.ts";
import { HOST, serverLog, startTarget } from "../targets.ts";
import { abandon, finish, type Setup, spawnWorkers } from "../workers.ts";
import { loopFields, measure } from "../measure.ts";
import { mergeCounts, reasons, round, samples, sum } from "../stats.ts";

const HISTORY_CLIENTS = 20;

/**
 * Storage: 20 clients, a room each, store messages for half the window,
 * then read history pages for the other half.
 */
export async function history(o: BenchOptions): Promise<Result> {
  const target = await startTarget("project", o);
  let setup: Setup | undefined;
  try {
    setup = await spawnWorkers([{
      scenario: "history",
      url: `ws://${HOST}:${target.port}/ws`,
      worker: 0,
      clients: HISTORY_CLIENTS,
      batch: 20,
      connectBudgetMs: 30_000,
      settleMaxMs: 10_000,
      // A room each: this measures storage, not fan-out.
      rooms: Array.from({ length: HISTORY_CLIENTS }, (_, i) => `hist${i}`),
      perRoom: 1,
      historyLimit: 50,
    }], 60_000);
    const phase = o.duration / 2;
    const store = await measure(
      target,
      setup.workers,
      "store",
      phase,
      phase * 1000 + 30_000,
    );
    const read = await measure(
      target,
      setup.workers,
      "read",
      phase,
      phase * 1000 + 30_000,
    );
    const stored = sum(store.results, "ackedInWindow");
    const replies = sum(read.results, "repliesInWindow");
    const ready = setup.ready;
    const stopped = await finish(target, setup.workers);
    return {
      target: "project",
      clients: HISTORY_CLIENTS,
      connected: sum(ready, "connected"),
      seconds: phase,
      stored,
      stored_per_s: round(stored / phase, 0),
      store_cpu_util: round(store.cpu / phase, 3),
      store_gen_cpu_util: round(store.genCpu / phase, 3),
      store_other_cpu_util: round(store.otherCpu / phase, 3),
      cpu_us_per_store: round((store.cpu * 1e6) / stored, 1),
      ...loopFields(store, "store_loop"),
      ...loopFields(read, "read_loop"),
      total_stored: sum(store.results, "acked"),
      history_requests: replies,
      history_per_s: round(replies / phase, 0),
      history_cpu_util: round(read.cpu / phase, 3),
      history_gen_cpu_util: round(read.genCpu / phase, 3),
      history_other_cpu_util: round(read.otherCpu / phase, 3),
      cpu_us_per_history: round((read.cpu * 1e6) / replies, 1),
      history_checked: sum(read.results, "checked"),
      history_short: sum(read.results, "short"),
      errors: sum(store.results, "errors") + sum(read.results, "errors"),
      error_samples: samples([...ready, ...store.results, ...read.results]),
      closes_during_run: sum(read.results, "closesDuringRun"),
      close_codes: mergeCounts(read.results, "closeCodes"),
      close_reasons: reasons(read.results),
      ...serverLog(target, stopped, o.limits),
    };
  } catch (error) {
    await abandon(target, setup);
    throw error;
  }
}
