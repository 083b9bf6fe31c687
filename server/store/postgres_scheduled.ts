import type { ScheduledChange, ScheduledRow, ScheduledStore } from "./mod.ts";
import type { PostgresContext } from "./postgres_context.ts";
import { claimDue } from "./postgres_leases.ts";
import {
  SCHEDULED,
  scheduledRow,
  type ScheduledSqlRow,
} from "./sqlite_scheduled.ts";

/**
 * PostgresStore's scheduled messages (ScheduledStore; postgres.ts lends it
 * to the store): one row per message, one statement per change but the
 * capped add.
 */
export class PostgresScheduled implements ScheduledStore {
  #context: PostgresContext;

  constructor(context: PostgresContext) {
    this.#context = context;
  }

  addScheduled(row: ScheduledRow, max: number): Promise<"added" | "full"> {
    return this.#context.run((sql) =>
      // Counted and written under a lock on the account's key, so the cap
      // is exact across nodes (the lock ends with the transaction).
      sql.begin(async (tx) => {
        await tx`SELECT pg_advisory_xact_lock(1935894629, hashtext(${row.userKey}))`;
        const [{ n }] = await tx<{ n: string }[]>`
          SELECT count(*) AS n FROM scheduled_messages
          WHERE user_key = ${row.userKey}`;
        if (Number(n) >= max) return "full" as const;
        await tx`INSERT INTO scheduled_messages (id, user_key, room, room_key,
            to_name, text, attachments, reply_to, send_at, created_at)
          VALUES (${row.id}, ${row.userKey}, ${row.room ?? null},
            ${row.roomKey ?? null}, ${row.to ?? null}, ${row.text},
            ${
          row.attachments === undefined ? null : tx.json(row.attachments)
        }, ${row.replyTo ?? null}, ${row.sendAt}, ${row.createdAt})`;
        return "added" as const;
      })
    );
  }

  listScheduled(userKey: string): Promise<ScheduledRow[]> {
    return this.#context.run(async (sql) => {
      const rows = await sql<ScheduledSqlRow[]>`
        SELECT * FROM scheduled_messages WHERE user_key = ${userKey}
        ORDER BY send_at, id COLLATE "C"`;
      return rows.map(scheduledRow);
    });
  }

  updateScheduled(
    userKey: string,
    id: string,
    change: ScheduledChange,
    now: number,
  ): Promise<ScheduledRow | undefined> {
    return this.#context.run(async (sql) => {
      const [row] = await sql<ScheduledSqlRow[]>`
        UPDATE scheduled_messages
        SET text = coalesce(${change.text ?? null}::text, text),
          send_at = coalesce(${change.sendAt ?? null}::bigint, send_at)
        WHERE id = ${id} AND user_key = ${userKey}
          AND (lease IS NULL OR lease <= ${now})
        RETURNING *`;
      return row === undefined ? undefined : scheduledRow(row);
    });
  }

  cancelScheduled(userKey: string, id: string, now: number): Promise<boolean> {
    return this.#context.run(async (sql) => {
      const gone = await sql`DELETE FROM scheduled_messages
        WHERE id = ${id} AND user_key = ${userKey}
          AND (lease IS NULL OR lease <= ${now})`;
      return gone.count > 0;
    });
  }

  claimDueScheduled(
    now: number,
    limit: number,
    until: number,
  ): Promise<ScheduledRow[]> {
    return claimDue<ScheduledSqlRow>(this.#context, {
      // Ids in byte order, as SQLite's.
      table: { ...SCHEDULED, order: 'send_at, id COLLATE "C"' },
      now,
      limit,
      until,
    }).then((due) =>
      due.map(scheduledRow).sort((a, b) =>
        a.sendAt - b.sendAt || (a.id < b.id ? -1 : 1)
      )
    );
  }

  confirmScheduled(userKey: string, id: string): Promise<boolean> {
    return this.#context.run(async (sql) => {
      const gone = await sql`DELETE FROM scheduled_messages
        WHERE id = ${id} AND user_key = ${userKey}`;
      return gone.count > 0;
    });
  }
}
