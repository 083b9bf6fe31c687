/**
 * How many connections this process can hold open: each takes a file
 * descriptor, and past the limit (`ulimit -n`) nothing can be opened at
 * all, not even the database's journal.
 */

/** Descriptors kept for everything that is not a client connection. */
const RESERVED = 64;

/**
 * The soft limit on open files (`ulimit -n`), read from
 * `/proc/self/limits`; undefined where that file does not exist (not
 * Linux) or says "unlimited".
 */
export function openFileLimit(): number | undefined {
  let text: string;
  try {
    text = Deno.readTextFileSync("/proc/self/limits");
  } catch {
    return undefined;
  }
  const soft = /^Max open files\s+(\d+)/m.exec(text)?.[1];
  return soft === undefined ? undefined : Number(soft);
}

/**
 * The connections to allow with this many descriptors: the limit less 64
 * and a tenth of it, for the database, Redis, PostgreSQL and the files
 * being served or uploaded (each takes one more while it is open). 0 (no
 * cap) when the limit is unknown.
 */
export function connectionBudget(limit = openFileLimit()): number {
  if (limit === undefined) return 0;
  return Math.max(16, Math.floor(limit - RESERVED - limit / 10));
}
