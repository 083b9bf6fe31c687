import type { StatusStore, StoredStatus } from "./mod.ts";
import type { PostgresContext } from "./postgres_context.ts";

/**
 * PostgresStore's custom statuses (StatusStore; postgres.ts lends it to
 * the store): columns of the account's row, read by its key.
 */
export class PostgresStatus implements StatusStore {
  #context: PostgresContext;

  constructor(context: PostgresContext) {
    this.#context = context;
  }

  setStatus(
    userKey: string,
    status: Omit<StoredStatus, "userKey"> | null,
  ): Promise<boolean> {
    return this.#context.run(async (sql) => {
      const written = await sql`
        UPDATE accounts SET status_text = ${status?.text ?? null},
          status_emoji = ${status?.emoji ?? null},
          status_until = ${status?.until ?? null}
        WHERE key = ${userKey}`;
      return written.count > 0;
    });
  }

  statuses(userKeys: readonly string[]): Promise<StoredStatus[]> {
    return this.#context.run(async (sql) => {
      const rows = await sql<
        {
          key: string;
          text: string;
          emoji: string | null;
          until: number | null;
        }[]
      >`
        SELECT key, status_text AS text, status_emoji AS emoji,
          status_until AS until FROM accounts
        WHERE key = ANY(ARRAY(
          SELECT jsonb_array_elements_text(${sql.json([...userKeys])})))
        AND status_text IS NOT NULL ORDER BY key COLLATE "C"`;
      return rows.map((row) => ({
        userKey: row.key,
        text: row.text,
        emoji: row.emoji,
        until: row.until,
      }));
    });
  }
}
