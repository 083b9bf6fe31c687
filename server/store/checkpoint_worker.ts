/**
 * The thread that checkpoints a SQLite database in WAL mode for its
 * writer (server/store/checkpoints.ts starts it): on its own connection,
 * every `intervalMs`, a PASSIVE checkpoint copies the committed pages from
 * the WAL into the database file and fsyncs both. PASSIVE never takes the
 * write lock, so the writer goes on committing meanwhile; the fsyncs (tens
 * of milliseconds on a busy disk) are paid here, not by the writer.
 * Each pass reports how many frames the WAL holds (the writer holds its
 * commits for a pass once that is past its reset size).
 */
import { DatabaseSync } from "node:sqlite";

/** From the writer to this thread. */
export type ToCheckpointer =
  /**
   * First, when the main thread started this thread for a store on another
   * thread: everything else comes and goes through this port.
   */
  | { type: "port"; port: MessagePort }
  | { type: "start"; path: string; intervalMs: number; busyTimeoutMs: number }
  /** A pass now, whose report says `requested` (the writer waits for it). */
  | { type: "pass_now" }
  | { type: "stop" };

/** From this thread to the writer. */
export type FromCheckpointer =
  | {
    type: "pass";
    log: number;
    ms: number;
    requested: boolean;
  }
  /** The connection is open and passes are scheduled. */
  | { type: "started" }
  | { type: "failed"; message: string }
  | { type: "stopped" };

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<ToCheckpointer>) => void) | null;
  postMessage(message: FromCheckpointer): void;
  close(): void;
};

// Where the writer is: this thread's parent, or the port it was given.
let writer: { postMessage(message: FromCheckpointer): void } = scope;
let db: DatabaseSync | undefined;
let timer: ReturnType<typeof setTimeout> | undefined;
let interval = 250;

function pass(requested: boolean): void {
  clearTimeout(timer);
  timer = undefined;
  if (!db) return;
  try {
    const started = performance.now();
    const row = db.prepare("PRAGMA wal_checkpoint(PASSIVE)").get() as {
      busy: number;
      log: number;
    };
    // Nothing new since the last pass: say nothing, unless asked.
    if (row.log > 0 || requested) {
      writer.postMessage({
        type: "pass",
        log: row.log,
        ms: performance.now() - started,
        requested,
      });
    }
  } catch (error) {
    writer.postMessage({ type: "failed", message: (error as Error).message });
  }
  timer = setTimeout(() => pass(false), interval);
}

scope.onmessage = (event) => {
  const message = event.data;
  if (message.type === "port") {
    writer = message.port;
    message.port.onmessage = receive;
    return;
  }
  receive(event);
};

function receive(event: MessageEvent<ToCheckpointer>): void {
  const message = event.data;
  if (message.type === "port") return;
  if (message.type === "start") {
    try {
      db = new DatabaseSync(message.path);
      db.exec(`PRAGMA busy_timeout = ${Math.trunc(message.busyTimeoutMs)}`);
      // The checkpoint fsyncs, as the writer's own would at NORMAL.
      db.exec("PRAGMA synchronous = NORMAL");
    } catch (error) {
      writer.postMessage({ type: "failed", message: (error as Error).message });
      return;
    }
    interval = message.intervalMs;
    timer = setTimeout(() => pass(false), interval);
    writer.postMessage({ type: "started" });
    return;
  }
  if (message.type === "pass_now") {
    pass(true);
    return;
  }
  clearTimeout(timer);
  try {
    db?.close();
  } catch {
    // Released with the thread anyway.
  }
  db = undefined;
  writer.postMessage({ type: "stopped" });
  scope.close();
}
