/**
 * Who brings SqliteStore's search index up to its messages (the pass and
 * the tables: search_index_file.ts). A store on a file has a thread of its
 * own write `<db>-search` (search_index_worker.ts): FTS5's inserts and
 * their commits leave the store's thread (8 µs of a stored message's 19,
 * docs/performance.md). A `:memory:` store cannot share its database with
 * a thread (nor can the one-file build start one): it keeps the index in
 * its own database and runs the pass there (InPlaceIndexer).
 *
 * Either way a search first calls {@link SearchIndexer.catchUp}: every
 * message and change committed before that is indexed when it resolves,
 * so a search finds every acknowledged message, as before the thread.
 */
import type { DatabaseSync } from "node:sqlite";
import {
  createSearchIndex,
  marksPastEnd,
  PASS_ROWS,
  readMarks,
  resetSearchIndex,
  type SearchMarks,
  searchPass,
} from "./search_index_file.ts";
import type { FromIndexer, ToIndexer } from "./search_index_worker.ts";
import {
  endStoreThread,
  openStoreThread,
  type PortThread,
  startThreadWithPort,
  type StoreThread,
} from "./thread_port.ts";

const WORKER_URL = new URL("./search_index_worker.ts", import.meta.url);

/** The thread's passes: every 100 ms, or at once when a page's worth waits. */
export const SEARCH_INDEX_INTERVAL_MS = 100;

/** What a store needs of whoever writes its index. */
export interface SearchIndexer {
  /** Resolves once the index can be read (its thread started). */
  started(): Promise<void>;
  /**
   * Resolves once everything committed before the call is indexed. A
   * failed pass (a full disk) resolves too, after `onError`: the search
   * answers with what the index holds.
   */
  catchUp(): Promise<void>;
  /** After appends: the last rowid given (a pass at once past a page). */
  appended(rowid: number): void;
  /** Stops the passes and releases what they hold. */
  stop(): Promise<void>;
  /** Threads started again after one died (only a thread dies). */
  readonly restarts: number;
}

/** Options of {@link ThreadIndexer}. */
export interface ThreadIndexerOptions {
  /** The thread's module (default: search_index_worker.ts); for tests. */
  workerUrl?: string | URL;
  /** A thread the main thread started ({@link startSearchIndexThread}). */
  port?: MessagePort;
  intervalMs: number;
  busyTimeoutMs: number;
  /** After each pass that moved the marks. */
  onMarks: (marks: Pick<SearchMarks, "rowid" | "change">) => void;
  /** When a pass fails (the next tries again), or the thread died. */
  onError: (message: string) => void;
  /**
   * When a thread started again after one died runs, before any search
   * waits for it: it may have made its file again (one it could not
   * read), so a reader of the old one opens the file anew.
   */
  onRestarted?: () => void;
}

/**
 * The first wait before a thread that died is started again; it doubles
 * with each death in a row (one that never got through a pass), up to
 * {@link RESTART_MAX_MS}: a thread that dies as it starts (a bug in a
 * pass, a file it cannot open) is not restarted in a loop.
 */
export const RESTART_FIRST_MS = 100;
/** The longest wait before a dead thread is started again. */
export const RESTART_MAX_MS = 30_000;

/**
 * A thread that writes the index file; see the module comment. A thread
 * that dies after it started (an exception nothing caught, a worker
 * error) is started again after a back-off, as a worker of this store's
 * thread (a port's thread is gone with it), and resumes from the marks in
 * its file; meanwhile a search answers with what the index holds (as
 * after a failed pass) and `restarts` counts it (/metrics).
 */
