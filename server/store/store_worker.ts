/**
 * The worker thread that owns a store (server/store/worker_store.ts starts
 * it): it opens the store the server names, runs the calls it is sent, by
 * method name, and sends back their outcomes, a batch per event-loop turn.
 * Any method the store has is forwarded; nothing here knows what they do.
 * The store's own group commits work here as on the main thread: appends
 * that arrive in one batch share one transaction.
 */
import { setImmediate } from "node:timers";
import { StoreUnavailableError } from "../protocol/errors.ts";
import { SqliteStore } from "./sqlite.ts";
import type { Store } from "./mod.ts";
import {
  errorShape,
  type FromWorker,
  JSON_RESULTS,
  type Outcome,
  type StoreSpec,
  type ToWorker,
} from "./worker_protocol.ts";

// The little of a worker's global scope used here (lib.deno.worker is not
// in the project's compiler libs).
const scope = self as unknown as {
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
  postMessage(message: FromWorker): void;
  close(): void;
};

// Resolves once the store's own threads (its checkpointer) run: the
// server listens only after "opened".
function open(spec: StoreSpec): Promise<Store> {
  switch (spec.kind) {
    case "sqlite":
      return SqliteStore.open(spec.path, spec.options);
  }
}

/** The store's methods and read-only properties, up its prototype chain. */
function surface(store: Store): { methods: Set<string>; getters: string[] } {
  const methods = new Set<string>();
  const getters: string[] = [];
  for (
    let proto = Object.getPrototypeOf(store);
    proto && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto)
  ) {
    for (
      const [name, d] of Object.entries(Object.getOwnPropertyDescriptors(proto))
    ) {
      if (name === "constructor") continue;
      if (d.get) getters.push(name);
      else if (typeof d.value === "function") methods.add(name);
    }
  }
  return { methods, getters };
}

let store: Store | undefined;
let methods = new Set<string>();
let getters: string[] = [];
let outgoing: Outcome[] = [];
let flushScheduled = false;

function state(): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const name of getters) {
    values[name] = (store as unknown as Record<string, unknown>)[name];
  }
  return values;
}

function flush(): void {
  flushScheduled = false;
  if (outgoing.length === 0) return;
  const outcomes = outgoing;
  outgoing = [];
  try {
    scope.postMessage({ type: "outcomes", outcomes, state: state() });
  } catch {
    // A value that cannot be cloned: send the others, and a clear error
    // for that one, rather than lose the whole batch.
    for (const outcome of outcomes) {
      try {
        scope.postMessage({ type: "outcomes", outcomes: [outcome], state: {} });
      } catch (error) {
        scope.postMessage({
          type: "outcomes",
          outcomes: [[outcome[0], false, errorShape(error)]],
          state: {},
        });
      }
    }
  }
}

function settle(outcome: Outcome): void {
  outgoing.push(outcome);
  if (!flushScheduled) {
    flushScheduled = true;
    // After the turn: every outcome a commit settled leaves in one message.
    setImmediate(flush);
  }
}

function run(id: number, method: string, args: unknown[]): void {
  if (!store || !methods.has(method)) {
    settle([id, false, {
      name: "TypeError",
      message: `The store has no method '${method}'.`,
    }]);
    return;
  }
  try {
    const result = (store as unknown as Record<
      string,
      (...args: unknown[]) => unknown
    >)[method](...args);
    const json = JSON_RESULTS.has(method);
    Promise.resolve(result).then(
      (value) =>
        settle(
          json ? [id, true, JSON.stringify(value), true] : [id, true, value],
        ),
      (error) => settle([id, false, errorShape(error)]),
    );
  } catch (error) {
    settle([id, false, errorShape(error)]);
  }
}

async function close(): Promise<void> {
  try {
    await store?.close();
  } catch {
    // Closing is best effort; the file is released with the thread.
  }
  // Outcomes the close settled (appends it committed) go first.
  await new Promise((resolve) => setImmediate(resolve));
  flush();
  scope.postMessage({ type: "closed" });
  scope.close();
}

async function opening(spec: StoreSpec): Promise<void> {
  try {
    store = await open(spec);
    const found = surface(store);
    methods = found.methods;
    getters = found.getters;
    scope.postMessage({
      type: "opened",
      methods: [...methods],
      state: state(),
    });
  } catch (error) {
    scope.postMessage({
      type: "open_failed",
      error: errorShape(
        error instanceof Error ? error : new StoreUnavailableError(
          String(error),
        ),
      ),
    });
  }
}

scope.onmessage = (event) => {
  const message = event.data;
  switch (message.type) {
    case "open":
      opening(message.spec);
      return;
    case "calls":
      for (const [id, method, args] of message.calls) run(id, method, args);
      return;
    case "close":
      close();
      return;
  }
};
