/**
 * WAL checkpoints off the writer's thread. SQLite's automatic checkpoint
 * runs inside the commit that crosses its threshold, and copies the WAL
 * into the database file with two fsyncs: on a busy disk that held every
 * commit behind it for tens of milliseconds (39.7 ms measured). Here a
 * thread of its own (checkpoint_worker.ts) does PASSIVE checkpoints on its
 * own connection every `intervalMs`, paying the copy and the fsyncs while
 * the writer goes on committing.
 *
 * The WAL starts again from its beginning only when a writer finds it
 * entirely checkpointed; under steady writes a pass rarely ends between
 * two commits. So once the WAL has grown past a size, the writer holds
 * its commits for one more pass ({@link BackgroundCheckpoints.passNow}),
 * which copies the little left (the frames of the last interval) and ends
 * with the whole WAL checkpointed: the next commit starts it over. The
 * writer's thread never fsyncs; a few appends wait one short pass.
 */
import type { FromCheckpointer, ToCheckpointer } from "./checkpoint_worker.ts";
import {
  endStoreThread,
  openStoreThread,
  type PortThread,
  startThreadWithPort,
  type StoreThread,
} from "./thread_port.ts";

const WORKER_URL = new URL("./checkpoint_worker.ts", import.meta.url);

/**
 * The server's background checkpoints: a pass every quarter second; past
 * 64 MiB of WAL the writer holds its commits for one pass so that the WAL
 * starts over.
 */
export const BACKGROUND_CHECKPOINTS = { intervalMs: 250, resetFrames: 16_384 };

/** What a checkpoint pass found. */
export interface CheckpointPass {
  /** Frames in the WAL. */
  log: number;
  /** How long the pass took, in ms. */
  ms: number;
}

/** Options of {@link BackgroundCheckpoints}. */
export interface BackgroundCheckpointOptions {
  /** The thread's module (default: checkpoint_worker.ts); for tests. */
  workerUrl?: string | URL;
  /**
   * A thread already started by the main thread, reached through this port
   * ({@link startCheckpointThread}); `workerUrl` is then unused. A worker
   * that starts a worker of its own waits about a second longer for it.
   */
  port?: MessagePort;
  /** Time between passes, in ms. */
  intervalMs: number;
  /** How long the checkpointer's connection waits for a lock. */
  busyTimeoutMs: number;
  /** Called on the writer's thread after each pass that found frames. */
  onPass: (pass: CheckpointPass) => void;
  /** Called when a pass fails (the writer's own checkpoints still work). */
  onError: (message: string) => void;
}

/** A checkpointing thread for one database file; see the module comment. */
export class BackgroundCheckpoints {
  // The thread, or the port to it (thread_port.ts).
  #own: StoreThread;
  #thread: Worker | MessagePort;
  #stopped = Promise.withResolvers<void>();
  #stopping?: Promise<void>;
  #requested: ((pass: CheckpointPass) => void)[] = [];
  #started = Promise.withResolvers<void>();
  #running = false;

  constructor(path: string, options: BackgroundCheckpointOptions) {
    this.#own = openStoreThread(options, WORKER_URL, (message) => {
      if (this.#running) options.onError(message);
      else this.#failedToStart(message);
      this.#stopped.resolve();
    });
    this.#thread = this.#own.thread;
    // Whoever opens the store awaits started(); one that does not must not
    // turn a failed start into an unhandled rejection.
    this.#started.promise.catch(() => {});
    this.#thread.onmessage = (event: MessageEvent<FromCheckpointer>) => {
      const message = event.data;
      if (message.type === "pass") {
        if (message.requested) {
          for (const resolve of this.#requested.splice(0)) resolve(message);
        } else options.onPass(message);
      } else if (message.type === "started") {
        this.#running = true;
        this.#started.resolve();
      } else if (message.type === "failed") {
        if (this.#running) options.onError(message.message);
        else this.#failedToStart(message.message);
      } else this.#stopped.resolve();
    };
    this.#thread.postMessage(
      {
        type: "start",
        path,
        intervalMs: options.intervalMs,
        busyTimeoutMs: options.busyTimeoutMs,
      } satisfies ToCheckpointer,
    );
  }

  // A thread that never started has nothing to finish: it ends now.
  #failedToStart(message: string): void {
    this.#started.reject(new Error(message));
    this.#end();
    this.#stopped.resolve();
  }

  /**
   * Resolves once the thread has loaded its module and opened its
   * connection; rejects with why it could not. A module loads lazily: a
   * thread started after the server listens may find no file descriptor
   * left to load it with, so the store waits for this before it is used.
   */
  started(): Promise<void> {
    return this.#started.promise;
  }

  /**
   * A pass now; resolves with what it found (it rejects nothing: a failed
   * pass is reported to `onError` and this never settles, so callers wait
   * with a time limit).
   */
  passNow(): Promise<CheckpointPass> {
    const { promise, resolve } = Promise.withResolvers<CheckpointPass>();
    this.#requested.push(resolve);
    this.#thread.postMessage({ type: "pass_now" } satisfies ToCheckpointer);
    return promise;
  }

  /**
   * Stops the passes and closes the thread's connection (before the
   * writer closes its own, so the writer's close is the last and may
   * remove the WAL).
   */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#thread.postMessage({ type: "stop" } satisfies ToCheckpointer);
      // A pass in progress finishes first; give up on a stuck thread.
      const timer = setTimeout(() => this.#stopped.resolve(), 10_000);
      await this.#stopped.promise;
      clearTimeout(timer);
      this.#end();
    })();
    return this.#stopping;
  }

  // A thread started elsewhere is ended there (its port only closes here).
  #end(): void {
    endStoreThread(this.#own);
  }
}

/**
 * Starts a checkpointing thread from the main thread for a store that
 * runs on another thread (thread_port.ts); that store's
 * {@link BackgroundCheckpoints} gets `port` (transfer it) and waits for the
 * thread as usual.
 */
export function startCheckpointThread(
  workerUrl: string | URL = WORKER_URL,
): PortThread {
  return startThreadWithPort(workerUrl, "Background checkpoint");
}
