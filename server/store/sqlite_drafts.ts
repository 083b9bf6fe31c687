import type { StatementSync } from "node:sqlite";
import type { DraftStore, DraftWrite, StoredDraft } from "./mod.ts";
import { type DraftRow, toDraft } from "./rows.ts";
import type { SqliteContext } from "./sqlite_context.ts";
import { SqlitePlaceRows } from "./sqlite_place_rows.ts";

/**
 * The SQLite store's drafts (DraftStore), over the store's connection: one
 * row per account and stream, a commit per change.
 */
export class SqliteDrafts implements DraftStore {
  #q: (sql: string) => StatementSync;
  #run: <T>(step: () => T) => Promise<T>;
  #rows: SqlitePlaceRows;

  constructor(context: SqliteContext) {
    this.#q = (sql) => context.q(sql);
    this.#run = (step) => context.run(step);
    this.#rows = new SqlitePlaceRows(context, {
      name: "drafts",
      value: "text",
    });
  }

  setDraft(
    userKey: string,
    draft: StoredDraft,
    max: number,
    maxCharacters?: number,
  ): Promise<DraftWrite> {
    return this.#run(() => {
      if (draft.text === "") {
        this.#rows.delete(userKey, draft.stream);
        return "written";
      }
      return this.#rows.put(
        userKey,
        { ...draft, value: draft.text },
        max,
        maxCharacters,
      );
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
