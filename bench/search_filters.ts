/**
 * What a page of a search by its filters costs (`from`, `has`, `after`;
 * docs/protocol.md, "Search"), on both stores: the median time of a page
 * and how many results it holds, with and without words, over the search
 * corpus (bench/search_corpus.ts), and the plans of the reads a page by
 * filters alone makes.
 *
 *   deno run -A bench/search_filters.ts [messages, 50000 by default]
 */
import { DatabaseSync } from "node:sqlite";
import { encodeTime } from "ulid";
import { PostgresStore } from "../server/store/postgres.ts";
import { SqliteStore } from "../server/store/sqlite.ts";
import type { SearchQuery, Store } from "../server/store/mod.ts";
import { corpusRooms, fillCorpus, vocabulary } from "./search_corpus.ts";
import { load, timedMedian, withPostgres } from "./store_bench.ts";

const COUNT = Number(Deno.args[0] ?? 50_000);
const RUNS = 9;

// The searches measured: a frequent author, an author with no message,
// a `has` no message holds (a page cut by its budget), a day's start,
// and words with an author.
function cases(): [string, Omit<SearchQuery, "scope" | "limit">][] {
  const today = encodeTime(
    Date.parse(new Date().toISOString().slice(0, 10)),
    10,
  );
  return [
    ["from:user7", { words: [], from: { userKey: "user7", since: 0 } }],
    ["from:nobody", { words: [], from: { userKey: "nobody", since: 0 } }],
    ["has:link (none)", { words: [], has: ["link"] }],
    ["has:file (none)", { words: [], has: ["file"] }],
    ["after:today", { words: [], after: today }],
    [`${vocabulary()[0]} from:user7`, {
      words: [vocabulary()[0]],
      from: { userKey: "user7", since: 0 },
    }],
  ];
}

async function measure(name: string, store: Store): Promise<void> {
  const scope = {
    roomKeys: corpusRooms(),
    conversations: { userKey: "user3", since: 0 },
  };
  console.log(`\n${name}, ${COUNT} messages, load ${load()}`);
  for (const [label, query] of cases()) {
    const { ms, answer } = await timedMedian(
      RUNS,
      () => store.search({ ...query, scope, limit: 21 }),
    );
    console.log(
      `  ${label.padEnd(18)} ${ms.toFixed(2).padStart(7)} ms  ${
        String(answer.records.length).padStart(2)
      } results${answer.next === undefined ? "" : ", next"}`,
    );
  }
}

const dir = await Deno.makeTempDir({ prefix: "search-filters-" });
try {
  const path = `${dir}/chat.db`;
  const sqlite = new SqliteStore(path, { busyTimeoutMs: 5000 });
  await fillCorpus(sqlite, COUNT);
  await measure("SQLite", sqlite);
  await sqlite.close();
  const db = new DatabaseSync(path);
  console.log("  plan of a page by filters alone:");
  for (
    const row of db.prepare(
      `EXPLAIN QUERY PLAN SELECT m.id FROM messages m NOT INDEXED
       LEFT JOIN messages r ON r.id = m.reply_to
       WHERE m.rowid BETWEEN ? AND ? AND m.deleted = 0
         AND m.stream IN (SELECT value FROM json_each('["general"]'))
         AND m.user_key = 'user7' AND m.ts >= 0
       ORDER BY m.rowid DESC LIMIT 21`,
    ).all(1, 4096) as { detail: string }[]
  ) console.log(`    ${row.detail}`);
  for (
    const row of db.prepare(
      `EXPLAIN QUERY PLAN SELECT rowid FROM messages WHERE id >= '0' ORDER BY id LIMIT 1`,
    ).all() as { detail: string }[]
  ) console.log(`    ${row.detail}`);
  db.close();
} finally {
  await Deno.remove(dir, { recursive: true });
}

await withPostgres(PostgresStore, "search_filters", async ({ sql, open }) => {
  const store = await open();
  try {
    await fillCorpus(store, COUNT);
    await sql`ANALYZE messages`;
    await measure("PostgreSQL", store);
  } finally {
    await store.close();
  }
  console.log("  plan of a page by filters alone:");
  const plan = await sql.unsafe(
    `EXPLAIN SELECT t.top, x.id FROM (SELECT max(id) AS top FROM messages
       WHERE true AND id >= '0') t
     LEFT JOIN LATERAL (
       SELECT m.id FROM (SELECT * FROM messages WHERE id <= t.top
         AND id >= '0' ORDER BY id DESC LIMIT 4096) m
       WHERE NOT m.deleted AND m.user_key = 'user7' AND m.ts >= 0
       ORDER BY m.id DESC LIMIT 21) x ON true`,
  );
  for (const row of plan) console.log(`    ${row["QUERY PLAN"]}`);
});
