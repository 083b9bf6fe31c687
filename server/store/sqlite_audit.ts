import type { StatementSync } from "node:sqlite";
import type {
  AuditEntry,
  AuditQuery,
  AuditStore,
  NewAuditEntry,
} from "./mod.ts";
import { type AuditRow, toAuditEntry } from "./rows.ts";
import type { SqliteContext } from "./sqlite_context.ts";

/**
 * The SQLite store's audit log (AuditStore): what moderators and admins
 * did, over the store's connection.
 */
export class SqliteAudit implements AuditStore {
  #q: (sql: string) => StatementSync;
  #run: <T>(step: () => T) => Promise<T>;

  constructor(context: SqliteContext) {
    this.#q = (sql) => context.q(sql);
    this.#run = (step) => context.run(step);
  }

  addAuditEntry(entry: NewAuditEntry): Promise<AuditEntry> {
    return this.#run(() => writeAuditEntry(this.#q, entry));
  }

  auditLog(query: AuditQuery): Promise<AuditEntry[]> {
    return this.#run(() =>
      (this.#q(
        `SELECT * FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT ?`,
      ).all(
        query.before ?? Number.MAX_SAFE_INTEGER,
        query.limit,
      ) as unknown as AuditRow[]).map(toAuditEntry)
    );
  }
}

/**
 * Writes an audit entry over the store's connection: inside the
 * transaction of the action it describes (the store methods that take an
 * `audit`), or alone.
 */
export function writeAuditEntry(
  q: (sql: string) => StatementSync,
  entry: NewAuditEntry,
): AuditEntry {
  const row = q(
    `INSERT INTO audit_log
       (at, by_user, action, target, room, reason, address, details)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
  ).get(
    entry.at,
    entry.by,
    entry.action,
    entry.target ?? null,
    entry.room ?? null,
    entry.reason ?? null,
    entry.address,
    entry.details ? JSON.stringify(entry.details) : null,
  ) as unknown as AuditRow;
  return toAuditEntry(row);
}

/**
 * Runs `step` and, when it says it was done, writes `audit`: one
 * transaction on the store's thread, so no crash leaves the change
 * without its entry.
 */
export function runAudited(
  context: SqliteContext,
  step: () => boolean,
  audit: NewAuditEntry | undefined,
): Promise<boolean> {
  return context.run(() =>
    context.transaction(() => {
      const done = step();
      if (done && audit) writeAuditEntry((sql) => context.q(sql), audit);
      return done;
    })
  );
}
