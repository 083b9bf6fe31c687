/**
 * The store's PostgreSQL pool across restarts of a real PostgreSQL server
 * (its own, since these tests stop it): a restart that cuts statements
 * short must not cost the requests that come after it, and a database that
 * is down must not make a new pool for every failed statement.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { poolOptions, RenewingPool } from "../server/store/postgres_pool.ts";
import { delay } from "./harness.ts";
import { POSTGRES, type PostgresService, testsOnService } from "./services.ts";

/** Any wait for the database: generous, the machine is shared. */
const PATIENCE_MS = 60_000;

await testsOnService("postgres pool", POSTGRES, (pg) => {
  Deno.test(
    "postgres pool: after a restart that cut statements short, every later statement succeeds",
    async () => {
      const pool = poolOn(pg);
      try {
        // Ten statements under way, one on each connection of the pool.
        const underWay = Promise.allSettled(Array.from(
          { length: 10 },
          () => pool.run((sql) => sql`SELECT pg_sleep(120)`),
        ));
        await sleepers(pg, 10);
        await pg.shutdown();
        const cut = await underWay;
        assert.deepEqual(cut.map((r) => r.status), Array(10).fill("rejected"));
        await pg.start();
        // postgres.js alone failed each of the first ten with the cut
        // statements' "terminating connection due to administrator command".
        const after = await Promise.allSettled(
          Array.from(
            { length: 20 },
            (_, i) =>
              pool.run(async (sql) => (await sql`SELECT ${i}::int AS n`)[0].n),
          ),
        );
        assert.deepEqual(
          after.map((r) =>
            r.status === "fulfilled" ? r.value : (r.reason as Error).message
          ),
          Array.from({ length: 20 }, (_, i) => i),
        );
        assert.equal(pool.renewals, 1);
      } finally {
        await pg.start().catch(() => {});
        await pool.end(1);
      }
    },
  );

  Deno.test(
    "postgres pool: a database that refuses connections gets no new pool per failed statement, and serves again once back",
    async () => {
      const pool = poolOn(pg);
      try {
        await pool.run((sql) => sql`SELECT 1`);
        await pg.shutdown();
        for (let i = 0; i < 5; i++) {
          await assert.rejects(pool.run((sql) => sql`SELECT 1`));
        }
        await pg.start();
        const [{ one }] = await pool.run((sql) => sql`SELECT 1 AS one`);
        assert.equal(one, 1);
        // The idle connection the shutdown closed had nothing under way.
        assert.equal(pool.renewals, 0);
      } finally {
        await pg.start().catch(() => {});
        await pool.end(1);
      }
    },
  );

  Deno.test(
    "postgres pool: a pool replaced while a step runs on it is ended once that step is done",
    async () => {
      const pool = poolOn(pg);
      try {
        const long = assert.rejects(
          pool.run((sql) => sql`SELECT pg_sleep(120)`),
        );
        await sleepers(pg, 1);
        await pg.shutdown();
        await long;
        await pg.start();
        // A step that starts after the cut runs on a new pool...
        let held!: () => void;
        const holding = new Promise<void>((resolve) => held = resolve);
        const step = pool.run(async (sql) => {
          await sql`SELECT 1`;
          await holding;
          return (await sql`SELECT 2 AS two`)[0].two;
        });
        await waitFor(() => pool.renewals === 1, "the pool renewed");
        // ...and another cut, of a statement of this new pool, replaces it
        // while that step still holds it: its next statement still runs.
        const cutAgain = assert.rejects(
          pool.run((sql) => sql`SELECT pg_sleep(120)`),
        );
        await sleepers(pg, 1);
        await pg.psql(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%' AND pid <> pg_backend_pid()",
        );
        await cutAgain;
        await pool.run((sql) => sql`SELECT 3`);
        assert.equal(pool.renewals, 2);
        held();
        assert.equal(await step, 2);
        // The pool it ran on is ended now: only the current one's
        // connections remain.
        await waitFor(
          async () => (await connections(pg)) === 1,
          "the retired pool's connections closed",
        );
      } finally {
        await pg.start().catch(() => {});
        await pool.end(1);
      }
    },
  );
});

/** A pool as the store makes it, under a name these tests count by. */
function poolOn(pg: PostgresService) {
  return RenewingPool.open(() =>
    postgres(pg.url, {
      ...poolOptions("pool-test", { max: 10 }),
      // Never idle out: the driver would close a retired pool's idle
      // connection by itself, and the test that sees it ended by the pool
      // could not fail.
      idle_timeout: 0,
    })
  );
}

/** Waits until `count` statements of the pool sleep in the database. */
async function sleepers(pg: PostgresService, count: number): Promise<void> {
  await waitFor(async () => {
    const out = await pg.psql(
      "SELECT 'n=' || count(*) FROM pg_stat_activity WHERE application_name = 'pool-test' AND query LIKE 'SELECT pg_sleep%' AND state = 'active'",
    );
    return Number(/n=(\d+)/.exec(out)![1]) === count;
  }, `${count} statements under way`);
}

/** The pool's connections the database has open. */
async function connections(pg: PostgresService): Promise<number> {
  const out = await pg.psql(
    "SELECT 'n=' || count(*) FROM pg_stat_activity WHERE application_name = 'pool-test'",
  );
  return Number(/n=(\d+)/.exec(out)![1]);
}

async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
): Promise<void> {
  const deadline = Date.now() + PATIENCE_MS;
  while (!await check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await delay(50);
  }
}
