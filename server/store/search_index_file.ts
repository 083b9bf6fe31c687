/**
 * SqliteStore's search index: its tables and the pass that brings it up
 * to the messages. The server keeps it in a file of its own beside the
 * database (`<db>-search`), written by a thread (search_index_worker.ts),
 * so that FTS5's inserts and their commits (a third of a stored message's
 * CPU, docs/performance.md "Stored messages a second, measured apart") are
 * off the thread that stores the messages. A `:memory:` store, which no
 * thread can open, keeps these tables in its own database and runs the
 * same pass there (search_index.ts).
 *
 * The index is derived: two marks say how far it got, the highest rowid
 * of `messages` indexed and the last row of the main file's
 * `search_changes` applied (what an edit, a delete, expiry or a room's
 * deletion wrote there: its triggers, sqlite_schema.ts). A lost tail is
 * indexed again from the marks; a lost file is built again from 0.
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { searchWords } from "./search_text.ts";

/** The index's own schema version: a newer one is built again. */
export const SEARCH_INDEX_VERSION = 2;

/** The index file beside a database file. */
export function searchIndexPath(path: string): string {
  return `${path}-search`;
}

/**
 * Messages (and changes) one pass reads at most: about 12 ms of FTS5 on
 * the thread at 6 µs a message, and one commit for them all.
 */
export const PASS_ROWS = 2048;

// The folded words of each message that is not deleted (search_text.ts),
// by the message's rowid. Contentless: the text is in messages already.
// detail=none keeps no positions: a search is words, never a phrase.
// Prefixes of 2 and 3 letters are indexed: FTS5 answers a short prefix by
// merging the lists of every word it starts, tens of ms at 100,000
// messages, and the store turns longer ones into words (search_words,
// every word ever indexed: words of deleted messages stay, they find
// nothing). search_marks: how far the index got (see the module comment).
//
// Version 2: the lists are by audience (audienceTokens), so that a page's
// bounded work walks only lists its reader may read: `_` joins a code to
// a word (searchWords never makes one, so no word is mistaken for a
// code), and search_audiences gives each audience its code.
const SCHEMA = `
  CREATE VIRTUAL TABLE IF NOT EXISTS messages_fts USING fts5 (
    words, content = '', contentless_delete = 1, detail = none,
    prefix = '2 3',
    tokenize = "unicode61 remove_diacritics 2 tokenchars '_'"
  );
  CREATE TABLE IF NOT EXISTS search_audiences (
    code INTEGER PRIMARY KEY,
    audience TEXT NOT NULL UNIQUE
  ) STRICT;
  CREATE TABLE IF NOT EXISTS search_words (word TEXT PRIMARY KEY) STRICT,
    WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS search_marks (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL,
    rowid INTEGER NOT NULL,
    change INTEGER NOT NULL
  ) STRICT;
  INSERT OR IGNORE INTO search_marks (id, version, rowid, change)
    VALUES (1, ${SEARCH_INDEX_VERSION}, 0, 0);
`;

/** How far an index got (see the module comment). */
export interface SearchMarks {
  version: number;
  rowid: number;
  change: number;
}

/** Creates the index's tables where missing, its marks at 0. */
export function createSearchIndex(db: DatabaseSync): void {
  db.exec(SCHEMA);
}

/** Drops the index's tables. */
export function dropSearchIndex(db: DatabaseSync): void {
  db.exec(`DROP TABLE IF EXISTS messages_fts;
    DROP TABLE IF EXISTS search_words;
    DROP TABLE IF EXISTS search_audiences;
    DROP TABLE IF EXISTS search_marks;`);
}

/** Empties the index and sets its marks to 0: it is built again. */
export function resetSearchIndex(db: DatabaseSync): void {
  // Dropped rather than emptied: deleting a million rows from a
  // contentless_delete table writes a tombstone each.
  dropSearchIndex(db);
  createSearchIndex(db);
}

/** The index's marks. */
export function readMarks(db: DatabaseSync): SearchMarks {
  return statement(db, "SELECT version, rowid, change FROM search_marks")
    .get() as unknown as SearchMarks;
}

/**
 * Whether an index's marks are past what the main file holds (a restored
 * older database beside a newer index, or one that does not belong to
 * it): such an index holds words the messages do not, and is built again.
 * A newest message deleted before the index's pass counts too (its rowid
 * is above the main file's last): the cost is one rebuild, the gain no
 * record of every rowid ever given.
 */
export function marksPastEnd(
  source: DatabaseSync,
  marks: SearchMarks,
): boolean {
  const { top, change } = source.prepare(
    `SELECT (SELECT coalesce(max(rowid), 0) FROM messages) AS top,
       (SELECT coalesce(max(seq), 0) FROM sqlite_sequence
        WHERE name = 'search_changes') AS change`,
  ).get() as { top: number; change: number };
  return marks.version !== SEARCH_INDEX_VERSION || marks.rowid > top ||
    marks.change > change;
}

/** What a pass did. */
export interface SearchPass {
  /** The marks after it. */
  marks: SearchMarks;
  /** Messages and changes it read. */
  read: number;
  /** It read a full page of either: more wait. */
  full: boolean;
}

