/**
 * A store whose work runs on a worker thread: the SQLite connection, its
 * commits and their writes (and the fsyncs of its checkpoints) happen off
 * the event loop that serves the sockets, so none of them stalls it.
 *
 * Generic: the worker reports the real store's methods when it opens it,
 * and each is forwarded by name with structured-cloned arguments, so a
 * method added to the store needs no code here. Read-only properties (such
 * as `appendCommits`) come back with every batch of outcomes. Calls made
 * during one event-loop turn leave in one message, in the order made (an
 * append's place in its room's order is fixed by then, as before); a
 * promise resolves when the worker's store resolved it, so an append is
 * committed before it is acknowledged. Errors cross as name and message:
 * `StoreUnavailableError` stays one, `SenderBannedError` too (with its
 * ban), `SenderGoneError` by its name, `RoomGoneError` and
 * `RoomArchivedError` (with their room), and a worker that dies fails every call with it.
 *
 * Costs a structured clone each way per call (about 2 µs in batches) and
 * a thread wake-up per batch; pages of messages cross as JSON text instead
 * (worker_protocol.ts, JSON_RESULTS), which costs a fifth as much.
 */
import { setImmediate } from "node:timers";
import { StoreUnavailableError } from "../protocol/errors.ts";
import { startCheckpointThread } from "./checkpoints.ts";
import { startSearchIndexThread } from "./search_index.ts";
import {
  type HistoryQuery,
  type MessageDraft,
  RoomArchivedError,
  RoomGoneError,
  SenderBannedError,
  SenderGoneError,
  type Store,
} from "./mod.ts";
import { RecentPages } from "./recent_pages.ts";
import {
  type Call,
  type ErrorShape,
  type FromWorker,
  JSON_RESULTS,
  type Outcome,
  type StoreSpec,
  type ToWorker,
} from "./worker_protocol.ts";

const WORKER_URL = new URL("./store_worker.ts", import.meta.url);
const CHECKPOINT_WORKER_URL = new URL(
  "./checkpoint_worker.ts",
  import.meta.url,
);
const SEARCH_INDEX_WORKER_URL = new URL(
  "./search_index_worker.ts",
  import.meta.url,
);

/**
 * Whether the store's thread modules can be loaded: they can from a
 * checkout and from `deno compile` (which includes them), not from the
 * one-file `dist/chat-server`, whose bundle has no files beside it.
 */
export function storeThreadsAvailable(): boolean {
  return [WORKER_URL, CHECKPOINT_WORKER_URL, SEARCH_INDEX_WORKER_URL].every(
    (url) => {
      try {
        return Deno.statSync(url).isFile;
      } catch {
        return false;
      }
    },
  );
}

/** Options of {@link openWorkerStore}. */
export interface WorkerStoreOptions {
  /** The worker's module (default: server/store/store_worker.ts); for tests. */
  workerUrl?: URL;
}

