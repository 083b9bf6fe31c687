import type { DraftStore, StoredDraft } from "./mod.ts";
import type { PostgresContext } from "./postgres_context.ts";
import { type DraftRow, toDraft } from "./rows.ts";

/**
 * PostgresStore's drafts (DraftStore; postgres.ts lends it to the store):
 * one row per account and stream, one statement per change.
 */
export class PostgresDrafts implements DraftStore {
  #context: PostgresContext;

  constructor(context: PostgresContext) {
    this.#context = context;
  }

  setDraft(userKey: string, draft: StoredDraft, max: number): Promise<boolean> {
    return this.#context.run(async (sql) => {
      if (draft.text === "") {
        await sql`DELETE FROM drafts
          WHERE user_key = ${userKey} AND stream = ${draft.stream}`;
        return true;
      }
      // One statement: a new row only while the account holds fewer than
      // max. Two nodes adding an account's last drafts together may pass
      // the cap by one each: it bounds a flood, not a count to the row.
      const written = await sql`
        INSERT INTO drafts (user_key, stream, with_name, text, updated_at)
        SELECT ${userKey}, ${draft.stream}, ${
        draft.with ?? null
      }, ${draft.text},
          ${draft.updatedAt}
        WHERE EXISTS (SELECT 1 FROM drafts
            WHERE user_key = ${userKey} AND stream = ${draft.stream})
          OR (SELECT count(*) FROM drafts WHERE user_key = ${userKey}) < ${max}
        ON CONFLICT (user_key, stream) DO UPDATE SET
          with_name = excluded.with_name, text = excluded.text,
          updated_at = excluded.updated_at`;
      return written.count > 0;
    });
  }

  listDrafts(userKey: string): Promise<StoredDraft[]> {
    return this.#context.run(async (sql) => {
      const rows = await sql<
        DraftRow[]
      >`SELECT stream, with_name, text, updated_at FROM drafts
        WHERE user_key = ${userKey} ORDER BY updated_at DESC, stream`;
      return rows.map(toDraft);
    });
  }
}
