/**
 * The sweep of due work (reminders.ts) on its own, with jobs of its own:
 * a job whose items have a holder fires none of a holder's after one of
 * its failed in the batch, so they wait, held, to be claimed again in
 * order behind it.
 */
import assert from "node:assert/strict";
import { ReminderSweep, sweepJob } from "../server/reminders.ts";

interface Item {
  holder: string;
  n: number;
}

Deno.test("the sweep fires none of a holder's items after one of its failed in the batch, and the other holders' all", async () => {
  const batches: Item[][] = [[
    { holder: "ann", n: 1 },
    { holder: "ben", n: 1 },
    { holder: "ann", n: 2 },
    { holder: "ben", n: 2 },
  ]];
  const fired: string[] = [];
  const confirmed: string[] = [];
  const sweep = new ReminderSweep({
    everyMs: 3600_000,
    jobs: [sweepJob<Item>({
      what: "test item",
      claim: () => Promise.resolve(batches.shift() ?? []),
      fire(item) {
        if (item.holder === "ann" && item.n === 1) {
          return Promise.reject(new Error("the store failed"));
        }
        fired.push(`${item.holder}${item.n}`);
        return Promise.resolve();
      },
      confirm(item) {
        confirmed.push(`${item.holder}${item.n}`);
        return Promise.resolve();
      },
      holder: (item) => item.holder,
    })],
  });
  try {
    assert.equal(await sweep.pass(), 2);
    assert.deepEqual(fired, ["ben1", "ben2"]);
    assert.deepEqual(confirmed, ["ben1", "ben2"]);
  } finally {
    await sweep.close();
  }
});
