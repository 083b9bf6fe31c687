/**
 * What a login's unread and mention counts cost the store, for an account
 * that ignores nobody and one that ignores 21 accounts, and what a member
 * list of a room other than `general` costs (docs/performance.md, "Counts
 * of an account that ignores others"), on SQLite and PostgreSQL (a
 * throwaway server from tests/services.ts).
 *
 *   deno run -A bench/read_counts.ts [rooms=100] [unread=1000] [runs=21] [members=1000]
 *
 * Each of `rooms` rooms holds `unread` messages by `writer` and a tenth as
 * many by the 21 accounts `ignorer` ignores, interleaved; a tenth of all
 * mention both readers (`ignorer` and `plain`, who ignores nobody).
 * Prints the median of `runs` of `readStates` over every room (a login's
 * counts), both readers taken in turn, then the plans of the statements.
 * Then ten times `members` accounts are made, `members` of them in each
 * room, and `roomMembers` of one room is timed with the prefixes "" and
 * "m"; on PostgreSQL with the plans of its statement before and after
 * the change (starts_with, then a range of keys in byte order).
 *
 * STORE_ROOT: the absolute path of a folder in the checkout (its import
 * map applies there) holding another version's server/ and client/, e.g.
 * after `mkdir .old && git archive HEAD server client | tar -x -C .old`,
 * to measure its stores instead.
 */
import type { Store } from "../server/store/mod.ts";
import {
  load,
  median,
  timedMedian,
  withPostgres,
  withSqlite,
} from "./store_bench.ts";

const [rooms = 100, unread = 1000, runs = 21, members = 1000] = Deno.args.map(
  Number,
);
const root = Deno.env.get("STORE_ROOT") ?? new URL("..", import.meta.url).href;
const base = root.startsWith("file:") ? root : `file://${root}/`;
const { SqliteStore } = await import(`${base}server/store/sqlite.ts`);
const { PostgresStore } = await import(`${base}server/store/postgres.ts`);
const IGNORED = 21;
const streams = Array.from({ length: rooms }, (_, i) => `r${i + 1}`);
// A message's author: each eleventh by one of the ignored accounts.
const perRoom = Math.floor(unread * 1.1);
const author = (seq: number) =>
  seq % 11 === 0 ? `ig${seq % IGNORED}` : "writer";
const memberKey = (n: number) =>
  `${String.fromCharCode(97 + Math.floor(n / 10) % 26)}${n.toString(36)}`;
// Ten times `members` accounts; room i holds those whose number ends in
// i's last digit, `members` each.
function* membershipsOf(): Generator<[string, string]> {
  for (let n = 0; n < members * 10; n++) {
    for (let i = n % 10; i < rooms; i += 10) {
      yield [memberKey(n), streams[i]];
    }
  }
}

async function measure(label: string, store: Store): Promise<void> {
  console.log(
    `${label}, ${rooms} rooms of ${unread} unread, ${runs} runs, load ${load()}`,
  );
  const times: Record<string, number[]> = { plain: [], ignorer: [] };
  const answers: Record<string, unknown> = {};
  for (const reader of ["plain", "ignorer"]) {
    answers[reader] = await store.readStates(reader, streams); // warm
  }
  for (let i = 0; i < runs; i++) {
    for (const reader of ["plain", "ignorer"]) {
      const start = performance.now();
      await store.readStates(reader, streams);
      times[reader].push(performance.now() - start);
    }
  }
  for (const reader of ["plain", "ignorer"]) {
    const [first] = answers[reader] as { unread: number; mentions: number }[];
    console.log(
      `  counts of ${reader}: ${median(times[reader]).toFixed(1)} ms` +
        ` (a room: ${first.unread} unread, ${first.mentions} mentions)`,
    );
  }
}

async function measureMembers(label: string, store: Store): Promise<void> {
  for (const prefix of ["", "m"]) {
    const { ms } = await timedMedian(
      runs,
      () => store.roomMembers("r2", prefix, 20),
    );
    console.log(`  ${label} members of r2 "${prefix}": ${ms.toFixed(2)} ms`);
  }
}

