/**
 * Coalesced: a background job run one at a time, where a request made
 * during a run gets a run that starts after it.
 */
import assert from "node:assert/strict";
import { Coalesced } from "../server/coalesced.ts";

/** A job whose runs each wait until let go; counts them. */
function gatedJob() {
  const gates: PromiseWithResolvers<void>[] = [];
  let started = 0;
  const job = new Coalesced(async () => {
    const run = ++started;
    const gate = Promise.withResolvers<void>();
    gates.push(gate);
    await gate.promise;
    return run;
  });
  return {
    job,
    started: () => started,
    letGo: (run: number) => gates[run - 1].resolve(),
    fail: (run: number) => gates[run - 1].reject(new Error(`run ${run}`)),
  };
}

Deno.test("coalesced: a request while a run is under way gets the run after it, and all such requests share that one", async () => {
  const { job, started, letGo } = gatedJob();
  const first = job.run();
  const second = job.run();
  const third = job.run();
  assert.equal(started(), 1);
  letGo(1);
  assert.equal(await first, 1);
  // The second run starts once the first has ended, not before.
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(started(), 2);
  letGo(2);
  assert.equal(await second, 2);
  assert.equal(await third, 2);
  assert.equal(started(), 2);
  // Idle again: the next request starts a run at once.
  const fourth = job.run();
  assert.equal(started(), 3);
  letGo(3);
  assert.equal(await fourth, 3);
});

Deno.test("coalesced: a failed run rejects its own callers only, and the run after it still happens", async () => {
  const { job, started, letGo, fail } = gatedJob();
  const first = job.run();
  const second = job.run();
  fail(1);
  await assert.rejects(first, /run 1/);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(started(), 2);
  letGo(2);
  assert.equal(await second, 2);
});

Deno.test("coalesced: idle waits for the run under way and the one queued after it", async () => {
  const { job, started, letGo, fail } = gatedJob();
  job.run().catch(() => {});
  const queued = job.run();
  let idle = false;
  const waiting = job.idle().then(() => idle = true);
  fail(1);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(idle, false);
  assert.equal(started(), 2);
  letGo(2);
  await waiting;
  assert.equal(await queued, 2);
  await job.idle();
});
