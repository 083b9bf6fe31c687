/**
 * What a page of an account's mentions (`list_mentions`, the store's
 * listMentions) costs at 1,000,000 messages (docs/performance.md, "A page
 * of recent mentions"), on SQLite and PostgreSQL (a throwaway server from
 * tests/services.ts).
 *
 *   deno run -A bench/mentions_list.ts [rooms=200] [perRoom=5000] [runs=21]
 *
 * The messages go to the rooms in turn, their ids in the order sent.
 * `bob` is named by one message in 500 (2,000 at the defaults), `busy` by
 * one in 50 (20,000), 1,000 other accounts by one in 10 between them
 * (100,000 rows), and one in 2,000 is an `@room` (500 markers, all in
 * r11); one more in 40 is an `@room` in five rooms neither is in (r21,
 * r61, ...: 25,000 markers a page of theirs must not walk past); `bob`
 * and `busy` are members of the first 20 rooms; `aside`, named by one in
 * 500 as `bob` is, is a member of 20 rooms with no marker (r160 to r179
 * at the defaults): its page of markers reads none. Prints the median of `runs`
 * reads of a page of 50 for each, the newest and one from the middle,
 * then each store's plans of the statements of the account's own rows and
 * of its rooms' `@room` markers (for the page from the middle).
 */
import {
  OWN_MENTIONS as PG_PAGE,
  ROOM_MENTIONS as PG_ROOMS,
} from "../server/store/postgres_mentions.ts";
import {
  OWN_MENTIONS as SQLITE_PAGE,
  ROOM_MENTIONS as SQLITE_ROOMS,
} from "../server/store/sqlite_mentions.ts";
import { SqliteStore } from "../server/store/sqlite.ts";
import { PostgresStore } from "../server/store/postgres.ts";
import type { Store } from "../server/store/mod.ts";
import { ROOM_MENTION_KEY } from "../server/mentions.ts";
import { load, timedMedian, withPostgres, withSqlite } from "./store_bench.ts";

const [rooms = 200, perRoom = 5000, runs = 21] = Deno.args.map(Number);
const total = rooms * perRoom;
const MEMBER_ROOMS = 20;
const PAGE = 50;

/** The message sent n-th: its room, seq, id and author. */
function nth(n: number) {
  const room = `r${n % rooms}`;
  return {
    room,
    seq: Math.floor(n / rooms) + 1,
    id: `m${String(n).padStart(9, "0")}`,
    author: `w${n % 50}`,
  };
}

/** Who the n-th message's mention rows name. */
function mentioned(n: number): string[] {
  const keys = [];
  if (n % 500 === 7) keys.push("bob");
  if (n % 500 === 9) keys.push("aside");
  if (n % 50 === 3) keys.push("busy");
  if (n % 10 === 1) keys.push(`o${n % 1000}`);
  if (n % 2000 === 11 || n % 40 === 21) keys.push(ROOM_MENTION_KEY);
  return keys;
}

async function measure(label: string, store: Store): Promise<void> {
  console.log(
    `${label}: ${total} messages in ${rooms} rooms; load ${load()}`,
  );
  for (const who of ["bob", "busy", "aside"]) {
    const newest = await timedMedian(
      runs,
      () => store.listMentions(who, { limit: PAGE }),
    );
    const middle = nth(Math.floor(total / 2)).id;
    const older = await timedMedian(
      runs,
      () => store.listMentions(who, { before: middle, limit: PAGE }),
    );
    console.log(
      `  ${who}: newest page ${
        newest.ms.toFixed(2)
      } ms (${newest.answer.length} ids, first ${
        newest.answer[0]
      }), a page from the middle ${older.ms.toFixed(2)} ms`,
    );
  }
}

