/**
 * Upgrading to the skeletons that meet capitals (protocol/skeleton.ts):
 * the accounts a server stored with the skeletons of before get theirs
 * computed again at start-up, on SQLite and PostgreSQL, so a look-alike of
 * an account registered before the upgrade is refused too.
 */
import assert from "node:assert/strict";
import type { Config } from "../server/config.ts";
import { bothStores } from "./both_stores.ts";
import {
  ClientPool,
  expectError,
  startTestServer,
  type TestServer,
} from "./harness.ts";
import { rewindServerDatabase } from "./old_schema.ts";

/** Text of the migration that computes the skeletons again. */
const SKELETONS_MIGRATION = "Account skeletons are computed another way";

const stores = await bothStores();

/**
 * Gives the account the skeleton servers stored before (taken of the key
 * alone: `R00T` was `rOOt`) and sets the schema back to before the
 * migration that computes them again, to the database such a server left.
 */
async function storeOldSkeleton(
  options: Partial<Config>,
  dbPath: string,
  key: string,
  skeleton: string,
): Promise<void> {
  await rewindServerDatabase(options, dbPath, {
    marker: SKELETONS_MIGRATION,
    postgres: async (sql) => {
      await sql`UPDATE accounts SET skeleton = ${skeleton} WHERE key = ${key}`;
    },
    sqlite: (db) => {
      db.prepare("UPDATE accounts SET skeleton = ? WHERE key = ?").run(
        skeleton,
        key,
      );
    },
  });
}

stores.database(
  `upgrading: an account registered as R00T before skeletons met capitals is looked like by root once the server starts: a guest or a new account called root gets username_taken`,
  async (store) => {
    const old = await startTestServer(store);
    const dbPath = `${old.dir}/chat.db`;
    let server: TestServer | undefined;
    try {
      const before = new ClientPool(old.wsUrl);
      try {
        await before.register("R00T");
      } finally {
        await before.closeAll();
        await old.shutdown();
      }
      await storeOldSkeleton(store, dbPath, "r00t", "rOOt");

      server = await startTestServer({ ...store, db: dbPath });
      const pool = new ClientPool(server.wsUrl);
      try {
        const other = await pool.connect();
        await expectError(
          other,
          "login",
          { username: "root" },
          "username_taken",
        );
        const reply = await expectError(
          other,
          "register",
          { username: "ROOT", password: "another good password" },
          "username_taken",
        );
        assert.match(String(reply.data.message), /R00T/);
      } finally {
        await pool.closeAll();
      }
    } finally {
      await server?.close();
      await Deno.remove(old.dir, { recursive: true }).catch(() => {});
    }
  },
);
