import postgres from "postgres";
import { SEARCH_MAX_LIMIT } from "../protocol/limits.ts";
import {
  conversationKey,
  type MessageRecord,
  SEARCH_BUDGET,
  searchCursor,
  type SearchPage,
  type SearchQuery,
  type SearchScope,
  streamsOf,
} from "./mod.ts";
import {
  MESSAGE_COLUMNS,
  type MessageRow,
  REPLY_JOIN,
  type Sql,
  toMessage,
} from "./postgres_rows.ts";
import { WordShares } from "./postgres_word_shares.ts";

// Reading PostgresStore's search index (the `search` tsvector of messages
// and its GIN index) a page at a time, its work bounded: through GIN when
// the table's statistics say a word's list is short, else in windows of
// the reader's own rows (search_audiences: each message under who may read
// it), so that where a page ends, and so its `next`, says nothing of
// messages outside its reader's scope; GIN's page is cut where the
// window's would end (docs/performance.md, "A page's work bounded
// (PostgreSQL)" and "A search's windows by audience on PostgreSQL").

// What a row read in a search window weighs against SearchQuery.budget,
// in list entries: 0.6 to 0.9 µs to reach it through the id btree and
// check its words, where SQLite reads an entry in about 0.25 µs. MEASURED:
// docs/performance.md, "A page's work bounded (PostgreSQL)".
const ROW_COST = 4;
// How long a search read through GIN may take before the windows take
// over: many times what a list within the budget costs (a few ms), so only
// statistics gone stale trip it, on a busy machine too. A read slower than
// GIN_SLOW_MS still answers, and has the statistics refreshed
// (WordShares.stale); the words of a stopped one go through the windows
// until then.
const GIN_TIMEOUT_MS = 100;
const GIN_SLOW_MS = 50;

type SearchRow = MessageRow & { user_key: string; stream: string };

// What both ways of reading a search page share: the reader's scope (`m`
// is the message), the cursor's bound on `id`, the page's size and work.
type SearchRead = {
  sql: Sql;
  // The reader's audiences in search_audiences (audiencesOf).
  audiences: string[];
  scope: postgres.Fragment;
  below: postgres.Fragment;
  // The bound of `after` on `id` (true without one): the windows end there.
  above: postgres.Fragment;
  limit: number;
  budget: number;
};

function searchRecord(row: SearchRow): MessageRecord {
  return { message: toMessage(row), userKey: row.user_key, stream: row.stream };
}

// The rows of `read`, or undefined when it ran past GIN_TIMEOUT_MS
// (PostgreSQL cancels it: query_canceled). In a transaction of its own, so
// the timeout ends with it.
async function guarded<T>(
  sql: Sql,
  read: (tx: postgres.TransactionSql<{ bigint: number }>) => Promise<T>,
): Promise<T | undefined> {
  try {
    return await sql.begin(async (tx) => {
      await tx`SELECT set_config('statement_timeout', ${
        String(GIN_TIMEOUT_MS)
      }, true)`;
      return await read(tx);
    }) as T;
  } catch (error) {
    if (error instanceof postgres.PostgresError && error.code === "57014") {
      return undefined;
    }
    throw error;
  }
}

// The newest ids of the reader's audiences below the cursor (`below`,
// `above`), at most `span`: each audience's newest `span` through
// search_audiences' key, merged. Only the reader's rows count, so where a
// window ends says nothing of anyone else's messages.
function audienceIds(
  { sql, audiences, below, above }: SearchRead,
  span: number,
): postgres.Fragment {
  return sql`SELECT a.id FROM jsonb_array_elements_text(${
    sql.json(audiences)
  }) x(audience)
    CROSS JOIN LATERAL (SELECT s.id FROM search_audiences s
      WHERE s.audience = x.audience AND ${below} AND ${above}
      ORDER BY s.id DESC LIMIT ${span}) a
    ORDER BY a.id DESC LIMIT ${span}`;
}

// Where a page's window ends: the oldest of the newest `span` ids of the
// reader's audiences below the cursor, undefined when they are fewer (the
// window holds the oldest of the reader's messages).
async function windowEdge(
  read: SearchRead,
  span: number,
): Promise<string | undefined> {
  const [{ edge, count }] = await read.sql<
    { edge: string | null; count: number }[]
  >`SELECT min(w.id) AS edge, count(*)::int AS count
    FROM (${audienceIds(read, span)}) w`;
  return count >= span && edge !== null ? edge : undefined;
}

// How many rows a window reads: the budget's worth.
function spanOf(budget: number): number {
  return Math.max(1, Math.floor(budget / ROW_COST));
}

