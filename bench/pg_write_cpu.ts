/**
 * What a stored message costs PostgreSQL's processes in CPU, with the
 * search audiences' triggers (s56) and without (docs/performance.md, "A
 * search's windows by audience on PostgreSQL (s56)"). CPU, read from
 * /proc (user + system of the postmaster and every process it started,
 * the exited ones included through its children's times), not wall time:
 * the machine may be busy, and CPU is what the triggers add.
 *
 *   deno run -A bench/pg_write_cpu.ts [messages=4000] [rounds=3] [batch=50]
 *
 * Starts its own PostgreSQL (tests/services.ts, fsync off), makes one
 * database a shape, each opened by `PostgresStore` (its migrations: the
 * triggers as shipped), then changes the scratch databases' triggers:
 *
 * - `s56`: the trigger's function as s56 shipped it (its rows through
 *   chat_search_audiences, an SQL function PostgreSQL cannot inline, so
 *   planned again at each message);
 * - `none`: the message trigger dropped (what the rows cost, at most);
 * - `statement`: the insert's rows written by a statement-level trigger
 *   reading its transition table (`REFERENCING NEW TABLE`), the delete
 *   and the update kept a row's (a transition table cannot go with a
 *   column list; chat_append inserts a message a statement, so it fires
 *   a message all the same);
 * - `plpgsql`: as shipped since pgwrite57 (the row trigger's rows written
 *   by plpgsql statements alone, their plans kept for the connection).
 *
 * Each round appends `messages` through `appendMessage`/`appendPrivate`
 * to each shape in turn (alternated, so the load falls on all alike),
 * `batch` queued in one turn and awaited together, as the server's group
 * commits: 20 rooms (4 private) in turn and a tenth private messages
 * between 10 people. Prints, a shape and round, PostgreSQL's CPU µs a
 * message and this process's (the store's side), and the medians.
 */
import postgres from "postgres";
import type { MessageDraft, PrivateDraft } from "../server/store/mod.ts";
import { PostgresStore } from "../server/store/postgres.ts";
import { S56_MESSAGE_AUDIENCES } from "../tests/old_schema.ts";
import { startPostgres } from "../tests/services.ts";
import { clkTck, cpuSeconds } from "./proc.ts";

const [messages = 4000, rounds = 3, batch = 50] = Deno.args.map(Number);
const SHAPES = ["s56", "none", "statement", "plpgsql"] as const;
type Shape = typeof SHAPES[number];
const ROOMS = Array.from({ length: 20 }, (_, i) => `room${i}`);

// A scratch change of the shipped schema, made after the migrations.
const CHANGES: Record<Shape, string> = {
  // The rewind's (tests/old_schema.ts).
  s56: S56_MESSAGE_AUDIENCES,
  // As shipped (postgres_schema.ts).
  plpgsql: "",
  none: "DROP TRIGGER messages_search_audiences ON messages",
  statement: `
    DROP TRIGGER messages_search_audiences ON messages;
    CREATE FUNCTION chat_inserted_audiences() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO search_audiences (audience, id, user_key)
      SELECT DISTINCT a, n.id, n.user_key
      FROM inserted n, unnest(chat_search_audiences(n.stream)) a
      ON CONFLICT DO NOTHING;
      RETURN NULL;
    END $$;
    CREATE TRIGGER messages_inserted_audiences AFTER INSERT ON messages
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION chat_inserted_audiences();
    CREATE TRIGGER messages_search_audiences
    AFTER DELETE OR UPDATE OF stream, id, user_key ON messages
    FOR EACH ROW EXECUTE FUNCTION chat_message_audiences();`,
};

