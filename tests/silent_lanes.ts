/**
 * What the tests of receivers that never answer share, for Web Push
 * (tests/push_test.ts) and outgoing webhooks (tests/webhooks_test.ts)
 * alike: both call out through lanes, one per account or hook, and a lane
 * new or cooled down after timing out may hold at most half the calls.
 */
import assert from "node:assert/strict";
import { delay, eventually, type startSilentListener } from "./harness.ts";

/** A listener on loopback that takes calls and never answers them. */
export type SilentListener = ReturnType<typeof startSilentListener>;

/**
 * Makes `n` lanes whose receiver is `silent`, one after the other: `make`
 * gets an address of its own there for each (and its number); returns
 * what `make` returned, in order.
 */
export async function silentLanes<T>(
  silent: SilentListener,
  n: number,
  make: (url: string, i: number) => Promise<T>,
): Promise<T[]> {
  const made: T[] = [];
  for (let i = 0; i < n; i++) {
    made.push(await make(`${silent.url}/lane/${i}`, i));
  }
  return made;
}

/**
 * Waits until `silent` holds `calls` calls, then checks that no more
 * start while those wait. The 300 ms are a negative check: a call that
 * should not start could start later and pass unseen, never fail a
 * server that is right.
 */
export async function holdsExactly(
  silent: SilentListener,
  calls: number,
): Promise<void> {
  await eventually(() => assert.equal(silent.open(), calls));
  await delay(300);
  assert.equal(silent.open(), calls);
}
