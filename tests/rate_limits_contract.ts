/**
 * The contract every RateLimits keeps (server/rate_limit.ts): the rule of
 * TokenBucket per key and category, answered at once; a take that cannot
 * be met says how long to wait and takes nothing; what is given back never
 * passes the burst; keys and categories count apart; no spec limits
 * nothing (`--rate-limits off`); a sync changes nothing for a key only one
 * node uses. Where several nodes share them (Redis), what one node took
 * counts on the others once both have synced, and what they granted past
 * the budget before they synced is a debt paid before more is granted; a
 * spend (what a request was found to cost past its take) is such a debt.
 * Each implementation's test file calls {@link rateLimitsContract}. Refills
 * are slow (a token a minute) so that no real time a busy machine takes
 * between two steps matters.
 */
import assert from "node:assert/strict";
import type { BucketSpec, RateLimits } from "../server/rate_limit.ts";
import { type NodesFixture, nodesTest } from "./nodes_fixture.ts";

/** What a contract node is opened with: RateLimits' own arguments. */
export interface RateLimitsOptions {
  name: string;
  specs: Partial<Record<Category, BucketSpec>>;
}

/** The categories the contract uses. */
export type Category = "message" | "search";

const MINUTE = 60_000;
/** Five at once, then one a minute. */
const FIVE: BucketSpec = { burst: 5, perSecond: 1 / 60 };
const DEFAULTS: RateLimitsOptions = {
  name: "user",
  specs: { message: FIVE, search: { burst: 2, perSecond: 1 / 60 } },
};

function takeAll(
  limits: RateLimits<Category>,
  key: string,
  count: number,
  category: Category = "message",
): void {
  for (let i = 0; i < count; i++) {
    assert.equal(limits.take(key, category), 0, `take ${i + 1}`);
  }
}

/** A wait of about `tokens` refills (a busy machine's few ms less). */
function assertWait(wait: number, tokens: number): void {
  assert.ok(
    wait > (tokens - 0.1) * MINUTE && wait <= tokens * MINUTE,
    `${wait} ms for ${tokens} token(s)`,
  );
}

export function rateLimitsContract(
  name: string,
  makeFixture: () => Promise<
    NodesFixture<RateLimitsOptions, RateLimits<Category>>
  >,
  options: { nodes: boolean },
): void {
  const test = nodesTest(name, makeFixture, { ...options, defaults: DEFAULTS });

  test("a key's burst is taken at once, then a take is told to wait a refill and takes nothing", async (open) => {
    const limits = await open();
    takeAll(limits, "ann", 5);
    for (let i = 0; i < 3; i++) assertWait(limits.take("ann", "message"), 1);
    await limits.sync();
    assertWait(limits.take("ann", "message"), 1);
  });

  test("keys and categories count apart", async (open) => {
    const limits = await open();
    takeAll(limits, "ann", 5);
    takeAll(limits, "bob", 5);
    takeAll(limits, "ann", 2, "search");
    assert.ok(limits.take("ann", "search") > 0);
    assert.ok(limits.take("bob", "message") > 0);
  });

  test("a cost takes its share, and what is given back can be taken again, never past the burst", async (open) => {
    const limits = await open();
    assert.equal(limits.take("ann", "message", undefined, 4.5), 0);
    assertWait(limits.take("ann", "message"), 0.5);
    limits.give("ann", "message", 0.5);
    assert.equal(limits.take("ann", "message"), 0);
    limits.give("ann", "message", 1000);
    await limits.sync();
    takeAll(limits, "ann", 5);
    assertWait(limits.take("ann", "message"), 1);
  });

  test("a spend takes more without asking, into a debt paid whole before a take passes", async (open) => {
    const limits = await open();
    takeAll(limits, "ann", 1);
    // A page found to cost 7 more once read: 4 left, 7 spent, 3 owed.
    limits.spend("ann", "message", 7);
    assertWait(limits.take("ann", "message"), 4);
    await limits.sync();
    assertWait(limits.take("ann", "message"), 4);
    // Nothing, or nothing sensible, spends nothing.
    limits.spend("bob", "message", 0);
    limits.spend("bob", "message", Number.NaN);
    limits.spend("bob", "message", -3);
    takeAll(limits, "bob", 5);
    assertWait(limits.take("bob", "message"), 1);
    // Another category counts apart.
    limits.spend("ann", "search", 1);
    takeAll(limits, "ann", 1, "search");
    assertWait(limits.take("ann", "search"), 1);
  });

  test("a category without a spec, or with a rate of 0, limits nothing", async (open) => {
    const limits = await open({
      name: "user",
      specs: { search: { burst: 0, perSecond: 0 } },
    });
    takeAll(limits, "ann", 100);
    takeAll(limits, "ann", 100, "search");
    await limits.sync();
    takeAll(limits, "ann", 100);
  });

  test("syncs change nothing for a key only one node uses", async (open) => {
    const limits = await open();
    takeAll(limits, "ann", 3);
    await limits.sync();
    await limits.sync();
    takeAll(limits, "ann", 2);
    await limits.sync();
    assertWait(limits.take("ann", "message"), 1);
  });

  test(
    "what one node took counts on another once both have synced",
    async (open) => {
      const [a, b] = [await open(), await open()];
      takeAll(a, "ann", 4);
      await a.sync();
      // Node b has not heard of ann: it grants, then learns.
      takeAll(b, "ann", 1);
      await b.sync();
      assertWait(b.take("ann", "message"), 1);
      // Other keys and other names are not touched.
      takeAll(b, "bob", 5);
      const address = await open({ name: "address", specs: DEFAULTS.specs });
      takeAll(address, "ann", 5);
    },
    { nodes: true },
  );

  test(
    "what two nodes granted past one budget before they synced is a debt paid before more is granted",
    async (open) => {
      const [a, b] = [await open(), await open()];
      takeAll(a, "ann", 4);
      takeAll(b, "ann", 4);
      await a.sync();
      await b.sync();
      // 8 of 5 granted: b owes 3, and waits for them and the next one.
      assertWait(b.take("ann", "message"), 4);
      // Node a learns it as soon as it takes again.
      takeAll(a, "ann", 1);
      await a.sync();
      assertWait(a.take("ann", "message"), 5);
    },
    { nodes: true },
  );

  test(
    "what three nodes granted before they heard of each other is a debt paid whole, however many bursts it is",
    async (open) => {
      const nodes = [await open(), await open(), await open()];
      for (const node of nodes) takeAll(node, "ann", 5);
      for (const node of nodes) await node.sync();
      // 15 of 5 granted: 10 owed, then the next one.
      assertWait(nodes[2].take("ann", "message"), 11);
    },
    { nodes: true },
  );
}