/** CPU seconds of a process and of its children, exited and reaped. */
function treeSeconds(pid: number, ticks: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime, stime, cutime, cstime: fields 14 to 17.
  let total = (Number(f[11]) + Number(f[12]) + Number(f[13]) +
    Number(f[14])) / ticks;
  const children = Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`)
    .trim().split(/\s+/).filter(Boolean).map(Number);
  for (const child of children) {
    try {
      total += treeSeconds(child, ticks);
    } catch {
      // Exited meanwhile: its time is in the parent's children's now.
    }
  }
  return total;
}

/** The postmaster: the parent of a backend of ours. */
function parentOf(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
}

const service = await startPostgres();
if (!service) throw new Error("PostgreSQL is not installed");
const ticks = await clkTck();
const stores = new Map<Shape, PostgresStore>();
try {
  for (const shape of SHAPES) {
    const url = await service.createDatabase(`w_${shape}`);
    const store = await PostgresStore.open(url);
    stores.set(shape, store);
    for (const [i, key] of ROOMS.entries()) {
      await store.createRoom(key, key, i % 5 === 0 ? { private: true } : {});
    }
    if (CHANGES[shape]) {
      await service.psql(CHANGES[shape], { database: `w_${shape}` });
    }
  }
  const sql = postgres(service.url, { max: 1, onnotice: () => {} });
  const [{ pid }] = await sql<
    { pid: number }[]
  >`SELECT pg_backend_pid() AS pid`;
  const postmaster = parentOf(pid);
  const words = "the meeting moved to thursday afternoon bring your notes";
  let sent = 0;
  const append = (store: PostgresStore, n: number) => {
    sent++;
    if (n % 10 === 9) {
      const a = n % 10, b = (n >> 4) % 10;
      return store.appendPrivate(
        {
          fromKey: `u${a}`,
          from: `u${a}`,
          toKey: `v${b}`,
          to: `v${b}`,
          text: `${words} ${sent}`,
          delivered: true,
        } satisfies PrivateDraft,
      );
    }
    return store.appendMessage(
      {
        roomKey: ROOMS[n % ROOMS.length],
        userKey: `u${n % 10}`,
        user: `u${n % 10}`,
        text: `${words} ${sent}`,
      } satisfies MessageDraft,
    );
  };
  const figures = new Map<Shape, { pg: number[]; deno: number[] }>(
    SHAPES.map((s) => [s, { pg: [], deno: [] }]),
  );
  // A warm-up a shape, not measured: connections opened, plans cached.
  for (const store of stores.values()) {
    for (let n = 0; n < 500; n += batch) {
      await Promise.all(
        Array.from({ length: batch }, (_, i) => append(store, n + i)),
      );
    }
  }
  for (let round = 0; round < rounds; round++) {
    for (const shape of SHAPES) {
      const store = stores.get(shape)!;
      const pg0 = treeSeconds(postmaster, ticks);
      const deno0 = await cpuSeconds(Deno.pid);
      for (let n = 0; n < messages; n += batch) {
        await Promise.all(
          Array.from(
            { length: Math.min(batch, messages - n) },
            (_, i) => append(store, n + i),
          ),
        );
      }
      const pg = (treeSeconds(postmaster, ticks) - pg0) * 1e6 / messages;
      const deno = (await cpuSeconds(Deno.pid) - deno0) * 1e6 / messages;
      figures.get(shape)!.pg.push(pg);
      figures.get(shape)!.deno.push(deno);
      console.log(
        `round ${round + 1} ${shape}: PostgreSQL ${
          pg.toFixed(0)
        } µs a message, this process ${deno.toFixed(0)} µs; load ${
          Deno.loadavg()[0].toFixed(1)
        }`,
      );
    }
  }
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor((s.length - 1) / 2)];
  };
  for (const [shape, { pg, deno }] of figures) {
    console.log(
      `${shape}: median PostgreSQL ${
        median(pg).toFixed(0)
      } µs a message, this process ${
        median(deno).toFixed(0)
      } µs (${messages} messages, commits of ${batch}, ${rounds} rounds)`,
    );
  }
  // The shapes wrote the same rows (none: none).
  for (const shape of SHAPES) {
    const db = postgres(service.url.replace(/\/postgres$/, `/w_${shape}`), {
      max: 1,
      onnotice: () => {},
    });
    const [{ n }] = await db<{ n: number }[]>`
      SELECT count(*)::int AS n FROM search_audiences`;
    await db.end();
    console.log(`${shape}: ${n} audience rows`);
  }
  await sql.end();
} finally {
  for (const store of stores.values()) await store.close();
  await service.stop();
}
