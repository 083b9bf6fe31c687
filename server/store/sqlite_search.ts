import type { StatementSync } from "node:sqlite";
import { SEARCH_MAX_LIMIT } from "../protocol/limits.ts";
import {
  conversationKey,
  SEARCH_BUDGET,
  searchCursor,
  type SearchPage,
  type SearchQuery,
  type SearchScope,
  streamsOf,
} from "./mod.ts";
import {
  audiencePrefix,
  authorAudience,
  markerToken,
} from "./search_index_file.ts";
import { textHolds } from "./search_text.ts";
import {
  MESSAGE_COLUMNS,
  type MessageRow,
  MESSAGES,
  toMessage,
} from "./sqlite_rows.ts";

// Reading SqliteStore's search index (FTS5 over messages_fts, with the
// words' list in search_words) a page at a time, its work bounded by a
// budget of list entries; the index is written by search_index.ts. Its
// lists are by audience (search_index_file.ts' audiencesOf): a page reads
// only those of its reader's audiences, and every bound it keeps (how
// many entries, where a window ends, which words it walks) is counted in
// entries of those lists, so nothing a reader gets (results, `next`, the
// pages to reach a message) depends on messages outside them. It is
// read on a connection of its own (the index file, search_index_file.ts),
// the messages on the store's: the server runs without --allow-all, and
// Deno's node:sqlite then allows no ATTACH, so no query joins the two;
// rowids read from the index are looked up in the messages by the chunk.

// Which of a search's terms (by position) FTS5 intersects and which are
// checked on its candidates.
interface SearchOrder {
  walked: number[];
  checked: number[];
}

// The newest entries of a term's list (#sample): how many (at most
// SAMPLE_ROWS) and the oldest's rowid.
interface Sample {
  count: number;
  oldest: number;
}

// A search's row: the message, its owner and stream.
type SearchRow = MessageRow & { user_key: string; stream: string };

// Whether a message's text holds each of the query's words listed in
// `which` (by position), matched as FTS5 does (#ftsTerms): the last word
// also as a prefix when it has two letters or more.
function holdsWords(text: string, words: string[], which: number[]): boolean {
  const last = words.length - 1;
  const prefix = which.includes(last) && [...words[last]].length > 1;
  return textHolds(
    text,
    which.filter((i) => !prefix || i !== last).map((i) => words[i]),
    prefix ? words[last] : undefined,
  );
}

// Entries of each walked list a page's first window reads at most
// (search): most searches of words that come together fill with them.
const FIRST_ENTRIES = 128;
// Each window reads this many times as many entries as the last (search).
const GROWTH = 8;
// Windows one page may read at most (search): the budget ends it sooner
// but for windows where the words' lists are all but empty.
const MAX_WINDOWS = 8;
// Candidates read at once, and what reading one weighs in list entries
// (its row, 5 to 10 µs, against about 0.25 µs an entry read and
// intersected).
const FETCHED = 64;
const FETCH_COST = 32;
const NO_RESULTS: SearchPage = { records: [] };
// A window whose candidates are all read and none checked (#fetch).
const ALL_WALKED: SearchOrder = { walked: [], checked: [] };
// One word's list of index entries between two rowids (bound as BigInts:
// FTS5 seeks to an integer bound and walks the whole list past a float).
const LIST_IN_WINDOW = `SELECT rowid FROM messages_fts
  WHERE messages_fts MATCH ? AND rowid >= ? AND rowid <= ?`;

// The rowids in every one of `lists` (each newest first), newest first.
function intersect(lists: number[][]): number[] {
  const [first, ...rest] = lists;
  const others = rest.map((list) => new Set(list));
  return first.filter((rowid) => others.every((set) => set.has(rowid)));
}

// The page of a search's rows.
function recordsOf(rows: SearchRow[]): SearchPage {
  return {
    records: rows.map((row) => ({
      message: toMessage(row),
      userKey: row.user_key,
      stream: row.stream,
    })),
  };
}

