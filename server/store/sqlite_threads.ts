import type { StatementSync } from "node:sqlite";
import type { ThreadReply, ThreadRow, ThreadStore } from "./mod.ts";
import type { SqliteContext } from "./sqlite_context.ts";

/**
 * The SQLite store's threads an account takes part in (ThreadStore), over
 * the store's connection: one row per account and root, a commit per
 * reply noted.
 */
export class SqliteThreads implements ThreadStore {
  #q: (sql: string) => StatementSync;
  #run: <T>(step: () => T) => Promise<T>;
  #transaction: <T>(body: () => T) => T;

  constructor(context: SqliteContext) {
    this.#q = (sql) => context.q(sql);
    this.#run = (step) => context.run(step);
    this.#transaction = (body) => context.transaction(body);
  }

  followThread(reply: ThreadReply): Promise<void> {
    return this.#run(() =>
      this.#transaction(() => {
        const add = this.#q(
          `INSERT INTO thread_follows (user_key, root_id, last_at)
           VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
        );
        for (const key of threadKeys(reply)) {
          add.run(key, reply.rootId, reply.at);
        }
        this.#q(
          `UPDATE thread_follows SET last_at = ?
           WHERE root_id = ? AND last_at < ?`,
        ).run(reply.at, reply.rootId, reply.at);
        if (reply.authorKey === undefined) return;
        this.#q(
          `UPDATE thread_follows SET last_read_seq = ?
           WHERE user_key = ? AND root_id = ? AND last_read_seq < ?`,
        ).run(reply.seq, reply.authorKey, reply.rootId, reply.seq);
      })
    );
  }

  markThreadRead(
    userKey: string,
    rootId: string,
    seq: number,
  ): Promise<boolean> {
    return this.#run(() =>
      Number(
        this.#q(
          `UPDATE thread_follows SET last_read_seq = ?
           WHERE user_key = ? AND root_id = ? AND last_read_seq < ?`,
        ).run(seq, userKey, rootId, seq).changes,
      ) > 0
    );
  }

  unfollowThread(userKey: string, rootId: string): Promise<boolean> {
    return this.#run(() =>
      Number(
        this.#q(
          "DELETE FROM thread_follows WHERE user_key = ? AND root_id = ?",
        ).run(userKey, rootId).changes,
      ) > 0
    );
  }

  listThreads(
    userKey: string,
    page: { before?: string; limit: number },
  ): Promise<ThreadRow[]> {
    return this.#run(() => {
      const rows = page.before === undefined
        ? this.#q(
          `SELECT root_id, last_at, last_read_seq FROM thread_follows
           WHERE user_key = ?
           ORDER BY last_at DESC, root_id DESC LIMIT ?`,
        ).all(userKey, page.limit)
        : this.#q(
          `SELECT t.root_id, t.last_at, t.last_read_seq FROM thread_follows t
           JOIN thread_follows b ON b.user_key = t.user_key AND b.root_id = ?
           WHERE t.user_key = ?
             AND (t.last_at, t.root_id) < (b.last_at, b.root_id)
           ORDER BY t.last_at DESC, t.root_id DESC LIMIT ?`,
        ).all(page.before, userKey, page.limit);
      return (rows as unknown as ThreadSqlRow[]).map(threadRow);
    });
  }
}

/** Whose rows a reply adds (both stores): its author's and its followers'. */
export function threadKeys(reply: ThreadReply): string[] {
  return [
    ...new Set([
      ...reply.authorKey === undefined ? [] : [reply.authorKey],
      ...reply.followers,
    ]),
  ];
}

/** A row of thread_follows as read. */
interface ThreadSqlRow {
  root_id: string;
  last_at: number | string;
  last_read_seq: number | string;
}

/** A row of thread_follows as the store answers it (both stores). */
export function threadRow(row: ThreadSqlRow): ThreadRow {
  return {
    id: row.root_id,
    lastAt: Number(row.last_at),
    lastReadSeq: Number(row.last_read_seq),
  };
}
