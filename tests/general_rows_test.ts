/**
 * Every account belongs to `general`, and the store says so from the
 * account's creation: a bot that only ever uses the REST API (it never
 * logs in, where a login used to write the row) is a stored member, and
 * one made by a server of before gets its row at the upgrade; on SQLite
 * and PostgreSQL.
 */
import assert from "node:assert/strict";
import { accountWithToken, call } from "./api_helpers.ts";
import { startTestServer, type TestServer } from "./harness.ts";
import { rewindServerDatabase } from "./old_schema.ts";
import { bothStores } from "./both_stores.ts";
import { GENERAL_ROWS_MIGRATION } from "./store_contract/support.ts";

const stores = await bothStores();

/** A message in general, then a bot "ci" made over REST only by its admin. */
async function botOverRest(server: TestServer): Promise<void> {
  const root = await accountWithToken(server, "root");
  const sent = await call(server, "POST", "/api/rooms/general/messages", {
    token: root.token,
    body: { text: "before the bot" },
  });
  assert.equal(sent.status, 201);
  const made = await call(server, "POST", "/api/bots", {
    token: root.token,
    body: { name: "ci" },
  });
  assert.equal(made.status, 201);
}

stores.test(`general: a bot made over REST that never logged in is a stored member of general, read to its end`, async (server) => {
  await botOverRest(server);
  assert.deepEqual(await server.node.store.memberRooms("ci"), ["general"]);
  assert.equal(await server.node.store.isMember("ci", "general"), true);
  // What was said before it is no news to it.
  const [state] = await server.node.store.readStates("ci", ["general"]);
  assert.equal(state.lastSeq, 1);
  assert.equal(state.lastReadSeq, 1);
  assert.equal(state.unread, 0);
});

stores.database(
  `upgrading: a bot made over REST by a server of before, with no row in general, gets it at the first start`,
  async (store) => {
    const old = await startTestServer(store);
    const dbPath = `${old.dir}/chat.db`;
    let server: TestServer | undefined;
    try {
      try {
        await botOverRest(old);
      } finally {
        await old.shutdown();
      }
      // What a server of before left: no row for the bot, which never
      // logged in; root's, written at its login, stays as it was.
      await rewindServerDatabase(store, dbPath, {
        marker: GENERAL_ROWS_MIGRATION,
        postgres: async (sql) => {
          await sql`DELETE FROM memberships WHERE user_key = 'ci'`;
          await sql`DELETE FROM read_positions WHERE user_key = 'ci'`;
        },
        sqlite: (db) => {
          db.exec("DELETE FROM memberships WHERE user_key = 'ci'");
          db.exec("DELETE FROM read_positions WHERE user_key = 'ci'");
        },
      });
      server = await startTestServer({ ...store, db: dbPath });
      assert.deepEqual(await server.node.store.memberRooms("ci"), ["general"]);
      assert.deepEqual(await server.node.store.memberRooms("root"), [
        "general",
      ]);
      // What was said before it is no news to it.
      const [state] = await server.node.store.readStates("ci", ["general"]);
      assert.equal(state.lastSeq, 1);
      assert.equal(state.lastReadSeq, 1);
      assert.equal(state.unread, 0);
    } finally {
      await server?.close();
      await Deno.remove(old.dir, { recursive: true }).catch(() => {});
    }
  },
);
