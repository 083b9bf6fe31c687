/**
 * A database of its own for one test, already at the newest schema: a
 * copy (`CREATE DATABASE … TEMPLATE`) of a template that the store's own
 * start-up migrated once per PostgreSQL server, so once per test file.
 * Migrating an empty database cost a store's first start 0.4-0.6 s at
 * load 1-3 and 1-3.7 s at load 17-36; the copy 0.07-0.16 s and 0.4-1 s,
 * and an up-to-date start 0.3-1.2 s. Tests of the migrations
 * themselves start from an empty database or schema instead
 * (`createDatabase`, `freshSchema`), and so run them for real.
 */
import { PostgresStore } from "../server/store/postgres.ts";
import type { PostgresService } from "./services.ts";

/** A test's own database, a copy of the migrated template. */
export interface MigratedDatabase {
  /** Its name, for `psql(…, { database })`. */
  name: string;
  url: string;
  /** Drops it, closing the connections still open to it. */
  drop(): Promise<void>;
}

const TEMPLATE = "migrated_template";

// One template a server, made by the first test that asks for one.
const templates = new WeakMap<PostgresService, Promise<string>>();
let databases = 0;

/**
 * Creates a database at the newest schema on `pg`, holding what an empty
 * database holds after a store's first start without permanent rooms
 * (the test's own store or server creates those).
 */
export async function migratedDatabase(
  pg: PostgresService,
): Promise<MigratedDatabase> {
  let template = templates.get(pg);
  if (!template) {
    template = migrateTemplate(pg);
    // A failed template fails its test, and the next test tries again.
    template.catch(() => templates.delete(pg));
    templates.set(pg, template);
  }
  const name = `migrated_${++databases}`;
  const url = await pg.createDatabase(name, { template: await template });
  return { name, url, drop: () => pg.dropDatabase(name) };
}

async function migrateTemplate(pg: PostgresService): Promise<string> {
  await pg.dropDatabase(TEMPLATE);
  const url = await pg.createDatabase(TEMPLATE);
  await (await PostgresStore.open(url)).close();
  // A copy fails while anyone is connected to the template (after waiting
  // 5 s for them): refusing connections keeps a stray one from ever
  // making a test wait or fail, and from changing what the copies hold.
  await pg.psql(
    `ALTER DATABASE ${TEMPLATE} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`,
  );
  return TEMPLATE;
}