interface Waiting {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/** The error an outcome carries, as the caller should see it. */
function toError(shape: ErrorShape): Error {
  if (shape.name === "StoreUnavailableError") {
    return new StoreUnavailableError(shape.message);
  }
  if (shape.ban !== undefined) return new SenderBannedError(shape.ban);
  if (shape.name === "SenderGoneError") return new SenderGoneError();
  if (shape.roomKey !== undefined) {
    return shape.name === "RoomArchivedError"
      ? new RoomArchivedError(shape.roomKey)
      : new RoomGoneError(shape.roomKey);
  }
  const error = new Error(shape.message);
  error.name = shape.name;
  if (shape.code !== undefined) {
    (error as Error & { code: string }).code = shape.code;
  }
  return error;
}

/**
 * Opens a store on a worker thread: resolves once the worker opened it,
 * rejects with the worker's error (a `StoreUnavailableError` naming the
 * file when SQLite cannot open it).
 */
export async function openWorkerStore(
  spec: StoreSpec,
  options: WorkerStoreOptions = {},
): Promise<Store> {
  const worker = new Worker(options.workerUrl ?? WORKER_URL, {
    type: "module",
  });
  // The store's checkpointer starts here, beside the store's thread, not
  // from it: a worker's own worker took a second longer to start (0.7 s to
  // load, 0.5 s more to get its first message), most of the start-up of a
  // server (docs/performance.md).
  const background = spec.options.backgroundCheckpoints;
  const checkpointer = background && spec.path !== ":memory:"
    ? startCheckpointThread(background.workerUrl)
    : undefined;
  // The search index's thread too, for the same reason.
  const mode = spec.options.searchIndex?.mode ?? "thread";
  const indexer = spec.path !== ":memory:" && mode === "thread"
    ? startSearchIndexThread(spec.options.searchIndex?.workerUrl)
    : undefined;
  const opened = Promise.withResolvers<FromWorker & { type: "opened" }>();
  for (
    const [name, thread] of [
      ["checkpoint", checkpointer],
      ["search index", indexer],
    ] as const
  ) {
    thread?.failed.then((error) =>
      opened.reject(
        new StoreUnavailableError(
          `Cannot start the ${name} thread of '${spec.path}': ${error.message}`,
          { cause: error },
        ),
      )
    );
  }
  worker.onmessage = (event: MessageEvent<FromWorker>) => {
    const message = event.data;
    if (message.type === "opened") opened.resolve(message);
    else if (message.type === "open_failed") {
      opened.reject(toError(message.error));
    }
  };
  worker.onerror = (event) => {
    event.preventDefault();
    opened.reject(
      new StoreUnavailableError(`The store worker failed: ${event.message}`),
    );
  };
  const storeOptions = { ...spec.options };
  if (checkpointer && background) {
    storeOptions.backgroundCheckpoints = {
      ...background,
      port: checkpointer.port,
    };
  }
  if (indexer) {
    storeOptions.searchIndex = {
      ...storeOptions.searchIndex,
      port: indexer.port,
    };
  }
  worker.postMessage(
    {
      type: "open",
      spec: { ...spec, options: storeOptions },
    } satisfies ToWorker,
    [checkpointer?.port, indexer?.port].filter((port) => port !== undefined),
  );
  const threads = [checkpointer?.worker, indexer?.worker].filter((thread) =>
    thread !== undefined
  );
  let ready;
  try {
    ready = await opened.promise;
  } catch (error) {
    worker.terminate();
    for (const thread of threads) thread.terminate();
    throw error;
  }
  const store = new WorkerStore(worker, ready.state, threads);
  return store.forward(ready.methods);
}

/** The server's side of the worker; see the module comment. */
class WorkerStore {
  #worker: Worker;
  // The store's checkpointing and search index threads, ended with the
  // store's.
  #threads: Worker[];
  #state: Record<string, unknown>;
  #recent?: RecentPages;
  #waiting = new Map<number, Waiting>();
  #queue: Call[] = [];
  #nextId = 1;
  #flushScheduled = false;
  // Set once the store cannot take calls: closed, or its worker died.
  #refusal?: StoreUnavailableError;
  #closing?: Promise<void>;
  #closed = Promise.withResolvers<void>();