await withSqlite(SqliteStore, {
  fill(db) {
    const message = db.prepare(
      `INSERT INTO messages (stream, seq, id, user_key, user, room, text, ts)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const mention = db.prepare(
      "INSERT INTO mentions (user_key, stream, seq) VALUES (?, ?, ?)",
    );
    for (const stream of streams) {
      db.prepare("INSERT INTO rooms (key, name, created_at) VALUES (?, ?, 1)")
        .run(stream, stream);
      db.prepare("INSERT INTO streams (key, last_seq) VALUES (?, ?)")
        .run(stream, perRoom);
      for (let seq = 1; seq <= perRoom; seq++) {
        const who = author(seq);
        message.run(
          stream,
          seq,
          `${stream}-${seq}`,
          who,
          who,
          stream,
          "hi",
          seq,
        );
        if (seq % 10 === 0) {
          mention.run("plain", stream, seq);
          mention.run("ignorer", stream, seq);
        }
      }
    }
    for (let i = 0; i < IGNORED; i++) {
      db.prepare(
        `INSERT INTO ignores (user_key, ignored_key, ignored_name, at)
         VALUES ('ignorer', ?, ?, 1)`,
      ).run(`ig${i}`, `ig${i}`);
    }
    const account = db.prepare(
      `INSERT INTO accounts (key, username, password_hash, role, created_at,
         skeleton) VALUES (?, ?, 'x', 'user', 1, ?)`,
    );
    const member = db.prepare(
      "INSERT INTO memberships (user_key, room_key, joined_at) VALUES (?, ?, 1)",
    );
    for (let n = 0; n < members * 10; n++) {
      account.run(memberKey(n), memberKey(n), memberKey(n));
    }
    for (const [key, stream] of membershipsOf()) member.run(key, stream);
  },
  analyzed(db) {
    for (
      const sql of [
        `SELECT count(*) FROM (SELECT 1 FROM messages WHERE stream = ?2
           AND seq > ?3 AND user_key <> ?1 AND deleted = 0
           AND user_key NOT IN (SELECT i.ignored_key FROM ignores i
             WHERE i.user_key = ?1) LIMIT ?4)`,
        `SELECT a.username FROM memberships m
           JOIN accounts a ON a.key = m.user_key
           WHERE m.room_key = ? AND m.user_key >= ? AND m.user_key < ?
           ORDER BY m.user_key LIMIT ?`,
      ]
    ) {
      console.log(sql.replace(/\s+/g, " "));
      for (const row of db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all()) {
        console.log(`  ${row.detail}`);
      }
    }
  },
  async use(store) {
    await measure("SQLite", store);
    await measureMembers("SQLite", store);
  },
});

await withPostgres(PostgresStore, "counts", async ({ sql, open }) => {
  await sql`
    INSERT INTO rooms (key, name, created_at)
    SELECT 'r' || r, 'r' || r, 1 FROM generate_series(1, ${rooms}::int) r`;
  await sql`
    INSERT INTO streams (key, last_seq)
    SELECT 'r' || r, ${perRoom}::int FROM generate_series(1, ${rooms}::int) r`;
  await sql`
    INSERT INTO messages (stream, seq, id, user_key, user_name, room, text, ts)
    SELECT 'r' || r, s, 'r' || r || '-' || s, a, a, 'r' || r, 'hi', s
    FROM generate_series(1, ${rooms}::int) r,
      generate_series(1, ${perRoom}::int) s,
      LATERAL (SELECT CASE WHEN s % 11 = 0 THEN 'ig' || (s % ${IGNORED}::int)
        ELSE 'writer' END AS a) w`;
  await sql`
    INSERT INTO mentions (user_key, stream, seq)
    SELECT u, 'r' || r, s FROM generate_series(1, ${rooms}::int) r,
      generate_series(10, ${perRoom}::int, 10) s,
      unnest(ARRAY['plain', 'ignorer']) u`;
  await sql`
    INSERT INTO ignores (user_key, ignored_key, ignored_name, at)
    SELECT 'ignorer', 'ig' || i, 'ig' || i, 1
    FROM generate_series(0, ${IGNORED - 1}::int) i`;
  await sql`VACUUM ANALYZE`;
  const store = await open();
  try {
    await measure("PostgreSQL", store);
  } finally {
    await store.close();
  }

  // Member lists: `members` accounts in every room.
  const keys = Array.from({ length: members * 10 }, (_, n) => memberKey(n));
  for (let i = 0; i < keys.length; i += 5000) {
    const part = keys.slice(i, i + 5000).map((key) => ({
      key,
      username: key,
      password_hash: "x",
      role: "user",
      created_at: 1,
      skeleton: key,
    }));
    await sql`INSERT INTO accounts ${sql(part)}`;
  }
  const pairs = [...membershipsOf()];
  for (let i = 0; i < pairs.length; i += 5000) {
    await sql`INSERT INTO memberships ${
      sql(
        pairs.slice(i, i + 5000).map(([user_key, room_key]) => ({
          user_key,
          room_key,
          joined_at: 1,
        })),
      )
    }`;
  }
  await sql`VACUUM ANALYZE`;
  const membersStore = await open();
  try {
    await measureMembers("PostgreSQL", membersStore);
  } finally {
    await membersStore.close();
  }
  await sql.unsafe("SET plan_cache_mode = force_generic_plan");
  // The member list's read as it was and as it is now.
  for (
    const [name, where] of [
      ["before", "starts_with(m.user_key, $2)"],
      [
        "after",
        `m.user_key COLLATE "C" >= $2
         AND m.user_key COLLATE "C" < $2 || chr(1114111)`,
      ],
    ]
  ) {
    await sql.unsafe(`PREPARE ${name}(text, text, int) AS
      SELECT a.username FROM memberships m
      JOIN accounts a ON a.key = m.user_key
      WHERE m.room_key = $1 AND ${where}
      ORDER BY m.user_key COLLATE "C" LIMIT $3`);
    for (const prefix of ["", "m"]) {
      const plan = await sql.unsafe(
        `EXPLAIN ANALYZE EXECUTE ${name}('r2', '${prefix}', 20)`,
      );
      console.log(`${name}: members of r2 "${prefix}" (generic plan):`);
      console.log(plan.map((row) => `  ${row["QUERY PLAN"]}`).join("\n"));
    }
  }
});
