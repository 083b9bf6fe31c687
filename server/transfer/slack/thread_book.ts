/**
 * A conversation's thread roots and threads while the Slack converter
 * reads it, in a temporary SQLite file rather than in memory: a reply
 * finds its root by the root's Slack ts however long after it came, so
 * every message that may be answered (every one outside a thread) must be
 * found again, and a channel of 60,000 messages held 42,000 of them (their
 * rows, once), which grew the converter's heap with the channel
 * (docs/performance.md "Imports' memory"). The cost: a write for each
 * root and each reply and a look-up for each reply, in one transaction a
 * conversation on a file without a journal (it is thrown away anyway),
 * about a second a 100,000 messages.
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";

/** A thread of the conversation, for its followers. */
export interface BookedThread {
  rootId: string;
  /** Its last reply's time and seq: a follower has read it to its end. */
  lastTs: number;
  lastSeq: number;
  /** Its root's author, then its repliers, in the order they came. */
  authors: string[];
}

/** The roots and threads of one conversation at a time. */
export class ThreadBook {
  #db: DatabaseSync;
  #addRoot: StatementSync;
  #root: StatementSync;
  #thread: StatementSync;
  #author: StatementSync;
  #threads: StatementSync;
  /** Whether the conversation's transaction has begun (it has a root). */
  #open = false;
  #transactions = 0;

  /** A book in the file at `path` (in a folder the caller removes). */
  constructor(path: string) {
    this.#db = new DatabaseSync(path);
    this.#db.exec(`
      PRAGMA journal_mode = OFF;
      PRAGMA synchronous = OFF;
      CREATE TABLE roots (
        ts TEXT PRIMARY KEY, id TEXT NOT NULL, author TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE threads (
        n INTEGER PRIMARY KEY, root_id TEXT NOT NULL UNIQUE,
        last_ts INTEGER NOT NULL, last_seq INTEGER NOT NULL
      );
      CREATE TABLE authors (
        n INTEGER PRIMARY KEY, root_id TEXT NOT NULL, key TEXT NOT NULL,
        UNIQUE (root_id, key)
      );
    `);
    // A second message of the same ts answers to the later one, as a
    // Map's set did.
    this.#addRoot = this.#db.prepare(
      "INSERT OR REPLACE INTO roots (ts, id, author) VALUES (?, ?, ?)",
    );
    this.#root = this.#db.prepare(
      "SELECT id, author FROM roots WHERE ts = ?",
    );
    // A thread keeps its place (n) from its first reply, as a Map does.
    this.#thread = this.#db.prepare(
      `INSERT INTO threads (root_id, last_ts, last_seq) VALUES (?, ?, ?)
       ON CONFLICT (root_id) DO UPDATE
       SET last_ts = excluded.last_ts, last_seq = excluded.last_seq`,
    );
    this.#author = this.#db.prepare(
      "INSERT OR IGNORE INTO authors (root_id, key) VALUES (?, ?)",
    );
    this.#threads = this.#db.prepare(
      `SELECT t.root_id, t.last_ts, t.last_seq, a.key
       FROM threads t JOIN authors a ON a.root_id = t.root_id
       ORDER BY t.n, a.n`,
    );
  }

  /**
   * Starts a conversation. Its transaction begins at its first root: an
   * export of thousands of channels without messages (the round-18 test's
   * 8,000) took about 3 ms a conversation in BEGIN, three DELETEs and
   * COMMIT, 27 s where the converter held them in memory in 3.
   */
  begin(): void {
    this.#open = false;
  }

  /**
   * How many transactions the book has begun: one a conversation with a
   * root, none for one without (a test counts them, not their time).
   */
  get transactions(): number {
    return this.#transactions;
  }

  #opened(): void {
    if (this.#open) return;
    this.#db.exec("BEGIN");
    this.#open = true;
    this.#transactions++;
  }

  /** A message a reply may answer, by its Slack ts. */
  addRoot(ts: string, id: string, author: string): void {
    this.#opened();
    this.#addRoot.run(ts, id, author);
  }

  /** The root of a reply's `thread_ts`, if the conversation had it. */
  root(ts: string): { id: string; author: string } | undefined {
    if (!this.#open) return undefined;
    return this.#root.get(ts) as { id: string; author: string } | undefined;
  }

  /** A reply in the thread of `root` by `author`, the thread's last so far. */
  reply(
    root: { id: string; author: string },
    last: { ts: number; seq: number },
    author: string,
  ): void {
    this.#thread.run(root.id, last.ts, last.seq);
    this.#author.run(root.id, root.author);
    this.#author.run(root.id, author);
  }

  /** The conversation's threads, in the order of their first replies. */
  *threads(): Generator<BookedThread> {
    if (!this.#open) return;
    let thread: BookedThread | undefined;
    const rows = this.#threads.iterate() as Iterable<{
      root_id: string;
      last_ts: number;
      last_seq: number;
      key: string;
    }>;
    for (const row of rows) {
      if (thread?.rootId !== row.root_id) {
        if (thread) yield thread;
        thread = {
          rootId: row.root_id,
          lastTs: row.last_ts,
          lastSeq: row.last_seq,
          authors: [],
        };
      }
      thread.authors.push(row.key);
    }
    if (thread) yield thread;
  }

  /** Ends a conversation (its threads read): its rows are let go. */
  end(): void {
    if (!this.#open) return;
    this.#db.exec(
      "DELETE FROM roots; DELETE FROM threads; DELETE FROM authors; COMMIT;",
    );
    this.#open = false;
  }

  /** Lets the file go (its folder is removed by the caller). */
  close(): void {
    try {
      if (this.#db.isTransaction) this.#db.exec("ROLLBACK");
      this.#db.close();
    } catch {
      // Closed already.
    }
  }
}
