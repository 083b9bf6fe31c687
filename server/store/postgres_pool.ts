import type postgres from "postgres";

/**
 * A postgres.js pool that is replaced once its server cut statements
 * short (a restart, a failover, `pg_terminate_backend`).
 *
 * Why: postgres.js 3.4.9 keeps the error of a statement whose backend was
 * terminated mid-flight, and hands it to the first statement of that
 * connection after it reconnects (porsager/postgres#1223, open; the code
 * is the same on master). After a PostgreSQL restart, each connection that
 * had a statement under way failed one later request with "terminating
 * connection due to administrator command", seconds after the database
 * was back: a history, a login, a send answered `internal` for nothing.
 * A new pool has no such memory. Cost: one new set of connections per cut
 * (not per failed request: a connection refused while the database is
 * down cut nothing), and a retired pool is ended as soon as the steps that
 * started on it are done, so nothing it holds is left behind.
 */
export class RenewingPool<S extends Endable> {
  #make: () => S;
  #current: Pool<S>;
  #cut = false;
  #retired = new Set<Pool<S>>();
  #ending = new Set<Promise<void>>();
  #ended = false;
  #renewals = 0;

  /** `make`: how to make a pool; the first is made now, the next at each cut. */
  static open<S extends Endable>(make: () => S): RenewingPool<S> {
    return new RenewingPool(make(), make);
  }

  private constructor(first: S, make: () => S) {
    this.#make = make;
    this.#current = { sql: first, steps: 0 };
  }

  /** How many times the pool was replaced (for tests and logs). */
  get renewals(): number {
    return this.#renewals;
  }

  /**
   * Runs `step` on the current pool; an error that shows a statement was
   * cut short has the pool replaced before the next step starts.
   */
  async run<T>(step: (sql: S) => Promise<T>): Promise<T> {
    if (this.#cut && !this.#ended) this.#renew();
    const pool = this.#current;
    pool.steps++;
    try {
      return await step(pool.sql);
    } catch (error) {
      if (pool === this.#current && cutShort(error)) this.#cut = true;
      throw error;
    } finally {
      pool.steps--;
      if (pool.steps === 0 && this.#retired.delete(pool)) this.#endOf(pool);
    }
  }

  /**
   * Ends every pool at once (the retired ones, those ending, the current
   * one), waiting `timeout` seconds at most.
   */
  async end(timeout: number): Promise<void> {
    this.#ended = true;
    const retired = [...this.#retired];
    this.#retired.clear();
    await Promise.all([
      ...retired.map((pool) => pool.sql.end({ timeout }).catch(() => {})),
      ...this.#ending,
      this.#current.sql.end({ timeout }),
    ]);
  }

  // Ends a pool no step uses any more; `end` waits for it.
  #endOf(pool: Pool<S>): void {
    const ending = pool.sql.end({ timeout: 5 }).catch(() => {});
    this.#ending.add(ending);
    ending.finally(() => this.#ending.delete(ending));
  }

  #renew(): void {
    this.#cut = false;
    this.#renewals++;
    const old = this.#current;
    this.#current = { sql: this.#make(), steps: 0 };
    if (old.steps === 0) this.#endOf(old);
    else this.#retired.add(old);
  }
}

/**
 * The driver's options of this server's pools (the store's, the files'):
 * `applicationName` names their connections in pg_stat_activity.
 */
export function poolOptions(
  applicationName: string,
  options: { max: number },
): postgres.Options<Record<string, never>> {
  return {
    max: options.max,
    connect_timeout: 5,
    idle_timeout: 30,
    // The driver retries a lost server with a backoff up to 20 s by
    // default; a health check should notice a recovery within a second.
    backoff: (retries: number) => Math.min(0.05 * 2 ** retries, 1),
    fetch_types: false,
    onnotice: () => {},
    connection: { application_name: applicationName },
  };
}

/** What the pool needs of a postgres.js `Sql`. */
interface Endable {
  end(options?: { timeout?: number }): Promise<void>;
}

interface Pool<S> {
  sql: S;
  /** Steps under way on it. */
  steps: number;
}

/**
 * Whether a driver error means a statement was under way when its
 * connection ended: the connection then keeps the error for its next
 * statement. Refused connections (the database down, starting or full)
 * and errors of the statement itself do not.
 */
export function cutShort(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && CUT_CODES.has(code);
}

const CUT_CODES = new Set([
  // The driver's own: the socket closed with statements sent.
  "CONNECTION_CLOSED",
  "ECONNRESET",
  "EPIPE",
  // The server's: admin_shutdown, crash_shutdown, connection_failure.
  "57P01",
  "57P02",
  "08006",
]);
