/**
 * Server tests that must hold on each store: every scenario registered
 * here runs once on SQLite and once on PostgreSQL (a database of its own
 * per test, copied from one migrated once, on a server this file starts),
 * or is skipped with the reason when PostgreSQL is not installed.
 */
import type { Config } from "../server/config.ts";
import {
  type ClientPool,
  type TestServer,
  withPool,
  withServer,
} from "./harness.ts";
import { migratedDatabase } from "./migrated_database.ts";
import {
  type PostgresService,
  postgresSkipReason,
  startPostgres,
} from "./services.ts";

/** Which store a scenario runs on. */
export type StoreKind = "SQLite" | "PostgreSQL";

/** The store a scenario runs on, to look inside. */
export interface StoreUnderTest {
  kind: StoreKind;
  /** Runs SQL on the test's PostgreSQL database (psql's output), else undefined. */
  psql?(command: string): Promise<string>;
  /** The test's PostgreSQL database, for a command run beside the server; else undefined. */
  databaseUrl?: string;
}

/** Registers scenarios on both stores; `finish()` stops PostgreSQL. */
export interface BothStores {
  /** Registers `<title> (SQLite)` and `<title> (PostgreSQL)`. */
  test(
    title: string,
    body: (server: TestServer, store: StoreUnderTest) => Promise<void>,
    options?: Partial<Config>,
  ): void;
  /** As `test`, the body given a pool of clients closed when it ends. */
  clients(
    title: string,
    body: (pool: ClientPool, server: TestServer) => Promise<void>,
    options?: Partial<Config>,
  ): void;
  /**
   * Registers `<title> (SQLite)` and `<title> (PostgreSQL)` with no server
   * started: the body gets its store's options (none on SQLite: each
   * server makes its own file) and starts its own servers, e.g. a server
   * of before and the one after it on one database.
   */
  database(
    title: string,
    body: (options: Partial<Config>) => Promise<void>,
  ): void;
  /** Registers the last test of the file, which stops PostgreSQL. */
  finish(): void;
  /** The PostgreSQL server, or null when it is not installed. */
  readonly postgres: PostgresService | null;
}

/** Starts PostgreSQL (when installed) for one test file. */
export async function bothStores(): Promise<BothStores> {
  const pg = await startPostgres();
  // Registers the body once per store, given the store's server options.
  function onEach(
    title: string,
    body: (options: Partial<Config>, store: StoreUnderTest) => Promise<void>,
  ): void {
    Deno.test(`${title} (SQLite)`, () => body({}, { kind: "SQLite" }));
    if (!pg) {
      Deno.test({
        name: `${title} (PostgreSQL): skipped, ${postgresSkipReason()}`,
        ignore: true,
        fn() {},
      });
      return;
    }
    Deno.test(`${title} (PostgreSQL)`, async () => {
      const database = await migratedDatabase(pg);
      const databaseUrl = database.url;
      try {
        await body({ databaseUrl }, {
          kind: "PostgreSQL",
          psql: (command) => pg.psql(command, { database: database.name }),
          databaseUrl,
        });
      } finally {
        await database.drop();
      }
    });
  }
  const stores: BothStores = {
    postgres: pg,
    test(title, body, options = {}) {
      onEach(
        title,
        (store, under) =>
          withServer((server) => body(server, under), {
            ...options,
            ...store,
          }),
      );
    },
    database(title, body) {
      onEach(title, (options) => body(options));
    },
    clients(title, body, options = {}) {
      stores.test(title, (server) => withPool(server, body), options);
    },
    finish() {
      if (!pg) return;
      // Inside a test so the sanitizers see the server end; a filtered run
      // stops it at unload (services.ts).
      Deno.test("PostgreSQL: stop the test server", () => pg.stop());
    },
  };
  return stores;
}
