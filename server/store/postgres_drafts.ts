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
      // Counted and written under a lock on the account's name
      // (chat_set_draft): the cap is exact across nodes.
      const [row] = await sql<{ written: boolean }[]>`
        SELECT chat_set_draft(${userKey}, ${draft.stream}, ${
        draft.with ?? null
      }, ${draft.text}, ${draft.updatedAt}, ${max}) AS written`;
      return row.written;
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
