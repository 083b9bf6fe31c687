/**
 * The contract every KeyedBuckets keeps (server/buckets/mod.ts), the rule
 * of TokenBucket (server/rate_limit.ts) per key: a burst taken at once,
 * then a refill at its rate; a take that cannot be met says how long to
 * wait and takes nothing; what is given back never passes the burst; keys
 * and names count apart; no spec limits nothing (`--rate-limits off`).
 * Where several nodes share one (Redis), what one node takes, the others
 * see. Each implementation's test file calls {@link bucketsContract}; the
 * clock is the `now` each take passes. Refills are slow (a token a minute)
 * so that no real time a busy machine takes between two steps matters.
 */
import assert from "node:assert/strict";
import type { BucketsOptions, KeyedBuckets } from "../server/buckets/mod.ts";

import { type NodesFixture, nodesTest } from "./nodes_fixture.ts";

const MINUTE = 60_000;
const T0 = 1_800_000_000_000;
/** The upload pace: 30 at once, then one a minute. */
const UPLOADS: BucketsOptions = {
  name: "upload",
  spec: { burst: 30, perSecond: 1 / 60 },
};

async function takeAll(
  buckets: KeyedBuckets,
  key: string,
  count: number,
  now: number,
): Promise<void> {
  for (let i = 0; i < count; i++) {
    assert.equal(await buckets.take(key, 1, now), 0, `take ${i + 1}`);
  }
}

