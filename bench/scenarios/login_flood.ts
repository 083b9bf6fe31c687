/**
 * The login-flood scenario: bench/login_flood.ts against the project,
 * with the server's CPU time around it.
 */
import { cpuSeconds } from "../proc.ts";
import { runLoginFlood } from "../login_flood.ts";
import type { Result } from "../report.ts";
import type { BenchOptions } from "../options.ts";
import { HOST, serverLog, startTarget, stopTarget } from "../targets.ts";
import { round } from "../stats.ts";

/**
 * Password logins under fresh names from 200 addresses while a bystander
 * chats: the password queue keeps memory flat and the chat responsive.
 */
export async function loginFlood(o: BenchOptions): Promise<Result> {
  const target = await startTarget("project", o, {
    args: ["--trust-proxy"],
  });
  try {
    const cpu0 = await cpuSeconds(target.pid);
    const flood = await runLoginFlood({
      url: `ws://${HOST}:${target.port}/ws`,
      pid: target.pid,
      seconds: o.duration,
    });
    const cpu = await cpuSeconds(target.pid) - cpu0;
    const stopped = await stopTarget(target);
    return {
      target: "project",
      quiet_p50_ms: round(flood.quietP50Ms, 2),
      quiet_p99_ms: round(flood.quietP99Ms, 2),
      p50_ms: round(flood.p50Ms, 2),
      p99_ms: round(flood.p99Ms, 2),
      max_ms: round(flood.maxMs, 2),
      samples: flood.samples,
      logins_per_s: round(flood.loginsPerS, 1),
      rss_before_mib: round(flood.rssBeforeMiB, 1),
      rss_peak_mib: round(flood.rssPeakMiB, 1),
      server_cpu_s: round(cpu, 2),
      ...serverLog(target, stopped, o.limits),
    };
  } catch (error) {
    await stopTarget(target);
    throw error;
  }
}
