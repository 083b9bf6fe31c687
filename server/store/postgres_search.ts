import postgres from "postgres";
import { SEARCH_MAX_LIMIT } from "../protocol/limits.ts";
import {
  conversationKey,
  type MessageRecord,
  SEARCH_BUDGET,
  searchCursor,
  type SearchPage,
  type SearchQuery,
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
// the id btree (docs/performance.md, "A page's work bounded (PostgreSQL)").

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

// A window: the newest rows below the cursor through the id btree, at most
// the budget's worth, each checked for the words (GIN, which reads whole
// lists whatever the range, kept out by the subquery's LIMIT), stopping
// when the page fills. The window's top comes back (a row even with no
// match): a short page then asks where the window ended, below that top,
// whatever was stored since. (A row_number in the window instead cost 6 ms
// more a full window.)
async function searchWindows(
  { sql, scope, below, above, limit, budget }: SearchRead,
  words: string[],
): Promise<SearchPage> {
  // No words (a search by its filters alone): the scope decides.
  const kept = words.length === 0
    ? scope
    : sql`m.search @@ ${tsQuery(words)}::tsquery AND ${scope}`;
  const span = Math.max(1, Math.floor(budget / ROW_COST));
  const rows = await sql<(SearchRow & { top: string | null })[]>`
    SELECT t.top, x.* FROM (SELECT max(id) AS top FROM messages
                            WHERE ${below} AND ${above}) t
    LEFT JOIN LATERAL (
      SELECT ${sql.unsafe(MESSAGE_COLUMNS)}, m.user_key, m.stream
      FROM (SELECT * FROM messages WHERE id <= t.top AND ${above}
            ORDER BY id DESC LIMIT ${span}) m ${sql.unsafe(REPLY_JOIN)}
      WHERE ${kept}
      ORDER BY m.id DESC LIMIT ${limit}
    ) x ON true`;
  const top = rows[0].top;
  const found: SearchRow[] = rows.filter((row) => row.id !== null);
  if (found.length >= limit || top === null) {
    return { records: found.map(searchRecord) };
  }
  const [edge] = await sql<{ id: string }[]>`
    SELECT id FROM messages WHERE id <= ${top} AND ${above} ORDER BY id DESC
    OFFSET ${span - 1} LIMIT 1`;
  // The window held the oldest message: the search is done.
  if (!edge) return { records: found.map(searchRecord) };
  // The page ends at the start of the edge's millisecond (a cursor that
  // names no message, as SQLite's): what that millisecond holds below the
  // edge is read too, through the btree (OFFSET 0 keeps GIN out).
  const next = searchCursor(edge.id);
  const rest = await sql<SearchRow[]>`
    SELECT ${sql.unsafe(MESSAGE_COLUMNS)}, m.user_key, m.stream
    FROM (SELECT * FROM messages
          WHERE id >= ${next} AND id < ${edge.id} OFFSET 0) m
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
// messages below the cursor (fewer than the budget reads, counted first in
// messages_author alone): every one of them read through that index,
// newest first, so a rare author's messages come in one page (they took a
// window of 4,096 rows each, most of them empty). Undefined for an author
// of more: the windows read them.
async function authorPage(
  { sql, scope, below, above, limit, budget }: SearchRead,
  userKey: string,
): Promise<MessageRecord[] | undefined> {
  const reads = Math.max(1, Math.floor(budget / AUTHOR_ROW_COST));
  // In id order, so that the count walks the newest `reads` entries of
  // the author's and stops (without it, a bitmap of all the author's).
  const [{ count }] = await sql<{ count: number }[]>`
    SELECT count(*)::int AS count FROM (SELECT id FROM messages
      WHERE user_key = ${userKey} AND ${below} AND ${above}
      ORDER BY id DESC LIMIT ${reads}) a`;
  if (count >= reads) return undefined;
  const rows = await sql<SearchRow[]>`
    SELECT ${sql.unsafe(MESSAGE_COLUMNS)}, m.user_key, m.stream
    FROM (SELECT * FROM messages
          WHERE user_key = ${userKey} AND ${below} AND ${above}) m
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
    const read: SearchRead = {
      sql,
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
      if (records !== undefined) return { records };
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
