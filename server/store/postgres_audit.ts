import type { AuditEntry, AuditQuery, AuditStore } from "./mod.ts";
import type { PostgresContext } from "./postgres_context.ts";
import { type AuditRow, toAuditEntry } from "./rows.ts";

/**
 * PostgresStore's audit log of administration actions (postgres.ts lends
 * these methods to the store).
 */
export class PostgresAudit implements AuditStore {
  #context: PostgresContext;

  constructor(context: PostgresContext) {
    this.#context = context;
  }

  addAuditEntry(entry: Omit<AuditEntry, "id">): Promise<AuditEntry> {
    return this.#context.run(async (sql) => {
      const details = entry.details ? JSON.stringify(entry.details) : null;
      const [row] = await sql<AuditRow[]>`
        INSERT INTO audit_log
          (at, by_user, action, target, room, reason, address, details)
        VALUES (${entry.at}, ${entry.by}, ${entry.action},
          ${entry.target ?? null}, ${entry.room ?? null},
          ${entry.reason ?? null}, ${entry.address}, ${details}::jsonb)
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
