/**
 * Upgrading to the addresses' mailbox keys (protocol/mailbox_key.ts): an
 * address a server stored before the key was kept gets its key at
 * start-up, on SQLite and PostgreSQL, so "Forgot password?" by that
 * address in another case (Unicode's, not only ASCII's) finds its account.
 */
import assert from "node:assert/strict";
import { bothStores } from "./both_stores.ts";
import { MAILBOX_KEY_MIGRATION } from "./store_contract/support.ts";
import { leftBefore, withUpgradedServer } from "./upgraded_server.ts";

const stores = await bothStores();

stores.database(
  "upgrading: a verified address stored before mailbox keys (ÉLISE@example.com) is found by élise@example.com once the server starts",
  async (store) => {
    await withUpgradedServer({
      options: store,
      setUp: async (pool) => {
        await pool.register("elise");
        await pool.register("oscar");
      },
      // `(1 = 1)`: SQLite's 1, PostgreSQL's true.
      old: leftBefore(
        MAILBOX_KEY_MIGRATION,
        `UPDATE accounts SET email = 'ÉLISE@example.com',
           email_verified = (1 = 1) WHERE key = 'elise';
         UPDATE accounts SET email = 'oscar@example.com',
           email_verified = (1 = 0) WHERE key = 'oscar';`,
      ),
    }, async (server) => {
      const { store } = server.node;
      assert.deepEqual(
        await store.verifiedEmailAccounts("élise@example.com", 5),
        ["elise"],
      );
      assert.deepEqual(
        await store.verifiedEmailAccounts("ÉLISE@EXAMPLE.COM", 5),
        ["elise"],
      );
      // Not verified: never found, key or not.
      assert.deepEqual(
        await store.verifiedEmailAccounts("oscar@example.com", 5),
        [],
      );
      assert.deepEqual(await store.missedMore("elise"), 0);
    });
  },
);