// What a row read by a search without words weighs against the budget,
// in list entries: the rows of a marker's list (markerToken), read by
// their rowids in one statement, 1 to 2 µs each with their scope and
// filters checked.
const LIST_ROW_COST = 4;

// The SQL of a search's filters (SearchQuery's from, has, after), ANDed
// onto what a page keeps, and its parameters in order. The same tests as
// postgres_search.ts' filtersOf, so both stores find the same messages.
function filtersOf(
  query: SearchQuery,
): { sql: string; params: (string | number)[] } {
  const sql: string[] = [];
  const params: (string | number)[] = [];
  if (query.after !== undefined) {
    sql.push("m.id >= ?");
    params.push(query.after);
  }
  if (query.from !== undefined) {
    // `+`: no index for this test. With messages_author there, SQLite
    // read a word's page by walking every message of the author's and
    // sorting them (21 ms for a word and an author of 2%, 1 ms before);
    // only #indexedPage reads that index, its count bounding it.
    sql.push("+m.user_key = ? AND m.ts >= ?");
    params.push(query.from.userKey, query.from.since);
  }
  for (const has of new Set(query.has)) {
    sql.push(
      has === "file"
        ? "m.attachments IS NOT NULL AND m.attachments <> '[]'"
        : has === "image"
        ? `EXISTS (SELECT 1 FROM json_each(m.attachments)
             WHERE substr(json_extract(value, '$.type'), 1, 6) = 'image/')`
        // The summary of its reactions (#sumReactions): NULL for none.
        : has === "reaction"
        ? "m.reactions IS NOT NULL AND m.reactions <> '[]'"
        // LIKE folds ASCII case only: ILIKE's test on PostgreSQL, for
        // these letters.
        : "(m.text LIKE '%http://%' OR m.text LIKE '%https://%')",
    );
  }
  return { sql: sql.map((test) => `AND ${test}`).join(" "), params };
}

// Past this many words with the searched prefix, FTS5 merges their lists
// itself (ORing a few hundred costs as much).
const MAX_PREFIX_WORDS = 64;

// A search of more words than this has FTS5 intersect only the rarest
// this many (searchOrder), the others checked on the candidates' text:
// with so few, FTS5 walks no more than a search of them alone would.
const PLANNED_FROM = 3;
// Which words are rarest is told by how far back the newest this many of
// each list go (#sample).
const SAMPLE_ROWS = 64;
// Terms whose sample is kept, and for how long (#sample).
const MAX_SAMPLES = 4096;
const SAMPLES_KEPT_MS = 60_000;

// Which of a search's terms FTS5 intersects: the rarest PLANNED_FROM,
// rarest first, told by their samples alone (a shorter list, or of as
// many entries, one whose newest go further back). Only the order of the
// reader's own entries counts, never how many rowids lie between them
// (others' messages): the choice changes the candidates, and so where a
// page's reads end.
function searchOrder(samples: Sample[]): SearchOrder {
  const all = samples.map((_, i) => i);
  all.sort((a, b) =>
    samples[a].count - samples[b].count ||
    samples[a].oldest - samples[b].oldest || a - b
  );
  return {
    walked: all.slice(0, PLANNED_FROM),
    checked: all.slice(PLANNED_FROM),
  };
}

/** The statements of the store's connection, prepared once and kept. */
export interface SqliteStatements {
  /** Rows as objects. */
  q(sql: string): StatementSync;
  /** Rows as arrays of values. */
  arrays(sql: string): StatementSync;
}

/** Search pages over the store's connection and the index's. */
export class SqliteSearch {
  #q: (sql: string) => StatementSync;
  #arrays: (sql: string) => StatementSync;
  #index: SqliteStatements;
  // Terms' samples (#sample).
  #samples = new Map<string, Sample>();
  #samplesSince = 0;

  /** `index` reads the index (the store's connection too, in place). */
  constructor(statements: SqliteStatements, index: SqliteStatements) {
    this.#q = (sql) => statements.q(sql);
    this.#arrays = (sql) => statements.arrays(sql);
    this.#index = index;
  }

