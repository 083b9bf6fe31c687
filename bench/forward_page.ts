/**
 * What a page of forwards costs the store's read (docs/performance.md, "A
 * page of forwards"): every forward's copy is read as its original now is
 * (sqlite_rows.ts and postgres_rows.ts FORWARDED). Fills `general` with
 * `forwards` forwards through this checkout's store, on SQLite and on
 * PostgreSQL (tests/services.ts), a quarter of each kind: copies naming
 * the public room `ops`, copies naming the private room `secret`, copies
 * of originals since deleted, and copies of a conversation's messages (no
 * room). Then reads pages of 50 of `general` as the store's history does
 * (its SQL, on one connection of its own), the newest and older ones, with
 * this checkout's columns and, given STORE_ROOT (as in bench/store_cpu.ts:
 * another version's server/ and client/, e.g. after `mkdir .old && git
 * archive HEAD server client | tar -x -C .old`), that version's,
 * alternated page by page, each first in turn; checks that both read the
 * same rows.
 *
 *   deno run -A bench/forward_page.ts [forwards=4000] [pages=400]
 *
 * Prints each version's median wall time of a page (and its 10th and 90th
 * percentile), and what no load changes: on SQLite the virtual machine's
 * steps for the newest page (the sqlite3 program's `.stats vmstep`, where
 * it is installed), on PostgreSQL the buffers it touches (EXPLAIN ANALYZE,
 * BUFFERS).
 */
import { DatabaseSync } from "node:sqlite";
import postgres from "postgres";
import type { ForwardedMessage } from "../server/protocol/types.ts";
import type { Store } from "../server/store/mod.ts";
import { SqliteStore } from "../server/store/sqlite.ts";
import { PostgresStore } from "../server/store/postgres.ts";
import * as sqliteRows from "../server/store/sqlite_rows.ts";
import * as postgresRows from "../server/store/postgres_rows.ts";
import { startPostgres } from "../tests/services.ts";
import { load } from "./store_bench.ts";

const [forwards = 4000, pages = 400] = Deno.args.map(Number);
const PAGE = 50;
const GENERAL = [{ name: "general", key: "general" }];
const root = Deno.env.get("STORE_ROOT");
const base = root && (root.startsWith("file:") ? root : `file://${root}/`);

/** The columns a version reads messages with. */
interface Version {
  name: string;
  sqlite: string;
  postgres: string;
}

const versions: Version[] = [{
  name: "this",
  sqlite: sqliteRows.MESSAGE_COLUMNS,
  postgres: postgresRows.MESSAGE_COLUMNS,
}];
if (base) {
  versions.push({
    name: "STORE_ROOT",
    sqlite:
      (await import(`${base}server/store/sqlite_rows.ts`)).MESSAGE_COLUMNS,
    postgres: (await import(`${base}server/store/postgres_rows.ts`))
      .MESSAGE_COLUMNS,
  });
}

// The forwards, through the store as the server writes them: originals in
// `ops`, `secret` and a conversation, a quarter of them deleted after.
async function fill(store: Store): Promise<void> {
  await store.createRoom("ops", "ops");
  await store.createRoom("secret", "secret");
  await store.updateRoom("secret", { private: true });
  const author = { userKey: "bob", user: "bob" };
  for (let n = 0; n < forwards; n += 200) {
    const batch = [];
    for (let i = n; i < Math.min(forwards, n + 200); i++) {
      batch.push(forwardOne(store, i, author));
    }
    await Promise.all(batch);
  }
}

async function forwardOne(
  store: Store,
  i: number,
  author: { userKey: string; user: string },
): Promise<void> {
  const kind = i % 4;
  const text = `deploy number ${i}`;
  const original = kind === 3
    ? (await store.appendPrivate({
      fromKey: "bob",
      from: "bob",
      toKey: "alice",
      to: "alice",
      text,
      delivered: true,
    })).message
    : (await store.appendMessage({
      roomKey: kind === 1 ? "secret" : "ops",
      ...author,
      text,
    })).message;
  const copy: ForwardedMessage = {
    id: original.id,
    seq: original.seq,
    user: original.user,
    ts: original.ts,
    text,
    ...(kind === 3 ? { with: "bob" } : { room: kind === 1 ? "secret" : "ops" }),
  };
  const { message } = await store.appendMessage({
    roomKey: "general",
    userKey: "alice",
    user: "alice",
    text: "",
  });
  await store.setForwarded(message.id, copy);
  if (kind === 2) await store.updateMessage(original.id, { deleted: true });
}

/** The newest page, then pages further back, in turn. */
function beforeSeqOf(i: number): number {
  return i % 2 === 0
    ? Number.MAX_SAFE_INTEGER
    : 1 + PAGE + (i * 37) % Math.max(1, forwards - PAGE);
}

/** The versions, each first in turn (every other newest and older page). */
function inTurn(i: number): Version[] {
  return Math.floor(i / 2) % 2 === 0 ? versions : [...versions].reverse();
}

