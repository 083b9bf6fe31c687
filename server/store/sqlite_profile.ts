import type { StatementSync } from "node:sqlite";
import type { ProfileStore, StoredProfile } from "./mod.ts";
import type { SqliteContext } from "./sqlite_context.ts";

/**
 * The SQLite store's profile cards (ProfileStore): columns of the
 * account's row, read by its key.
 */
export class SqliteProfile implements ProfileStore {
  #q: (sql: string) => StatementSync;
  #run: <T>(step: () => T) => Promise<T>;

  constructor(context: SqliteContext) {
    this.#q = (sql) => context.q(sql);
    this.#run = (step) => context.run(step);
  }

  setProfile(
    userKey: string,
    changes: Partial<StoredProfile>,
  ): Promise<boolean> {
    // A field left out keeps its column: one statement whatever is given,
    // so two devices setting one field each lose neither.
    return this.#run(() =>
      Number(
        this.#q(
          `UPDATE accounts SET
             profile_title = CASE WHEN ? THEN ? ELSE profile_title END,
             profile_timezone = CASE WHEN ? THEN ? ELSE profile_timezone END
           WHERE key = ?`,
        ).run(
          changes.title !== undefined ? 1 : 0,
          changes.title ?? null,
          changes.timezone !== undefined ? 1 : 0,
          changes.timezone ?? null,
          userKey,
        ).changes,
      ) > 0
    );
  }

  profile(userKey: string): Promise<StoredProfile | null> {
    return this.#run(() => {
      const row = this.#q(
        `SELECT profile_title AS title, profile_timezone AS timezone
         FROM accounts WHERE key = ?`,
      ).get(userKey) as StoredProfile | undefined;
      return row ? { title: row.title, timezone: row.timezone } : null;
    });
  }
}
