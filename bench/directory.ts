/**
 * The user directory's and `general`'s member list's store reads at
 * 100,000 accounts (docs/performance.md, "The user directory at 100,000
 * accounts"), on SQLite and PostgreSQL (a throwaway server from
 * tests/services.ts).
 *
 *   deno run -A bench/directory.ts [accounts=100000] [runs=21]
 *
 * Accounts get names of 5 to 10 letters a to z, each in `general` from its
 * creation as registration writes them, and 500 of them count as online.
 * Prints the median of `runs` of each read:
 * - people: `find_people`'s reads for a prefix, as the handler makes them
 *   (the online ones among the matches, then the rest in name order; or,
 *   with `old`, the first 100 matches in name order, as before);
 * - members: `list_members` of `general` (`roomMembers`), 20 names.
 * On PostgreSQL also the plan of the member list's read.
 */
import { nameSkeleton } from "../server/protocol/skeleton.ts";
import { PostgresStore } from "../server/store/postgres.ts";
import { SqliteStore } from "../server/store/sqlite.ts";
import type { Store } from "../server/store/mod.ts";
import { load, timedMedian, withPostgres, withSqlite } from "./store_bench.ts";

const [accounts = 100_000, runs = 21] = Deno.args.filter((a) => a !== "old")
  .map(Number);
const old = Deno.args.includes("old");
const ONLINE = 500;

// Deterministic names: the same accounts on both stores and every run.
let seed = 42;
function next(): number {
  // mulberry32: integer arithmetic only, so no float rounding cycles.
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
}
const keys = new Set<string>();
while (keys.size < accounts) {
  const length = 5 + Math.floor(next() * 6);
  let name = "";
  for (let i = 0; i < length; i++) {
    name += String.fromCharCode(97 + Math.floor(next() * 26));
  }
  keys.add(name);
}
const names = [...keys];
const online = names.filter((_, i) => i % (accounts / ONLINE) === 0);
const viewer = names[1];

async function timed(what: string, read: () => Promise<unknown>) {
  const { ms, answer } = await timedMedian(runs, read);
  const size = Array.isArray(answer) ? ` (${answer.length} found)` : "";
  console.log(`  ${what}: ${ms.toFixed(3)} ms${size}`);
}

async function people(store: Store, prefix: string): Promise<unknown[]> {
  if (old) {
    return await store.findPeople({ prefix, viewerKey: viewer, limit: 100 });
  }
  const among = online.filter((key) => key.startsWith(prefix));
  const first = among.length === 0 ? [] : await store.findPeople({
    prefix,
    viewerKey: viewer,
    among,
    limit: 20,
  });
  const rest = first.length === 20 ? [] : await store.findPeople({
    prefix,
    viewerKey: viewer,
    limit: 20 + first.length,
  });
  return [...first, ...rest].slice(0, 20);
}

async function measure(label: string, store: Store): Promise<void> {
  console.log(
    `${label}, ${accounts} accounts, ${runs} runs, load ${load()}${
      old ? ", old directory reads" : ""
    }`,
  );
  const long = names[accounts / 2].slice(0, 4);
  for (const prefix of ["m", "ma", long]) {
    await timed(`people "${prefix}"`, () => people(store, prefix));
  }
  for (const prefix of ["", "m", "zz"]) {
    await timed(
      `members of general "${prefix}"`,
      () => store.roomMembers("general", prefix, 20),
    );
  }
}

const rows = names.map((key) => ({
  key,
  username: key,
  password_hash: "x",
  role: "user",
  created_at: 1,
  skeleton: nameSkeleton(key),
}));

await withSqlite(SqliteStore, {
  fill(db) {
    const account = db.prepare(
      `INSERT INTO accounts (key, username, password_hash, role, created_at,
         skeleton) VALUES (?, ?, ?, ?, ?, ?)`,
    );
    const member = db.prepare(
      "INSERT INTO memberships (user_key, room_key, joined_at) VALUES (?, ?, 1)",
    );
    for (const r of rows) {
      account.run(r.key, r.username, r.password_hash, r.role, 1, r.skeleton);
      member.run(r.key, "general");
    }
  },
  use: (store) => measure("SQLite", store),
});

await withPostgres(PostgresStore, "directory", async ({ sql, open }) => {
  for (let i = 0; i < rows.length; i += 5000) {
    const part = rows.slice(i, i + 5000);
    await sql`INSERT INTO accounts ${sql(part)}`;
    await sql`INSERT INTO memberships ${
      sql(part.map((r) => ({
        user_key: r.key,
        room_key: "general",
        joined_at: 1,
      })))
    }`;
  }
  await sql`VACUUM ANALYZE`;
  // The member list's read as it was and as it is now, with a generic
  // plan (the parameter unknown), as a prepared statement gets it.
  await sql.unsafe("SET plan_cache_mode = force_generic_plan");
  for (
    const [name, where] of [
      ["before", "starts_with(key, $1)"],
      [
        "after",
        `key COLLATE "C" >= $1 AND key COLLATE "C" < $1 || chr(1114111)`,
      ],
    ]
  ) {
    await sql.unsafe(
      `PREPARE ${name}(text) AS SELECT username FROM accounts WHERE ${where}
       ORDER BY key COLLATE "C" LIMIT 20`,
    );
    for (const prefix of ["", "m", "zz"]) {
      const plan = await sql.unsafe(
        `EXPLAIN ANALYZE EXECUTE ${name}('${prefix}')`,
      );
      console.log(`${name} "${prefix}":`);
      console.log(plan.map((row) => row["QUERY PLAN"]).join("\n"));
    }
  }
  if (Deno.env.get("EXPLAIN_PEOPLE")) {
    await sql.unsafe(`PREPARE people(text, text, text, bigint, int) AS
      SELECT a.key FROM accounts a
      WHERE a.key COLLATE "C" >= $1 AND a.key COLLATE "C" < $2
      AND a.key <> $3
      AND NOT EXISTS (SELECT 1 FROM bans b
        WHERE b.user_key = a.key AND b.room_key = ''
        AND (b.expires_at IS NULL OR b.expires_at > $4))
      AND EXISTS (SELECT 1 FROM memberships m
        JOIN rooms r ON r.key = m.room_key
        WHERE m.user_key = a.key AND (NOT r.private OR EXISTS (
          SELECT 1 FROM memberships v
          WHERE v.user_key = $3 AND v.room_key = m.room_key)))
      ORDER BY a.key COLLATE "C" LIMIT $5`);
    const plan = await sql.unsafe(
      `EXPLAIN ANALYZE EXECUTE people('mdte', 'mdte' || chr(1114111), '${viewer}', 1, 20)`,
    );
    console.log(plan.map((row) => row["QUERY PLAN"]).join("\n"));
    await sql.unsafe(`PREPARE among(text, text, jsonb) AS
      SELECT a.key FROM accounts a
      WHERE a.key COLLATE "C" >= $1 AND a.key COLLATE "C" < $2
      AND a.key = ANY(ARRAY(SELECT jsonb_array_elements_text($3)))
      ORDER BY a.key COLLATE "C" LIMIT 20`);
    const m = online.filter((key) => key.startsWith("m"));
    const among = await sql.unsafe(
      `EXPLAIN ANALYZE EXECUTE among('m', 'm' || chr(1114111), '${
        JSON.stringify(m)
      }')`,
    );
    console.log(among.map((row) => row["QUERY PLAN"]).join("\n"));
  }
  const store = await open();
  try {
    await measure("PostgreSQL", store);
  } finally {
    await store.close();
  }
});
