/**
 * The bench's child processes (servers, relays, load generators): every
 * one is kept in one set so that none outlives the bench, whether it ends,
 * fails, is interrupted or overruns its watchdog.
 */
import { withTimeout } from "./proc.ts";

/** Every child still running, so that nothing outlives the bench. */
export const children = new Set<Deno.ChildProcess>();

/** Kills every child still running. */
export function killAll(): void {
  for (const child of children) {
    try {
      child.kill("SIGKILL");
    } catch {
      // Gone already.
    }
  }
}

/**
 * Kills every child and exits when the bench runs longer than `ms` (code 1)
 * or gets SIGINT or SIGTERM (code 130); returns the watchdog's timer, for
 * the end of the run to clear.
 */
export function guardChildren(ms: number): ReturnType<typeof setTimeout> {
  // The whole bench never runs longer than this.
  const watchdog = setTimeout(() => {
    console.error(`bench: still running after ${ms / 1000} s: abort`);
    killAll();
    Deno.exit(1);
  }, ms);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => {
      killAll();
      Deno.exit(130);
    });
  }
  return watchdog;
}

/**
 * Stops a child: SIGTERM, then SIGKILL after `graceMs`; says how long it
 * took, its exit code and whether it had to be killed.
 */
export async function stopChild(
  child: Deno.ChildProcess,
  graceMs: number,
): Promise<{ ms: number; code: number | null; killed: boolean }> {
  const started = performance.now();
  let killed = false;
  try {
    child.kill("SIGTERM");
  } catch {
    // Exited already.
  }
  let status: Deno.CommandStatus | undefined;
  try {
    status = await withTimeout(child.status, graceMs, "stop");
  } catch {
    killed = true;
    try {
      child.kill("SIGKILL");
    } catch {
      // Exited meanwhile.
    }
    status = await child.status;
  }
  children.delete(child);
  return { ms: performance.now() - started, code: status.code, killed };
}
