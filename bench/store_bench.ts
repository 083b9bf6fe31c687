/**
 * Scaffolding of the benches that measure store reads on SQLite and
 * PostgreSQL (bench/directory.ts, bench/read_counts.ts): a store whose
 * rows are written straight into its tables (a store's own writes would
 * take minutes for 100,000 accounts), a throwaway PostgreSQL database
 * made and migrated by the store, and the median of timed reads.
 *
 * The store classes are passed in, not imported here: read_counts.ts
 * measures another version's stores (STORE_ROOT) with the same rows.
 */
import { DatabaseSync } from "node:sqlite";
import postgres from "postgres";
import type { Store } from "../server/store/mod.ts";
import { startPostgres } from "../tests/services.ts";

/** What the benches' stores are opened with: `general`, as a server has it. */
const PERMANENT_ROOMS = [{ name: "general", key: "general" }];

/** SqliteStore, this version's or another's: its `open`. */
export interface SqliteOpener {
  open(
    path: string,
    options: { permanentRooms: typeof PERMANENT_ROOMS; busyTimeoutMs: number },
  ): Promise<Store>;
}

/** PostgresStore, this version's or another's: its `open`. */
export interface PostgresOpener {
  open(
    url: string,
    options: { permanentRooms: typeof PERMANENT_ROOMS },
  ): Promise<Store>;
}

/** The middle value (the upper of the two middle ones of an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** The machine's load averages, for a result's heading: "1.2 3.4 5.6". */
export function load(): string {
  return Deno.loadavg().map((n) => n.toFixed(1)).join(" ");
}

/**
 * Runs `read` once to warm up, then `runs` times; the median time in ms
 * and the last answer.
 */
export async function timedMedian<T>(
  runs: number,
  read: () => Promise<T>,
): Promise<{ ms: number; answer: T }> {
  let answer = await read();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    answer = await read();
    times.push(performance.now() - start);
  }
  return { ms: median(times), answer };
}

/**
 * A SQLite store in a temporary folder: the store makes its schema,
 * `fill` writes the rows in one transaction, ANALYZE follows (then
 * `analyzed`, e.g. to print plans), and `use` gets the store opened again.
 * The folder is removed after.
 */
export async function withSqlite(
  stores: SqliteOpener,
  parts: {
    fill(db: DatabaseSync): void;
    analyzed?(db: DatabaseSync): void;
    use(store: Store): Promise<void>;
  },
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "store-bench-" });
  try {
    const path = `${dir}/chat.db`;
    const options = { permanentRooms: PERMANENT_ROOMS, busyTimeoutMs: 5000 };
    await (await stores.open(path, options)).close();
    const db = new DatabaseSync(path);
    db.exec("BEGIN");
    parts.fill(db);
    db.exec("COMMIT");
    db.exec("ANALYZE");
    parts.analyzed?.(db);
    db.close();
    const store = await stores.open(path, options);
    try {
      await parts.use(store);
    } finally {
      await store.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** What {@linkcode withPostgres} hands its caller. */
export interface PostgresBench {
  /** A connection to the database, for rows written straight in and plans. */
  sql: postgres.Sql;
  /** Opens the store on the database (close it after). */
  open(): Promise<Store>;
}

/**
 * A throwaway PostgreSQL server (tests/services.ts) with a database
 * `name` the store has migrated, for `use`; the connection is ended and
 * the server stopped after. Throws where PostgreSQL is not installed.
 */
export async function withPostgres(
  stores: PostgresOpener,
  name: string,
  use: (pg: PostgresBench) => Promise<void>,
): Promise<void> {
  const pg = await startPostgres();
  if (!pg) {
    throw new Error("no PostgreSQL here: scripts/install-test-services.sh");
  }
  try {
    const url = await pg.createDatabase(name);
    const options = { permanentRooms: PERMANENT_ROOMS };
    await (await stores.open(url, options)).close();
    const sql = postgres(url, { onnotice: () => {} });
    try {
      await use({ sql, open: () => stores.open(url, options) });
    } finally {
      await sql.end();
    }
  } finally {
    await pg.stop();
  }
}
