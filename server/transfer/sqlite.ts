/**
 * Export and import on a SQLite file: reads in one read transaction (WAL
 * lets the server keep writing meanwhile), writes in one write transaction
 * with a statement per row, so a refused row is known exactly.
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import {
  MAX_KEPT_EDITS,
  MAX_REACTIONS_PER_MESSAGE,
} from "../protocol/limits.ts";
import type { Reaction } from "../protocol/types.ts";
import { searchIndexPath } from "../store/search_index_file.ts";
import { SqliteStore, summarizeReactions } from "../store/sqlite.ts";
import { bringUpToDate } from "../store/sqlite_side.ts";
import { type Row, rowFrom, type TableSpec } from "./format.ts";
import {
  type ExportSource,
  type ImportTarget,
  MUST_BE_EMPTY,
  RowError,
  type TableReader,
  type TableWriter,
} from "./mod.ts";

/** How a SQLite file is opened for export or import. */
export interface SqliteTransferOptions {
  /** How long to wait for a lock a server holds (`--db-busy-timeout`). */
  busyTimeoutMs: number;
}

function orderOf(spec: TableSpec): string[] {
  return spec.order ? [spec.order.sqlite] : [...spec.key];
}

// A new file gets the server's schema; an existing one is only migrated if
// older (bringUpToDate), since a server may be serving it.
async function openFile(
  path: string,
  options: SqliteTransferOptions,
): Promise<DatabaseSync> {
  const exists = await Deno.stat(path).then(() => true, () => false);
  if (exists) {
    await bringUpToDate(path, { busyTimeoutMs: options.busyTimeoutMs });
  } else {
    await new SqliteStore(path, {
      busyTimeoutMs: options.busyTimeoutMs,
      // Only its schema: the server builds the index when it opens it.
      searchIndex: { mode: "off" },
    }).close();
  }
  const db = new DatabaseSync(path);
  db.exec(`PRAGMA busy_timeout = ${Math.trunc(options.busyTimeoutMs)}`);
  db.exec("PRAGMA foreign_keys = ON");
  return db;
}

function describe(path: string): string {
  return `SQLite ${path}`;
}

/** Reads a SQLite file for an export, which must exist. */
export class SqliteSource implements ExportSource {
  #db: DatabaseSync;
  readonly describe: string;

  private constructor(db: DatabaseSync, path: string) {
    this.#db = db;
    this.describe = describe(path);
  }

  /** Opens an existing file, its schema brought up to date. */
  static async open(
    path: string,
    options: SqliteTransferOptions,
  ): Promise<SqliteSource> {
    try {
      await Deno.stat(path);
    } catch {
      throw new Error(`no database at ${path}`);
    }
    return new SqliteSource(await openFile(path, options), path);
  }

  async snapshot<T>(work: (reader: TableReader) => Promise<T>): Promise<T> {
    this.#db.exec("BEGIN");
    try {
      return await work(this.#reader());
    } finally {
      this.#db.exec("COMMIT");
    }
  }

  #reader(): TableReader {
    const db = this.#db;
    const pages = new Map<string, StatementSync>();
    const firsts = new Map<string, StatementSync>();
    return {
      count(spec) {
        const row = db.prepare(`SELECT count(*) AS n FROM ${spec.table}`)
          .get() as { n: number };
        return Promise.resolve(row.n);
      },
      page(spec, after, limit) {
        const order = orderOf(spec);
        const columns = [
          ...spec.columns.map((c) => `"${c.name}"`),
          ...order.map((c, i) => `${c} AS _k${i}`),
        ].join(", ");
        const by = order.join(", ");
        const cached = after ? pages : firsts;
        let statement = cached.get(spec.table);
        if (!statement) {
          const where = after
            ? `WHERE (${by}) > (${order.map(() => "?").join(", ")})`
            : "";
          statement = db.prepare(
            `SELECT ${columns} FROM ${spec.table} ${where} ORDER BY ${by} LIMIT ?`,
          );
          cached.set(spec.table, statement);
        }
        const raw = statement.all(
          ...(after ?? []) as (string | number)[],
          limit,
        ) as Record<string, unknown>[];
        const last = raw.at(-1);
        return Promise.resolve({
          rows: raw.map((r) => rowFrom(spec, r)),
          cursor: last ? order.map((_, i) => last[`_k${i}`]) : after,
        });
      },
    };
  }

