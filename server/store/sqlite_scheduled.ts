import type { StatementSync } from "node:sqlite";
import type { ScheduledChange, ScheduledRow, ScheduledStore } from "./mod.ts";
import type { LeasedTable } from "./leases.ts";
import type { SqliteContext } from "./sqlite_context.ts";
import { claimDue } from "./sqlite_leases.ts";

/** A scheduled_messages row as both stores read it. */
export interface ScheduledSqlRow {
  id: string;
  user_key: string;
  room: string | null;
  room_key: string | null;
  to_name: string | null;
  text: string;
  attachments: string | { url: string }[] | null;
  reply_to: string | null;
  send_at: number | string;
  created_at: number | string;
}

const COLUMNS =
  "id, user_key, room, room_key, to_name, text, attachments, reply_to, send_at, created_at";

/** Scheduled messages, each claimed under a lease to be sent (leases.ts). */
export const SCHEDULED: LeasedTable = {
  name: "scheduled_messages",
  columns: COLUMNS.split(", "),
  keys: ["id"],
  due: "send_at",
  lease: "lease",
  order: "send_at, id",
  // An author's burst due at one time goes out in the order written.
  holder: "user_key",
};

/**
 * The SQLite store's scheduled messages (ScheduledStore), over the store's
 * connection: one row per message, a commit per change.
 */
export class SqliteScheduled implements ScheduledStore {
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

  addScheduled(row: ScheduledRow, max: number): Promise<"added" | "full"> {
    return this.#run(() =>
      this.#transaction(() => {
        // A range of the account's index, at most max rows, read in the
        // transaction that adds one: the cap is exact.
        const { n } = this.#q(
          "SELECT count(*) AS n FROM scheduled_messages WHERE user_key = ?",
        ).get(row.userKey) as { n: number };
        if (n >= max) return "full";
        this.#q(
          `INSERT INTO scheduled_messages (${COLUMNS})
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(
          row.id,
          row.userKey,
          row.room ?? null,
          row.roomKey ?? null,
          row.to ?? null,
          row.text,
          row.attachments === undefined
            ? null
            : JSON.stringify(row.attachments),
          row.replyTo ?? null,
          row.sendAt,
          row.createdAt,
        );
        return "added";
      })
    );
  }

  listScheduled(userKey: string): Promise<ScheduledRow[]> {
    return this.#run(() =>
      (this.#q(
        `SELECT ${COLUMNS} FROM scheduled_messages WHERE user_key = ?
         ORDER BY send_at, id`,
      ).all(userKey) as unknown as ScheduledSqlRow[]).map(scheduledRow)
    );
  }

  updateScheduled(
    userKey: string,
    id: string,
    change: ScheduledChange,
    now: number,
  ): Promise<ScheduledRow | undefined> {
    return this.#run(() => {
      const row = this.#q(
        `UPDATE scheduled_messages
         SET text = coalesce(?, text), send_at = coalesce(?, send_at)
         WHERE id = ? AND user_key = ? AND (lease IS NULL OR lease <= ?)
         RETURNING ${COLUMNS}`,
      ).get(
        change.text ?? null,
        change.sendAt ?? null,
        id,
        userKey,
        now,
      ) as ScheduledSqlRow | undefined;
      return row === undefined ? undefined : scheduledRow(row);
    });
  }

  cancelScheduled(userKey: string, id: string, now: number): Promise<boolean> {
    return this.#run(() =>
      Number(
        this.#q(
          `DELETE FROM scheduled_messages
           WHERE id = ? AND user_key = ? AND (lease IS NULL OR lease <= ?)`,
        ).run(id, userKey, now).changes,
      ) > 0
    );
  }

  claimDueScheduled(
    now: number,
    limit: number,
    until: number,
  ): Promise<ScheduledRow[]> {
    return claimDue<ScheduledSqlRow>(this.#context, {
      table: SCHEDULED,
      now,
      limit,
      until,
    }).then((due) => due.map(scheduledRow));
  }

  confirmScheduled(userKey: string, id: string): Promise<boolean> {
    return this.#run(() =>
      Number(
        this.#q(
          "DELETE FROM scheduled_messages WHERE id = ? AND user_key = ?",
        ).run(id, userKey).changes,
      ) > 0
    );
  }
}

/** A row of either store as a ScheduledRow: absent fields left out. */
export function scheduledRow(row: ScheduledSqlRow): ScheduledRow {
  const attachments = typeof row.attachments === "string"
    ? JSON.parse(row.attachments) as { url: string }[]
    : row.attachments;
  return {
    id: row.id,
    userKey: row.user_key,
    ...(row.room === null ? {} : { room: row.room }),
    ...(row.room_key === null ? {} : { roomKey: row.room_key }),
    ...(row.to_name === null ? {} : { to: row.to_name }),
    text: row.text,
    ...(attachments === null ? {} : { attachments }),
    ...(row.reply_to === null ? {} : { replyTo: row.reply_to }),
    sendAt: Number(row.send_at),
    createdAt: Number(row.created_at),
  };
}