// A window: the newest rows of the reader's audiences below the cursor
// (audienceIds), at most the budget's worth, each checked for the words
// (GIN, which reads whole lists whatever the range, kept out by the ids'
// LIMIT), stopping when the page fills. A short page ends at the start of
// the window's oldest row's millisecond (`next`), what that millisecond
// holds of the reader's below it read too.
async function searchWindows(
  read: SearchRead,
  words: string[],
): Promise<SearchPage> {
  const { sql, scope, limit, budget } = read;
  // No words (a search by its filters alone): the scope decides.
  const kept = words.length === 0
    ? scope
    : sql`m.search @@ ${tsQuery(words)}::tsquery AND ${scope}`;
  const span = spanOf(budget);
  const rows = await sql<(SearchRow & { edge: string | null; n: number })[]>`
    WITH w AS MATERIALIZED (${audienceIds(read, span)}),
      e AS (SELECT min(id) AS edge, count(*)::int AS n FROM w)
    SELECT e.edge, e.n, x.* FROM e LEFT JOIN LATERAL (
      SELECT ${sql.unsafe(MESSAGE_COLUMNS)}, m.user_key, m.stream
      FROM (SELECT messages.* FROM w JOIN messages ON messages.id = w.id
            OFFSET 0) m ${sql.unsafe(REPLY_JOIN)}
      WHERE ${kept}
      ORDER BY m.id DESC LIMIT ${limit}
    ) x ON true`;
  const { edge, n } = rows[0];
  const found: SearchRow[] = rows.filter((row) => row.id !== null);
  // Filled, or the window held the reader's oldest message: done.
  if (found.length >= limit || n < span || edge === null) {
    return { records: found.map(searchRecord) };
  }
  // The page ends at the start of the edge's millisecond (a cursor that
  // names no message, as SQLite's): what that millisecond holds of the
  // reader's below the edge is read too.
  const next = searchCursor(edge);
  const rest = await sql<SearchRow[]>`
    SELECT ${sql.unsafe(MESSAGE_COLUMNS)}, m.user_key, m.stream
    FROM (SELECT messages.* FROM search_audiences s
            JOIN messages ON messages.id = s.id
          WHERE s.audience IN (
              SELECT jsonb_array_elements_text(${sql.json(read.audiences)}))
            AND s.id >= ${next} AND s.id < ${edge} OFFSET 0) m
      ${sql.unsafe(REPLY_JOIN)}
    WHERE ${kept}
    ORDER BY m.id DESC LIMIT ${limit - found.length}`;
  found.push(...rest);
  // Filled there: the next page starts below its last result instead (the
  // millisecond may hold more).
  return found.length >= limit
    ? { records: found.map(searchRecord) }
    : { records: found.map(searchRecord), next };
}

// What a row read through messages_author weighs against the budget, in
// list entries: a heap visit each, away from its neighbours (as a
// candidate's read on SQLite, FETCH_COST), where a window's rows are next
// to each other.
const AUTHOR_ROW_COST = 32;

// A page of a search by filters alone whose author wrote few of the
// messages of the reader's audiences below the cursor (fewer than the
// budget reads, counted first in search_audiences_author alone, so only
// the reader's rows count): every one of them read through that index,
// newest first, so a rare author's messages come in one page (they took a
// window of 4,096 rows each, most of them empty). Undefined for an author
// of more: the windows read them.
async function authorPage(
  { sql, audiences, scope, below, above, limit, budget }: SearchRead,
  userKey: string,
): Promise<MessageRecord[] | undefined> {
  const reads = Math.max(1, Math.floor(budget / AUTHOR_ROW_COST));
  const authored = sql`SELECT s.id FROM search_audiences s
    WHERE s.user_key = ${userKey} AND s.audience IN (
      SELECT jsonb_array_elements_text(${sql.json(audiences)}))
      AND ${below} AND ${above}`;
  const [{ count }] = await sql<{ count: number }[]>`
    SELECT count(*)::int AS count FROM (${authored} LIMIT ${reads}) a`;
  if (count >= reads) return undefined;
  const rows = await sql<SearchRow[]>`
    SELECT ${sql.unsafe(MESSAGE_COLUMNS)}, m.user_key, m.stream
    FROM (SELECT messages.* FROM (${authored}) a
          JOIN messages ON messages.id = a.id OFFSET 0) m
      ${sql.unsafe(REPLY_JOIN)}
    WHERE ${scope}
    ORDER BY m.id DESC LIMIT ${limit}`;
  return rows.map(searchRecord);
}

