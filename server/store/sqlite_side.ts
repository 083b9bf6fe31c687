/**
 * A second connection to a SQLite file a server may be serving, for the
 * operator's commands (`chat-server reset-password`): the store's own
 * accounts part over it (which writes audit entries with its changes), so
 * a command writes what the server would, with the server's SQL. WAL lets
 * both write; each waits for the other's lock up to its busy timeout.
 *
 * Not a whole SqliteStore: opening one runs the search indexing of the
 * messages a running server has stored and not yet indexed, which that
 * server then indexes again. The parts used here touch nothing the
 * server keeps in memory (accounts, reset links, the audit log).
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { StoreUnavailableError } from "../protocol/errors.ts";
import { SqliteAccounts } from "./sqlite_accounts.ts";
import type { SqliteContext } from "./sqlite_context.ts";
import { SQLITE_MIGRATIONS } from "./sqlite_schema.ts";
import { SqliteStore } from "./sqlite.ts";

/** The parts of the store a command uses, over their own connection. */
export interface SqliteSide {
  accounts: Pick<SqliteAccounts, "findAccount" | "createPasswordReset">;
  close(): void;
}

/**
 * Opens an existing SQLite file beside the server that may serve it; a
 * file of an older schema (no server has run this version on it yet) is
 * brought up to date first, as the server would at its start.
 */
export async function openSqliteSide(
  path: string,
  options: { busyTimeoutMs: number },
): Promise<SqliteSide> {
  try {
    await Deno.stat(path);
  } catch {
    // SQLite would make an empty database there, with no account in it.
    throw new StoreUnavailableError(`no database at ${path}`);
  }
  await bringUpToDate(path, options);
  const db = connect(path, options.busyTimeoutMs);
  const statements = new Map<string, StatementSync>();
  const q = (sql: string) => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
  const context: SqliteContext = {
    q,
    arrays: () => {
      throw new Error("not used by a side connection's parts");
    },
    transaction(body) {
      db.exec("BEGIN IMMEDIATE");
      try {
        const result = body();
        db.exec("COMMIT");
        return result;
      } catch (error) {
        if (db.isTransaction) db.exec("ROLLBACK");
        throw error;
      }
    },
    run(step) {
      try {
        return Promise.resolve(step());
      } catch (error) {
        return Promise.reject(
          new StoreUnavailableError((error as Error).message, {
            cause: error,
          }),
        );
      }
    },
  };
  const notHere = () => {
    throw new Error("not used by a side connection's parts");
  };
  return {
    accounts: new SqliteAccounts(context, {
      banOf: notHere,
      sumReactions: notHere,
    }),
    close: () => db.close(),
  };
}

/**
 * Brings an existing SQLite file's schema up to date, as the server's start
 * would, and does nothing else to a current one: a whole SqliteStore's open
 * also indexes for search the messages a running server has stored and not
 * yet indexed, which that server then indexes again (each word twice in
 * the index). A schema this version does not know is refused.
 */
export async function bringUpToDate(
  path: string,
  options: { busyTimeoutMs: number },
): Promise<void> {
  const db = connect(path, options.busyTimeoutMs);
  let version: number;
  try {
    version = schemaVersion(db);
  } finally {
    db.close();
  }
  if (version > SQLITE_MIGRATIONS.length) {
    throw new StoreUnavailableError(
      `${path} was written by a newer chat-server (schema ${version}): run that version's command`,
    );
  }
  if (version < SQLITE_MIGRATIONS.length) {
    await new SqliteStore(path, { ...options, searchIndex: { mode: "off" } })
      .close();
  }
}

function connect(path: string, busyTimeoutMs: number): DatabaseSync {
  const db = new DatabaseSync(path);
  // As the server's connection: every commit fsynced (FULL), so what the
  // command printed survives a power cut.
  db.exec(`PRAGMA busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
  db.exec("PRAGMA synchronous = FULL");
  db.exec("PRAGMA foreign_keys = ON");
  return db;
}

function schemaVersion(db: DatabaseSync): number {
  const { user_version } = db.prepare("PRAGMA user_version").get() as {
    user_version: number;
  };
  return user_version;
}