/** A message as the index reads it: its words and whose they are. */
interface IndexedRow {
  text: string;
  deleted: number;
  stream: string;
  user_key: string;
  // Its room's privacy (0 for a conversation, which has no room).
  private: number;
}

// What readSnapshot reads of a message.
const INDEXED_COLUMNS = `m.text, m.deleted, m.stream, m.user_key,
  coalesce(r.private, 0) AS private
  FROM messages m LEFT JOIN rooms r ON r.key = m.stream`;

/** What a pass read from the main file, all in one snapshot. */
interface Snapshot {
  changes: { seq: number; message: number }[];
  // The changed messages as they are now (absent: gone).
  current: Map<number, IndexedRow>;
  top: number;
  fresh: (IndexedRow & { rowid: number })[];
}

// Reads one pass's worth of the main file (`source`) past `marks`, in
// the caller's read transaction.
function readSnapshot(
  source: DatabaseSync,
  marks: SearchMarks,
  limit: number,
): Snapshot {
  const changes = statement(
    source,
    `SELECT seq, message FROM search_changes WHERE seq > ?
     ORDER BY seq LIMIT ?`,
  ).all(marks.change, limit) as unknown as Snapshot["changes"];
  const current = new Map<number, IndexedRow>();
  const read = statement(
    source,
    `SELECT ${INDEXED_COLUMNS} WHERE m.rowid = ?`,
  );
  for (const { message } of changes) {
    if (message > marks.rowid || current.has(message)) continue;
    const row = read.get(message) as IndexedRow | undefined;
    if (row) current.set(message, row);
  }
  const { top } = statement(
    source,
    "SELECT coalesce(max(rowid), 0) AS top FROM messages",
  ).get() as { top: number };
  const fresh = statement(
    source,
    `SELECT m.rowid, ${INDEXED_COLUMNS} WHERE m.rowid > ?
     ORDER BY m.rowid LIMIT ?`,
  ).all(Math.min(marks.rowid, top), limit) as unknown as Snapshot["fresh"];
  return { changes, current, top, fresh };
}

/**
 * The audiences a message's words are listed under: public rooms one
 * (`""`: anyone may read them), a private room its own (`r:<key>`), a
 * conversation under each of its two people (`u:<key>`). A reader's
 * search walks only the lists of their own audiences (sqlite_search.ts),
 * so where a page stops never depends on messages they may not read.
 */
export function audiencesOf(
  stream: string,
  inPrivateRoom: boolean,
): string[] {
  if (stream.startsWith("@")) {
    // '@a:b' (conversationKey): ':' is in no key.
    const [a, b] = stream.slice(1).split(":");
    return a === b ? [`u:${a}`] : [`u:${a}`, `u:${b}`];
  }
  return [inPrivateRoom ? `r:${stream}` : ""];
}

/** The audience of an author's messages (their marker, audienceTokens). */
export function authorAudience(userKey: string): string {
  return `a:${userKey}`;
}

/**
 * The start of an audience's tokens (its code, audienceCodes): a word `w`
 * is listed as `<prefix>w`; public rooms' words as they are.
 */
export function audiencePrefix(code: number | null): string {
  return code === null ? "" : `_${code}_`;
}

/**
 * The token every message of an audience holds (a search by filters
 * alone walks it), and the token of an author's messages in it (`from`
 * alone): `__` and `__a<n>` for public rooms, `_<c>_` and `_<c>__a<n>`
 * for others. None is a word nor starts one: words hold no `_`.
 */
export function markerToken(code: number | null, author?: number): string {
  const base = code === null ? "_" : audiencePrefix(code);
  return author === undefined
    ? (code === null ? "__" : base)
    : `${base}_a${author}`;
}

/**
 * One pass: the changes past the index's change mark applied in order
 * (a changed message's words deleted, and indexed again with its text as
 * it is now when it is still there), then the messages past its rowid
 * mark indexed, at most `limit` of each, the marks moved in the same
 * transaction. `source` reads the main file; it may be `index` itself
 * (a `:memory:` store). Rowids come back: SQLite gives the last one
 * again once the newest messages are deleted, so when the main file's
 * last rowid is below the mark (their deletions applied here), the mark
 * comes down to it and the next messages are read from there.
 */
export function searchPass(
  source: DatabaseSync,
  index: DatabaseSync,
  limit = PASS_ROWS,
): SearchPass {
  const inPlace = source === index;
  const marks = readMarks(index);
  let snapshot: Snapshot;
  // One read transaction: the changes, the texts and the new messages as
  // of one commit of the main file.
  if (!inPlace) source.exec("BEGIN");
  try {
    snapshot = readSnapshot(source, marks, limit);
  } finally {
    if (!inPlace) source.exec("COMMIT");
  }
  const { changes, fresh, top } = snapshot;
  const read = changes.length + fresh.length;
  if (read === 0 && marks.rowid <= top) return { marks, read, full: false };
  const next = { ...marks };
  // The thread's own transaction; in place, the store's.
  if (!inPlace) index.exec("BEGIN IMMEDIATE");
  try {
    write(index, snapshot, marks, next);
    if (!inPlace) index.exec("COMMIT");
  } catch (error) {
    if (!inPlace) index.exec("ROLLBACK");
    throw error;
  }
  return {
    marks: next,
    read,
    full: changes.length === limit || fresh.length === limit,
  };
}

