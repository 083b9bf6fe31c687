import type { DraftStore, DraftWrite, StoredDraft } from "./mod.ts";
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

  setDraft(
    userKey: string,
    draft: StoredDraft,
    max: number,
    maxCharacters = Infinity,
  ): Promise<DraftWrite> {
    return this.#context.run(async (sql) => {
      if (draft.text === "") {
        await sql`DELETE FROM drafts
          WHERE user_key = ${userKey} AND stream = ${draft.stream}`;
        return "written";
      }
      // Counted and written under a lock on the account's name: the one
      // chat_set_draft takes (an advisory lock is taken again by its own
      // transaction at no cost), so that both caps are exact across nodes.
      // char_length counts code points, as [...text].length does.
      return await sql.begin(async (tx) => {
        await tx`SELECT pg_advisory_xact_lock(1685217638, hashtext(${userKey}))`;
        if (maxCharacters !== Infinity) {
          const [{ others }] = await tx<{ others: string }[]>`
            SELECT coalesce(sum(char_length(text)), 0) AS others FROM drafts
            WHERE user_key = ${userKey} AND stream <> ${draft.stream}`;
          if (Number(others) + [...draft.text].length > maxCharacters) {
            return "too_long" as const;
          }
        }
        const [row] = await tx<{ written: boolean }[]>`
          SELECT chat_set_draft(${userKey}, ${draft.stream}, ${
          draft.with ?? null
        }, ${draft.text}, ${draft.updatedAt}, ${max}) AS written`;
        return row.written ? "written" as const : "too_many" as const;
      });
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