  close(): Promise<void> {
    this.#db.close();
    return Promise.resolve();
  }
}

/** Writes into a SQLite file for an import; creates it when missing. */
export class SqliteTarget implements ImportTarget {
  #db: DatabaseSync;
  #path: string;
  readonly describe: string;

  private constructor(db: DatabaseSync, path: string) {
    this.#db = db;
    this.#path = path;
    this.describe = describe(path);
  }

  /** Opens a file (created when missing), its schema brought up to date. */
  static async open(
    path: string,
    options: SqliteTransferOptions,
  ): Promise<SqliteTarget> {
    return new SqliteTarget(await openFile(path, options), path);
  }

  async transaction(
    work: (writer: TableWriter) => Promise<void>,
  ): Promise<void> {
    // IMMEDIATE: a server writing to the file meanwhile waits, or this
    // fails at once, rather than one of them failing half-way.
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      await work(this.#writer());
      inIdOrder(this.#db);
      this.#db.exec("COMMIT");
    } catch (error) {
      this.#db.exec("ROLLBACK");
      throw error;
    }
    // The search index is the server's own, and derived (its file beside
    // this one: search_index_file.ts): it goes, and the server builds it
    // again from the messages when it next opens the file (the messages
    // took new rowids above, inIdOrder).
    for (const suffix of ["", "-wal", "-shm"]) {
      await Deno.remove(`${searchIndexPath(this.#path)}${suffix}`).catch(
        () => {},
      );
    }
  }

  #writer(): TableWriter {
    const db = this.#db;
    const inserts = new Map<string, StatementSync>();
    return {
      inUse() {
        for (const table of MUST_BE_EMPTY) {
          const { n } = db.prepare(`SELECT count(*) AS n FROM ${table}`)
            .get() as { n: number };
          if (n > 0) return Promise.resolve(`${n} rows in ${table}`);
        }
        const { n } = db.prepare(
          "SELECT count(*) AS n FROM streams WHERE last_seq > 0",
        ).get() as { n: number };
        return Promise.resolve(
          n > 0 ? `${n} streams with messages` : undefined,
        );
      },
      clear() {
        db.exec("DELETE FROM rooms; DELETE FROM streams; DELETE FROM secrets");
        return Promise.resolve();
      },
      insert(spec, rows) {
        let statement = inserts.get(spec.table);
        if (!statement) {
          const names = spec.columns.map((c) => `"${c.name}"`).join(", ");
          const marks = spec.columns.map(() => "?").join(", ");
          statement = db.prepare(
            `INSERT INTO ${spec.table} (${names}) VALUES (${marks})`,
          );
          inserts.set(spec.table, statement);
        }
        for (let i = 0; i < rows.length; i++) {
          try {
            statement.run(...toSqlite(spec, rows[i]));
          } catch (error) {
            throw new RowError(i, (error as Error).message, { cause: error });
          }
        }
        // The next room made is later than every room imported, as the
        // store's room clock promises (its rooms' creation times differ).
        if (spec.table === "rooms") {
          db.exec(
            `UPDATE room_clock SET last = max(last,
               (SELECT coalesce(max(created_at), 0) FROM rooms))`,
          );
        }
        return Promise.resolve();
      },
      sumReactions() {
        return Promise.resolve(sumReactions(db));
      },
      strayEdit() {
        const row = db.prepare(strayEditQuery("rowid")).get() as
          | { at: number; message_id: string }
          | undefined;
        return Promise.resolve(
          row && { index: row.at, messageId: row.message_id },
        );
      },
      settleEdits() {
        const dropped = db.prepare(keepNewestEditsQuery("rowid")).run();
        // Each row's time: the greatest of its and the rows' above it,
        // within its message's ts and edited_at.
        const retimed = db.prepare(
          `UPDATE message_edits SET ts = r.ts FROM (
             SELECT x.rowid AS id, x.ts AS was, max(m.ts, min(m.edited_at,
               max(x.ts) OVER (PARTITION BY x.message_id ORDER BY x.rowid
                 ROWS UNBOUNDED PRECEDING))) AS ts
             FROM message_edits x JOIN messages m ON m.id = x.message_id
             WHERE m.edited_at IS NOT NULL
           ) r WHERE message_edits.rowid = r.id AND r.ts <> r.was`,
        ).run();
        return Promise.resolve({
          dropped: Number(dropped.changes),
          retimed: Number(retimed.changes),
        });
      },
      check() {
        const row = db.prepare(CHECK).get() as
          | { problem: string }
          | undefined;
        return Promise.resolve(row?.problem);
      },
    };
  }

