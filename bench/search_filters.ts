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

// The searches measured: a frequent author, a rare one (3 messages,
// the oldest: fillRare), an author with no message,
// a `has` no message holds (a page cut by its budget), a day's start,
// and words with an author.
function cases(): [string, Omit<SearchQuery, "scope" | "limit">][] {
  const today = encodeTime(
    Date.parse(new Date().toISOString().slice(0, 10)),
    10,
  );
  return [
    ["from:user7", { words: [], from: { userKey: "user7", since: 0 } }],
    ["from:carol", { words: [], from: { userKey: "carol", since: 0 } }],
    ["from:nobody", { words: [], from: { userKey: "nobody", since: 0 } }],
    ["has:link (none)", { words: [], has: ["link"] }],
    ["has:file (none)", { words: [], has: ["file"] }],
    ["has:reaction (none)", { words: [], has: ["reaction"] }],
    ["after:today", { words: [], after: today }],
    [`${vocabulary()[0]} from:user7`, {
      words: [vocabulary()[0]],
      from: { userKey: "user7", since: 0 },
    }],
  ];
}

// A rare author: 3 messages before the corpus, in its first room.
async function fillRare(store: Store): Promise<void> {
  const [room] = corpusRooms();
  await store.createRoom(room, room);
  for (let i = 1; i <= 3; i++) {
    await store.appendMessage({
      roomKey: room,
      userKey: "carol",
      user: "carol",
      text: `carol's ${i}`,
    });
  }
}

// A quiet room: 5 messages before the corpus (the oldest), 3 with a
// link, 2 by user7 (a frequent author of the corpus's rooms).
async function fillQuiet(store: Store): Promise<void> {
  await store.createRoom("quiet", "quiet");
  for (let i = 1; i <= 5; i++) {
    await store.appendMessage({
      roomKey: "quiet",
      userKey: i <= 2 ? "user7" : "dave",
      user: i <= 2 ? "user7" : "dave",
      text: i % 2 === 1 ? `see https://example.com/${i}` : `quiet ${i}`,
    });
  }
}

// A search in the quiet room by its filters alone, page after page to
// its end as a client scrolls (the cursor `next`, else the last result):
// the time of all its pages, how many, and the results.
async function quietToEnd(
  store: Store,
  query: Omit<SearchQuery, "scope" | "limit">,
): Promise<{ ms: number; pages: number; results: number }> {
  const start = performance.now();
  let before: string | undefined;
  let pages = 0;
  let results = 0;
  for (;;) {
    const page = await store.search({
      ...query,
      scope: { roomKeys: ["quiet"] },
      limit: 21,
      ...(before === undefined ? {} : { before }),
    });
    pages++;
    results += page.records.length;
    if (page.next !== undefined) before = page.next;
    else if (page.records.length >= 21) {
      before = page.records[page.records.length - 1].message.id;
    } else break;
  }
  return { ms: performance.now() - start, pages, results };
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
      `  ${label.padEnd(20)} ${ms.toFixed(2).padStart(7)} ms  ${
        String(answer.records.length).padStart(2)
      } results${answer.next === undefined ? "" : ", next"}`,
    );
  }
  console.log("  in the quiet room (5 messages, the oldest), to its end:");
  const quiet: [string, Omit<SearchQuery, "scope" | "limit">][] = [
    ["has:link", { words: [], has: ["link"] }],
    ["from:user7", { words: [], from: { userKey: "user7", since: 0 } }],
    ["has:file (none)", { words: [], has: ["file"] }],
  ];
  for (const [label, query] of quiet) {
    const runs: { ms: number; pages: number; results: number }[] = [];
    for (let i = 0; i < 5; i++) runs.push(await quietToEnd(store, query));
    runs.sort((a, b) => a.ms - b.ms);
    const { ms, pages, results } = runs[2];
    console.log(
      `  ${label.padEnd(20)} ${ms.toFixed(2).padStart(9)} ms  ${
        String(pages).padStart(3)
      } pages, ${results} results`,
    );
  }
}

const dir = await Deno.makeTempDir({ prefix: "search-filters-" });
try {
  const path = `${dir}/chat.db`;
  const sqlite = new SqliteStore(path, { busyTimeoutMs: 5000 });
  await fillRare(sqlite);
  await fillQuiet(sqlite);
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
  console.log("  plans of a page by its author alone (counted, then read):");
  for (
    const sql of [
      `EXPLAIN QUERY PLAN SELECT count(*), min(rowid) FROM (SELECT rowid
         FROM messages INDEXED BY messages_author
         WHERE user_key = 'carol' AND rowid >= 1 AND rowid <= 100000
         ORDER BY rowid DESC LIMIT 512)`,
      `EXPLAIN QUERY PLAN SELECT m.id FROM messages m
         INDEXED BY messages_author LEFT JOIN messages r ON r.id = m.reply_to
       WHERE m.user_key = 'carol' AND m.rowid BETWEEN 1 AND 100000
         AND m.deleted = 0
         AND m.stream IN (SELECT value FROM json_each('["general"]'))
         AND m.user_key = 'carol' AND m.ts >= 0
       ORDER BY m.rowid DESC LIMIT 21`,
    ]
  ) {
    for (const row of db.prepare(sql).all() as { detail: string }[]) {
      console.log(`    ${row.detail}`);
    }
  }
  // The word's list is read from the index file (search_index_file.ts);
  // its rowids' messages from this one, by the chunk.
  console.log(
    "  plan of a chunk of one word's messages with an author (no author's index):",
  );
  for (
    const row of db.prepare(
      `EXPLAIN QUERY PLAN SELECT m.id FROM messages m
         LEFT JOIN messages r ON r.id = m.reply_to
       WHERE m.rowid IN (SELECT value FROM json_each('[3, 2, 1]'))
         AND m.deleted = 0
         AND m.stream IN (SELECT value FROM json_each('["general"]'))
         AND +m.user_key = 'user7' AND m.ts >= 0
       ORDER BY m.rowid DESC`,
    ).all() as { detail: string }[]
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
    await fillRare(store);
    await fillQuiet(store);
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
  console.log("  plans of a page by its author alone (counted, then read):");
  for (
    const query of [
      `EXPLAIN SELECT count(*)::int AS count FROM (SELECT id FROM messages
         WHERE user_key = 'carol' AND true AND true
         ORDER BY id DESC LIMIT 512) a`,
      `EXPLAIN SELECT count(*)::int AS count FROM (SELECT id FROM messages
         WHERE user_key = 'user7' AND id < 'ZZ' AND true
         ORDER BY id DESC LIMIT 512) a`,
      `EXPLAIN SELECT m.id FROM (SELECT * FROM messages
         WHERE user_key = 'carol' AND true AND true) m
         LEFT JOIN messages o ON o.id = m.reply_to
       WHERE NOT m.deleted AND m.stream IN (
         SELECT jsonb_array_elements_text('["room0"]'::jsonb))
         AND m.user_key = 'carol' AND m.ts >= 0
       ORDER BY m.id DESC LIMIT 21`,
    ]
  ) {
    for (const row of await sql.unsafe(query)) {
      console.log(`    ${row["QUERY PLAN"]}`);
    }
  }
});
