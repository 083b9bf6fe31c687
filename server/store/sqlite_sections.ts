import type { StatementSync } from "node:sqlite";
import type { SectionStore, StoredSection } from "./mod.ts";
import {
  keptSections,
  type SectionItemRow,
  type SectionRow,
  sectionRows,
  toSections,
} from "./rows.ts";
import type { SqliteContext } from "./sqlite_context.ts";

/**
 * The SQLite store's sidebar sections (SectionStore), over the store's
 * connection: a row per section and one per item, the whole layout
 * written again in one transaction (at most 50 + 500 rows: a layout
 * changes when its owner drags something, not per message).
 */
export class SqliteSections implements SectionStore {
  #q: (sql: string) => StatementSync;
  #run: <T>(step: () => T) => Promise<T>;
  #transaction: <T>(body: () => T) => T;

  constructor(context: SqliteContext) {
    this.#q = (sql) => context.q(sql);
    this.#run = (step) => context.run(step);
    this.#transaction = (body) => context.transaction(body);
  }

  setSections(
    userKey: string,
    sections: StoredSection[],
  ): Promise<StoredSection[]> {
    const rows = sectionRows(sections);
    return this.#run(() =>
      this.#transaction(() => {
        this.#q("DELETE FROM sidebar_items WHERE user_key = ?").run(userKey);
        this.#q("DELETE FROM sidebar_sections WHERE user_key = ?").run(
          userKey,
        );
        const section = this.#q(
          `INSERT INTO sidebar_sections (user_key, position, name, collapsed)
           VALUES (?, ?, ?, ?)`,
        );
        for (const row of rows.sections) {
          section.run(userKey, row.position, row.name, row.collapsed ? 1 : 0);
        }
        // A conversation's item only while its other side has an account
        // (one key probe): the foreign key would refuse the whole write.
        const item = this.#q(
          `INSERT INTO sidebar_items
             (user_key, stream, with_name, with_key, section, position)
           SELECT ?, ?, ?, ?, ?, ?
           WHERE ? IS NULL OR EXISTS (SELECT 1 FROM accounts WHERE key = ?)`,
        );
        const kept = new Set<string>();
        for (const row of rows.items) {
          const written = item.run(
            userKey,
            row.stream,
            row.with_name,
            row.with_key,
            row.section,
            row.position,
            row.with_key,
            row.with_key,
          );
          if (Number(written.changes) > 0) kept.add(row.stream);
        }
        return keptSections(sections, kept);
      })
    );
  }

  listSections(userKey: string): Promise<StoredSection[]> {
    return this.#run(() => {
      const sections = this.#q(
        `SELECT position, name, collapsed FROM sidebar_sections
         WHERE user_key = ? ORDER BY position`,
      ).all(userKey) as unknown as SectionRow[];
      if (sections.length === 0) return [];
      const items = this.#q(
        `SELECT section, stream, with_name, with_key FROM sidebar_items
         WHERE user_key = ? ORDER BY section, position`,
      ).all(userKey) as unknown as SectionItemRow[];
      return toSections(sections, items);
    });
  }
}