  close(): Promise<void> {
    this.#db.close();
    return Promise.resolve();
  }
}

/**
 * Numbers the imported messages' rowids in the order of their ids, as the
 * server's appends leave them: the file holds messages stream by stream,
 * and search reads rowids as time (store/sqlite_search.ts: its windows,
 * its order, `before` and `after`), so a copy listed a room's messages
 * before a conversation's newer ones, its pages skipped those, and a
 * search `after` a day missed them. A pass over the ids when they are in
 * order already (a store with one stream); else every row is written
 * once more (100,000 messages in 100 rooms: 7 s in memory at load 22).
 */
function inIdOrder(db: DatabaseSync): void {
  const { mixed } = db.prepare(
    `SELECT EXISTS (SELECT 1 FROM (
       SELECT id, lag(id) OVER (ORDER BY rowid) AS prev FROM messages)
     WHERE prev > id) AS mixed`,
  ).get() as { mixed: number };
  if (!mixed) return;
  // Above the highest, so no new rowid meets an old one: one pass (first
  // negated, then numbered from 1, took twice as long).
  db.exec(
    `CREATE TEMP TABLE message_order (old INTEGER PRIMARY KEY, new INTEGER);
     INSERT INTO message_order
       SELECT rowid, (SELECT max(rowid) FROM messages)
         + row_number() OVER (ORDER BY id) FROM messages;
     UPDATE messages SET rowid =
       (SELECT new FROM message_order WHERE old = messages.rowid);
     DROP TABLE message_order;`,
  );
}

/**
 * The summaries of every message's reactions made again from the rows
 * (TableWriter.sumReactions): one walk of the reactions by message, each
 * with its message's summary, and a write only where the summary differs,
 * so an honest dump's messages keep their versions. Then a summary with no
 * rows left (a deleted message's, or one a dump made up) is cleared: a
 * scan of the messages, as the import's check makes.
 */
