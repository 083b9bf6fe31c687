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
  PASS_ROWS,
  readMarks,
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
  /** When a pass fails (the next tries again). */
  onError: (message: string) => void;
}

/** A thread that writes the index file; see the module comment. */
export class ThreadIndexer implements SearchIndexer {
  // The thread, or the port to it (thread_port.ts).
  #own: StoreThread;
  #thread: Worker | MessagePort;
  #started = Promise.withResolvers<void>();
  #stopped = Promise.withResolvers<void>();
  #stopping?: Promise<void>;
  // Catch-up requests in the order sent: the thread answers them so.
  #waiting: (() => void)[] = [];
  #running = false;
  // The highest rowid the thread has indexed, and the last nudged for.
  #mark = 0;
  #nudgedAt = 0;

  constructor(path: string, options: ThreadIndexerOptions) {
    this.#own = openStoreThread(
      options,
      WORKER_URL,
      (message) => this.#died(message, options),
    );
    this.#thread = this.#own.thread;
    this.#started.promise.catch(() => {});
    this.#thread.onmessage = (event: MessageEvent<FromIndexer>) => {
      const message = event.data;
      if (message.type === "pass") {
        this.#mark = message.rowid;
        if (message.error !== undefined) options.onError(message.error);
        options.onMarks(message);
        for (const resolve of this.#waiting.splice(0, message.answered)) {
          resolve();
        }
      } else if (message.type === "started") {
        this.#running = true;
        this.#started.resolve();
      } else if (message.type === "failed") {
        this.#died(message.message, options);
      } else this.#stopped.resolve();
    };
    this.#post({
      type: "start",
      path,
      intervalMs: options.intervalMs,
      busyTimeoutMs: options.busyTimeoutMs,
    });
  }

  // A thread that failed to start, or died: nothing waits for it.
  #died(message: string, options: ThreadIndexerOptions): void {
    if (this.#running) options.onError(message);
    else this.#started.reject(new Error(message));
    this.#running = false;
    for (const resolve of this.#waiting.splice(0)) resolve();
    this.#end();
    this.#stopped.resolve();
  }

  #post(message: ToIndexer): void {
    try {
      this.#thread.postMessage(message);
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
      // Asked even before it said it started: a thread still opening its
      // files would make them after the store is gone (a folder removed
      // after close was found not empty). It answers in order, after its
      // start; a pass in progress finishes first; a stuck thread is let be.
      this.#post({ type: "stop" });
      const timer = setTimeout(() => this.#stopped.resolve(), 10_000);
      await this.#stopped.promise;
      clearTimeout(timer);
      this.#running = false;
      // Never started: whoever waits for it stops waiting.
      this.#started.reject(new Error("The search index was stopped."));
      for (const resolve of this.#waiting.splice(0)) resolve();
      this.#end();
    })();
    return this.#stopping;
  }

  #end(): void {
    endStoreThread(this.#own);
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
