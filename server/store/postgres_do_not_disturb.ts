import type { DoNotDisturbStore } from "./mod.ts";
import type { PostgresContext } from "./postgres_context.ts";

/**
 * PostgresStore's "do not disturb" (DoNotDisturbStore; postgres.ts lends it
 * to the store): a column of the account's row, read by its key.
 */
export class PostgresDoNotDisturb implements DoNotDisturbStore {
  #context: PostgresContext;

  constructor(context: PostgresContext) {
    this.#context = context;
  }

  setDoNotDisturb(userKey: string, until: number | null): Promise<boolean> {
    return this.#context.run(async (sql) => {
      const written = await sql`
        UPDATE accounts SET do_not_disturb_until = ${until}
        WHERE key = ${userKey}`;
      return written.count > 0;
    });
  }

  doNotDisturb(userKey: string): Promise<number | null> {
    return this.#context.run(async (sql) => {
      const [row] = await sql<{ until: number | null }[]>`
        SELECT do_not_disturb_until AS until FROM accounts
        WHERE key = ${userKey}`;
      return row?.until ?? null;
    });
  }
}
