/**
 * How long a search word's list is in PostgreSQL's GIN index, guessed from
 * the planner's statistics of `messages.search` (pg_stats: the commonest
 * words and their shares of the rows, as ANALYZE and autovacuum keep
 * them), read at most once a minute: one small query, no count of a list
 * (GIN reads a whole list before it can count it: 40 ms and a heap visit
 * an entry for a word in half of 500,000 messages).
 *
 * A word missing from the statistics is rarer than all those in them, or
 * newer than the last ANALYZE (autovacuum's comes after a tenth of the
 * table changed: two new words in 15,000 messages each, never together,
 * cost GIN 17 to 25 ms at 530,000). PostgresStore.search reads such words
 * through GIN under a time guard; a read that was slow or stopped has the
 * table analyzed and the statistics read again ({@link WordShares.stale}),
 * and the words of one stopped count as common until then.
 */
import type postgres from "postgres";

// How long the statistics read are kept: autovacuum refreshes them after
// a tenth of the table changed, rarely more often than a minute.
const KEEP_MS = 60_000;
// An ANALYZE asked for by a slow read at most this often: it costs 0.5 to
// 1.1 s of the database's time at 500,000 messages (a sample of 30,000
// rows, their words counted), and a slow read may be a busy machine
// rather than stale figures.
const ANALYZE_EVERY_MS = 600_000;

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
  #stale = false;
  #analyzedAt = -Infinity;

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
      const statistics = read(sql, this.#stale);
      this.#stale = false;
      this.#read = { at: Date.now(), statistics };
      // A failed read is tried again by the next search.
      statistics.catch(() => {
        if (this.#read?.statistics === statistics) this.#read = undefined;
      });
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
   * A read of words the statistics called rare was slow, or `stopped` by
   * the guard: the next search analyzes the table and reads them again
   * (at most once every ANALYZE_EVERY_MS); the words of a stopped read
   * count as common until the statistics are read again.
   */
  stale(words: string[], stopped: boolean): void {
    if (stopped) { for (const word of words) this.#caught.add(word); }
    if (Date.now() - this.#analyzedAt < ANALYZE_EVERY_MS) return;
    this.#analyzedAt = Date.now();
    this.#stale = true;
    this.#read = undefined;
  }
}

// The table's statistics; a table never analyzed (a new database, or one
// just imported), or whose statistics proved `stale`, is analyzed first
// (autovacuum would, within a minute or so of a tenth of it changing).
async function read(
  sql: postgres.Sql<{ bigint: number }>,
  stale: boolean,
): Promise<Statistics> {
  if (stale) await sql`ANALYZE messages`;
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
