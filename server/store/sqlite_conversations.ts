import type { StatementSync } from "node:sqlite";
import type {
  ConversationEntry,
  ConversationQuery,
  PrivateStore,
} from "./mod.ts";
import { type ConversationRow, toConversationEntry } from "./rows.ts";
import type { SqliteContext } from "./sqlite_context.ts";

/**
 * The SQLite store's list of an account's private conversations (part of
 * PrivateStore), over the store's connection. The rows are written by a
 * trigger with each private message; this only reads them.
 */
export class SqliteConversations
  implements Pick<PrivateStore, "listConversations"> {
  #q: (sql: string) => StatementSync;
  #run: <T>(step: () => T) => Promise<T>;

  constructor(context: SqliteContext) {
    this.#q = (sql) => context.q(sql);
    this.#run = (step) => context.run(step);
  }

  listConversations(
    userKey: string,
    query: ConversationQuery,
  ): Promise<ConversationEntry[]> {
    return this.#run(() => {
      // One range of conversations_recent, read backwards from the cursor.
      // A former holder's rows (older than `since`) are skipped there: few.
      const rows = (query.before === undefined
        ? this.#q(
          `SELECT with_key, with_name, last_seq, last_id, last_at,
             with_deleted_at
           FROM conversations WHERE user_key = ? AND last_at >= ?
           ORDER BY last_id DESC LIMIT ?`,
        ).all(userKey, query.since, query.limit)
        : this.#q(
          `SELECT with_key, with_name, last_seq, last_id, last_at,
             with_deleted_at
           FROM conversations
           WHERE user_key = ? AND last_id < ? AND last_at >= ?
           ORDER BY last_id DESC LIMIT ?`,
        ).all(
          userKey,
          query.before,
          query.since,
          query.limit,
        )) as unknown as ConversationRow[];
      return rows.map(toConversationEntry);
    });
  }
}
