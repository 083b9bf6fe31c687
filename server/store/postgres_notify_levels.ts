import {
  DEFAULT_NOTIFY_LEVEL,
  type NotificationStore,
  type NotifyLevel,
  type StoredNotifyLevel,
} from "./mod.ts";
import type { PostgresContext } from "./postgres_context.ts";
import { type NotifyLevelRow, toNotifyLevel } from "./rows.ts";

/**
 * PostgresStore's notification levels (NotificationStore; postgres.ts lends
 * it to the store): one row per account and stream not at the default, one
 * statement per change.
 */
export class PostgresNotifyLevels implements NotificationStore {
  #context: PostgresContext;

  constructor(context: PostgresContext) {
    this.#context = context;
  }

  setNotifyLevel(
    userKey: string,
    setting: StoredNotifyLevel,
    max: number,
  ): Promise<boolean> {
    return this.#context.run(async (sql) => {
      if (setting.level === DEFAULT_NOTIFY_LEVEL) {
        await sql`DELETE FROM notification_levels
          WHERE user_key = ${userKey} AND stream = ${setting.stream}`;
        return true;
      }
      // One statement: a new row only while the account holds fewer than
      // max. Two nodes adding an account's last rows together may pass the
      // cap by one each: it bounds a flood, not a count to the row.
      const written = await sql`
        INSERT INTO notification_levels
          (user_key, stream, with_name, level, updated_at)
        SELECT ${userKey}, ${setting.stream}, ${setting.with ?? null},
          ${setting.level}, ${setting.updatedAt}
        WHERE EXISTS (SELECT 1 FROM notification_levels
            WHERE user_key = ${userKey} AND stream = ${setting.stream})
          OR (SELECT count(*) FROM notification_levels
            WHERE user_key = ${userKey}) < ${max}
        ON CONFLICT (user_key, stream) DO UPDATE SET
          with_name = excluded.with_name, level = excluded.level,
          updated_at = excluded.updated_at`;
      return written.count > 0;
    });
  }

  listNotifyLevels(userKey: string): Promise<StoredNotifyLevel[]> {
    return this.#context.run(async (sql) => {
      const rows = await sql<NotifyLevelRow[]>`
        SELECT stream, with_name, level, updated_at FROM notification_levels
        WHERE user_key = ${userKey} ORDER BY stream COLLATE "C"`;
      return rows.map(toNotifyLevel);
    });
  }

  notifyLevel(userKey: string, stream: string): Promise<NotifyLevel> {
    return this.#context.run(async (sql) => {
      const [row] = await sql<{ level: NotifyLevel }[]>`
        SELECT level FROM notification_levels
        WHERE user_key = ${userKey} AND stream = ${stream}`;
      return row?.level ?? DEFAULT_NOTIFY_LEVEL;
    });
  }

  membersAtAll(roomKey: string): Promise<string[]> {
    return this.#context.run(async (sql) => {
      const rows = await sql<{ user_key: string }[]>`
        SELECT n.user_key FROM notification_levels n
        JOIN memberships m ON m.user_key = n.user_key AND m.room_key = n.stream
        WHERE n.stream = ${roomKey} AND n.level = 'all'`;
      return rows.map((row) => row.user_key);
    });
  }
}