  // The newest of the rowids (newest first) whose messages pass `kept`,
  // at most `count`, read by the chunk (#searchWindow with every candidate
  // read and no word checked).
  #fetch(
    candidates: number[],
    kept: string,
    params: (string | number)[],
    count: number,
  ): SearchRow[] {
    return this.#searchWindow([], [], ALL_WALKED, kept, {
      candidates,
      lo: 0,
      hi: 0,
      count,
      reads: Infinity,
      params,
    }).rows;
  }

  /**
   * A page of `query`'s matches, newest first, its work bounded by the
   * query's budget (SearchQuery). The caller brings the index up to the
   * messages first; a message whose text changed since (`changed`, by
   * id: the index may still hold its old words) is kept only if its text
   * as it is now holds the words.
   */
  page(query: SearchQuery, changed?: (id: string) => boolean): SearchPage {
    const page = this.#page(query);
    if (!changed || query.words.length === 0) return page;
    const all = query.words.map((_, i) => i);
    const records = page.records.filter((record) =>
      !changed(record.message.id) ||
      holdsWords(record.message.text, query.words, all)
    );
    return records.length === page.records.length ? page : { ...page, records };
  }

  #page(query: SearchQuery): SearchPage {
    const { scope } = query;
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (scope.roomKeys.length > 0) {
      where.push("m.stream IN (SELECT value FROM json_each(?))");
      params.push(JSON.stringify(scope.roomKeys));
    }
    const conversations = scope.conversations;
    if (conversations?.withKey !== undefined) {
      where.push("(m.stream = ? AND m.ts >= ?)");
      params.push(
        conversationKey(conversations.userKey, conversations.withKey),
        conversations.since,
      );
    } else if (conversations) {
      // '@a:b' with the reader as a or b (':' is in no key).
      const first = `@${conversations.userKey}:`;
      const second = `:${conversations.userKey}`;
      where.push(
        `((substr(m.stream, 1, ?) = ? OR substr(m.stream, ?) = ?)
          AND m.ts >= ?)`,
      );
      params.push(
        [...first].length,
        first,
        -[...second].length,
        second,
        conversations.since,
      );
    }
    if (where.length === 0) return NO_RESULTS;
    let before = "";
    if (query.before !== undefined) {
      before = "AND m.id < ?";
      params.push(query.before);
    }
    const filters = filtersOf(query);
    params.push(...filters.params);
    const audiences = this.#audiences(scope);
    if (audiences.length === 0) return NO_RESULTS;
    const terms = query.words.length === 0
      ? []
      : this.#ftsTerms(query.words, audiences);
    if (terms === null) return NO_RESULTS;
    // Rowids grow in the order ids were made: the index is read from the
    // message before the cursor down to the oldest (or the first of the
    // day `after` names). Both are bounds only: what lies between them is
    // counted in the reader's lists.
    const [top, bottom] = this.#arrays(
      `SELECT ${
        query.before === undefined
          ? "(SELECT max(rowid) FROM messages)"
          : "(SELECT rowid FROM messages WHERE id < ? ORDER BY id DESC LIMIT 1)"
      }, ${
        query.after === undefined
          ? "(SELECT min(rowid) FROM messages)"
          : "(SELECT rowid FROM messages WHERE id >= ? ORDER BY id LIMIT 1)"
      }`,
    ).get(
      ...(query.before === undefined ? [] : [query.before]),
      ...(query.after === undefined ? [] : [query.after]),
    ) as unknown as [
      number | null,
      number | null,
    ];
    if (top === null || bottom === null || top < bottom) return NO_RESULTS;
    const limit = Math.min(query.limit, SEARCH_MAX_LIMIT + 1);
    const kept = `m.deleted = 0 AND (${
      where.join(" OR ")
    }) ${before} ${filters.sql}`;
    const budget = query.budget ?? SEARCH_BUDGET;
    if (terms.length === 0) {
      const reads = Math.floor(budget / FETCH_COST);
      // A scope of a few quiet streams (a search in one room, or one
      // conversation): their own index drives the page. Its count is of
      // the scope's own streams.
      const streams = streamsOf(query);
      if (streams !== undefined && this.#fewIn(streams, reads)) {
        return this.#indexedPage(
          {
            sql: "m.stream IN (SELECT value FROM json_each(?))",
            params: [JSON.stringify(streams)],
          },
          kept,
          params,
          { top, bottom, limit },
        );
      }
      // `from` alone walks its author's marker in the reader's audiences
      // (markerToken), else every message's marker there.
      let marker: string;
      const author = query.from?.userKey;
      if (author !== undefined) {
        const code = this.#codeOf(authorAudience(author));
        if (code === undefined) return NO_RESULTS;
        marker = anyOf(
          audiences,
          (audience) => quote(markerToken(audience, code)),
        );
      } else {
        marker = anyOf(audiences, (audience) => quote(markerToken(audience)));
      }
      return this.#listPage(marker, kept, params, {
        top,
        bottom,
        limit,
        budget,
      });
    }
    // Each term's newest entries (#sample, kept a minute): a word in no
    // message of the reader's audiences ends the search at once.
    const samples = terms.map((term) => this.#sample(term));
    if (samples.some((sample) => sample.count === 0)) return NO_RESULTS;
    const order = searchOrder(samples);
    // FTS5's own AND, newest first from `hi` (down to the index rowid
    // `lo` if given), stopping when `count` are found: as fast as search
    // gets (reading a list in a window costs 0.2 ms or so in seeks alone).
    // The index's rowids first, then their messages by the chunk: only
    // ever where the walked lists are short (below), so reading them all
    // costs little more than FTS5 stopping at the page's end did.
    const read = (hi: number, lo?: number, count = limit) =>
      this.#fetch(
        (this.#index.arrays(
          `SELECT rowid FROM messages_fts
           WHERE messages_fts MATCH ? AND rowid <= ?
             ${lo === undefined ? "" : "AND rowid >= ?"}
           ORDER BY rowid DESC`,
        ).all(
          terms.join(" AND "),
          BigInt(hi),
          ...(lo === undefined ? [] : [BigInt(lo)]),
        ) as unknown as [number][]).map(([rowid]) => rowid),
        kept,
        params,
        count,
      );
    const reads = Math.max(1, Math.floor(budget / FETCH_COST));
    // One word, however common: the page reads the newest `reads`
    // entries of its list at most, each a message read should the scope
    // refuse them all (a common word in a quiet room: 160 to 250 ms at
    // 500,000 messages when it walked the whole list); their messages
    // read by the chunk until the page fills.
    if (terms.length === 1) {
      const rows = this.#fetch(
        (this.#index.arrays(
          `SELECT rowid FROM messages_fts
           WHERE messages_fts MATCH ? AND rowid <= ?
           ORDER BY rowid DESC LIMIT ?`,
        ).all(terms[0], BigInt(top), reads) as unknown as [number][]).map((
          [rowid],
        ) => rowid),
        kept,
        params,
        limit,
      );
      if (rows.length >= limit) return recordsOf(rows);
      // A short page: counted only now, the list either ended within
      // the budget or the page ends where the budget did, and the rest
      // of that millisecond, so `next` misses none of it.
      const { floor } = this.#listFloor(terms[0], bottom, top, reads);
      if (floor === undefined || floor <= bottom) return recordsOf(rows);
      const { lo, next } = this.#searchBoundary(floor);
      if (lo < floor) rows.push(...read(floor - 1, lo, limit - rows.length));
      return lo <= bottom ? recordsOf(rows) : { ...recordsOf(rows), next };
    }
    // Words whose rarest list is short (counted, at most as far as the
    // budget reads its messages): the AND walks no more than that list,
    // and reads at most its messages (should none be in the scope).
    if (
      order.checked.length === 0 &&
      this.#listFloor(terms[order.walked[0]], bottom, top, reads).floor ===
        undefined
    ) {
      return recordsOf(read(top));
    }
    // Otherwise windows of the index, newest first, each ending where a
    // walked list holds as many entries as the window may read (the first
    // FIRST_ENTRIES, each next GROWTH times more, at most what is left of
    // the budget): a window's end is an entry of the reader's lists, never
    // a count of rowids, which would count everyone's messages. A page
    // that ends short before the oldest gives `next`.
    const rows: SearchRow[] = [];
    let hi = top;
    let entries = FIRST_ENTRIES;
    let spent = 0;
    for (let windows = 1;; windows++) {
      const cap = Math.max(
        1,
        Math.min(
          entries,
          Math.floor((budget - spent) / (3 * order.walked.length)),
        ),
      );
      // Each list is read once, at most `cap` entries, newest first; each
      // entry weighs 3, as when it was counted and then intersected. The
      // window ends at the highest floor of a list that reached its cap
      // (and the start of its millisecond, whose entries below the floor
      // FTS5 intersects); none reached it: every list is whole to the
      // oldest, and so is the window.
      const lists = order.walked.map((i) =>
        (this.#index.arrays(
          `${LIST_IN_WINDOW} ORDER BY rowid DESC LIMIT ?`,
        ).all(terms[i], BigInt(bottom), BigInt(hi), cap) as unknown as [
          number,
        ][]).map(([rowid]) => rowid)
      );
      let listed = 0;
      let floor = bottom;
      for (const list of lists) {
        listed += 3 * list.length;
        if (list.length === cap) floor = Math.max(floor, list[cap - 1]);
      }
      let lo = bottom;
      let next: string | undefined;
      if (floor > bottom) ({ lo, next } = this.#searchBoundary(floor));
      const candidates = intersect(
        lists.map((list) => list.filter((rowid) => rowid >= floor)),
      );
      if (lo < floor) {
        candidates.push(
          ...this.#intersected(
            order.walked.map((i) => terms[i]),
            lo,
            floor - 1,
          ),
        );
      }
      const found = this.#searchWindow(query.words, terms, order, kept, {
        candidates,
        lo,
        hi,
        count: limit - rows.length,
        reads: Math.max(
          1,
          Math.floor((budget - spent - listed) / FETCH_COST),
        ),
        params,
      });
      rows.push(...found.rows);
      if (rows.length >= limit) return recordsOf(rows);
      if (found.cut) return { ...recordsOf(rows), next: found.cut.next };
      if (lo <= bottom) return recordsOf(rows);
      spent += listed + found.fetched * FETCH_COST;
      if (spent >= budget || windows === MAX_WINDOWS) {
        return { ...recordsOf(rows), next };
      }
      entries *= GROWTH;
      hi = lo - 1;
    }
  }

  // The reader's audiences (search_index_file.ts' audiencesOf), by their
  // codes in the index, null for public rooms': public rooms' list when
  // the scope holds one, each private room's of the scope, the reader's
  // conversations'. An audience with no code has no message yet.
  #audiences(scope: SearchScope): (number | null)[] {
    const codes: (number | null)[] = [];
    const wanted: string[] = [];
    if (scope.roomKeys.length > 0) {
      const privateRooms = (this.#q(
        `SELECT key FROM rooms WHERE private <> 0
           AND key IN (SELECT value FROM json_each(?))`,
      ).all(JSON.stringify(scope.roomKeys)) as { key: string }[]).map((
        row,
      ) => row.key);
      if (privateRooms.length < new Set(scope.roomKeys).size) codes.push(null);
      for (const key of privateRooms) wanted.push(`r:${key}`);
    }
    if (scope.conversations) wanted.push(`u:${scope.conversations.userKey}`);
    if (wanted.length > 0) {
      const found = this.#index.q(
        `SELECT code FROM search_audiences
         WHERE audience IN (SELECT value FROM json_each(?)) ORDER BY code`,
      ).all(JSON.stringify(wanted)) as { code: number }[];
      for (const { code } of found) codes.push(code);
    }
    return codes;
  }

  // An audience's code in the index, if it has one (search_index_file.ts).
  #codeOf(audience: string): number | undefined {
    const row = this.#index.q(
      "SELECT code FROM search_audiences WHERE audience = ?",
    ).get(audience) as { code: number } | undefined;
    return row?.code;
  }

  // The rowids between `lo` and `hi` in every one of `terms`' lists,
  // newest first (FTS5 reads each list in the window alone: its own AND
  // honours no rowid bound until it has a match).
  #intersected(terms: string[], lo: number, hi: number): number[] {
    return (this.#index.arrays(
      `${terms.map(() => LIST_IN_WINDOW).join(" INTERSECT ")} ORDER BY 1 DESC`,
    ).all(
      ...terms.flatMap((term) => [term, BigInt(lo), BigInt(hi)]),
    ) as unknown as [number][]).map(([rowid]) => rowid);
  }

  // A page of a search without words: the messages below `top`, newest
  // first, that pass the scope and the filters, read through a marker's
  // list in the reader's audiences (`marker`, an FTS5 query: every
  // message's, or an author's), at most the budget's worth of its entries
  // (LIST_ROW_COST each), then `next` where they ended (the start of the
  // last one's millisecond, as #searchBoundary, whose entries below it
  // are read too).
  #listPage(
    marker: string,
    kept: string,
    params: (string | number)[],
    { top, bottom, limit, budget }: {
      top: number;
      bottom: number;
      limit: number;
      budget: number;
    },
  ): SearchPage {
    const span = Math.max(1, Math.floor(budget / LIST_ROW_COST));
    const entries = (this.#index.arrays(
      `${LIST_IN_WINDOW} ORDER BY rowid DESC LIMIT ?`,
    ).all(marker, BigInt(bottom), BigInt(top), span) as unknown as [
      number,
    ][]).map(([rowid]) => rowid);
    let lo = bottom;
    let next: string | undefined;
    if (entries.length === span) {
      const floor = entries[span - 1];
      ({ lo, next } = this.#searchBoundary(floor));
      if (lo < floor) {
        entries.push(...this.#intersected([marker], lo, floor - 1));
      }
    }
    const rows = this.#q(
      `SELECT ${MESSAGE_COLUMNS}, m.user_key, m.stream
       FROM ${MESSAGES} WHERE m.rowid IN (SELECT value FROM json_each(?))
         AND ${kept}
       ORDER BY m.rowid DESC LIMIT ?`,
    ).all(JSON.stringify(entries), ...params, limit) as unknown as SearchRow[];
    return rows.length >= limit || next === undefined || lo <= bottom
      ? recordsOf(rows)
      : { ...recordsOf(rows), next };
  }

  // A page of a search by filters alone in a scope of a few quiet streams
  // (#fewIn), read through messages_stream_seq_author, newest first, every
  // row between `bottom` and `top` that passes `where` (the index's own
  // test, its parameters first) and `kept`, so their matches come in one
  // page.
  #indexedPage(
    where: { sql: string; params: string[] },
    kept: string,
    params: (string | number)[],
    { top, bottom, limit }: { top: number; bottom: number; limit: number },
  ): SearchPage {
    return recordsOf(
      this.#q(
        `SELECT ${MESSAGE_COLUMNS}, m.user_key, m.stream
         FROM messages m INDEXED BY messages_stream_seq_author
           LEFT JOIN messages r ON r.id = m.reply_to
         WHERE ${where.sql} AND m.rowid BETWEEN ? AND ? AND ${kept}
         ORDER BY m.rowid DESC LIMIT ?`,
      ).all(
        ...where.params,
        bottom,
        top,
        ...params,
        limit,
      ) as unknown as SearchRow[],
    );
  }

  // Whether `streams` hold fewer than `reads` messages in all (deleted
  // ones too), counted in messages_stream_seq_author alone: at most `reads`
  // entries of it walked, whatever the store's size.
  #fewIn(streams: string[], reads: number): boolean {
    const [count] = this.#arrays(
      `SELECT count(*) FROM (SELECT 1 FROM messages
         INDEXED BY messages_stream_seq_author
       WHERE stream IN (SELECT value FROM json_each(?)) LIMIT ?)`,
    ).get(JSON.stringify(streams), reads) as unknown as [number];
    return count < reads;
  }

  // How many of a term's list's entries between rowids `lo` and `hi` (at
  // most `cap`, newest first) and, when there are `cap`, the lowest rowid
  // of them: a window down to it holds `cap` entries of that list.
  // Counting costs no more than reading them (0.3 to 0.6 µs an entry: the
  // rowid bounds bound as integers, see #searchWindow).
  #listFloor(
    term: string,
    lo: number,
    hi: number,
    cap: number,
  ): { count: number; floor?: number } {
    const [count, floor] = this.#index.arrays(
      `SELECT count(*), min(rowid) FROM (${LIST_IN_WINDOW}
       ORDER BY rowid DESC LIMIT ?)`,
    ).get(term, BigInt(lo), BigInt(hi), cap) as unknown as [number, number];
    return count < cap ? { count } : { count, floor };
  }
  // Where a page cut at `rowid` stops, and the cursor that continues
  // below it (searchCursor: the start of that message's millisecond), and
  // the first message of that millisecond, so the window reaches it.
  #searchBoundary(rowid: number): { lo: number; next: string } {
    const [first, id] = this.#arrays(
      "SELECT rowid, id FROM messages WHERE rowid >= ? ORDER BY rowid LIMIT 1",
    ).get(rowid) as unknown as [number, string];
    const next = searchCursor(id);
    if (next === id) return { lo: first, next };
    const [lo] = this.#arrays(
      "SELECT rowid FROM messages WHERE id >= ? ORDER BY id LIMIT 1",
    ).get(next) as unknown as [number];
    return { lo: Math.min(lo, first), next };
  }

  // The messages of one window of the index (rowids `lo` to `hi`) that
  // hold the words, newest first, at most `count`, and how many candidates
  // were read. The candidates are given when the caller read the lists
  // whole already; else FTS5 reads each walked word's list in the window
  // alone and SQLite intersects them (INTERSECT): FTS5's own AND honours no rowid
  // bound until it has a match, so words that never meet walked their
  // whole lists whatever the window. The other words (#searchOrder) are
  // checked on the candidates' text. Rowids are bound as BigInts: FTS5
  // seeks to an integer bound and walks the whole list past a float one
  // (as node:sqlite binds a number), 15 ms a common word at 500,000.
  #searchWindow(
    words: string[],
    terms: string[],
    order: SearchOrder,
    kept: string,
    { candidates: given, lo, hi, count, reads, params }: {
      candidates?: number[];
      lo: number;
      hi: number;
      count: number;
      reads: number;
      params: (string | number)[];
    },
  ): {
    rows: SearchRow[];
    fetched: number;
    cut?: { lo: number; next: string };
  } {
    const candidates = given ?? (this.#index.arrays(
      `${
        order.walked.map(() => LIST_IN_WINDOW).join(" INTERSECT ")
      } ORDER BY 1 DESC`,
    ).all(
      ...order.walked.flatMap((i) => [terms[i], BigInt(lo), BigInt(hi)]),
    ) as unknown as [number][]).map(([rowid]) => rowid);
    const rows: SearchRow[] = [];
    let fetched = 0;
    let cut: { lo: number; next: string } | undefined;
    while (fetched < candidates.length && rows.length < count && !cut) {
      // The first chunk no more than the page needs: most searches fill
      // with it.
      let chunk = candidates.slice(
        fetched,
        fetched + (fetched === 0 ? Math.min(FETCHED, count) : FETCHED),
      );
      // Past `reads` the window ends at the last candidate read (and the
      // rest of its millisecond): a scope that refuses them all read every
      // one (1,066 for words common long ago in a room without them).
      if (fetched >= reads) {
        cut = this.#searchBoundary(candidates[fetched - 1]);
        const from = cut.lo;
        chunk = candidates.slice(fetched).filter((rowid) => rowid >= from);
      }
      fetched += chunk.length;
      const got = this.#q(
        `SELECT ${MESSAGE_COLUMNS}, m.user_key, m.stream
         FROM ${MESSAGES} WHERE m.rowid IN (SELECT value FROM json_each(?))
           AND ${kept}
         ORDER BY m.rowid DESC`,
      ).all(JSON.stringify(chunk), ...params) as unknown as SearchRow[];
      for (const row of got) {
        if (
          order.checked.length > 0 &&
          !holdsWords(row.text, words, order.checked)
        ) continue;
        rows.push(row);
        if (rows.length === count) break;
      }
    }
    return { rows, fetched, cut };
  }

  // The FTS5 query of each word in the reader's audiences (`audiences`'
  // lists ORed: anyOf), the last one as a prefix too. FTS5 answers a
  // prefix by merging the lists of every word it starts before it can
  // return the newest match; a few whole words ORed are read newest first
  // and stop at the page's end. Null when no word has that prefix.
  #ftsTerms(
    words: string[],
    audiences: (number | null)[],
  ): string[] | null {
    const listed = (word: string) =>
      anyOf(audiences, (audience) => quote(audiencePrefix(audience) + word));
    const whole = words.slice(0, -1).map(listed);
    const prefix = words[words.length - 1];
    // One letter is a word, not a prefix: its prefix merged the lists of
    // nearly every word (190 ms at 500,000 messages, on the thread that
    // serves the sockets: two guests searching "t" twice a second each
    // took everyone's sends from 3 ms to 71 ms). 2 and 3 letters have
    // their own index (public rooms' words; another audience's are read
    // by merging its words of that prefix, fewer).
    const asPrefix = () =>
      anyOf(
        audiences,
        (audience) => `${quote(audiencePrefix(audience) + prefix)}*`,
      );
    if ([...prefix].length === 1) return [...whole, listed(prefix)];
    if ([...prefix].length <= 3) return [...whole, asPrefix()];
    // Words of every audience: one that only others' messages hold finds
    // nothing in the reader's lists, and the prefix's words or the prefix
    // itself match the same entries there.
    const expanded = (this.#index.q(
      `SELECT word FROM search_words WHERE word >= ? AND word < ?
       ORDER BY word LIMIT ${MAX_PREFIX_WORDS + 1}`,
    ).all(prefix, `${prefix}\u{10ffff}`) as { word: string }[])
      .map((row) => row.word);
    if (expanded.length === 0) return null;
    const last = expanded.length > MAX_PREFIX_WORDS
      ? asPrefix()
      : `(${
        audiences.flatMap((audience) =>
          expanded.map((word) => quote(audiencePrefix(audience) + word))
        ).join(" OR ")
      })`;
    return [...whole, last];
  }

  // A term's newest SAMPLE_ROWS entries at most, counted, and the oldest's
  // rowid (reading them walks nothing older, where a bound on rowid walks
  // from the newest down to it): which words are rarest (searchOrder).
  // That costs 0.3 ms or so a term, mostly FTS5 finding the end of the
  // list in each segment, so samples are kept a while: they change slowly.
  #sample(term: string): Sample {
    if (
      this.#samples.size >= MAX_SAMPLES ||
      Date.now() - this.#samplesSince > SAMPLES_KEPT_MS
    ) {
      this.#samples.clear();
      this.#samplesSince = Date.now();
    }
    let sample = this.#samples.get(term);
    if (sample === undefined) {
      const [count, oldest] = this.#index.arrays(
        `SELECT count(*), min(rowid) FROM (SELECT rowid FROM messages_fts
         WHERE messages_fts MATCH ? ORDER BY rowid DESC LIMIT ${SAMPLE_ROWS})`,
      ).get(term) as unknown as [number, number | null];
      sample = { count, oldest: oldest ?? 0 };
      // None: the word is in no message, not kept (its first message
      // would be missed).
      if (count === 0) return sample;
      this.#samples.set(term, sample);
    }
    return sample;
  }
}

// A word or token quoted for FTS5, which then reads none of its syntax.
function quote(word: string): string {
  return `"${word.replaceAll('"', '""')}"`;
}

// `term` in each of the reader's audiences, ORed: one query of their
// lists.
function anyOf(
  audiences: (number | null)[],
  term: (audience: number | null) => string,
): string {
  const terms = audiences.map(term);
  return terms.length === 1 ? terms[0] : `(${terms.join(" OR ")})`;
}
