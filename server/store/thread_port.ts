/**
 * Starting one of the store's own threads (its checkpointer, its search
 * index) from the main thread for a store that runs on another thread:
 * a worker's own worker took a second longer to start (0.7 s to load,
 * 0.5 s more to get its first message), most of a server's start-up
 * (docs/performance.md). The thread is given one end of a channel as its
 * first message (`{ type: "port" }`); the store gets the other (transfer
 * it) and talks to the thread through it as to a worker of its own.
 */

/** A thread started by {@link startThreadWithPort}. */
export interface PortThread {
  worker: Worker;
  /** The store's end of the channel. */
  port: MessagePort;
  /**
   * Resolves with why the thread could not start (its module did not
   * load: out of file descriptors, or it failed before it took the port),
   * which the store on the other thread never hears of; a later crash is
   * printed, named by `name`.
   */
  failed: Promise<Error>;
}

/** Starts the thread of `workerUrl`; see the module comment. */
export function startThreadWithPort(
  workerUrl: string | URL,
  name: string,
): PortThread {
  const worker = new Worker(workerUrl, { type: "module" });
  const { port1, port2 } = new MessageChannel();
  const failed = Promise.withResolvers<Error>();
  worker.onerror = (event) => {
    event.preventDefault();
    failed.resolve(new Error(event.message));
    console.error(`${name} thread failed: ${event.message}`);
  };
  // Only a thread that failed before it took its port says anything here.
  worker.onmessage = (
    event: MessageEvent<{ type: string; message?: string }>,
  ) => {
    if (event.data.type === "failed") {
      failed.resolve(new Error(event.data.message));
    }
  };
  worker.postMessage({ type: "port", port: port1 }, [port1]);
  return { worker, port: port2, failed: failed.promise };
}

/**
 * One of the store's threads as its store holds it: started here (`worker`,
 * ended with the store), or reached through a port the main thread gave
 * ({@link startThreadWithPort}; only the port is closed here).
 */
export interface StoreThread {
  worker?: Worker;
  thread: Worker | MessagePort;
}

/**
 * The thread `options.port` reaches, or a new one of `options.workerUrl`
 * (default `url`) whose crash is given to `onError`.
 */
export function openStoreThread(
  options: { port?: MessagePort; workerUrl?: string | URL },
  url: URL,
  onError: (message: string) => void,
): StoreThread {
  if (options.port) return { thread: options.port };
  const worker = new Worker(options.workerUrl ?? url, { type: "module" });
  worker.onerror = (event) => {
    event.preventDefault();
    onError(event.message);
  };
  return { worker, thread: worker };
}

/** Ends a thread started here; closes the port of one started elsewhere. */
export function endStoreThread(thread: StoreThread): void {
  if (thread.worker) thread.worker.terminate();
  else (thread.thread as MessagePort).close();
}