/**
 * Reads `pages` pages with each version in turn (inTurn), timing each
 * read, and checks that the versions read the same rows; their times.
 */
async function alternated(
  read: (version: Version, beforeSeq: number) => unknown,
): Promise<Map<string, number[]>> {
  const times = new Map(versions.map((v) => [v.name, [] as number[]]));
  for (let i = 0; i < pages; i++) {
    const answers: string[] = [];
    for (const version of inTurn(i)) {
      const start = performance.now();
      const rows = await read(version, beforeSeqOf(i));
      times.get(version.name)!.push(performance.now() - start);
      answers.push(JSON.stringify(rows));
    }
    if (answers.some((a) => a !== answers[0])) {
      throw new Error(`The versions read page ${i} differently`);
    }
  }
  return times;
}

function report(store: string, times: Map<string, number[]>): void {
  for (const [name, ms] of times) {
    ms.sort((a, b) => a - b);
    const at = (q: number) => ms[Math.floor(q * (ms.length - 1))].toFixed(3);
    console.log(
      `${store} ${name}: a page of ${PAGE} forwards ${at(0.5)} ms median ` +
        `(p10 ${at(0.1)}, p90 ${at(0.9)}; ${ms.length} pages)`,
    );
  }
}

async function onSqlite(): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "forward-page-" });
  try {
    const path = `${dir}/chat.db`;
    const store = await SqliteStore.open(path, {
      permanentRooms: GENERAL,
      busyTimeoutMs: 5000,
    });
    try {
      await fill(store);
    } finally {
      await store.close();
    }
    const db = new DatabaseSync(path);
    db.exec("ANALYZE");
    const page = (columns: string) =>
      db.prepare(
        `SELECT * FROM (SELECT ${columns} FROM ${sqliteRows.MESSAGES}
           WHERE m.stream = ? AND m.seq < ? AND m.ts >= ?
           ORDER BY m.seq DESC LIMIT ?)
         ORDER BY seq`,
      );
    const statements = new Map(versions.map((v) => [v, page(v.sqlite)]));
    const times = await alternated((version, beforeSeq) =>
      statements.get(version)!.all("general", beforeSeq, 0, PAGE)
    );
    db.close();
    report("SQLite", times);
    for (const version of versions) {
      const steps = await vmSteps(path, version.sqlite);
      if (steps) console.log(`SQLite ${version.name}: ${steps} (newest page)`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

// The newest page's virtual machine steps, from the sqlite3 program
// (undefined where it is missing).
async function vmSteps(
  path: string,
  columns: string,
): Promise<string | undefined> {
  const sql = `.stats vmstep
SELECT * FROM (SELECT ${columns} FROM ${sqliteRows.MESSAGES}
  WHERE m.stream = 'general' AND m.seq < ${Number.MAX_SAFE_INTEGER}
  AND m.ts >= 0 ORDER BY m.seq DESC LIMIT ${PAGE}) ORDER BY seq;
`;
  try {
    const child = new Deno.Command("sqlite3", {
      args: ["-readonly", path],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(sql));
    await writer.close();
    const { stdout } = await child.output();
    return /VM-steps: \d+/.exec(new TextDecoder().decode(stdout))?.[0];
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}

async function onPostgres(): Promise<void> {
  const service = await startPostgres();
  if (!service) {
    console.log("PostgreSQL: not installed here, skipped");
    return;
  }
  try {
    const url = await service.createDatabase("forwards");
    const store = await PostgresStore.open(url, { permanentRooms: GENERAL });
    try {
      await fill(store);
    } finally {
      await store.close();
    }
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      await sql`ANALYZE`;
      const page = (columns: string) =>
        `SELECT * FROM (
           SELECT ${columns} FROM messages m ${postgresRows.REPLY_JOIN}
           WHERE m.stream = $1 AND m.seq < $2 AND m.ts >= $3
           ORDER BY m.seq DESC LIMIT $4
         ) newest ORDER BY seq`;
      const times = await alternated((version, beforeSeq) =>
        sql.unsafe(page(version.postgres), ["general", beforeSeq, 0, PAGE])
      );
      report("PostgreSQL", times);
      for (const version of versions) {
        const plan = await sql.unsafe(
          `EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) ${page(version.postgres)}`,
          ["general", Number.MAX_SAFE_INTEGER, 0, PAGE],
        );
        const lines = plan.map((row) => String(row["QUERY PLAN"]));
        const hashed = lines.some((line) => /hashed SubPlan/.test(line));
        console.log(
          `PostgreSQL ${version.name}: ${
            lines.find((line) => /Buffers:/.test(line))?.trim()
          } (newest page), ${
            hashed ? "a subplan hashed over messages" : "probes by row"
          }`,
        );
      }
    } finally {
      await sql.end();
    }
  } finally {
    await service.stop();
  }
}

console.log(`${forwards} forwards in general; load ${load()}`);
await onSqlite();
await onPostgres();
