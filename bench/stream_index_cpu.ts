/**
 * What the indexes by room of notification levels and drafts
 * (`notification_levels_stream`, `drafts_stream`; docs/performance.md,
 * "Index writes of notification levels and drafts") cost each write, in
 * process: CPU per `setNotifyLevel` and per `setDraft` through the SQLite
 * store as the server calls them, on tables of `rows` levels and drafts
 * (20 per account, over 50 rooms), with the two indexes and with them
 * dropped, the two alternated `pairs` times. Medians of the pairs.
 *
 *   deno run -A bench/stream_index_cpu.ts [writes=2000] [rows=200000] [pairs=3]
 *
 * Each write is its own commit, as a request's; half insert a new row,
 * half change one written before. CPU (user and system, the checkpoint
 * thread's included), not wall time: the machine may be busy.
 */
import { DatabaseSync } from "node:sqlite";
import process from "node:process";
import { BACKGROUND_CHECKPOINTS } from "../server/store/checkpoints.ts";
import type { Store } from "../server/store/mod.ts";
import { SqliteStore } from "../server/store/sqlite.ts";

const [writes = 2000, rows = 200_000, pairs = 3] = Deno.args.map(Number);
const ROOMS = 50;
const PER_ACCOUNT = 20;

function open(path: string): Promise<Store> {
  return SqliteStore.open(path, {
    busyTimeoutMs: 5000,
    commitWaitMs: 0,
    backgroundCheckpoints: BACKGROUND_CHECKPOINTS,
  });
}

// A store with `rows` levels and drafts, with or without the indexes.
async function prepared(path: string, indexed: boolean): Promise<void> {
  await (await open(path)).close();
  const db = new DatabaseSync(path);
  db.exec("BEGIN");
  const level = db.prepare(
    "INSERT INTO notification_levels VALUES (?, ?, NULL, 'none', 0)",
  );
  const draft = db.prepare("INSERT INTO drafts VALUES (?, ?, NULL, ?, 0)");
  for (let i = 0; i < rows; i++) {
    const user = `user${Math.floor(i / PER_ACCOUNT)}`;
    const room = `room${i % ROOMS}`;
    level.run(user, room);
    draft.run(user, room, "a draft of nine words, as chat's are");
  }
  db.exec("COMMIT");
  if (!indexed) {
    db.exec("DROP INDEX notification_levels_stream");
    db.exec("DROP INDEX drafts_stream");
  }
  db.close();
}

async function measure(
  path: string,
): Promise<{ level: number; draft: number }> {
  const store = await open(path);
  // New accounts' rows (inserts), then the same rows again (updates).
  const key = (i: number) => `writer${i % (writes / 2)}`;
  const stream = (i: number) => `room${i % ROOMS}`;
  let before = process.cpuUsage();
  for (let i = 0; i < writes; i++) {
    await store.setNotifyLevel(key(i), {
      stream: stream(i),
      level: i < writes / 2 ? "none" : "all",
      updatedAt: i,
    }, 1000);
  }
  let used = process.cpuUsage(before);
  const level = (used.user + used.system) / writes;
  before = process.cpuUsage();
  for (let i = 0; i < writes; i++) {
    await store.setDraft(
      key(i),
      {
        stream: stream(i),
        text: `the meeting moved to thursday afternoon bring your notes ${i}`,
        updatedAt: i,
      },
      1000,
      100_000,
    );
  }
  used = process.cpuUsage(before);
  const draft = (used.user + used.system) / writes;
  await store.close();
  return { level, draft };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2
    ? sorted[middle]
    : (sorted[middle - 1] + sorted[middle]) / 2;
}

const dir = await Deno.makeTempDir({ prefix: "stream_index_cpu_" });
try {
  console.log(
    `${writes} writes each, ${rows} rows, load ${
      Deno.loadavg().map((n) => n.toFixed(1)).join(" ")
    }`,
  );
  const indexes = { level: [] as number[], draft: [] as number[] };
  const without = { level: [] as number[], draft: [] as number[] };
  for (let pair = 0; pair < pairs; pair++) {
    // Alternate which goes first, so that a change of load weighs on both.
    const order = pair % 2 === 0 ? [true, false] : [false, true];
    for (const indexed of order) {
      const path = `${dir}/p${pair}${indexed ? "i" : "n"}.db`;
      await prepared(path, indexed);
      const cpu = await measure(path);
      const into = indexed ? indexes : without;
      into.level.push(cpu.level);
      into.draft.push(cpu.draft);
      console.log(
        `pair ${pair} ${indexed ? "with   " : "without"}: CPU µs a ` +
          `setNotifyLevel ${cpu.level.toFixed(1)}, a setDraft ${
            cpu.draft.toFixed(1)
          }`,
      );
    }
  }
  const show = (name: string, values: { level: number[]; draft: number[] }) =>
    console.log(
      `median ${name}: setNotifyLevel ${median(values.level).toFixed(1)} µs ` +
        `(${values.level.map((n) => n.toFixed(0)).join(", ")}), setDraft ${
          median(values.draft).toFixed(1)
        } µs (${values.draft.map((n) => n.toFixed(0)).join(", ")})`,
    );
  show("with the indexes", indexes);
  show("without        ", without);
} finally {
  await Deno.remove(dir, { recursive: true });
}
