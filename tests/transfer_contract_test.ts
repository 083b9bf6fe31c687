/**
 * Export and import on both stores: the transfer contract
 * (tests/transfer_contract.ts) on a SQLite file in a temporary folder and
 * on a real PostgreSQL server started for this file, a database of its
 * own per test (a copy of one migrated once).
 */
import { DEFAULT_CONFIG } from "../server/config.ts";
import { PostgresStore } from "../server/store/postgres.ts";
import { SqliteStore } from "../server/store/sqlite.ts";
import { PostgresSource, PostgresTarget } from "../server/transfer/postgres.ts";
import { SqliteSource, SqliteTarget } from "../server/transfer/sqlite.ts";
import { migratedDatabase } from "./migrated_database.ts";
import { transferContract } from "./transfer_contract.ts";
import { POSTGRES, type PostgresService, testsOnService } from "./services.ts";

const GENERAL = { name: "general", key: "general" };
const OPTIONS = { busyTimeoutMs: DEFAULT_CONFIG.dbBusyTimeoutMs };

transferContract("SQLite transfer", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-transfer-" });
  const path = `${dir}/chat.db`;
  const open = () =>
    SqliteStore.open(path, { ...OPTIONS, permanentRooms: [GENERAL] });
  try {
    // As a server's first start leaves it.
    await (await open()).close();
  } catch (error) {
    await Deno.remove(dir, { recursive: true });
    throw error;
  }
  return {
    store: open,
    source: () => SqliteSource.open(path, OPTIONS),
    target: () => SqliteTarget.open(path, OPTIONS),
    dispose: () => Deno.remove(dir, { recursive: true }),
  };
});

await testsOnService("PostgreSQL transfer", POSTGRES, registerPostgresTests);

function registerPostgresTests(pg: PostgresService): void {
  transferContract("PostgreSQL transfer", async () => {
    const { url, drop } = await migratedDatabase(pg);
    const open = () => PostgresStore.open(url, { permanentRooms: [GENERAL] });
    try {
      // As a server's first start leaves it.
      await (await open()).close();
    } catch (error) {
      await drop();
      throw error;
    }
    return {
      store: open,
      source: () => PostgresSource.open(url),
      target: () => PostgresTarget.open(url),
      dispose: drop,
    };
  });
}