  constructor(
    worker: Worker,
    state: Record<string, unknown>,
    threads: Worker[] = [],
  ) {
    this.#worker = worker;
    this.#threads = threads;
    this.#state = state;
    // Only a store that reports its writes (SQLite) can keep pages exact.
    if ("writes" in state) this.#recent = new RecentPages();
    worker.onmessage = (event: MessageEvent<FromWorker>) =>
      this.#receive(event.data);
    worker.onerror = (event) => {
      event.preventDefault();
      this.#fail(
        new StoreUnavailableError(`The store worker failed: ${event.message}`),
      );
    };
    worker.onmessageerror = () => {
      this.#fail(
        new StoreUnavailableError("The store worker sent an unreadable reply."),
      );
    };
  }

  /**
   * This object as a `Store`: each of `methods` forwarded by name (close
   * is this class's own), each property of the state read from the last
   * batch.
   */
  forward(methods: string[]): Store {
    for (const method of methods) {
      if (method === "close") continue;
      Object.defineProperty(this, method, { value: this.#forwarded(method) });
    }
    for (const name of Object.keys(this.#state)) {
      Object.defineProperty(this, name, { get: () => this.#state[name] });
    }
    // The methods are the worker store's, found when it opened.
    return this as unknown as Store;
  }

  /** Pages served from {@link RecentPages} so far (for tests). */
  get recentPageHits(): number {
    return this.#recent?.hits ?? 0;
  }

  // The function that stands for a method of the worker's store.
  #forwarded(method: string): (...args: unknown[]) => Promise<unknown> {
    if (method === "history" && this.#recent) return this.#history.bind(this);
    if (method === "appendMessage" && this.#recent) {
      const recent = this.#recent;
      return (draft) =>
        this.#call(method, [draft]).then((result) => {
          recent.appended((draft as MessageDraft).roomKey);
          return result;
        });
    }
    if (JSON_RESULTS.has(method)) {
      return (...args) =>
        this.#call(method, args).then((text) => JSON.parse(text as string));
    }
    return (...args) => this.#call(method, args);
  }

  // A room's newest page from the recent pages when they have it, else from
  // the worker (and kept); any other page from the worker.
  #history(roomKey: unknown, query: unknown): Promise<unknown> {
    if (this.#refusal) return Promise.reject(this.#refusal);
    const recent = this.#recent!;
    const newest = Object.values(query as HistoryQuery).every((v) =>
      v === undefined
    );
    if (newest) {
      const text = recent.read(roomKey as string, this.#state.writes);
      if (text !== undefined) return Promise.resolve(JSON.parse(text));
    }
    const ticket = recent.ticket(roomKey as string, this.#state.writes);
    return this.#call("history", [roomKey, query]).then((text) => {
      if (newest) {
        recent.keep(roomKey as string, text as string, ticket);
      }
      return JSON.parse(text as string);
    });
  }

  #call(method: string, args: unknown[]): Promise<unknown> {
    if (this.#refusal) return Promise.reject(this.#refusal);
    const id = this.#nextId++;
    // Kept whole as the caller's resolvers: one object less per call.
    const waiting = Promise.withResolvers<unknown>();
    this.#waiting.set(id, waiting);
    this.#queue.push([id, method, args]);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      // After the turn's I/O, like the store's own group commit: the calls
      // of the whole turn go in one message.
      setImmediate(() => this.#flush());
    }
    return waiting.promise;
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#queue.length === 0) return;
    const calls = this.#queue;
    this.#queue = [];
    try {
      this.#worker.postMessage({ type: "calls", calls } satisfies ToWorker);
    } catch (error) {
      // An argument that cannot be cloned: those calls fail, one by one.
      for (const [id, method, args] of calls) {
        try {
          this.#worker.postMessage(
            { type: "calls", calls: [[id, method, args]] } satisfies ToWorker,
          );
        } catch {
          this.#settle([id, false, {
            name: "TypeError",
            message: `Cannot send the arguments of '${method}' to the store: ${
              (error as Error).message
            }`,
          }]);
        }
      }
    }
  }

  #receive(message: FromWorker): void {
    if (message.type === "outcomes") {
      Object.assign(this.#state, message.state);
      for (const outcome of message.outcomes) this.#settle(outcome);
    } else if (message.type === "closed") {
      this.#closed.resolve();
    }
  }

  #settle(outcome: Outcome): void {
    const waiting = this.#waiting.get(outcome[0]);
    if (!waiting) return;
    this.#waiting.delete(outcome[0]);
    // JSON text is parsed by its caller (#forwarded), which may keep it.
    if (outcome[1]) waiting.resolve(outcome[2]);
    else waiting.reject(toError(outcome[2]));
  }

  // The worker is gone: every call waiting and every later one fails.
  #fail(error: StoreUnavailableError): void {
    this.#refusal ??= error;
    for (const waiting of this.#waiting.values()) waiting.reject(error);
    this.#waiting.clear();
    this.#queue = [];
    this.#closed.resolve();
    this.#worker.terminate();
    for (const thread of this.#threads) thread.terminate();
  }

  /**
   * Sends the calls made so far, lets the worker's store commit and close,
   * then ends the thread. Later calls fail with `StoreUnavailableError`.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const alive = this.#refusal === undefined;
      this.#refusal = new StoreUnavailableError("The store is closed.");
      if (alive) {
        this.#flush();
        this.#worker.postMessage({ type: "close" } satisfies ToWorker);
        await this.#closed.promise;
      }
      this.#worker.terminate();
      for (const thread of this.#threads) thread.terminate();
      for (const waiting of this.#waiting.values()) {
        waiting.reject(this.#refusal);
      }
      this.#waiting.clear();
    })();
    return this.#closing;
  }
}
