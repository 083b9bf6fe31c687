import type { StatementSync } from "node:sqlite";
import type { IgnoredAccount, IgnoreStore } from "./mod.ts";
import type { SqliteContext } from "./sqlite_context.ts";

/**
 * The SQLite store's ignores (IgnoreStore): whom each account ignores, and
 * the rooms an account was added to by another, over the store's
 * connection.
 */
export class SqliteIgnores implements IgnoreStore {
  #q: (sql: string) => StatementSync;
  #run: <T>(step: () => T) => Promise<T>;
  #transaction: <T>(body: () => T) => T;

  constructor(context: SqliteContext) {
    this.#q = (sql) => context.q(sql);
    this.#run = (step) => context.run(step);
    this.#transaction = (body) => context.transaction(body);
  }

  ignore(
    userKey: string,
    target: { key: string; name: string; max: number },
  ): Promise<boolean | "full"> {
    return this.#run(() =>
      this.#transaction((): boolean | "full" => {
        // One writer at a time: the count cannot change before the insert.
        // The primary key's prefix makes it a range of at most `max` rows.
        const { n, ignored } = this.#q(
          `SELECT count(*) AS n, coalesce(max(ignored_key = ?), 0) AS ignored
           FROM ignores WHERE user_key = ?`,
        ).get(target.key, userKey) as { n: number; ignored: number };
        if (ignored !== 0) return false;
        if (n >= target.max) return "full";
        this.#q(
          `INSERT INTO ignores (user_key, ignored_key, ignored_name, at)
           VALUES (?, ?, ?, ?)`,
        ).run(userKey, target.key, target.name, Date.now());
        return true;
      })
    );
  }

  unignore(userKey: string, targetKey: string): Promise<boolean> {
    return this.#run(() =>
      Number(
        this.#q("DELETE FROM ignores WHERE user_key = ? AND ignored_key = ?")
          .run(userKey, targetKey).changes,
      ) > 0
    );
  }

  listIgnored(userKey: string): Promise<IgnoredAccount[]> {
    return this.#run(() =>
      (this.#q(
        `SELECT ignored_key AS key, ignored_name AS name, at FROM ignores
         WHERE user_key = ? ORDER BY ignored_key`,
      ).all(userKey) as unknown as IgnoredAccount[]).map((row) => ({
        key: row.key,
        name: row.name,
        at: row.at,
      }))
    );
  }

  isIgnoring(userKey: string, otherKey: string): Promise<boolean> {
    return this.#run(() =>
      this.#q(
        "SELECT 1 FROM ignores WHERE user_key = ? AND ignored_key = ?",
      ).get(userKey, otherKey) !== undefined
    );
  }

  roomsInvitedBy(
    userKey: string,
    inviter: { key: string; since: number },
  ): Promise<string[]> {
    return this.#run(() =>
      (this.#q(
        `SELECT room_key FROM memberships
         WHERE user_key = ? AND invited_by = ? AND joined_at >= ?
         ORDER BY joined_at`,
      ).all(userKey, inviter.key, inviter.since) as { room_key: string }[])
        .map((row) => row.room_key)
    );
  }
}