await withSqlite(SqliteStore, {
  fill(db) {
    const room = db.prepare(
      "INSERT INTO rooms (key, name, created_at) VALUES (?, ?, 1)",
    );
    const stream = db.prepare(
      "INSERT INTO streams (key, last_seq) VALUES (?, ?)",
    );
    for (let r = 0; r < rooms; r++) {
      room.run(`r${r}`, `r${r}`);
      stream.run(`r${r}`, perRoom);
    }
    const message = db.prepare(
      `INSERT INTO messages (stream, seq, id, user_key, user, room, text, ts)
       VALUES (?, ?, ?, ?, ?, ?, 'hi', ?)`,
    );
    const mention = db.prepare(
      `INSERT INTO mentions (user_key, stream, seq, message_id)
       VALUES (?, ?, ?, ?)`,
    );
    for (let n = 0; n < total; n++) {
      const m = nth(n);
      message.run(m.room, m.seq, m.id, m.author, m.author, m.room, n);
      for (const key of mentioned(n)) mention.run(key, m.room, m.seq, m.id);
    }
    const member = db.prepare(
      "INSERT INTO memberships (user_key, room_key, joined_at) VALUES (?, ?, 1)",
    );
    for (let r = 0; r < MEMBER_ROOMS; r++) {
      member.run("bob", `r${r}`);
      member.run("busy", `r${r}`);
      member.run("aside", `r${rooms - 40 + r}`);
    }
  },
  analyzed(db) {
    for (const statement of [SQLITE_PAGE, SQLITE_ROOMS]) {
      console.log("SQLite's plan:");
      const plan = db.prepare(`EXPLAIN QUERY PLAN ${statement}`).all(
        "busy",
        nth(Math.floor(total / 2)).id,
        PAGE,
      ) as { detail: string }[];
      for (const row of plan) console.log(`  ${row.detail}`);
    }
  },
  use: (store) => measure("SQLite", store),
});

await withPostgres(PostgresStore, "mentions", async ({ sql, open }) => {
  await sql`
    INSERT INTO rooms (key, name, created_at)
    SELECT 'r' || r, 'r' || r, 1 FROM generate_series(0, ${rooms - 1}::int) r`;
  await sql`
    INSERT INTO streams (key, last_seq)
    SELECT 'r' || r, ${perRoom}::int
    FROM generate_series(0, ${rooms - 1}::int) r`;
  await sql`
    INSERT INTO messages (stream, seq, id, user_key, user_name, room, text, ts)
    SELECT 'r' || (n % ${rooms}::int), n / ${rooms}::int + 1,
      'm' || lpad(n::text, 9, '0'), 'w' || (n % 50), 'w' || (n % 50),
      'r' || (n % ${rooms}::int), 'hi', n
    FROM generate_series(0, ${total - 1}::int) n`;
  await sql`
    INSERT INTO mentions (user_key, stream, seq, message_id)
    SELECT k, 'r' || (n % ${rooms}::int), n / ${rooms}::int + 1,
      'm' || lpad(n::text, 9, '0')
    FROM generate_series(0, ${total - 1}::int) n,
      LATERAL unnest(ARRAY[
        CASE WHEN n % 500 = 7 THEN 'bob' END,
        CASE WHEN n % 50 = 3 THEN 'busy' END,
        CASE WHEN n % 500 = 9 THEN 'aside' END,
        CASE WHEN n % 10 = 1 THEN 'o' || (n % 1000) END,
        CASE WHEN n % 2000 = 11 OR n % 40 = 21
          THEN ${ROOM_MENTION_KEY} END]) k
    WHERE k IS NOT NULL`;
  await sql`
    INSERT INTO memberships (user_key, room_key, joined_at)
    SELECT u, 'r' || r, 1 FROM generate_series(0, ${MEMBER_ROOMS - 1}::int) r,
      unnest(ARRAY['bob', 'busy']) u`;
  await sql`
    INSERT INTO memberships (user_key, room_key, joined_at)
    SELECT 'aside', 'r' || (${rooms - 40}::int + r), 1
    FROM generate_series(0, ${MEMBER_ROOMS - 1}::int) r`;
  await sql`ANALYZE`;
  const store = await open();
  try {
    await measure("PostgreSQL", store);
  } finally {
    await store.close();
  }
  for (const statement of [PG_PAGE, PG_ROOMS]) {
    console.log("PostgreSQL's plan:");
    const plan = await sql.unsafe(
      `EXPLAIN (ANALYZE, BUFFERS) ${statement}`,
      ["busy", nth(Math.floor(total / 2)).id, PAGE],
    );
    for (const row of plan) console.log(`  ${row["QUERY PLAN"]}`);
  }
});
