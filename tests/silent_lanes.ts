/**
 * What the tests of receivers that never answer share, for Web Push
 * (tests/push_test.ts) and outgoing webhooks (tests/webhooks_test.ts)
 * alike: both call out through lanes, one per account or hook, and a lane
 * new or cooled down after timing out may hold at most half the calls.
 */
import assert from "node:assert/strict";
import type { Resolver } from "../server/outbound.ts";
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
  silent: Pick<SilentListener, "open">,
  calls: number,
): Promise<void> {
  await eventually(() => assert.equal(silent.open(), calls));
  await delay(300);
  assert.equal(silent.open(), calls);
}

/** Names that resolve, then fall silent: see {@link silentNames}. */
export interface SilentNames {
  /** Give the server this (StartParts.resolve). */
  resolve: Resolver;
  /** From now on no name answers. */
  silence(): void;
  /** Look-ups waiting now. */
  open(): number;
  /** Look-ups the server gave up on. */
  ended(): number;
  /** Ends the look-ups still waiting (before the server is closed). */
  release(): void;
}

/**
 * A resolver whose every name answers `address` until `silence()`, then
 * never: each look-up waits until the server gives up on it (its signal),
 * as the system resolver waits for a name server that went silent.
 */
export function silentNames(address: string): SilentNames {
  let silent = false;
  let ended = 0;
  const waiting = new Set<() => void>();
  return {
    resolve(host, options) {
      if (!silent) return Promise.resolve([address]);
      return new Promise((_, reject) => {
        const end = () => {
          waiting.delete(end);
          options?.signal?.removeEventListener("abort", giveUp);
          reject(new Error(`${host}: no answer`));
        };
        const giveUp = () => {
          ended++;
          end();
        };
        waiting.add(end);
        options?.signal?.addEventListener("abort", giveUp, { once: true });
        if (options?.signal?.aborted) giveUp();
      });
    },
    silence() {
      silent = true;
    },
    open: () => waiting.size,
    ended: () => ended,
    release() {
      for (const end of [...waiting]) end();
    },
  };
}
