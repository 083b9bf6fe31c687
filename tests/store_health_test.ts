import assert from "node:assert/strict";
import { storeHealth } from "../server/store_health.ts";

/** A store whose pings are counted and settled by the test. */
function countingStore() {
  const pending: (() => void)[] = [];
  let fail = false;
  return {
    pings: 0,
    fail(on: boolean) {
      fail = on;
    },
    ping(): Promise<void> {
      this.pings++;
      return new Promise((resolve, reject) =>
        pending.push(() => fail ? reject(new Error("disk gone")) : resolve())
      );
    },
    settle() {
      for (const done of pending.splice(0)) done();
    },
  };
}

Deno.test("store health: requests during a check share its one ping", async () => {
  const store = countingStore();
  const check = storeHealth(store);
  const answers = Array.from({ length: 100 }, () => check());
  assert.deepEqual(store.pings, 1);
  store.settle();
  for (const answer of await Promise.all(answers)) {
    assert.deepEqual(answer, { up: true });
  }
});

Deno.test("store health: an answer stands for its window, then the store is asked again", async () => {
  const store = countingStore();
  const check = storeHealth(store, 200);
  const first = check();
  store.settle();
  await first;
  // Within the window: the same answer, no ping.
  assert.deepEqual(await check(), { up: true });
  assert.deepEqual(store.pings, 1);
  // Past it (waited for, not raced): a new ping, which sees the failure.
  await new Promise((resolve) => setTimeout(resolve, 250));
  store.fail(true);
  const second = check();
  assert.deepEqual(store.pings, 2);
  store.settle();
  const answer = await second;
  assert.equal(answer.up, false);
});