export class ThreadIndexer implements SearchIndexer {
  #path: string;
  #options: ThreadIndexerOptions;
  // The thread, or the port to it (thread_port.ts); undefined while a
  // dead one waits to be started again.
  #own?: StoreThread;
  // Which thread is current: events of an earlier one are let be.
  #generation = 0;
  #started = Promise.withResolvers<void>();
  #everStarted = false;
  #stopped = Promise.withResolvers<void>();
  #stopping?: Promise<void>;
  // Catch-up requests in the order sent: the thread answers them so.
  #waiting: (() => void)[] = [];
  #running = false;
  // The highest rowid the thread has indexed, and the last nudged for.
  #mark = 0;
  #nudgedAt = 0;
  #restarts = 0;
  // Deaths since the last pass that went through: the back-off's power.
  #deaths = 0;
  #restartTimer?: ReturnType<typeof setTimeout>;

  constructor(path: string, options: ThreadIndexerOptions) {
    this.#path = path;
    this.#options = options;
    this.#started.promise.catch(() => {});
    this.#open(options.port);
  }

  /** Threads started again after one died. */
  get restarts(): number {
    return this.#restarts;
  }

  #open(port?: MessagePort): void {
    const generation = ++this.#generation;
    const current = () => generation === this.#generation;
    const own = openStoreThread(
      { port, workerUrl: this.#options.workerUrl },
      WORKER_URL,
      (message) => current() && this.#died(message),
    );
    this.#own = own;
    own.thread.onmessage = (event: MessageEvent<FromIndexer>) => {
      if (!current()) return;
      const message = event.data;
      if (message.type === "pass") {
        this.#mark = message.rowid;
        if (message.error !== undefined) this.#options.onError(message.error);
        else this.#deaths = 0;
        this.#options.onMarks(message);
        for (const resolve of this.#waiting.splice(0, message.answered)) {
          resolve();
        }
      } else if (message.type === "started") {
        // Counted once it runs: a search from now on waits for it.
        if (this.#everStarted) {
          this.#restarts++;
          this.#options.onRestarted?.();
        }
        this.#running = true;
        this.#everStarted = true;
        this.#started.resolve();
      } else if (message.type === "failed" || message.type === "died") {
        this.#died(message.message);
      } else this.#stopped.resolve();
    };
    this.#post({
      type: "start",
      path: this.#path,
      intervalMs: this.#options.intervalMs,
      busyTimeoutMs: this.#options.busyTimeoutMs,
    });
  }

  // A thread that failed to start, or died: nothing waits for it; one
  // that had started (this one or an earlier) is started again.
  #died(message: string): void {
    this.#generation++;
    this.#running = false;
    for (const resolve of this.#waiting.splice(0)) resolve();
    this.#end();
    if (!this.#everStarted || this.#stopping) {
      this.#started.reject(new Error(message));
      this.#stopped.resolve();
      return;
    }
    const wait = Math.min(RESTART_MAX_MS, RESTART_FIRST_MS * 2 ** this.#deaths);
    this.#deaths++;
    this.#options.onError(
      `the search index's thread died (${message}); started again in ${wait} ms, from its marks`,
    );
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      if (!this.#stopping) this.#open();
    }, wait);
  }

  #post(message: ToIndexer): void {
    try {
      this.#own?.thread.postMessage(message);
    } catch {
      // A thread that died: #died settled whoever waits for it.
    }
  }

  started(): Promise<void> {
    return this.#started.promise;
  }

  catchUp(): Promise<void> {
    if (!this.#running) return Promise.resolve();
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#waiting.push(resolve);
    this.#post({ type: "catch_up" });
    return promise;
  }

  appended(rowid: number): void {
    // A page's worth waits, and none asked for since: the thread's next
    // pass would be up to 100 ms away, with twice as much waiting by then.
    if (
      this.#running && rowid - this.#mark >= PASS_ROWS &&
      rowid - this.#nudgedAt >= PASS_ROWS
    ) {
      this.#nudgedAt = rowid;
      this.#post({ type: "nudge" });
    }
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      clearTimeout(this.#restartTimer);
      // Asked even before it said it started: a thread still opening its
      // files would make them after the store is gone (a folder removed
      // after close was found not empty). It answers in order, after its
      // start; a pass in progress finishes first; a stuck thread is let be.
      // None (a dead one waiting to be started again): nothing to wait for.
      if (this.#own) {
        this.#post({ type: "stop" });
        const timer = setTimeout(() => this.#stopped.resolve(), 10_000);
        await this.#stopped.promise;
        clearTimeout(timer);
      }
      this.#running = false;
      // Never started: whoever waits for it stops waiting.
      this.#started.reject(new Error("The search index was stopped."));
      for (const resolve of this.#waiting.splice(0)) resolve();
      this.#end();
    })();
    return this.#stopping;
  }

  #end(): void {
    if (this.#own) endStoreThread(this.#own);
    this.#own = undefined;
  }
}

/**
 * The index in the store's own database (`:memory:`, and the one-file
 * build, which can start no thread): the same pass, on the store's
 * connection, inside `transaction` (the store's, so that it counts as its
 * writes); the changes it applied are trimmed in it. What waits at open
 * (a database indexed elsewhere, or never) is indexed then, as the store
 * did before the thread; after that a pass runs `intervalMs` after an
 * append finds the index behind (a pass costs about 20 µs a message on
 * this thread: 2 ms for a tenth of a second at 1,000 a second), at once
 * past a page, and when a search asks.
 */
export class InPlaceIndexer implements SearchIndexer {
  readonly restarts = 0;
  #db: DatabaseSync;
  #transaction: (body: () => void) => void;
  #options: Pick<ThreadIndexerOptions, "onMarks" | "onError" | "intervalMs">;
  #mark: number;
  #timer?: ReturnType<typeof setTimeout>;
  #stopped = false;

  constructor(
    db: DatabaseSync,
    transaction: (body: () => void) => void,
    options: Pick<ThreadIndexerOptions, "onMarks" | "onError" | "intervalMs">,
  ) {
    this.#db = db;
    this.#transaction = transaction;
    this.#options = options;
    createSearchIndex(db);
    // An index of an older version (the one-file build's, in place) is
    // built again: its lists are not by audience.
    if (marksPastEnd(db, readMarks(db))) resetSearchIndex(db);
    this.#mark = readMarks(db).rowid;
    this.#passes();
  }

  started(): Promise<void> {
    return Promise.resolve();
  }

  catchUp(): Promise<void> {
    this.#passes();
    return Promise.resolve();
  }

  appended(rowid: number): void {
    if (rowid - this.#mark >= PASS_ROWS) this.#passes();
    else if (rowid > this.#mark && this.#timer === undefined) {
      this.#timer = setTimeout(() => this.#passes(), this.#options.intervalMs);
    }
  }

  #passes(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#stopped) return;
    try {
      for (;;) {
        let full = false;
        this.#transaction(() => {
          const pass = searchPass(this.#db, this.#db);
          this.#mark = pass.marks.rowid;
          this.#db.prepare("DELETE FROM search_changes WHERE seq <= ?")
            .run(pass.marks.change);
          full = pass.full;
          this.#options.onMarks(pass.marks);
        });
        if (!full) return;
      }
    } catch (error) {
      this.#options.onError((error as Error).message);
    }
  }

  stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    return Promise.resolve();
  }
}

/** No index (a store opened only to bring its schema up to date). */
export class NoIndexer implements SearchIndexer {
  readonly restarts = 0;

  started(): Promise<void> {
    return Promise.resolve();
  }

  catchUp(): Promise<void> {
    return Promise.resolve();
  }

  appended(): void {}

  stop(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Starts the index's thread from the main thread for a store that runs on
 * another thread (thread_port.ts), as its checkpointer is: that store's
 * {@link ThreadIndexer} gets `port` (transfer it).
 */
export function startSearchIndexThread(
  workerUrl: string | URL = WORKER_URL,
): PortThread {
  return startThreadWithPort(workerUrl, "Search index");
}