function sumReactions(db: DatabaseSync): number {
  db.exec(
    `DELETE FROM reactions WHERE EXISTS (SELECT 1 FROM messages m
       WHERE m.id = reactions.message_id AND m.deleted)`,
  );
  db.exec(
    `DELETE FROM message_edits WHERE EXISTS (SELECT 1 FROM messages m
       WHERE m.id = message_edits.message_id AND m.deleted)`,
  );
  const write = db.prepare("UPDATE messages SET reactions = ? WHERE id = ?");
  let changed = 0;
  const settle = (
    id: string,
    reactions: string | null,
    rows: { emoji: string; user: string }[],
  ) => {
    const summary = JSON.stringify(summarizeReactions(rows));
    // Read in the store's order of keys: an imported summary keeps its
    // line's (sorted), and a text compare would change every one.
    const kept = reactions === null ? null : JSON.stringify(
      (JSON.parse(reactions) as Reaction[]).map((r) => ({
        emoji: r.emoji,
        count: r.count,
        users: r.users,
      })),
    );
    if (kept !== summary) {
      write.run(summary, id);
      changed++;
    }
  };
  let id: string | undefined;
  let summary: string | null = null;
  let rows: { emoji: string; user: string }[] = [];
  const walk = db.prepare(
    `SELECT r.message_id, r.emoji, r.user, m.reactions
     FROM reactions r JOIN messages m ON m.id = r.message_id
     ORDER BY r.message_id, r.rowid`,
  ).iterate() as Iterable<
    {
      message_id: string;
      emoji: string;
      user: string;
      reactions: string | null;
    }
  >;
  for (const row of walk) {
    if (row.message_id !== id) {
      if (id !== undefined) settle(id, summary, rows);
      id = row.message_id;
      summary = row.reactions;
      rows = [];
    }
    rows.push(row);
  }
  if (id !== undefined) settle(id, summary, rows);
  const { changes } = db.prepare(
    `UPDATE messages SET reactions = NULL WHERE reactions IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM reactions r WHERE r.message_id = messages.id)`,
  ).run();
  return changed + Number(changes);
}

function toSqlite(spec: TableSpec, row: Row): (string | number | null)[] {
  return spec.columns.map((column) => {
    const value = row[column.name];
    if (value === null || value === undefined) return null;
    if (column.type === "bool") return value ? 1 : 0;
    if (column.type === "json") return JSON.stringify(value);
    return value as string | number;
  });
}

/**
 * The first edit row whose message was never edited (TableWriter.strayEdit),
 * in the order the rows came in (`order`: SQLite's rowid, PostgreSQL's
 * ord): the same query on both stores. One sort of the table an import.
 */
export function strayEditQuery(order: "rowid" | "ord"): string {
  return `
  SELECT at, message_id FROM (
    SELECT x.message_id, m.edited_at, m.deleted,
      row_number() OVER (ORDER BY x.${order}) - 1 AS at
    FROM message_edits x JOIN messages m ON m.id = x.message_id
  ) e
  WHERE edited_at IS NULL AND NOT deleted
  ORDER BY at LIMIT 1`;
}

/**
 * Drops each message's edit rows past its newest MAX_KEPT_EDITS
 * (TableWriter.settleEdits), on both stores.
 */
export function keepNewestEditsQuery(order: "rowid" | "ord"): string {
  return `
  DELETE FROM message_edits WHERE ${order} IN (
    SELECT ${order} FROM (
      SELECT ${order}, row_number() OVER (PARTITION BY message_id
        ORDER BY ${order} DESC) AS k
      FROM message_edits
    ) n WHERE k > ${MAX_KEPT_EDITS})`;
}

/**
 * The first inconsistency an import would leave: the same query on both
 * stores (postgres.ts runs it too). A message with more different
 * reactions than `react` ever let in would be served a summary longer
 * than any reader was (the import sums it up from the lines).
 */
export const CHECK = `
  SELECT 'message ' || m.id || ' has seq ' || m.seq || ' beyond its stream '
    || m.stream || (CASE WHEN s.key IS NULL THEN ', which has no stream line'
      ELSE ' (last_seq ' || s.last_seq || ')' END) AS problem
  FROM messages m LEFT JOIN streams s ON s.key = m.stream
  WHERE s.key IS NULL OR m.seq > s.last_seq
  UNION ALL
  SELECT 'room ' || r.key || ' has no stream line' AS problem
  FROM rooms r LEFT JOIN streams s ON s.key = r.key
  WHERE s.key IS NULL
  UNION ALL
  SELECT 'message ' || x.message_id || ' has ' || count(DISTINCT x.emoji)
    || ' different reactions, where every version took at most '
    || ${MAX_REACTIONS_PER_MESSAGE} AS problem
  FROM reactions x GROUP BY x.message_id
  HAVING count(DISTINCT x.emoji) > ${MAX_REACTIONS_PER_MESSAGE}
  LIMIT 1`;
