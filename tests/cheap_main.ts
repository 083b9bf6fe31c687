/**
 * `main.ts` at the tests' password cost (tests/cheap_passwords.ts): the
 * program of the clusters tests start as processes (startCluster,
 * startSharedCluster). Their nodes register and sign in dozens of accounts,
 * and at the server's cost each hash took 0.4 s of a core alone and seconds
 * at a load of 20, three nodes and the test's own work sharing 2 cores.
 * What a cluster tests is nodes agreeing, not the hash's cost: the cost is
 * asserted by the tests that pass SCRYPT_PASSWORDS, and single servers run
 * as processes (spawnServer) still run it. Like main.ts, the store begins
 * to open before the server loads.
 */
import { openStoreEarly } from "../server/early_store.ts";
import { runCli } from "../server/cli.ts";
import { CHEAP_PASSWORDS } from "./cheap_passwords.ts";

if (import.meta.main) {
  const store = openStoreEarly(Deno.args, (name) => Deno.env.get(name));
  await runCli(Deno.args, { store, passwords: CHEAP_PASSWORDS });
}