// A page of a search by filters alone in a few quiet streams (a search in
// one room, or one conversation: fewer messages in all than the budget
// reads, counted first in the (stream, seq) key alone): every one of their
// messages below the cursor read through that key, newest first, so a
// quiet room's matches come in one page (they took windows of 4,096 rows
// of the whole store each, most of them other rooms', and an author of 512
// or more messages elsewhere took those windows too). Undefined for
// streams of more: the author's page or the windows read them.
async function streamPage(
  { sql, scope, below, above, limit, budget }: SearchRead,
  streams: string[],
): Promise<MessageRecord[] | undefined> {
  const reads = Math.max(1, Math.floor(budget / AUTHOR_ROW_COST));
  const [{ count }] = await sql<{ count: number }[]>`
    SELECT count(*)::int AS count FROM (SELECT 1 FROM messages
      WHERE stream IN (
        SELECT jsonb_array_elements_text(${
    sql.json(streams)
  })) LIMIT ${reads}) s`;
  if (count >= reads) return undefined;
  const rows = await sql<SearchRow[]>`
    SELECT ${sql.unsafe(MESSAGE_COLUMNS)}, m.user_key, m.stream
    FROM (SELECT * FROM messages
          WHERE stream IN (
        SELECT jsonb_array_elements_text(${
    sql.json(streams)
  })) AND ${below} AND ${above}) m
      ${sql.unsafe(REPLY_JOIN)}
    WHERE ${scope}
    ORDER BY m.id DESC LIMIT ${limit}`;
  return rows.map(searchRecord);
}

// Each word a quoted lexeme (tsquery reads no syntax inside quotes, and
// words hold only letters and digits), all required, the last one as a
// prefix too unless it is one letter (as SqliteSearch's #ftsTerms: such a prefix
// stands for nearly every word, at a cost that grows with the store).
function tsQuery(words: string[], prefix = true): string {
  return words.map((word, i) =>
    `'${word.replaceAll("'", "''").replaceAll("\\", "\\\\")}'${
      prefix && i === words.length - 1 && [...word].length > 1 ? ":*" : ""
    }`
  ).join(" & ");
}

// The SQL of a search's filters (SearchQuery's from, has, after), ANDed
// onto its scope: the same tests as sqlite_search.ts' filtersOf, so both
// stores find the same messages.
function filtersOf(sql: Sql, query: SearchQuery): postgres.Fragment {
  const tests: postgres.Fragment[] = [];
  if (query.after !== undefined) tests.push(sql`m.id >= ${query.after}`);
  if (query.from !== undefined) {
    tests.push(
      sql`m.user_key = ${query.from.userKey} AND m.ts >= ${query.from.since}`,
    );
  }
  for (const has of new Set(query.has)) {
    tests.push(
      has === "file"
        ? sql`jsonb_array_length(coalesce(m.attachments, '[]')) > 0`
        : has === "image"
        ? sql`EXISTS (SELECT 1 FROM jsonb_array_elements(m.attachments) a
            WHERE left(a ->> 'type', 6) = 'image/')`
        // The summary of its reactions (chat_sum_reactions): NULL for none.
        : has === "reaction"
        ? sql`jsonb_array_length(coalesce(m.reactions, '[]')) > 0`
        // ILIKE as SQLite's LIKE: ASCII case folded (no other letter
        // folds to these).
        : sql`(m.text ILIKE '%http://%' OR m.text ILIKE '%https://%')`,
    );
  }
  return tests.reduce((all, test) => sql`${all} AND ${test}`, sql`true`);
}

// The reader's audiences in search_audiences (the migration's
// chat_search_audiences): public rooms' when the scope holds one, each
// private room's of the scope, the reader's conversations'.
async function audiencesOf(sql: Sql, scope: SearchScope): Promise<string[]> {
  const audiences: string[] = [];
  if (scope.roomKeys.length > 0) {
    const privateRooms = (await sql<{ key: string }[]>`
      SELECT key FROM rooms WHERE private AND key IN (
        SELECT jsonb_array_elements_text(${sql.json(scope.roomKeys)}))`)
      .map((row) => row.key);
    if (privateRooms.length < new Set(scope.roomKeys).size) {
      audiences.push("p");
    }
    for (const key of privateRooms) audiences.push(`r:${key}`);
  }
  if (scope.conversations) audiences.push(`u:${scope.conversations.userKey}`);
  return audiences;
}

// GIN's page (every match below the cursor, at most the page's) cut where
// the windows' page would end (windowEdge), so that which of the two read
// it does not show: the choice follows the whole table's statistics. A
// match cut there gives `next`, as the window would; none below the edge
// at all (GIN read to the oldest) gives none.
async function windowed(
  read: SearchRead,
  records: MessageRecord[],
): Promise<SearchPage> {
  if (records.length === 0) return { records };
  const edge = await windowEdge(read, spanOf(read.budget));
  if (edge === undefined) return { records };
  const next = searchCursor(edge);
  const kept = records.filter((record) => record.message.id >= next);
  if (kept.length === records.length) return { records };
  return kept.length >= read.limit
    ? { records: kept }
    : { records: kept, next };
}

