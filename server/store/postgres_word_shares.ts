/**
 * How long a search word's list is in PostgreSQL's GIN index, guessed from
 * the planner's statistics of `messages.search` (pg_stats: the commonest
 * words and their shares of the rows, as ANALYZE and autovacuum keep
 * them), read at most once a minute: one small query, no count of a list
 * (GIN reads a whole list before it can count it: 40 ms and a heap visit
 * an entry for a word in half of 500,000 messages).
 *
 * A word missing from the statistics is rarer than all those in them, or
 * newer than the last ANALYZE: PostgresStore.search reads such words
 * through GIN under a time guard, and a word the guard caught is taken as
 * common until the next read ({@link WordShares.caught}).
 */
import type postgres from "postgres";

// How long the statistics read are kept: autovacuum refreshes them after
// a tenth of the table changed, rarely more often than a minute.
const KEEP_MS = 60_000;

interface Statistics {
  /** Rows of the table when last analyzed. */
  rows: number;
  /** Share of the rows each common word is in. */
  common: Map<string, number>;
}

/** Words' list lengths, guessed from the statistics (see the module). */
export class WordShares {
  #read?: { at: number; statistics: Promise<Statistics> };
  #caught = new Set<string>();

  /**
   * Entries of each word's list, guessed: undefined for a word missing
   * from the statistics (rare or new). The last word, when `prefix`, also
   * stands for the common words it starts.
   */
  async entries(
    sql: postgres.Sql<{ bigint: number }>,
    words: string[],
    prefix: boolean,
  ): Promise<(number | undefined)[]> {
    if (!this.#read || Date.now() - this.#read.at > KEEP_MS) {
      this.#caught.clear();
      const statistics = read(sql);
      this.#read = { at: Date.now(), statistics };
      // A failed read is tried again by the next search.
      statistics.catch(() => this.#read = undefined);
    }
    const { rows, common } = await this.#read.statistics;
    return words.map((word, i) => {
      if (this.#caught.has(word)) return Infinity;
      let share = common.get(word);
      if (prefix && i === words.length - 1) {
        for (const [other, more] of common) {
          if (other !== word && other.startsWith(word)) {
            share = (share ?? 0) + more;
          }
        }
      }
      return share === undefined ? undefined : share * rows;
    });
  }

  /**
   * Words whose GIN read the time guard stopped: common, whatever the
   * statistics say, until they are read again.
   */
  caught(words: string[]): void {
    for (const word of words) this.#caught.add(word);
  }
}

// The table's statistics; a table never analyzed (a new database, or one
// just imported) is analyzed first: ANALYZE reads a sample of at most
// 30,000 rows, once (autovacuum would, within a minute or so).
async function read(
  sql: postgres.Sql<{ bigint: number }>,
): Promise<Statistics> {
  let statistics = await stored(sql);
  if (statistics === undefined) {
    await sql`ANALYZE messages`;
    statistics = await stored(sql);
  }
  return statistics ?? { rows: 0, common: new Map() };
}

async function stored(
  sql: postgres.Sql<{ bigint: number }>,
): Promise<Statistics | undefined> {
  const [row] = await sql<
    { rows: number; words: string[] | null; shares: number[] | null }[]
  >`
    SELECT c.reltuples::float8 AS rows,
      to_jsonb(s.most_common_elems::text::text[]) AS words,
      to_jsonb(s.most_common_elem_freqs) AS shares
    FROM pg_class c
    LEFT JOIN pg_stats s ON s.schemaname = current_schema()
      AND s.tablename = 'messages' AND s.attname = 'search'
    WHERE c.oid = 'messages'::regclass`;
  // reltuples is -1 before the first ANALYZE (PostgreSQL 14 and later), 0
  // on older versions: both read as never analyzed.
  if (!row || row.rows <= 0) return undefined;
  const common = new Map<string, number>();
  (row.words ?? []).forEach((word, i) => common.set(word, row.shares![i]));
  return { rows: row.rows, common };
}
