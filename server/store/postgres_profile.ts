import type { ProfileStore, StoredProfile } from "./mod.ts";
import type { PostgresContext } from "./postgres_context.ts";

/**
 * PostgresStore's profile cards (ProfileStore; postgres.ts lends it to
 * the store): columns of the account's row, read by its key.
 */
export class PostgresProfile implements ProfileStore {
  #context: PostgresContext;

  constructor(context: PostgresContext) {
    this.#context = context;
  }

  setProfile(
    userKey: string,
    changes: Partial<StoredProfile>,
  ): Promise<boolean> {
    // As sqlite_profile.ts: a field left out keeps its column.
    return this.#context.run(async (sql) => {
      const written = await sql`
        UPDATE accounts SET
          profile_title = CASE WHEN ${changes.title !== undefined}
            THEN ${changes.title ?? null}::text ELSE profile_title END,
          profile_timezone = CASE WHEN ${changes.timezone !== undefined}
            THEN ${changes.timezone ?? null}::text ELSE profile_timezone END
        WHERE key = ${userKey}`;
      return written.count > 0;
    });
  }

  profile(userKey: string): Promise<StoredProfile | null> {
    return this.#context.run(async (sql) => {
      const [row] = await sql<StoredProfile[]>`
        SELECT profile_title AS title, profile_timezone AS timezone
        FROM accounts WHERE key = ${userKey}`;
      return row ? { title: row.title, timezone: row.timezone } : null;
    });
  }
}
