import assert from "node:assert/strict";
import { decodeTime } from "ulid";
import { messageIds, pooledRandom } from "../server/store/message_ids.ts";

Deno.test("pooledRandom gives whole 256ths in [0, 1) across many refills of its pool", () => {
  const next = pooledRandom(8);
  const seen = new Set<number>();
  for (let i = 0; i < 50_000; i++) {
    const x = next();
    assert(x >= 0 && x < 1, `out of range: ${x}`);
    assert.equal(x * 256, Math.floor(x * 256));
    seen.add(x * 256);
  }
  // Fresh bytes at each refill: every byte value shows up.
  assert.equal(seen.size, 256);
});

Deno.test("pooledRandom's characters are spread evenly over the 32 of a ULID", () => {
  const next = pooledRandom();
  const counts = new Array(32).fill(0);
  const draws = 320_000;
  for (let i = 0; i < draws; i++) counts[Math.floor(next() * 32)]++;
  // Expected 10,000 each; a biased mapping would put some at 0 or twice.
  for (const count of counts) {
    assert(count > 9_000 && count < 11_000, `${count}`);
  }
});

Deno.test("messageIds are unique and sorted within one millisecond and across them", () => {
  const next = messageIds();
  const ids: string[] = [];
  for (let i = 0; i < 5_000; i++) ids.push(next(1_700_000_000_000 + (i >> 8)));
  assert.equal(new Set(ids).size, ids.length);
  assert.deepEqual([...ids].sort(), ids);
  assert.equal(decodeTime(ids[0]), 1_700_000_000_000);
});

Deno.test("two stores' id factories draw different random parts in the same millisecond", () => {
  const at = 1_700_000_000_000;
  assert.notEqual(messageIds()(at), messageIds()(at));
});
