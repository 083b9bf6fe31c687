import type { StatementSync } from "node:sqlite";
import type { DueReminder, SavedRow, SavedStore, SaveResult } from "./mod.ts";
import type { LeasedTable } from "./leases.ts";
import type { SqliteContext } from "./sqlite_context.ts";
import { claimDue } from "./sqlite_leases.ts";

/** Saved messages' reminders, claimed under a lease (leases.ts). */
export const REMINDERS: LeasedTable = {
  name: "saved_messages",
  columns: ["user_key", "message_id", "saved_at", "remind_at"],
  keys: ["user_key", "message_id"],
  due: "remind_at",
  lease: "remind_lease",
  order: "remind_at",
};

/**
 * The SQLite store's saved messages (SavedStore), over the store's
 * connection: one row per account and message, a commit per change.
 */
export class SqliteSaved implements SavedStore {
  #q: (sql: string) => StatementSync;
  #run: <T>(step: () => T) => Promise<T>;
  #transaction: <T>(body: () => T) => T;
  #context: SqliteContext;

  constructor(context: SqliteContext) {
    this.#context = context;
    this.#q = (sql) => context.q(sql);
    this.#run = (step) => context.run(step);
    this.#transaction = (body) => context.transaction(body);
  }

  saveMessage(
    userKey: string,
    id: string,
    at: number,
    max: number,
  ): Promise<SaveResult> {
    return this.#run(() =>
      this.#transaction((): SaveResult => {
        const kept = this.#q(
          "SELECT 1 FROM saved_messages WHERE user_key = ? AND message_id = ?",
        ).get(userKey, id);
        if (kept) return "kept";
        // A count of the account's range of the primary key: at most max
        // rows, read in the transaction that adds one, so the cap is exact.
        const { n } = this.#q(
          "SELECT count(*) AS n FROM saved_messages WHERE user_key = ?",
        ).get(userKey) as { n: number };
        if (n >= max) return "full";
        this.#q(
          `INSERT INTO saved_messages (user_key, message_id, saved_at)
           VALUES (?, ?, ?)`,
        ).run(userKey, id, at);
        return "added";
      })
    );
  }

  unsaveMessage(userKey: string, id: string): Promise<boolean> {
    return this.#run(() =>
      Number(
        this.#q(
          "DELETE FROM saved_messages WHERE user_key = ? AND message_id = ?",
        ).run(userKey, id).changes,
      ) > 0
    );
  }

  listSaved(
    userKey: string,
    page: { before?: string; beforeSavedAt?: number; limit: number },
  ): Promise<SavedRow[]> {
    return this.#run(() => {
      const rows = page.before === undefined
        ? this.#q(
          `SELECT message_id, saved_at,
             CASE WHEN remind_lease IS NULL THEN remind_at END AS remind_at
           FROM saved_messages
           WHERE user_key = ?
           ORDER BY saved_at DESC, message_id DESC LIMIT ?`,
        ).all(userKey, page.limit)
        : page.beforeSavedAt !== undefined
        ? this.#q(
          `SELECT message_id, saved_at,
             CASE WHEN remind_lease IS NULL THEN remind_at END AS remind_at
           FROM saved_messages
           WHERE user_key = ? AND (saved_at, message_id) < (?, ?)
           ORDER BY saved_at DESC, message_id DESC LIMIT ?`,
        ).all(userKey, page.beforeSavedAt, page.before, page.limit)
        : this.#q(
          `SELECT s.message_id, s.saved_at,
             CASE WHEN s.remind_lease IS NULL THEN s.remind_at END AS remind_at
           FROM saved_messages s
           JOIN saved_messages b
             ON b.user_key = s.user_key AND b.message_id = ?
           WHERE s.user_key = ?
             AND (s.saved_at, s.message_id) < (b.saved_at, b.message_id)
           ORDER BY s.saved_at DESC, s.message_id DESC LIMIT ?`,
        ).all(page.before, userKey, page.limit);
      return (rows as unknown as SavedSqlRow[]).map(savedRow);
    });
  }

  setReminder(
    userKey: string,
    id: string,
    remindAt: number | null,
  ): Promise<boolean> {
    return this.#run(() =>
      Number(
        this.#q(
          `UPDATE saved_messages SET remind_at = ?, remind_lease = NULL
           WHERE user_key = ? AND message_id = ? AND remind_at IS NOT ?`,
        ).run(remindAt, userKey, id, remindAt).changes,
      ) > 0
    );
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
    return this.#run(() =>
      Number(
        this.#q(
          `UPDATE saved_messages SET remind_at = NULL, remind_lease = NULL
           WHERE user_key = ? AND message_id = ? AND remind_at = ?`,
        ).run(userKey, id, remindAt).changes,
      ) > 0
    );
  }
}

interface SavedSqlRow {
  message_id: string;
  saved_at: number;
  remind_at: number | null;
}

/** A claimed reminder's row, as both stores read it. */
export interface DueSqlRow {
  user_key: string;
  message_id: string;
  saved_at: number | string;
  remind_at: number | string;
}

/** A claimed reminder's row as a DueReminder. */
export function dueReminder(row: DueSqlRow): DueReminder {
  return {
    userKey: row.user_key,
    id: row.message_id,
    savedAt: Number(row.saved_at),
    remindAt: Number(row.remind_at),
  };
}

/** A row as SavedRow: `remindAt` only while one is set. */
export function savedRow(
  row: {
    message_id: string;
    saved_at: number | string;
    remind_at: number | string | null;
  },
): SavedRow {
  return {
    id: row.message_id,
    savedAt: Number(row.saved_at),
    ...(row.remind_at === null ? {} : { remindAt: Number(row.remind_at) }),
  };
}
