import type postgres from "postgres";
import type { LeasedTable } from "./leases.ts";
import type { PostgresContext } from "./postgres_context.ts";

// The class of the advisory lock claims with a holder take ("clai"), one
// lock a table: their claims take turns across nodes.
const CLAIM_LOCK = 1668047209;

/**
 * PostgresStore's claim of due rows under a lease (leases.ts): up to
 * `limit` rows of `table` due at `now` and not held, the first due first,
 * each leased until `until`. One statement: the rows read are locked, the
 * ones another node holds skipped (it leases them), and each is leased as
 * it is answered, so nodes claiming at once never claim one twice in a
 * lease. A table with a holder skips the rows of holders that have one
 * held, and its claims take turns (a transaction-level advisory lock a
 * table, held for the one statement): in READ COMMITTED the statement
 * after the lock reads what the claim before it leased, and it waits for
 * rows another writer locks rather than skip them, as skipping a holder's
 * first row would send its second before it. The turn costs a claim's
 * statement at most once a sweep a node. The rows as leased, in no order.
 */
export function claimDue<T extends postgres.Row>(
  context: PostgresContext,
  claim: { table: LeasedTable; now: number; limit: number; until: number },
): Promise<T[]> {
  const { table, now, limit, until } = claim;
  const holder = table.holder;
  const statement = `WITH due AS (
       SELECT ${table.keys.join(", ")} FROM ${table.name} d
       WHERE ${table.due} IS NOT NULL AND ${table.due} <= $1
         AND (${table.lease} IS NULL OR ${table.lease} <= $1) ${
    holder === undefined ? "" : `AND NOT EXISTS (
         SELECT 1 FROM ${table.name} h WHERE h.${holder} = d.${holder}
           AND h.${table.lease} > $1)`
  }
       ORDER BY ${table.order} LIMIT $2
       FOR UPDATE ${holder === undefined ? "SKIP LOCKED" : ""})
     UPDATE ${table.name} s SET ${table.lease} = $3 FROM due
     WHERE ${table.keys.map((key) => `s.${key} = due.${key}`).join(" AND ")}
     RETURNING ${table.columns.map((column) => `s.${column}`).join(", ")}`;
  if (holder === undefined) {
    return context.run(async (sql) => [
      ...await sql.unsafe<T[]>(statement, [now, limit, until]),
    ]);
  }
  return context.run(async (sql) => {
    let rows: T[] = [];
    await sql.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(${CLAIM_LOCK}, hashtext(${table.name}))`;
      rows = [...await tx.unsafe<T[]>(statement, [now, limit, until])];
    });
    return rows;
  });
}
