/**
 * Passwords at a cost tests can afford: scrypt in the same format, at
 * N=2^10, r=8, p=1 (1 MiB, 14 ms at a load of 18) instead of the server's N=2^15,
 * r=8, p=3 (32 MiB, 0.4 s of a core alone and seconds on a busy 2-core
 * machine). The suite registers hundreds of accounts in servers of its
 * own (tests/harness.ts startTestServer uses this unless told otherwise);
 * the server's cost is asserted by the tests that pass SCRYPT_PASSWORDS,
 * and single servers started as processes (spawnServer) always run it
 * (the nodes of clusters run tests/cheap_main.ts).
 */
import {
  decoyHash,
  hashPassword,
  type Passwords,
  type ScryptCost,
  verifyPassword,
} from "../server/accounts/password.ts";

const COST: ScryptCost = { N: 2 ** 10, r: 8, p: 1 };
const DECOY = decoyHash(COST);

/** scrypt at a test's cost; hashes are checked at the cost they carry. */
export const CHEAP_PASSWORDS: Passwords = {
  hash: (password) => hashPassword(password, COST),
  verify: verifyPassword,
  async verifyNothing(password) {
    await verifyPassword(password, DECOY);
    return false;
  },
};
