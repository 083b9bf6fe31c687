/**
 * Upgrading to missed mails' languages that may be unchosen
 * (`--mail-language`): the old column's 'en', which was also its default
 * and cannot be told from a choice, becomes none chosen (the server's);
 * 'fr', only ever chosen, stays. On SQLite and PostgreSQL.
 */
import assert from "node:assert/strict";
import { bothStores } from "./both_stores.ts";
import { MAIL_LANGUAGE_MIGRATION } from "./store_contract/support.ts";
import { leftBefore, withUpgradedServer } from "./upgraded_server.ts";

const stores = await bothStores();

stores.database(
  "upgrading: an account's missed mails language 'en' left by a server before --mail-language becomes none chosen (null); 'fr' stays French; the mails' on or off stay",
  async (store) => {
    await withUpgradedServer({
      options: store,
      setUp: async (pool) => {
        await pool.register("elise");
        await pool.register("oscar");
      },
      // `(1 = 0)`: SQLite's 0, PostgreSQL's false.
      old: leftBefore(
        MAIL_LANGUAGE_MIGRATION,
        `UPDATE accounts SET mail_language = 'fr' WHERE key = 'elise';
         UPDATE accounts SET missed_mail = (1 = 0) WHERE key = 'oscar';`,
      ),
    }, async (server) => {
      const { store } = server.node;
      assert.deepEqual(await store.missedMailSetting("elise"), {
        enabled: true,
        language: "fr",
      });
      assert.deepEqual(await store.missedMailSetting("oscar"), {
        enabled: false,
        language: null,
      });
    });
  },
);
