import type { ThreadReply, ThreadRow, ThreadStore } from "./mod.ts";
import type { PostgresContext } from "./postgres_context.ts";
import { threadKeys, threadRow } from "./sqlite_threads.ts";

/**
 * PostgresStore's threads an account takes part in (ThreadStore;
 * postgres.ts lends it to the store): one row per account and root, one
 * statement per change.
 */
export class PostgresThreads implements ThreadStore {
  #context: PostgresContext;

  constructor(context: PostgresContext) {
    this.#context = context;
  }

  followThread(reply: ThreadReply): Promise<void> {
    const keys = threadKeys(reply);
    return this.#context.run(async (sql) => {
      // Two statements, each safe to run again: the new rows, then every
      // row of the thread moved to `at` and the author's read mark.
      await sql`
        INSERT INTO thread_follows (user_key, root_id, last_at)
        SELECT k, ${reply.rootId}, ${reply.at}
        FROM jsonb_array_elements_text(${sql.json(keys)}) k
        ON CONFLICT DO NOTHING`;
      await sql`
        UPDATE thread_follows SET
          last_at = GREATEST(last_at, ${reply.at}),
          last_read_seq = CASE WHEN user_key = ${reply.authorKey ?? null}
            THEN GREATEST(last_read_seq, ${reply.seq}) ELSE last_read_seq END
        WHERE root_id = ${reply.rootId}`;
    });
  }

  markThreadRead(
    userKey: string,
    rootId: string,
    seq: number,
  ): Promise<boolean> {
    return this.#context.run(async (sql) => {
      const done = await sql`UPDATE thread_follows SET last_read_seq = ${seq}
        WHERE user_key = ${userKey} AND root_id = ${rootId}
          AND last_read_seq < ${seq}`;
      return done.count > 0;
    });
  }

  unfollowThread(userKey: string, rootId: string): Promise<boolean> {
    return this.#context.run(async (sql) => {
      const gone = await sql`DELETE FROM thread_follows
        WHERE user_key = ${userKey} AND root_id = ${rootId}`;
      return gone.count > 0;
    });
  }

  listThreads(
    userKey: string,
    page: { before?: string; limit: number },
  ): Promise<ThreadRow[]> {
    type Row = { root_id: string; last_at: string; last_read_seq: string };
    return this.#context.run(async (sql) => {
      const rows = page.before === undefined
        ? await sql<Row[]>`
          SELECT root_id, last_at, last_read_seq FROM thread_follows
          WHERE user_key = ${userKey}
          ORDER BY last_at DESC, root_id COLLATE "C" DESC
          LIMIT ${page.limit}`
        : await sql<Row[]>`
          SELECT t.root_id, t.last_at, t.last_read_seq FROM thread_follows t
          JOIN thread_follows b
            ON b.user_key = t.user_key AND b.root_id = ${page.before}
          WHERE t.user_key = ${userKey}
            AND (t.last_at < b.last_at OR (t.last_at = b.last_at
              AND t.root_id COLLATE "C" < b.root_id COLLATE "C"))
          ORDER BY t.last_at DESC, t.root_id COLLATE "C" DESC
          LIMIT ${page.limit}`;
      return rows.map(threadRow);
    });
  }
}
