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
   * Writes the account's row of `row.stream`; writes nothing, and says
   * which cap, when that stream is new and the account holds `max` rows
   * already (`too_many`), or when the characters (code points) of its
   * values, this stream's counted as the new one, would pass
   * `maxCharacters` (`too_long`).
   */
  put(
    userKey: string,
    row: PlaceRow,
    max: number,
    maxCharacters = Infinity,
  ): "written" | "too_many" | "too_long" {
    const { name, value } = this.#table;
    // The count and the write are one transaction: two devices writing
    // new rows together cannot pass the caps. SQLite's length() counts a
    // text's characters, as [...text].length does.
    return this.#transaction(() => {
      const { held, here, others } = this.#q(
        `SELECT count(*) AS held, count(*) FILTER (WHERE stream = ?) AS here,
           coalesce(sum(length(${value})) FILTER (WHERE stream <> ?), 0)
             AS others
         FROM ${name} WHERE user_key = ?`,
      ).get(row.stream, row.stream, userKey) as {
        held: number;
        here: number;
        others: number;
      };
      if (here === 0 && held >= max) return "too_many";
      if (others + [...row.value].length > maxCharacters) return "too_long";
      this.#q(
        `INSERT INTO ${name} (user_key, stream, with_name, ${value}, updated_at)
         VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (user_key, stream) DO UPDATE SET
           with_name = excluded.with_name, ${value} = excluded.${value},
           updated_at = excluded.updated_at`,
      ).run(userKey, row.stream, row.with ?? null, row.value, row.updatedAt);
      return "written";
    });
  }
}
