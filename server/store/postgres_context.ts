import { StoreUnavailableError } from "../protocol/errors.ts";
import { setTimeout as delay } from "node:timers/promises";
import type { RenewingPool } from "./postgres_pool.ts";
import type { Sql } from "./postgres_rows.ts";
import { RoomArchivedError } from "./mod.ts";

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
   * StoreUnavailableError so callers need one catch. A RoomArchivedError
   * a step throws is a refusal, not a failure: it goes on as it is, for
   * handlers to answer (room_archived).
   */
  async run<T>(step: (sql: Sql) => Promise<T>): Promise<T> {
    if (this.closed) throw new StoreUnavailableError("The store is closed.");
    try {
      return await this.pool.run(step);
    } catch (error) {
      if (error instanceof RoomArchivedError) throw error;
      throw this.unavailable(error);
    }
  }

  /**
   * As run, for a step that PostgreSQL may fail as the loser of a deadlock
   * (40P01) or of a serialization conflict (40001): it runs again, up to
   * CONFLICT_ATTEMPTS times in all, after a short jittered pause. Why: a
   * reply's delete locks the reply, then its root (trigger
   * chat_reply_left); a bulk delete (retention, a room's or an account's
   * deletion) that locked the root first deadlocks with it, and the user's
   * delete_message answered \`internal\` for nothing. Only for a step that
   * is one statement (or one transaction): a failed one left nothing, so
   * running it again is as running it once. Cost: a conflicted step waits
   * a few ms more per attempt; the winner holds its locks meanwhile.
   */
  async runRetryingConflicts<T>(step: (sql: Sql) => Promise<T>): Promise<T> {
    for (let attempt = 1;; attempt++) {
      if (this.closed) {
        throw new StoreUnavailableError("The store is closed.");
      }
      try {
        return await this.pool.run(step);
      } catch (error) {
        if (error instanceof RoomArchivedError) throw error;
        if (attempt >= CONFLICT_ATTEMPTS || !conflicted(error)) {
          throw this.unavailable(error);
        }
      }
      // Jittered, so that two losers do not meet again in step.
      await delay(CONFLICT_PAUSE_MS * attempt * (0.5 + Math.random()));
    }
  }

  /** A driver error as StoreUnavailableError naming this database. */
  unavailable(error: unknown): StoreUnavailableError {
    return databaseFailed(this.where, error);
  }
}

/** How many times runRetryingConflicts runs a step at most. */
export const CONFLICT_ATTEMPTS = 4;
/** The pause before the second attempt (ms); longer before each next. */
const CONFLICT_PAUSE_MS = 10;

/** SQLSTATEs whose statement failed only to end a conflict: try again. */
const CONFLICT_CODES = new Set(["40P01", "40001"]);

/** Whether a driver error is a deadlock's or a serialization's loser. */
export function conflicted(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && CONFLICT_CODES.has(code);
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
