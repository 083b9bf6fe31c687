import type { StatementSync } from "node:sqlite";
import type { DraftStore, StoredDraft } from "./mod.ts";
import { type DraftRow, toDraft } from "./rows.ts";
import type { SqliteContext } from "./sqlite_context.ts";

/**
 * The SQLite store's drafts (DraftStore), over the store's connection: one
 * row per account and stream, a commit per change.
 */
export class SqliteDrafts implements DraftStore {
  #q: (sql: string) => StatementSync;
  #run: <T>(step: () => T) => Promise<T>;
  #transaction: <T>(body: () => T) => T;

  constructor(context: SqliteContext) {
    this.#q = (sql) => context.q(sql);
    this.#run = (step) => context.run(step);
    this.#transaction = (body) => context.transaction(body);
  }

  setDraft(userKey: string, draft: StoredDraft, max: number): Promise<boolean> {
    return this.#run(() => {
      if (draft.text === "") {
        this.#q("DELETE FROM drafts WHERE user_key = ? AND stream = ?").run(
          userKey,
          draft.stream,
        );
        return true;
      }
      // The count and the write are one transaction: two devices setting
      // new drafts together cannot pass the cap.
      return this.#transaction(() => {
        const { held, here } = this.#q(
          `SELECT count(*) AS held, count(*) FILTER (WHERE stream = ?) AS here
           FROM drafts WHERE user_key = ?`,
        ).get(draft.stream, userKey) as { held: number; here: number };
        if (here === 0 && held >= max) return false;
        this.#q(
          `INSERT INTO drafts (user_key, stream, with_name, text, updated_at)
           VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (user_key, stream) DO UPDATE SET
             with_name = excluded.with_name, text = excluded.text,
             updated_at = excluded.updated_at`,
        ).run(
          userKey,
          draft.stream,
          draft.with ?? null,
          draft.text,
          draft.updatedAt,
        );
        return true;
      });
    });
  }

  listDrafts(userKey: string): Promise<StoredDraft[]> {
    return this.#run(() =>
      (this.#q(
        `SELECT stream, with_name, text, updated_at FROM drafts
         WHERE user_key = ? ORDER BY updated_at DESC, stream`,
      ).all(userKey) as unknown as DraftRow[]).map(toDraft)
    );
  }
}
