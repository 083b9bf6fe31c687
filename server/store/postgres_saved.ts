import type { DueReminder, SavedRow, SavedStore, SaveResult } from "./mod.ts";
import type { PostgresContext } from "./postgres_context.ts";
import { claimDue } from "./postgres_leases.ts";
import {
  dueReminder,
  type DueSqlRow,
  REMINDERS,
  savedRow,
} from "./sqlite_saved.ts";

type SavedSqlRow = {
  message_id: string;
  saved_at: string;
  remind_at: string | null;
};

/**
 * PostgresStore's saved messages (SavedStore; postgres.ts lends it to the
 * store): one row per account and message, one statement per change.
 */
export class PostgresSaved implements SavedStore {
  #context: PostgresContext;

  constructor(context: PostgresContext) {
    this.#context = context;
  }

  saveMessage(
    userKey: string,
    id: string,
    at: number,
    max: number,
  ): Promise<SaveResult> {
    return this.#context.run(async (sql) => {
      // Counted and written under a lock on the account's name
      // (chat_save_message): the cap is exact across nodes.
      const [row] = await sql<{ result: SaveResult }[]>`
        SELECT chat_save_message(${userKey}, ${id}, ${at}, ${max}) AS result`;
      return row.result;
    });
  }

  unsaveMessage(userKey: string, id: string): Promise<boolean> {
    return this.#context.run(async (sql) => {
      const gone = await sql`DELETE FROM saved_messages
        WHERE user_key = ${userKey} AND message_id = ${id}`;
      return gone.count > 0;
    });
  }

  listSaved(
    userKey: string,
    page: { before?: string; beforeSavedAt?: number; limit: number },
  ): Promise<SavedRow[]> {
    return this.#context.run(async (sql) => {
      const rows = page.before === undefined
        ? await sql<SavedSqlRow[]>`
          SELECT message_id, saved_at,
            CASE WHEN remind_lease IS NULL THEN remind_at END AS remind_at
          FROM saved_messages
          WHERE user_key = ${userKey}
          ORDER BY saved_at DESC, message_id COLLATE "C" DESC
          LIMIT ${page.limit}`
        : page.beforeSavedAt !== undefined
        ? await sql<SavedSqlRow[]>`
          SELECT message_id, saved_at,
            CASE WHEN remind_lease IS NULL THEN remind_at END AS remind_at
          FROM saved_messages
          WHERE user_key = ${userKey}
            AND (saved_at < ${page.beforeSavedAt}
              OR (saved_at = ${page.beforeSavedAt}
                AND message_id COLLATE "C" < ${page.before} COLLATE "C"))
          ORDER BY saved_at DESC, message_id COLLATE "C" DESC
          LIMIT ${page.limit}`
        : await sql<SavedSqlRow[]>`
          SELECT s.message_id, s.saved_at,
            CASE WHEN s.remind_lease IS NULL THEN s.remind_at END AS remind_at
          FROM saved_messages s
          JOIN saved_messages b
            ON b.user_key = s.user_key AND b.message_id = ${page.before}
          WHERE s.user_key = ${userKey}
            AND (s.saved_at < b.saved_at OR (s.saved_at = b.saved_at
              AND s.message_id COLLATE "C" < b.message_id COLLATE "C"))
          ORDER BY s.saved_at DESC, s.message_id COLLATE "C" DESC
          LIMIT ${page.limit}`;
      return rows.map(savedRow);
    });
  }

  setReminder(
    userKey: string,
    id: string,
    remindAt: number | null,
  ): Promise<boolean> {
    return this.#context.run(async (sql) => {
      const changed = await sql`UPDATE saved_messages
        SET remind_at = ${remindAt}, remind_lease = NULL
        WHERE user_key = ${userKey} AND message_id = ${id}
          AND remind_at IS DISTINCT FROM ${remindAt}::bigint`;
      return changed.count > 0;
    });
  }

  claimDueReminders(
    now: number,
    limit: number,
    until: number,
  ): Promise<DueReminder[]> {
    return claimDue<DueSqlRow>(this.#context, {
      table: REMINDERS,
      now,
      limit,
      until,
    }).then((due) => due.map(dueReminder));
  }

  confirmReminder(
    userKey: string,
    id: string,
    remindAt: number,
  ): Promise<boolean> {
    return this.#context.run(async (sql) => {
      const changed = await sql`UPDATE saved_messages
        SET remind_at = NULL, remind_lease = NULL
        WHERE user_key = ${userKey} AND message_id = ${id}
          AND remind_at = ${remindAt}`;
      return changed.count > 0;
    });
  }
}
