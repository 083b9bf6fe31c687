import type { StatementSync } from "node:sqlite";
import {
  DEFAULT_NOTIFY_LEVEL,
  type NotificationStore,
  type NotifyLevel,
  type StoredNotifyLevel,
} from "./mod.ts";
import { type NotifyLevelRow, toNotifyLevel } from "./rows.ts";
import type { SqliteContext } from "./sqlite_context.ts";
import { SqlitePlaceRows } from "./sqlite_place_rows.ts";

/**
 * The SQLite store's notification levels (NotificationStore), over the
 * store's connection: one row per account and stream not at the default.
 */
export class SqliteNotifyLevels implements NotificationStore {
  #q: (sql: string) => StatementSync;
  #run: <T>(step: () => T) => Promise<T>;
  #rows: SqlitePlaceRows;

  constructor(context: SqliteContext) {
    this.#q = (sql) => context.q(sql);
    this.#run = (step) => context.run(step);
    this.#rows = new SqlitePlaceRows(context, {
      name: "notification_levels",
      value: "level",
    });
  }

  setNotifyLevel(
    userKey: string,
    setting: StoredNotifyLevel,
    max: number,
  ): Promise<boolean> {
    return this.#run(() => {
      if (setting.level === DEFAULT_NOTIFY_LEVEL) {
        this.#rows.delete(userKey, setting.stream);
        return true;
      }
      return this.#rows.put(
        userKey,
        { ...setting, value: setting.level },
        max,
      ) === "written";
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

  membersAtAll(roomKey: string): Promise<string[]> {
    return this.#run(() =>
      (this.#q(
        `SELECT n.user_key FROM notification_levels n
         JOIN memberships m ON m.user_key = n.user_key AND m.room_key = n.stream
         WHERE n.stream = ? AND n.level = 'all'`,
      ).all(roomKey) as { user_key: string }[]).map((row) => row.user_key)
    );
  }
}
