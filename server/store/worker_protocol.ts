/**
 * The messages between a {@link WorkerStore} (server/store/worker_store.ts)
 * and the worker that owns the real store (server/store/store_worker.ts).
 * Calls and results travel in batches, one message per event-loop turn
 * each way, so a thousand appends cost two messages, not two thousand.
 * Everything in them is structured-cloned: plain data only.
 */
import {
  type Ban,
  RoomArchivedError,
  RoomGoneError,
  SenderBannedError,
} from "./mod.ts";
import type { SqliteStoreOptions } from "./sqlite.ts";

/** Which store the worker opens, and with what. */
export type StoreSpec = {
  kind: "sqlite";
  path: string;
  /** Plain data, cloned into the worker (and the checkpointer's port, moved). */
  options: SqliteStoreOptions;
};

/** One call: its id, the store method's name, its arguments. */
export type Call = [id: number, method: string, args: unknown[]];

/** An error as it crosses the boundary. */
export interface ErrorShape {
  name: string;
  message: string;
  /** The error's `code`, when it has one. */
  code?: string;
  /** A SenderBannedError's ban. */
  ban?: Ban;
  /** A RoomGoneError's or a RoomArchivedError's room. */
  roomKey?: string;
}

/**
 * One outcome: the call's id, then its value or its error. A value of one
 * of {@link JSON_RESULTS} crosses as its JSON text (`json` true).
 */
export type Outcome =
  | [id: number, ok: true, value: unknown, json?: true]
  | [id: number, ok: false, error: ErrorShape];

/**
 * The methods whose values cross as JSON text: pages of messages, plain
 * data by construction. A page of 50 cost about 100 µs of structured clone
 * (serialized object by object, rebuilt on the other side), against 10 µs to
 * stringify it and 20 µs to parse it, while a string of 12 KB is copied
 * whole (docs/performance.md, "Reads of the history").
 */
export const JSON_RESULTS: ReadonlySet<string> = new Set([
  "history",
  "conversation",
]);

/** From the server to the worker. */
export type ToWorker =
  | { type: "open"; spec: StoreSpec }
  | { type: "calls"; calls: Call[] }
  | { type: "close" };

/** From the worker to the server. */
export type FromWorker =
  | {
    type: "opened";
    /** The store's methods, forwarded by name. */
    methods: string[];
    /** Its read-only properties (e.g. appendCommits) and their values. */
    state: Record<string, unknown>;
  }
  | { type: "open_failed"; error: ErrorShape }
  | {
    type: "outcomes";
    outcomes: Outcome[];
    state: Record<string, unknown>;
  }
  | { type: "closed" };

/** An error as plain data. */
export function errorShape(error: unknown): ErrorShape {
  if (error instanceof SenderBannedError) {
    return { name: error.name, message: error.message, ban: error.ban };
  }
  if (error instanceof RoomGoneError || error instanceof RoomArchivedError) {
    return { name: error.name, message: error.message, roomKey: error.roomKey };
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === "string"
      ? { name: error.name, message: error.message, code }
      : { name: error.name, message: error.message };
  }
  return { name: "Error", message: String(error) };
}