export function bucketsContract(
  name: string,
  makeFixture: () => Promise<NodesFixture<BucketsOptions, KeyedBuckets>>,
  options: { nodes: boolean },
): void {
  const test = nodesTest(name, makeFixture, { ...options, defaults: UPLOADS });

  test("thirty are taken at once, the thirty-first waits a minute, then one a minute", async (open) => {
    const buckets = await open();
    await takeAll(buckets, "ann", 30, T0);
    assert.equal(await buckets.take("ann", 1, T0), MINUTE);
    assert.equal(await buckets.take("ann", 1, T0 + 15_000), 45_000);
    assert.equal(await buckets.take("ann", 1, T0 + MINUTE), 0);
    assert.equal(await buckets.take("ann", 1, T0 + MINUTE), MINUTE);
  });

  test("a refused take takes nothing, and a bucket left alone fills up to its burst only", async (open) => {
    const buckets = await open();
    await takeAll(buckets, "ann", 30, T0);
    for (let i = 0; i < 5; i++) await buckets.take("ann", 1, T0);
    assert.equal(await buckets.take("ann", 1, T0 + MINUTE), 0);
    await takeAll(buckets, "ann", 30, T0 + 24 * 60 * MINUTE);
    assert.ok(await buckets.take("ann", 1, T0 + 24 * 60 * MINUTE) > 0);
  });

  test("what is given back can be taken again, never past the burst", async (open) => {
    const buckets = await open();
    await takeAll(buckets, "ann", 30, T0);
    // A file of a quarter of the largest size costs a quarter.
    await buckets.give("ann", 0.75);
    assert.equal(await buckets.take("ann", 1, T0), 15_000);
    await buckets.give("ann", 0.25);
    assert.equal(await buckets.take("ann", 1, T0), 0);
    await buckets.give("ann", 1000);
    await takeAll(buckets, "ann", 30, T0);
    assert.equal(await buckets.take("ann", 1, T0), MINUTE);
  });

  test("a cost takes its share, and a cost above the burst the whole burst", async (open) => {
    const buckets = await open();
    assert.equal(await buckets.take("ann", 29.5, T0), 0);
    assert.equal(await buckets.take("ann", 1, T0), 30_000);
    assert.equal(await buckets.take("bob", 100, T0), 0);
    assert.equal(await buckets.take("bob", 1, T0), MINUTE);
  });

  test("a cost that is not a number of tokens takes the whole burst, and such a gift gives nothing", async (open) => {
    // No caller means to pass one, but a NaN that slipped through must
    // not open the bucket (NaN compares false with everything: a NaN
    // wait reads as no wait) nor mint tokens past the burst.
    const buckets = await open();
    for (const [key, cost] of [["nan", NaN], ["inf", Infinity]] as const) {
      assert.equal(await buckets.take(key, cost, T0), 0, `${key} first`);
      assert.equal(await buckets.take(key, 1, T0), MINUTE, `${key} then`);
    }
    assert.equal(await buckets.take("neg", -100, T0), 0);
    await takeAll(buckets, "neg", 30, T0);
    assert.equal(await buckets.take("neg", 1, T0), MINUTE);
    await takeAll(buckets, "gift", 30, T0);
    for (const tokens of [NaN, -5, Infinity]) {
      await buckets.give("gift", tokens);
    }
    await takeAll(buckets, "gift", 30, T0);
    assert.equal(await buckets.take("gift", 1, T0), MINUTE);
    await takeAll(buckets, "nangift", 30, T0);
    await buckets.give("nangift", NaN);
    assert.equal(await buckets.take("nangift", 1, T0), MINUTE);
    assert.equal(await buckets.take("nangift", 1, T0 + MINUTE), 0);
  });

  test("takes held by work under way refuse the next past the burst; each given back, after a refill too, lets one more through and no more", async (open) => {
    // The password budget's reservations: taken before the work, given
    // back when it failed.
    const buckets = await open();
    await takeAll(buckets, "ann", 30, T0);
    assert.equal(await buckets.take("ann", 1, T0), MINUTE);
    await buckets.give("ann", 1);
    assert.equal(await buckets.take("ann", 1, T0), 0);
    assert.equal(await buckets.take("ann", 1, T0), MINUTE);
    // A minute later one came back by the refill; a reservation given
    // back then is one more, never past the burst.
    await buckets.give("ann", 1);
    await takeAll(buckets, "ann", 2, T0 + MINUTE);
    assert.equal(await buckets.take("ann", 1, T0 + MINUTE), MINUTE);
    for (let i = 0; i < 40; i++) await buckets.give("ann", 1);
    await takeAll(buckets, "ann", 30, T0 + MINUTE);
    assert.equal(await buckets.take("ann", 1, T0 + MINUTE), MINUTE);
  });

  test("takes sent all at once pass up to the burst and no further", async (open) => {
    // The password budget's cap: logins from many addresses at once.
    const buckets = await open();
    const waits = await Promise.all(
      Array.from({ length: 35 }, () => buckets.take("ann", 1, T0)),
    );
    assert.equal(waits.filter((wait) => wait === 0).length, 30);
    assert.equal(await buckets.take("ann", 1, T0), MINUTE);
  });

  test("keys of any characters and length count apart", async (open) => {
    const buckets = await open();
    const keys = [
      "a:b",
      "a",
      "a:",
      ":b",
      "{a}",
      "{a}:b",
      "a*",
      "a b",
      // The password budget's: an account and an address, as JSON.
      '["a","2001:db8:1:2::/64"]',
      '["a","203.0.113.7"]',
      "x".repeat(10_000),
    ];
    for (const key of keys) {
      await takeAll(buckets, key, 30, T0);
      assert.equal(await buckets.take(key, 1, T0), MINUTE, key.slice(0, 9));
      for (const other of keys.slice(keys.indexOf(key) + 1)) {
        assert.equal(await buckets.take(other, 0, T0), 0, other.slice(0, 9));
      }
    }
  });

  test("keys count apart, and a give to a full bucket changes nothing", async (open) => {
    const buckets = await open();
    await buckets.give("bob", 5);
    await takeAll(buckets, "ann", 30, T0);
    assert.equal(await buckets.take("ann", 1, T0), MINUTE);
    await takeAll(buckets, "bob", 30, T0);
    assert.equal(await buckets.take("bob", 1, T0), MINUTE);
  });

  test("no spec, or a rate of 0, limits nothing", async (open) => {
    const none = await open({ name: "upload" });
    const off = await open({ name: "hook", spec: { burst: 0, perSecond: 0 } });
    for (const buckets of [none, off]) {
      await takeAll(buckets, "ann", 100, T0);
      await buckets.give("ann", 1);
    }
  });

  test("buckets of other names count apart", async (open) => {
    const uploads = await open();
    const hooks = await open({
      name: "hook",
      spec: { burst: 5, perSecond: 1 / 60 },
    });
    await takeAll(uploads, "ann", 30, T0);
    await takeAll(hooks, "ann", 5, T0);
    assert.equal(await hooks.take("ann", 1, T0), MINUTE);
    assert.equal(await uploads.take("ann", 1, T0), MINUTE);
  });

  test(
    "what one node takes or gives back counts on every node sharing the buckets",
    async (open) => {
      const [a, b] = [await open(), await open()];
      await takeAll(a, "ann", 15, T0);
      await takeAll(b, "ann", 15, T0);
      assert.equal(await a.take("ann", 1, T0), MINUTE);
      await b.give("ann", 1);
      assert.equal(await a.take("ann", 1, T0), 0);
      assert.equal(await b.take("ann", 1, T0), MINUTE);
    },
    { nodes: true },
  );
}
