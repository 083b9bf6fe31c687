/**
 * What the `@room` marker costs a page of history on PostgreSQL (docs/
 * performance.md, "An @room's pushes, and its marker on PostgreSQL"): a
 * message whose text says `@room` probes the mentions table for its
 * marker row (postgres_rows.ts ROOM_MARKED); every other message skips the
 * probe. Starts its own PostgreSQL (tests/services.ts), stores `messages`
 * in room `loud`, every one an `@room` that notified the room, as many
 * plain ones in room `quiet`, and `others` `@room`s in 50 other rooms (so
 * that the markers are many), then reads pages of 50 of both rooms, the
 * newest and older ones, alternately.
 *
 *   deno run -A bench/room_marker_pg.ts [messages=5000] [others=20000] [pages=200]
 *
 * Prints the wall time of a page read (median, 90th and 99th percentile,
 * max) in each room, and EXPLAIN (ANALYZE, BUFFERS) of a page of `loud`.
 * STORE_ROOT: as in bench/store_cpu.ts, another version's server/ to
 * measure instead.
 */
import postgres from "postgres";
import type { MessageDraft } from "../server/store/mod.ts";
import { ROOM_MENTION_KEY } from "../server/mentions.ts";
import { startPostgres } from "../tests/services.ts";

const [messages = 5000, others = 20000, pages = 200] = Deno.args.map(Number);
const root = Deno.env.get("STORE_ROOT") ?? new URL("..", import.meta.url).href;
const base = root.startsWith("file:") ? root : `file://${root}/`;
const { PostgresStore } = await import(`${base}server/store/postgres.ts`);
const { MESSAGE_COLUMNS, REPLY_JOIN } = await import(
  `${base}server/store/postgres_rows.ts`
);
const OTHER_ROOMS = 50;

const service = await startPostgres();
if (!service) throw new Error("PostgreSQL is not installed");
try {
  const url = await service.createDatabase("marker");
  const store = await PostgresStore.open(url);
  try {
    await store.createRoom("loud", "loud");
    await store.createRoom("quiet", "quiet");
    for (let r = 0; r < OTHER_ROOMS; r++) {
      await store.createRoom(`r${r}`, `r${r}`);
    }
    const draft = (roomKey: string, n: number, loud: boolean) =>
      ({
        roomKey,
        userKey: "boss",
        user: "boss",
        text: loud ? `@room deploy number ${n}` : `deploy number ${n}`,
        ...(loud ? { roomWide: true } : {}),
      }) satisfies MessageDraft;
    // Queued 500 at a time: the store commits them in groups.
    const fill = async (count: number, one: (n: number) => MessageDraft) => {
      for (let n = 0; n < count; n += 500) {
        const batch = [];
        for (let i = n; i < Math.min(count, n + 500); i++) {
          batch.push(store.appendMessage(one(i)));
        }
        await Promise.all(batch);
      }
    };
    await fill(others, (n) => draft(`r${n % OTHER_ROOMS}`, n, true));
    await fill(messages, (n) => draft("loud", n, true));
    await fill(messages, (n) => draft("quiet", n, false));
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      await sql`ANALYZE`;
      const [{ n }] = await sql<{ n: number }[]>`
        SELECT count(*)::int AS n FROM mentions
        WHERE user_key = ${ROOM_MENTION_KEY}`;
      const [first] = await store.history("loud", { limit: 1 });
      if (first?.room_mention !== true) {
        throw new Error("The loud room's messages carry no room_mention");
      }
      console.log(
        `${messages} messages a room, ${n} @room markers in all; load ${
          Deno.loadavg().map((x) => x.toFixed(1)).join(" ")
        }`,
      );
      const times = new Map<string, number[]>([["loud", []], ["quiet", []]]);
      for (let i = 0; i < pages; i++) {
        // The newest page, then pages further back, in turn.
        const beforeSeq = i % 2 === 0 ? undefined : 1 + (i * 37) % messages;
        for (const room of ["loud", "quiet"]) {
          const start = performance.now();
          await store.history(room, { limit: 50, beforeSeq });
          times.get(room)!.push(performance.now() - start);
        }
      }
      for (const [room, ms] of times) {
        ms.sort((a, b) => a - b);
        const at = (q: number) => ms[Math.floor(q * (ms.length - 1))];
        console.log(
          `${room}: a page of 50 ${at(0.5).toFixed(2)} ms median, ${
            at(0.9).toFixed(2)
          } p90, ${at(0.99).toFixed(2)} p99, ${
            at(1).toFixed(2)
          } max (${pages} pages)`,
        );
      }
      // The newest page of `loud`, as page() reads it (postgres.ts), its
      // values as parameters, as the store sends them.
      const plan = await sql.unsafe(
        `EXPLAIN (ANALYZE, BUFFERS) SELECT * FROM (
           SELECT ${MESSAGE_COLUMNS} FROM messages m ${REPLY_JOIN}
           WHERE m.stream = $1 AND m.seq < $2 AND m.ts >= $3
           ORDER BY m.seq DESC LIMIT $4
         ) newest ORDER BY seq`,
        ["loud", Number.MAX_SAFE_INTEGER, 0, 50],
      );
      for (const row of plan) console.log(row["QUERY PLAN"]);
      // Without the per-node clocks EXPLAIN ANALYZE adds (a row's timing
      // costs more than the row), as a custom plan (the store's first five
      // runs of a statement on a connection) and as the generic plan
      // PostgreSQL may keep after them.
      const page = `SELECT * FROM (
           SELECT ${MESSAGE_COLUMNS} FROM messages m ${REPLY_JOIN}
           WHERE m.stream = $1 AND m.seq < $2 AND m.ts >= $3
           ORDER BY m.seq DESC LIMIT $4
         ) newest ORDER BY seq`;
      for (const mode of ["force_custom_plan", "force_generic_plan"]) {
        await sql.unsafe(`SET plan_cache_mode = ${mode}`);
        const ms: number[] = [];
        let shape = "";
        for (let i = 0; i < 5; i++) {
          const rows = await sql.unsafe(
            `EXPLAIN (ANALYZE, TIMING OFF) ${page}`,
            ["loud", Number.MAX_SAFE_INTEGER, 0, 50],
          );
          const lines = rows.map((row) => String(row["QUERY PLAN"]));
          shape = lines.some((line) => /Seq Scan on mentions/.test(line))
            ? "every marker scanned"
            : "a probe a row";
          ms.push(
            Number(/Execution Time: ([\d.]+)/.exec(lines.join("\n"))![1]),
          );
        }
        console.log(
          `${mode}: ${shape}, execution ${
            ms.map((x) => x.toFixed(2)).join(", ")
          } ms`,
        );
      }
    } finally {
      await sql.end();
    }
  } finally {
    await store.close();
  }
} finally {
  await service.stop();
}
