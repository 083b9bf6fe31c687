import type { StatementSync } from "node:sqlite";
import type { SqliteContext } from "./sqlite_context.ts";

/**
 * A table of the SQLite store holding what an account keeps per place (a
 * room or a conversation): one row per account and stream, with the other
 * side's name, one value column and when it was set. Drafts and
 * notification levels are such tables.
 */
export interface PlaceTable {
  name: "drafts" | "notification_levels";
  /** The column holding the row's value (`text`, `level`). */
  value: "text" | "level";
}

/** One account's row of a {@link PlaceTable}. */
export interface PlaceRow {
  stream: string;
  /** The other side's name as the account wrote it, for a conversation. */
  with?: string;
  value: string;
  updatedAt: number;
}

/**
 * The writes of a {@link PlaceTable}, to run inside the store's `run`
 * step: a row replaced, or a new one while the account holds fewer than a
 * cap, or one deleted.
 */
export class SqlitePlaceRows {
  #q: (sql: string) => StatementSync;
  #transaction: <T>(body: () => T) => T;
  #table: PlaceTable;

  constructor(context: SqliteContext, table: PlaceTable) {
    this.#q = (sql) => context.q(sql);
    this.#transaction = (body) => context.transaction(body);
    this.#table = table;
  }

  /** Deletes the account's row of `stream`; none there is no error. */
  delete(userKey: string, stream: string): void {
    this.#q(`DELETE FROM ${this.#table.name} WHERE user_key = ? AND stream = ?`)
      .run(userKey, stream);
  }

  /**
   * Writes the account's row of `row.stream`; false, writing nothing, when
   * that stream is new and the account holds `max` rows already.
   */
  put(userKey: string, row: PlaceRow, max: number): boolean {
    const { name, value } = this.#table;
    // The count and the write are one transaction: two devices writing
    // new rows together cannot pass the cap.
    return this.#transaction(() => {
      const { held, here } = this.#q(
        `SELECT count(*) AS held, count(*) FILTER (WHERE stream = ?) AS here
         FROM ${name} WHERE user_key = ?`,
      ).get(row.stream, userKey) as { held: number; here: number };
      if (here === 0 && held >= max) return false;
      this.#q(
        `INSERT INTO ${name} (user_key, stream, with_name, ${value}, updated_at)
         VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (user_key, stream) DO UPDATE SET
           with_name = excluded.with_name, ${value} = excluded.${value},
           updated_at = excluded.updated_at`,
      ).run(userKey, row.stream, row.with ?? null, row.value, row.updatedAt);
      return true;
    });
  }
}
