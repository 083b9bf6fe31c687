import { StoreUnavailableError } from "../protocol/errors.ts";
import type { RenewingPool } from "./postgres_pool.ts";
import type { Sql } from "./postgres_rows.ts";

/**
 * What PostgresStore and each of its parts (postgres_files.ts...) need from
 * the connection: the pool, the database as errors name it, and the error
 * wrapper. Built once by the store; the parts share it, never each other.
 */
export class PostgresContext {
  /** The store's pool (postgres_pool.ts replaces a broken one). */
  readonly pool: RenewingPool<Sql>;
  /** The database as logs and errors may show it: no password. */
  readonly where: string;
  /** Set by the store's close: every later step is refused. */
  closed = false;

  constructor(pool: RenewingPool<Sql>, where: string) {
    this.pool = pool;
    this.where = where;
  }

  /**
   * Runs database steps, turning every driver error into
   * StoreUnavailableError so callers need one catch.
   */
  async run<T>(step: (sql: Sql) => Promise<T>): Promise<T> {
    if (this.closed) throw new StoreUnavailableError("The store is closed.");
    try {
      return await this.pool.run(step);
    } catch (error) {
      throw this.unavailable(error);
    }
  }

  /** A driver error as StoreUnavailableError naming this database. */
  unavailable(error: unknown): StoreUnavailableError {
    return databaseFailed(this.where, error);
  }
}

/** A driver error as the error every store caller catches, naming the database. */
export function databaseFailed(
  where: string,
  error: unknown,
): StoreUnavailableError {
  if (error instanceof StoreUnavailableError) return error;
  return new StoreUnavailableError(
    `Database '${where}' failed: ${messageOf(error)}`,
    { cause: error },
  );
}

/** An error's message, or the thrown value as text. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
