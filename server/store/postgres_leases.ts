import type postgres from "postgres";
import type { LeasedTable } from "./leases.ts";
import type { PostgresContext } from "./postgres_context.ts";

/**
 * PostgresStore's claim of due rows under a lease (leases.ts): up to
 * `limit` rows of `table` due at `now` and not held, the first due first,
 * each leased until `until`. One statement: the rows read are locked, the
 * ones another node holds skipped (it leases them), and each is leased as
 * it is answered, so nodes claiming at once never claim one twice in a
 * lease. The rows as leased, in no order.
 */
export function claimDue<T extends postgres.Row>(
  context: PostgresContext,
  claim: { table: LeasedTable; now: number; limit: number; until: number },
): Promise<T[]> {
  const { table, now, limit, until } = claim;
  return context.run(async (sql) => [
    ...await sql.unsafe<T[]>(
      `WITH due AS (
         SELECT ${table.keys.join(", ")} FROM ${table.name}
         WHERE ${table.due} IS NOT NULL AND ${table.due} <= $1
           AND (${table.lease} IS NULL OR ${table.lease} <= $1)
         ORDER BY ${table.order} LIMIT $2
         FOR UPDATE SKIP LOCKED)
       UPDATE ${table.name} s SET ${table.lease} = $3 FROM due
       WHERE ${table.keys.map((key) => `s.${key} = due.${key}`).join(" AND ")}
       RETURNING ${table.columns.map((column) => `s.${column}`).join(", ")}`,
      [now, limit, until],
    ),
  ]);
}
