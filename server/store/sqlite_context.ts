import type { SqliteStatements } from "./sqlite_search.ts";

/**
 * What a part of the SQLite store (sqlite_files.ts, sqlite_accounts.ts...)
 * needs from the store's one connection, built once by the store
 * (sqlite.ts): its statement cache, its transactions and its error wrapper.
 * A part knows nothing else of the store; the little it needs of the
 * store's own state comes as a function in its constructor.
 */
export interface SqliteContext extends SqliteStatements {
  /** Runs `body` in one `BEGIN IMMEDIATE` transaction, rolled back if it throws. */
  transaction<T>(body: () => T): T;
  /**
   * Runs a synchronous database step as a promise, every driver error a
   * `StoreUnavailableError`; on a closed store, fails.
   */
  run<T>(step: () => T): Promise<T>;
}
