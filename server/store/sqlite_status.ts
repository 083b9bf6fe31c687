import type { StatementSync } from "node:sqlite";
import type { StatusStore, StoredStatus } from "./mod.ts";
import type { SqliteContext } from "./sqlite_context.ts";

/** A status as its columns hold it. */
interface StatusRow {
  key: string;
  text: string;
  emoji: string | null;
  until: number | null;
}

/**
 * The SQLite store's custom statuses (StatusStore): columns of the
 * account's row, read by its key.
 */
export class SqliteStatus implements StatusStore {
  #q: (sql: string) => StatementSync;
  #run: <T>(step: () => T) => Promise<T>;

  constructor(context: SqliteContext) {
    this.#q = (sql) => context.q(sql);
    this.#run = (step) => context.run(step);
  }

  setStatus(
    userKey: string,
    status: Omit<StoredStatus, "userKey"> | null,
  ): Promise<boolean> {
    return this.#run(() =>
      Number(
        this.#q(
          `UPDATE accounts SET status_text = ?, status_emoji = ?,
             status_until = ? WHERE key = ?`,
        ).run(
          status?.text ?? null,
          status?.emoji ?? null,
          status?.until ?? null,
          userKey,
        ).changes,
      ) > 0
    );
  }

  statuses(userKeys: readonly string[]): Promise<StoredStatus[]> {
    return this.#run(() =>
      (this.#q(
        `SELECT key, status_text AS text, status_emoji AS emoji,
           status_until AS until FROM accounts
         WHERE key IN (SELECT value FROM json_each(?))
         AND status_text IS NOT NULL ORDER BY key`,
      ).all(JSON.stringify(userKeys)) as unknown as StatusRow[]).map(
        toStatus,
      )
    );
  }
}

/** A row as the store answers it. */
function toStatus(row: StatusRow): StoredStatus {
  return {
    userKey: row.key,
    text: row.text,
    emoji: row.emoji,
    until: row.until,
  };
}
