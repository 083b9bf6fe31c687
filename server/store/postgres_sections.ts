import type { SectionStore, StoredSection } from "./mod.ts";
import type { PostgresContext } from "./postgres_context.ts";
import {
  keptSections,
  type SectionItemRow,
  type SectionRow,
  sectionRows,
  toSections,
} from "./rows.ts";

// The class of the advisory lock a layout's write takes, with the
// account's key hashed beside it (its number spells "side"): two devices
// writing one account's layout at once take turns, where both deleting
// and then inserting would collide on the items' primary key.
const SECTIONS_LOCK = 1936287845;

/**
 * PostgresStore's sidebar sections (SectionStore; postgres.ts lends it to
 * the store): a row per section and one per item, the whole layout
 * written again in one transaction under the account's lock.
 */
export class PostgresSections implements SectionStore {
  #context: PostgresContext;

  constructor(context: PostgresContext) {
    this.#context = context;
  }

  setSections(
    userKey: string,
    sections: StoredSection[],
  ): Promise<StoredSection[]> {
    const rows = sectionRows(sections);
    return this.#context.run((sql) =>
      sql.begin(async (tx) => {
        await tx`SELECT pg_advisory_xact_lock(${SECTIONS_LOCK},
          hashtext(${userKey}))`;
        await tx`DELETE FROM sidebar_items WHERE user_key = ${userKey}`;
        await tx`DELETE FROM sidebar_sections WHERE user_key = ${userKey}`;
        if (rows.sections.length === 0) return [];
        // Each list as one JSON parameter, as the store's other batches.
        await tx`INSERT INTO sidebar_sections
          (user_key, position, name, collapsed)
          SELECT ${userKey}, r.position, r.name, r.collapsed
          FROM jsonb_to_recordset(${tx.json(rows.sections)})
            AS r(position integer, name text, collapsed boolean)`;
        if (rows.items.length === 0) return sections;
        // A conversation's item only while its other side has an account
        // (a key probe each), as in sqlite_sections.ts. A deletion at the
        // same time waits for the foreign key's lock and takes the item
        // along, or, committed first, fails this write (internal).
        const kept = await tx<{ stream: string }[]>`INSERT INTO sidebar_items
          (user_key, stream, with_name, with_key, section, position)
          SELECT ${userKey}, r.stream, r.with_name, r.with_key, r.section,
            r.position
          FROM jsonb_to_recordset(${tx.json(rows.items)})
            AS r(stream text, with_name text, with_key text,
              section integer, position integer)
          WHERE r.with_key IS NULL
            OR EXISTS (SELECT 1 FROM accounts a WHERE a.key = r.with_key)
          RETURNING stream`;
        return keptSections(sections, new Set(kept.map((k) => k.stream)));
      })
    );
  }

  listSections(userKey: string): Promise<StoredSection[]> {
    return this.#context.run(async (sql) => {
      const sections = await sql<SectionRow[]>`
        SELECT position, name, collapsed FROM sidebar_sections
        WHERE user_key = ${userKey} ORDER BY position`;
      if (sections.length === 0) return [];
      const items = await sql<SectionItemRow[]>`
        SELECT section, stream, with_name, with_key FROM sidebar_items
        WHERE user_key = ${userKey} ORDER BY section, position`;
      return toSections(sections, items);
    });
  }
}