// A pass's writes (searchPass): `next` is moved to the new marks.
function write(
  index: DatabaseSync,
  { changes, current, top, fresh }: Snapshot,
  marks: SearchMarks,
  next: SearchMarks,
): void {
  const forget = statement(index, "DELETE FROM messages_fts WHERE rowid = ?");
  const rows: (IndexedRow & { rowid: number })[] = [];
  const applied = new Set<number>();
  for (const { message } of changes) {
    if (message > marks.rowid || applied.has(message)) continue;
    applied.add(message);
    forget.run(message);
    const now = current.get(message);
    if (now && !now.deleted) rows.push({ ...now, rowid: message });
  }
  if (changes.length > 0) next.change = changes[changes.length - 1].seq;
  if (marks.rowid > top) {
    statement(index, "DELETE FROM messages_fts WHERE rowid > ?").run(top);
    next.rowid = top;
  }
  for (const row of fresh) if (!row.deleted) rows.push(row);
  if (fresh.length > 0) next.rowid = fresh[fresh.length - 1].rowid;
  indexAll(index, rows);
  statement(index, "UPDATE search_marks SET rowid = ?, change = ?").run(
    next.rowid,
    next.change,
  );
}

// Statements of a connection, prepared once: node:sqlite compiles anew
// at each prepare(), 10 to 30 µs, and a pass prepared a dozen, two more
// for each author new to it (a third of a chat message's CPU on the
// thread, bench/search_index_cpu.ts). SQLite prepares a kept statement
// again itself when the schema changed (an index built again).
const prepared = new WeakMap<DatabaseSync, Map<string, StatementSync>>();

function statement(db: DatabaseSync, sql: string): StatementSync {
  let kept = prepared.get(db);
  if (!kept) prepared.set(db, kept = new Map());
  let found = kept.get(sql);
  if (!found) kept.set(sql, found = db.prepare(sql));
  return found;
}

// The codes of audiences in the index (search_audiences), made for those
// new: two statements however many (a pass's authors are most of them).
function audienceCodes(
  db: DatabaseSync,
  audiences: Iterable<string>,
): Map<string, number> {
  const list = JSON.stringify([...audiences]);
  statement(
    db,
    `INSERT OR IGNORE INTO search_audiences (audience)
     SELECT value FROM json_each(?)`,
  ).run(list);
  const rows = statement(
    db,
    `SELECT audience, code FROM search_audiences
     WHERE audience IN (SELECT value FROM json_each(?))`,
  ).all(list) as { audience: string; code: number }[];
  return new Map(rows.map((row) => [row.audience, row.code]));
}

// Each message's words in FTS5 under each of its audiences, with the
// audience's marker and its author's (markerToken), then the words of
// them all in search_words in one statement: a pass's messages share most
// of their words, and a json_each insert a message cost 5 µs of its 65 in
// the history bench (docs/performance.md, "CPU per stored message,
// profiled"). A conversation's words are listed twice (the index 45%
// larger, docs/performance.md "A search bounded over its reader's scope").
// The codes of the pass's audiences and authors are read (and made) in
// one go (audienceCodes).
function indexAll(
  db: DatabaseSync,
  rows: (IndexedRow & { rowid: number })[],
): void {
  if (rows.length === 0) return;
  const insert = statement(
    db,
    "INSERT INTO messages_fts (rowid, words) VALUES (?, ?)",
  );
  const listed = rows.map((row) => ({
    row,
    audiences: audiencesOf(row.stream, row.private === 1),
    author: authorAudience(row.user_key),
  }));
  const named = new Set<string>();
  for (const { audiences, author } of listed) {
    named.add(author);
    for (const audience of audiences) if (audience !== "") named.add(audience);
  }
  const codes = audienceCodes(db, named);
  const seen = new Set<string>();
  for (const { row, audiences, author } of listed) {
    const words = searchWords(row.text);
    const authorCode = codes.get(author) as number;
    // The document as one string: an audience's words joined with its
    // prefix between them, not a token array pushed word by word and
    // joined (a fifth of this loop's CPU, docs/performance.md "Chat's
    // CPU: the search index's documents").
    let document = "";
    for (const audience of audiences) {
      const code = audience === "" ? null : codes.get(audience) as number;
      const prefix = audiencePrefix(code);
      if (document !== "") document += " ";
      document += markerToken(code) + " " + markerToken(code, authorCode);
      if (words.length > 0) {
        document += " " + prefix + words.join(" " + prefix);
      }
    }
    insert.run(row.rowid, document);
    for (const word of words) seen.add(word);
  }
  if (seen.size === 0) return;
  statement(
    db,
    "INSERT OR IGNORE INTO search_words (word) SELECT value FROM json_each(?)",
  ).run(JSON.stringify([...seen]));
}
