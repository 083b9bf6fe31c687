import type { LeasedTable } from "./leases.ts";
import type { SqliteContext } from "./sqlite_context.ts";

/**
 * The SQLite store's claim of due rows under a lease (leases.ts): up to
 * `limit` rows of `table` due at `now` and not held, oldest due first,
 * each leased until `until`. Read and leased in one transaction of the
 * one writer: a second claimer finds them held until the lease runs out.
 * A table with a holder skips the rows of holders that have one held.
 * The rows as read, before their lease.
 */
export function claimDue<T>(
  context: SqliteContext,
  claim: { table: LeasedTable; now: number; limit: number; until: number },
): Promise<T[]> {
  const { table, now, limit, until } = claim;
  // The holder's own index finds its few held rows (scheduled messages:
  // at most MAX_SCHEDULED an author).
  const free = table.holder === undefined ? "" : `AND NOT EXISTS (
    SELECT 1 FROM ${table.name} h WHERE h.${table.holder} = s.${table.holder}
      AND h.${table.lease} > ?)`;
  return context.run(() =>
    context.transaction(() => {
      const due = context.q(
        `SELECT ${table.columns.join(", ")} FROM ${table.name} s
         WHERE ${table.due} IS NOT NULL AND ${table.due} <= ?
           AND (${table.lease} IS NULL OR ${table.lease} <= ?) ${free}
         ORDER BY ${table.order} LIMIT ?`,
      ).all(
        now,
        now,
        ...(table.holder === undefined ? [] : [now]),
        limit,
      ) as Record<string, unknown>[];
      const lease = context.q(
        `UPDATE ${table.name} SET ${table.lease} = ?
         WHERE ${table.keys.map((key) => `${key} = ?`).join(" AND ")}`,
      );
      for (const row of due) {
        lease.run(until, ...table.keys.map((key) => row[key] as string));
      }
      return due as T[];
    })
  );
}
