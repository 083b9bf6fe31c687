/**
 * The connections scenario: thousands of idle sockets, spread over as many
 * generator processes as the open-file limit needs.
 */
import {
  cpuSeconds,
  machineBusySeconds,
  openFileLimit,
  rssKiB,
  sleep,
} from "../proc.ts";
import type { WorkerSpec } from "../load_worker.ts";
import type { Result } from "../report.ts";
import type { BenchOptions } from "../options.ts";
import { HOST, type Kind, serverLog, startTarget } from "../targets.ts";
import {
  abandon,
  finish,
  genCpu,
  type Setup,
  spawnWorkers,
} from "../workers.ts";
import { measure } from "../measure.ts";
import { mergeCounts, reasons, round, samples, sum } from "../stats.ts";

/**
 * Idle connections: `clients` sockets opened and logged in, the server's
 * memory per connection and its CPU while they connect and then idle.
 */
export async function connections(
  o: BenchOptions,
  run: { kind: Kind; clients: number },
): Promise<Result> {
  const { kind, clients } = run;
  const target = await startTarget(kind, o);
  let setup: Setup | undefined;
  try {
    await sleep(500);
    const rss0 = await rssKiB(target.pid);
    const cpu0 = await cpuSeconds(target.pid);
    const all0 = await machineBusySeconds();
    // Each worker holds its sockets under the inherited open-file limit.
    const limit = await openFileLimit();
    const perWorker = Math.max(100, Math.min(5000, limit - 200));
    const count = Math.ceil(clients / perWorker);
    const specs: WorkerSpec[] = [];
    for (let i = 0; i < count; i++) {
      specs.push({
        scenario: "connections",
        url: `ws://${HOST}:${target.port}/ws`,
        worker: i,
        clients: Math.min(perWorker, clients - i * perWorker),
        batch: 200,
        connectBudgetMs: 60_000,
        settleMaxMs: 30_000,
      });
    }
    const t0 = performance.now();
    setup = await spawnWorkers(specs, 150_000);
    const readyS = (performance.now() - t0) / 1000;
    const cpuSetup = (await cpuSeconds(target.pid)) - cpu0;
    const allSetup = (await machineBusySeconds()) - all0;
    const genSetup = await genCpu(setup.workers);
    const rss1 = await rssKiB(target.pid);
    // A short idle window: nothing should move, nobody should drop.
    const m = await measure(target, setup.workers, "idle", 2, 30_000);
    const rss2 = await rssKiB(target.pid);
    const ready = setup.ready;
    const connected = sum(ready, "connected");
    const stopped = await finish(target, setup.workers);
    return {
      target: kind,
      clients,
      workers: count,
      connected,
      still_open: sum(m.results, "open"),
      dropped_while_connecting: Object.values(mergeCounts(ready, "closeCodes"))
        .reduce((a, b) => a + b, 0),
      connect_s: round(Math.max(...ready.map((x) => x.connectMs)) / 1000),
      settle_s: round(Math.max(...ready.map((x) => x.settleMs)) / 1000),
      ready_s: round(readyS),
      connects_per_s: round(
        connected / (Math.max(...ready.map((x) => x.connectMs)) / 1000),
        0,
      ),
      setup_objects: sum(ready, "setupObjects"),
      setup_server_cpu_s: round(cpuSetup, 2),
      setup_server_cpu_util: round(cpuSetup / readyS, 3),
      setup_gen_cpu_util: round(genSetup / readyS, 3),
      setup_other_cpu_util: round(
        Math.max(0, allSetup - cpuSetup - genSetup) / readyS,
        3,
      ),
      rss_before_kib: rss0,
      rss_after_kib: rss1,
      rss_after_idle_kib: rss2,
      kib_per_connection: round((rss1 - rss0) / Math.max(1, connected), 2),
      idle_server_cpu_util: round(m.cpu / m.seconds, 3),
      idle_frames: sum(m.results, "frames"),
      errors: sum(ready, "errors"),
      error_samples: samples(ready),
      closes_during_run: sum(m.results, "closesDuringRun"),
      close_codes: mergeCounts(ready, "closeCodes"),
      close_reasons: reasons(ready),
      ...serverLog(target, stopped, o.limits),
    };
  } catch (error) {
    await abandon(target, setup);
    throw error;
  }
}
