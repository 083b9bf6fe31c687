import type { StatementSync } from "node:sqlite";
import {
  DEFAULT_NOTIFY_LEVEL,
  type NotificationStore,
  type NotifyLevel,
  type StoredNotifyLevel,
} from "./mod.ts";
import { type NotifyLevelRow, toNotifyLevel } from "./rows.ts";
import type { SqliteContext } from "./sqlite_context.ts";

/**
 * The SQLite store's notification levels (NotificationStore), over the
 * store's connection: one row per account and stream not at the default.
 */
export class SqliteNotifyLevels implements NotificationStore {
  #q: (sql: string) => StatementSync;
  #run: <T>(step: () => T) => Promise<T>;
  #transaction: <T>(body: () => T) => T;

  constructor(context: SqliteContext) {
    this.#q = (sql) => context.q(sql);
    this.#run = (step) => context.run(step);
    this.#transaction = (body) => context.transaction(body);
  }

  setNotifyLevel(
    userKey: string,
    setting: StoredNotifyLevel,
    max: number,
  ): Promise<boolean> {
    return this.#run(() => {
      if (setting.level === DEFAULT_NOTIFY_LEVEL) {
        this.#q(
          "DELETE FROM notification_levels WHERE user_key = ? AND stream = ?",
        ).run(userKey, setting.stream);
        return true;
      }
      // The count and the write are one transaction: two devices setting
      // new levels together cannot pass the cap.
      return this.#transaction(() => {
        const { held, here } = this.#q(
          `SELECT count(*) AS held, count(*) FILTER (WHERE stream = ?) AS here
           FROM notification_levels WHERE user_key = ?`,
        ).get(setting.stream, userKey) as { held: number; here: number };
        if (here === 0 && held >= max) return false;
        this.#q(
          `INSERT INTO notification_levels
             (user_key, stream, with_name, level, updated_at)
           VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (user_key, stream) DO UPDATE SET
             with_name = excluded.with_name, level = excluded.level,
             updated_at = excluded.updated_at`,
        ).run(
          userKey,
          setting.stream,
          setting.with ?? null,
          setting.level,
          setting.updatedAt,
        );
        return true;
      });
    });
  }

  listNotifyLevels(userKey: string): Promise<StoredNotifyLevel[]> {
    return this.#run(() =>
      (this.#q(
        `SELECT stream, with_name, level, updated_at FROM notification_levels
         WHERE user_key = ? ORDER BY stream`,
      ).all(userKey) as unknown as NotifyLevelRow[]).map(toNotifyLevel)
    );
  }

  notifyLevel(userKey: string, stream: string): Promise<NotifyLevel> {
    return this.#run(() => {
      const row = this.#q(
        "SELECT level FROM notification_levels WHERE user_key = ? AND stream = ?",
      ).get(userKey, stream) as { level: NotifyLevel } | undefined;
      return row?.level ?? DEFAULT_NOTIFY_LEVEL;
    });
  }
}
