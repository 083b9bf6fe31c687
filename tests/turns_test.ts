/** TurnQueue: long work cut in slices, one slice per turn of the event loop. */
import assert from "node:assert/strict";
import { TurnQueue } from "../server/turns.ts";

// A job of `slices` slices for `key`, noting its key at each granted turn.
async function job(
  turns: TurnQueue,
  key: string,
  slices: number,
  order: string[],
): Promise<void> {
  for (let i = 0; i < slices; i++) {
    await turns.turn(key);
    order.push(key);
  }
}

Deno.test("turns: one slice per turn, and the jobs of one key share one place in line with each other key", async () => {
  const turns = new TurnQueue(1);
  const order: string[] = [];
  // An account's five logins asked first, then another account's one.
  const jobs = [1, 2, 3, 4, 5].map(() => job(turns, "a", 2, order));
  jobs.push(job(turns, "b", 2, order));
  await Promise.all(jobs);
  assert.equal(order.length, 12);
  // "b" has every other turn while "a" has jobs waiting, not the 11th.
  assert.deepEqual(order.slice(0, 4), ["a", "b", "a", "b"]);
});

Deno.test("turns: a turn runs at most perTurn slices, in the order asked", async () => {
  const turns = new TurnQueue(2);
  const order: string[] = [];
  let granted = 0;
  const asked = ["a", "b", "c"].map((key) =>
    turns.turn(key).then(() => {
      granted++;
      order.push(key);
    })
  );
  await Promise.race(asked);
  // The first turn's microtasks have run: two granted, the third waits.
  await Promise.resolve();
  assert.equal(granted, 2);
  await Promise.all(asked);
  assert.deepEqual(order, ["a", "b", "c"]);
});
