import assert from "node:assert/strict";
import { addressKey } from "../server/addresses.ts";

const KEYS: [string, string][] = [
  ["203.0.113.7", "203.0.113.7"],
  ["::ffff:203.0.113.7", "203.0.113.7"],
  ["2001:db8:1:2::5", "2001:db8:1:2::/64"],
  ["2001:db8:1:2:aa:bb:cc:dd", "2001:db8:1:2::/64"],
  ["unknown", "unknown"],
];

Deno.test("an address's key is the same asked again, and after thousands of other addresses", () => {
  for (const [address, key] of KEYS) assert.equal(addressKey(address), key);
  for (const [address, key] of KEYS) assert.equal(addressKey(address), key);
  // More addresses than the keys kept: the kept ones are emptied meanwhile.
  for (let i = 0; i < 10_000; i++) {
    const address = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    assert.equal(addressKey(address), address);
  }
  for (const [address, key] of KEYS) assert.equal(addressKey(address), key);
});
