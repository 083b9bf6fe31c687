/**
 * The thread that writes SqliteStore's search index into its own file
 * (`<db>-search`; search_index.ts starts it, search_index_file.ts holds
 * the pass). Every `intervalMs`, and at once when the store asks (a
 * search waits for it, or a page's worth waits), it reads the messages
 * and changes past its marks from the main file on a read-only connection
 * (a WAL reader: the store's commits never wait for it) and indexes them,
 * a page a transaction, until none is left. Its commits are NORMAL (no
 * fsync): a tail lost to a power cut is read again from the marks.
 */
import { DatabaseSync } from "node:sqlite";
import {
  createSearchIndex,
  marksPastEnd,
  readMarks,
  resetSearchIndex,
  searchIndexPath,
  searchPass,
} from "./search_index_file.ts";

/** From the store to this thread. */
export type ToIndexer =
  /**
   * First, when the main thread started this thread for a store on another
   * thread: everything else comes and goes through this port.
   */
  | { type: "port"; port: MessagePort }
  | { type: "start"; path: string; intervalMs: number; busyTimeoutMs: number }
  /** Index everything committed so far, and say so (`answered`). */
  | { type: "catch_up" }
  /** A page's worth waits: a pass now. */
  | { type: "nudge" }
  | { type: "stop" };

/** From this thread to the store. */
export type FromIndexer =
  /** The index file is open (built again if it had to be). */
  | { type: "started"; rebuilt: boolean }
  /**
   * Passes ran: the marks now, and how many catch-up requests are answered
   * (everything committed before them is indexed, unless `error`).
   */
  | {
    type: "pass";
    rowid: number;
    change: number;
    answered: number;
    error?: string;
  }
  | { type: "failed"; message: string }
  /**
   * An exception nothing caught (a bug, a pass's own error handling
   * failing): said before the thread ends, so the store starts another
   * (search_index.ts), resuming from the marks.
   */
  | { type: "died"; message: string }
  | { type: "stopped" };

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<ToIndexer>) => void) | null;
  postMessage(message: FromIndexer): void;
  close(): void;
  addEventListener(
    type: "error" | "unhandledrejection",
    listener: (event: ErrorEvent | PromiseRejectionEvent) => void,
  ): void;
};

// Where the store is: this thread's parent, or the port it was given.
let store: { postMessage(message: FromIndexer): void } = scope;
let source: DatabaseSync | undefined;
let index: DatabaseSync | undefined;
let timer: ReturnType<typeof setTimeout> | undefined;
let interval = 100;
// Catch-up requests received and not yet answered.
let waiting = 0;

// Opens the index file, or makes it again when it cannot be read (not a
// database, a torn header): it is derived, nothing is lost.
function openIndex(path: string, busyTimeoutMs: number): DatabaseSync {
  const open = () => {
    const db = new DatabaseSync(path);
    try {
      db.exec(`PRAGMA busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
      db.exec("PRAGMA journal_mode = WAL");
      db.exec("PRAGMA synchronous = NORMAL");
      createSearchIndex(db);
      readMarks(db);
      return db;
    } catch (error) {
      db.close();
      throw error;
    }
  };
  try {
    return open();
  } catch {
    for (const file of [path, `${path}-wal`, `${path}-shm`]) {
      try {
        Deno.removeSync(file);
      } catch {
        // Not there.
      }
    }
    return open();
  }
}

function schedule(ms: number): void {
  clearTimeout(timer);
  timer = setTimeout(work, ms);
}

// Passes until a page is not full, each its own turn of this thread's
// loop (a request that comes meanwhile is counted for the next), then
// the requests that came before the last pass began are answered.
function work(): void {
  timer = undefined;
  if (!source || !index) return;
  const answering = waiting;
  try {
    const pass = searchPass(source, index);
    if (pass.full) {
      if (pass.read > 0) report(pass.marks, 0);
      schedule(0);
      return;
    }
    waiting -= answering;
    if (pass.read > 0 || answering > 0) report(pass.marks, answering);
  } catch (error) {
    // A full disk, a locked file: said, and tried again at the next pass;
    // a search waiting is answered with what the index holds.
    waiting -= answering;
    const marks = readMarks(index);
    report(marks, answering, (error as Error).message);
  }
  schedule(interval);
}

function report(
  marks: { rowid: number; change: number },
  answered: number,
  error?: string,
): void {
  store.postMessage({
    type: "pass",
    rowid: marks.rowid,
    change: marks.change,
    answered,
    ...(error === undefined ? {} : { error }),
  });
}

// An uncaught exception ends this thread: the store is told first (a
// store on another thread reaches it through a port and would not hear of
// it otherwise), the files are let go, and the thread closes itself, so no
// second writer of the index is left beside the one the store starts.
function die(message: string): void {
  clearTimeout(timer);
  try {
    store.postMessage({ type: "died", message });
  } catch {
    // The store is gone too.
  }
  for (const db of [index, source]) {
    try {
      db?.close();
    } catch {
      // Released with the thread anyway.
    }
  }
  index = source = undefined;
  scope.close();
}
scope.addEventListener("error", (event) => {
  die((event as ErrorEvent).message);
});
scope.addEventListener("unhandledrejection", (event) => {
  const reason = (event as PromiseRejectionEvent).reason;
  die(reason instanceof Error ? reason.message : String(reason));
});

scope.onmessage = (event) => {
  const message = event.data;
  if (message.type === "port") {
    store = message.port;
    message.port.onmessage = receive;
    return;
  }
  receive(event);
};

function receive(event: MessageEvent<ToIndexer>): void {
  const message = event.data;
  switch (message.type) {
    case "port":
      return;
    case "start":
      return start(message);
    case "catch_up":
      waiting++;
      if (index) schedule(0);
      return;
    case "nudge":
      if (index) schedule(0);
      return;
    case "stop":
      clearTimeout(timer);
      for (const db of [index, source]) {
        try {
          db?.close();
        } catch {
          // Released with the thread anyway.
        }
      }
      index = source = undefined;
      store.postMessage({ type: "stopped" });
      scope.close();
  }
}

function start(
  message: { path: string; intervalMs: number; busyTimeoutMs: number },
): void {
  let rebuilt = false;
  try {
    source = new DatabaseSync(message.path, { readOnly: true });
    source.exec(`PRAGMA busy_timeout = ${Math.trunc(message.busyTimeoutMs)}`);
    index = openIndex(searchIndexPath(message.path), message.busyTimeoutMs);
    // An index ahead of the main file (an older backup restored beside
    // it) holds words its messages do not: built again from 0.
    if (marksPastEnd(source, readMarks(index))) {
      resetSearchIndex(index);
      rebuilt = true;
    }
  } catch (error) {
    store.postMessage({ type: "failed", message: (error as Error).message });
    return;
  }
  interval = message.intervalMs;
  store.postMessage({ type: "started", rebuilt });
  schedule(0);
}