/** Search pages over the store's pool; what it learns of words, kept. */
export class PostgresSearch {
  #wordShares = new WordShares();

  /** A page of `query`'s matches, newest first, its work bounded. */
  async page(sql: Sql, query: SearchQuery): Promise<SearchPage> {
    const { scope } = query;
    const conversations = scope.conversations;
    const rooms = scope.roomKeys.length === 0 ? sql`false` : sql`m.stream IN (
      SELECT jsonb_array_elements_text(${sql.json(scope.roomKeys)}))`;
    const own = conversations === undefined
      ? sql`false`
      : conversations.withKey !== undefined
      ? sql`(m.stream = ${
        conversationKey(conversations.userKey, conversations.withKey)
      } AND m.ts >= ${conversations.since})`
      // '@a:b' with the reader as a or b (':' is in no key).
      : sql`((starts_with(m.stream, ${`@${conversations.userKey}:`})
          OR right(m.stream, ${[...conversations.userKey].length + 1})
            = ${`:${conversations.userKey}`})
        AND m.ts >= ${conversations.since})`;
    const audiences = await audiencesOf(sql, scope);
    if (audiences.length === 0) return { records: [] };
    const read: SearchRead = {
      sql,
      audiences,
      scope: sql`NOT m.deleted AND (${rooms} OR ${own}) AND ${
        filtersOf(sql, query)
      }`,
      below: query.before === undefined ? sql`true` : sql`id < ${query.before}`,
      above: query.after === undefined ? sql`true` : sql`id >= ${query.after}`,
      limit: Math.min(query.limit, SEARCH_MAX_LIMIT + 1),
      budget: query.budget ?? SEARCH_BUDGET,
    };
    if (query.words.length === 0) {
      const streams = streamsOf(query);
      const quiet = streams === undefined
        ? undefined
        : await streamPage(read, streams);
      if (quiet !== undefined) return { records: quiet };
      const records = query.from === undefined
        ? undefined
        : await authorPage(read, query.from.userKey);
      return records === undefined
        ? await searchWindows(read, [])
        : { records };
    }
    const last = query.words[query.words.length - 1];
    const prefix = [...last].length > 1;
    const entries = await this.#wordShares.entries(sql, query.words, prefix);
    // GIN's AND walks little more than the rarest whole word's list
    // (then a heap visit for each message holding every word), but a
    // prefix's lists whole (a word in one message and `the` as a prefix:
    // 13 ms at 500,000): a prefix longer than the rarest whole word's
    // list is left out of GIN's query and checked on what it gives.
    // Through GIN when that list is short (or a word is rare or new:
    // missing from the statistics), to the oldest message.
    const lists = entries.map((n) => n ?? 0);
    const cost = Math.min(...lists);
    const indexed = prefix && lists[lists.length - 1] > cost
      ? query.words.slice(0, -1)
      : query.words;
    if (cost * ROW_COST <= read.budget) {
      const records = await this.#gin(read, query.words, indexed);
      if (records !== undefined) return await windowed(read, records);
    }
    return await searchWindows(read, query.words);
  }

  // The matches first, with no order nor LIMIT to tempt the planner into
  // walking the id btree down to a rare word's few messages (550 ms for a
  // word in one message of 530,000). The statistics may be stale: a time
  // guard stops a read that took far longer than the budget should
  // (undefined: the windows take over), and a slow one has them read again.
  async #gin(
    { sql, scope, below, limit }: SearchRead,
    words: string[],
    indexed: string[],
  ): Promise<MessageRecord[] | undefined> {
    const started = performance.now();
    const rows = await guarded(sql, (tx) =>
      tx<SearchRow[]>`
        WITH hits AS MATERIALIZED (
          SELECT * FROM messages m
          WHERE m.search @@ ${
        tsQuery(indexed, indexed === words)
      }::tsquery AND ${scope} AND ${below})
        SELECT ${sql.unsafe(MESSAGE_COLUMNS)}, m.user_key, m.stream
        FROM hits m ${sql.unsafe(REPLY_JOIN)}
        WHERE m.search @@ ${tsQuery(words)}::tsquery AND ${scope}
        ORDER BY m.id DESC LIMIT ${limit}`);
    if (rows === undefined || performance.now() - started > GIN_SLOW_MS) {
      this.#wordShares.stale(indexed, rows === undefined);
    }
    return rows?.map(searchRecord);
  }
}
