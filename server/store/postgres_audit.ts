import type {
  AuditEntry,
  AuditQuery,
  AuditStore,
  NewAuditEntry,
} from "./mod.ts";
import type { PostgresContext } from "./postgres_context.ts";
import { type AuditRow, toAuditEntry } from "./rows.ts";
import type { Sql } from "./postgres_rows.ts";
import type { TransactionSql } from "postgres";

/**
 * PostgresStore's audit log of administration actions (postgres.ts lends
 * these methods to the store).
 */
export class PostgresAudit implements AuditStore {
  #context: PostgresContext;

  constructor(context: PostgresContext) {
    this.#context = context;
  }

  addAuditEntry(entry: NewAuditEntry): Promise<AuditEntry> {
    return this.#context.run(async (sql) => {
      const [row] = await sql<AuditRow[]>`
        INSERT INTO audit_log
          (at, by_user, action, target, room, reason, address, details)
        ${auditValues(sql, entry)}
        RETURNING *`;
      return toAuditEntry(row);
    });
  }

  auditLog(query: AuditQuery): Promise<AuditEntry[]> {
    return this.#context.run(async (sql) =>
      (await sql<AuditRow[]>`
        SELECT * FROM audit_log
        WHERE id < ${query.before ?? Number.MAX_SAFE_INTEGER}
        ORDER BY id DESC LIMIT ${query.limit}`).map(toAuditEntry)
    );
  }
}

/**
 * The entry as one row of an INSERT ... SELECT, typed (the columns do not
 * type a SELECT's parameters); a transaction's own INSERT takes it too.
 * `details` goes as sql.json, so the column holds an object
 * (`details ->> 'messages'` reads): a JSON.stringify'd text given for a
 * jsonb parameter is serialised once more by the driver and was stored as
 * a jsonb string (the migration after anon54's converts those rows).
 */
export function auditValues(
  sql: Sql | TransactionSql<{ bigint: number }>,
  entry: NewAuditEntry,
): ReturnType<Sql> {
  const details = entry.details ? sql.json(entry.details) : null;
  return sql`SELECT ${entry.at}::bigint, ${entry.by}::text,
    ${entry.action}::text, ${entry.target ?? null}::text,
    ${entry.room ?? null}::text, ${entry.reason ?? null}::text,
    ${entry.address}::text, ${details}::jsonb`;
}

/**
 * The audit entry of a statement's action, as one more step of its WITH
 * list (`, audited AS (...)`): written in the statement's transaction when
 * `done` (SQL over the statement's other steps) is true; nothing without
 * an entry. Each store call is one statement (postgres.ts), so this is how
 * an action and its entry commit together.
 */
export function auditStep(
  sql: Sql,
  entry: NewAuditEntry | undefined,
  done: ReturnType<Sql>,
): ReturnType<Sql> {
  if (entry === undefined) return sql``;
  return sql`, audited AS (
    INSERT INTO audit_log
      (at, by_user, action, target, room, reason, address, details)
    ${auditValues(sql, entry)}
    WHERE ${done}
  )`;
}
