/**
 * Facts about processes a test started, read from /proc (Linux): the
 * tests that start servers and watch them die need the same answers.
 */

/** True while a process exists and is not a zombie waiting to be reaped. */
export function isRunning(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // "pid (name) S ...": the state follows the name's closing parenthesis.
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !==
      "Z";
  } catch {
    return false;
  }
}
