/**
 * An upgrade through real servers: a server of now sets rows up, stops,
 * its database is made the one a server of before some migration left
 * (old_schema.ts), and a server of now starts on it, running that
 * migration and every later one, as an upgrade does.
 */
import type { Config } from "../server/config.ts";
import { ClientPool, startTestServer, type TestServer } from "./harness.ts";
import { type OldDatabase, rewindServerDatabase } from "./old_schema.ts";

/** What {@link withUpgradedServer} does before the upgrade. */
export interface Upgrade {
  /** The store's options (none on SQLite: the server makes its file). */
  options: Partial<Config>;
  /** Sets rows up through the server of before's clients. */
  setUp(pool: ClientPool): Promise<void>;
  /** The migration to run again and the rows a server of before left. */
  old: OldDatabase;
}

/**
 * Runs `upgrade`, then `check` on the upgraded server (with the path of
 * its SQLite file, unused on PostgreSQL); closes both servers and removes
 * the SQLite file's folder, however it ends.
 */
export async function withUpgradedServer(
  upgrade: Upgrade,
  check: (server: TestServer, dbPath: string) => Promise<void>,
): Promise<void> {
  const { options } = upgrade;
  const old = await startTestServer(options);
  let server: TestServer | undefined;
  try {
    const pool = new ClientPool(old.wsUrl);
    try {
      await upgrade.setUp(pool);
    } finally {
      await pool.closeAll();
      await old.shutdown();
    }
    const dbPath = `${old.dir}/chat.db`;
    await rewindServerDatabase(options, dbPath, upgrade.old);
    server = await startTestServer({ ...options, db: dbPath });
    await check(server, dbPath);
  } finally {
    await server?.close();
    await Deno.remove(old.dir, { recursive: true }).catch(() => {});
  }
}

/**
 * The {@link OldDatabase} of before `marker` whose rows a server of before
 * left are `statements` (SQL both stores run as it is).
 */
export function leftBefore(marker: string, statements: string): OldDatabase {
  return {
    marker,
    postgres: async (sql) => void await sql.unsafe(statements),
    sqlite: (db) => db.exec(statements),
  };
}
