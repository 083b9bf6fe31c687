import type {
  ConversationEntry,
  ConversationQuery,
  PrivateStore,
} from "./mod.ts";
import type { PostgresContext } from "./postgres_context.ts";

/** A row of `conversations` (postgres_schema.ts). */
interface ConversationRow {
  with_key: string;
  with_name: string;
  last_seq: number;
  last_id: string;
  last_at: number;
}

/**
 * PostgresStore's list of an account's private conversations (part of
 * PrivateStore; postgres.ts lends it to the store). The rows are written
 * by a trigger with each private message; this only reads them.
 */
export class PostgresConversations
  implements Pick<PrivateStore, "listConversations"> {
  #context: PostgresContext;

  constructor(context: PostgresContext) {
    this.#context = context;
  }

  listConversations(
    userKey: string,
    query: ConversationQuery,
  ): Promise<ConversationEntry[]> {
    return this.#context.run(async (sql) => {
      // One range of conversations_recent, read backwards from the cursor
      // (last_id sorts as bytes, as ULIDs do). A former holder's rows
      // (older than `since`) are skipped there: few.
      const rows = await sql<ConversationRow[]>`
        SELECT with_key, with_name, last_seq, last_id, last_at
        FROM conversations
        WHERE user_key = ${userKey} AND last_at >= ${query.since}
          ${
        query.before === undefined ? sql`` : sql`AND last_id < ${query.before}`
      }
        ORDER BY last_id DESC LIMIT ${query.limit}`;
      return rows.map((row) => ({
        withKey: row.with_key,
        with: row.with_name,
        lastSeq: Number(row.last_seq),
        lastId: row.last_id,
        lastAt: Number(row.last_at),
      }));
    });
  }
}
