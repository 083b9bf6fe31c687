import type { StatementSync } from "node:sqlite";
import type { StarStore, StoredStar } from "./mod.ts";
import { type StarRow, toStar } from "./rows.ts";
import type { SqliteContext } from "./sqlite_context.ts";

/**
 * The SQLite store's stars (StarStore), over the store's connection: one
 * row per account and starred stream.
 */
export class SqliteStars implements StarStore {
  #q: (sql: string) => StatementSync;
  #run: <T>(step: () => T) => Promise<T>;

  constructor(context: SqliteContext) {
    this.#q = (sql) => context.q(sql);
    this.#run = (step) => context.run(step);
  }

  star(userKey: string, star: StoredStar, max: number): Promise<boolean> {
    // A new row only while the account holds fewer than max; one already
    // there is kept as it is (its first star's time).
    return this.#run(() =>
      Number(
          this.#q(
            `INSERT INTO stars (user_key, stream, with_name, created_at)
           SELECT ?, ?, ?, ?
           WHERE (SELECT count(*) FROM stars WHERE user_key = ?) < ?
           ON CONFLICT (user_key, stream) DO NOTHING`,
          ).run(
            userKey,
            star.stream,
            star.with ?? null,
            star.createdAt,
            userKey,
            max,
          ).changes,
        ) > 0 || this.#starred(userKey, star.stream)
    );
  }

  #starred(userKey: string, stream: string): boolean {
    return this.#q("SELECT 1 FROM stars WHERE user_key = ? AND stream = ?")
      .get(userKey, stream) !== undefined;
  }

  unstar(userKey: string, stream: string): Promise<void> {
    return this.#run(() => {
      this.#q("DELETE FROM stars WHERE user_key = ? AND stream = ?")
        .run(userKey, stream);
    });
  }

  listStars(userKey: string): Promise<StoredStar[]> {
    return this.#run(() =>
      (this.#q(
        `SELECT stream, with_name, created_at FROM stars
         WHERE user_key = ? ORDER BY stream`,
      ).all(userKey) as unknown as StarRow[]).map(toStar)
    );
  }
}
