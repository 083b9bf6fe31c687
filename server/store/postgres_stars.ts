import type { StarStore, StoredStar } from "./mod.ts";
import type { PostgresContext } from "./postgres_context.ts";
import { type StarRow, toStar } from "./rows.ts";

/**
 * PostgresStore's stars (StarStore; postgres.ts lends it to the store):
 * one row per account and starred stream, one statement per change.
 */
export class PostgresStars implements StarStore {
  #context: PostgresContext;

  constructor(context: PostgresContext) {
    this.#context = context;
  }

  star(userKey: string, star: StoredStar, max: number): Promise<boolean> {
    return this.#context.run(async (sql) => {
      // One statement: a new row only while the account holds fewer than
      // max. Two nodes adding an account's last rows together may pass the
      // cap by one each: it bounds a flood, not a count to the row.
      const [{ kept }] = await sql<{ kept: boolean }[]>`
        WITH written AS (
          INSERT INTO stars (user_key, stream, with_name, created_at)
          SELECT ${userKey}, ${star.stream}, ${star.with ?? null},
            ${star.createdAt}
          WHERE (SELECT count(*) FROM stars WHERE user_key = ${userKey})
            < ${max}
          ON CONFLICT (user_key, stream) DO NOTHING
          RETURNING 1
        )
        SELECT EXISTS (SELECT 1 FROM written) OR EXISTS (
          SELECT 1 FROM stars
          WHERE user_key = ${userKey} AND stream = ${star.stream}) AS kept`;
      return kept;
    });
  }

  unstar(userKey: string, stream: string): Promise<void> {
    return this.#context.run(async (sql) => {
      await sql`DELETE FROM stars
        WHERE user_key = ${userKey} AND stream = ${stream}`;
    });
  }

  listStars(userKey: string): Promise<StoredStar[]> {
    return this.#context.run(async (sql) => {
      const rows = await sql<StarRow[]>`
        SELECT stream, with_name, created_at FROM stars
        WHERE user_key = ${userKey} ORDER BY stream COLLATE "C"`;
      return rows.map(toStar);
    });
  }
}
