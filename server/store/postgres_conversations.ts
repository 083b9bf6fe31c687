import type {
  ConversationEntry,
  ConversationQuery,
  PrivateStore,
} from "./mod.ts";
import type { PostgresContext } from "./postgres_context.ts";
import { type ConversationRow, toConversationEntry } from "./rows.ts";

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
        SELECT with_key, with_name, last_seq, last_id, last_at, with_deleted_at
        FROM conversations
        WHERE user_key = ${userKey} AND last_at >= ${query.since}
          ${
        query.before === undefined ? sql`` : sql`AND last_id < ${query.before}`
      }
        ORDER BY last_id DESC LIMIT ${query.limit}`;
      return rows.map(toConversationEntry);
    });
  }
}
