/**
 * Every account belongs to `general`, and the store says so from the
 * account's creation: a bot that only ever uses the REST API (it never
 * logs in, where a login used to write the row) is a stored member, and
 * one made by a server of before gets its row at the upgrade; on SQLite
 * and PostgreSQL.
 */
import assert from "node:assert/strict";
import type { Config } from "../server/config.ts";
import { accountWithToken, call } from "./api_helpers.ts";
import { startTestServer, type TestServer } from "./harness.ts";
import { rewindServerDatabase } from "./old_schema.ts";
import { postgresSkipReason, startPostgres } from "./services.ts";
import { GENERAL_ROWS_MIGRATION } from "./store_contract/support.ts";

const pg = postgresSkipReason() ? null : await startPostgres();

interface Backend {
  name: string;
  /** Options for a fresh store, and a way to drop it afterwards. */
  fresh(): Promise<{ options: Partial<Config>; drop(): Promise<void> }>;
}

const BACKENDS: Backend[] = [{
  name: "sqlite",
  fresh: () => Promise.resolve({ options: {}, drop: () => Promise.resolve() }),
}];
if (pg) {
  BACKENDS.push({
    name: "postgres",
    async fresh() {
      const databaseUrl = await pg.createDatabase("general_rows");
      return {
        options: { databaseUrl },
        drop: () => pg.dropDatabase("general_rows"),
      };
    },
  });
}

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

for (const backend of BACKENDS) {
  Deno.test(`general: a bot made over REST that never logged in is a stored member of general, read to its end (${backend.name})`, async () => {
    const store = await backend.fresh();
    const server = await startTestServer(store.options);
    try {
      await botOverRest(server);
      assert.deepEqual(await server.node.store.memberRooms("ci"), ["general"]);
      assert.equal(await server.node.store.isMember("ci", "general"), true);
      // What was said before it is no news to it.
      const [state] = await server.node.store.readStates("ci", ["general"]);
      assert.equal(state.lastSeq, 1);
      assert.equal(state.lastReadSeq, 1);
      assert.equal(state.unread, 0);
    } finally {
      await server.close();
      await store.drop();
    }
  });

  Deno.test(`upgrading: a bot made over REST by a server of before, with no row in general, gets it at the first start (${backend.name})`, async () => {
    const store = await backend.fresh();
    const old = await startTestServer(store.options);
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
      await rewindServerDatabase(store.options, dbPath, {
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
      server = await startTestServer({ ...store.options, db: dbPath });
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
      await store.drop();
    }
  });
}
