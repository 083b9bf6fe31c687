/**
 * What SqliteStore's search index costs a message on its thread, in
 * process and by CPU (docs/performance.md, "The audience index's cost on
 * its thread: prepares, not markers"): the index's pass
 * (search_index_file.ts' `searchPass`) run as the thread runs it, from a
 * main file into an index file of its own (WAL, synchronous NORMAL),
 * every `per-pass` new messages (chat's 1,000 a second are 100 a pass of
 * 100 ms), each pass one commit. The messages are chat's: `rooms` public
 * rooms and `authors` authors, the text of `deno task bench`'s chat
 * (`t:<ms>`, 3 words) or, with `--text words`, bench/chat_counts.ts'
 * (about 150 characters, 28 words).
 *
 *   deno run -A bench/search_index_cpu.ts [--messages 20000] [--per-pass 100]
 *     [--rooms 50] [--authors 1000] [--text chat|words] [--pairs 3]
 *     [--server-dir DIR]
 *
 * With `--server-dir` (another checkout, e.g. a clone of main) its pass and
 * this one's alternate, `pairs` times each, on the same messages; the CPU
 * (user and system) a message of each, and the index file's size at the
 * end. CPU, not wall time: the machine may be busy.
 */
import { DatabaseSync } from "node:sqlite";
import process from "node:process";
import { parseArgs } from "node:util";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    messages: { type: "string", default: "20000" },
    "per-pass": { type: "string", default: "100" },
    rooms: { type: "string", default: "50" },
    authors: { type: "string", default: "1000" },
    text: { type: "string", default: "chat" },
    pairs: { type: "string", default: "3" },
    "server-dir": { type: "string" },
  },
});
const messages = Number(flags.messages);
const perPass = Number(flags["per-pass"]);
const rooms = Number(flags.rooms);
const authors = Number(flags.authors);
const pairs = Number(flags.pairs);
const WORDS = "a message of a chat room, as long as most: a few words about " +
  "the day's work and a question for the others in the room, then ";

interface IndexModule {
  createSearchIndex(db: DatabaseSync): void;
  searchPass(
    source: DatabaseSync,
    index: DatabaseSync,
    limit?: number,
  ): { read: number };
}

async function load(dir: string): Promise<IndexModule> {
  return await import(
    new URL(`file://${dir}/server/store/search_index_file.ts`).href
  );
}

const here = new URL("..", import.meta.url).pathname;
const checkouts = [{ label: "this", dir: here }];
if (flags["server-dir"]) {
  checkouts.unshift({ label: "other", dir: flags["server-dir"] });
}
const modules = await Promise.all(checkouts.map(({ dir }) => load(dir)));

// The main file's tables the pass reads (sqlite_schema.ts' columns of
// them), no more.
function mainFile(path: string): DatabaseSync {
  const db = new DatabaseSync(path);
  db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
    CREATE TABLE messages (text TEXT NOT NULL, deleted INTEGER NOT NULL,
      stream TEXT NOT NULL, user_key TEXT NOT NULL);
    CREATE TABLE rooms (key TEXT PRIMARY KEY, private INTEGER NOT NULL);
    CREATE TABLE search_changes (seq INTEGER PRIMARY KEY AUTOINCREMENT,
      message INTEGER NOT NULL);`);
  const room = db.prepare("INSERT INTO rooms VALUES (?, 0)");
  for (let i = 0; i < rooms; i++) room.run(`room${i}`);
  return db;
}

// One run: every message appended `perPass` at a time, each batch indexed
// by one pass of `module`, timed alone. CPU µs a message, file bytes.
function run(module: IndexModule, dir: string): { cpu: number; bytes: number } {
  const source = mainFile(`${dir}/main.db`);
  const index = new DatabaseSync(`${dir}/main.db-search`);
  index.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL");
  module.createSearchIndex(index);
  const append = source.prepare(
    "INSERT INTO messages (text, deleted, stream, user_key) VALUES (?, 0, ?, ?)",
  );
  let cpu = 0;
  let n = 0;
  while (n < messages) {
    source.exec("BEGIN");
    for (let i = 0; i < perPass && n < messages; i++, n++) {
      const author = (n * 7919) % authors;
      const text = flags.text === "words"
        ? `${WORDS}${n}.${i}`
        : `t:${(1_765_000_000_000 + n * 1.37).toFixed(3)}`;
      append.run(text, `room${author % rooms}`, `user${author}`);
    }
    source.exec("COMMIT");
    const start = process.cpuUsage();
    module.searchPass(source, index);
    const used = process.cpuUsage(start);
    cpu += used.user + used.system;
  }
  index.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  index.close();
  source.close();
  const bytes = Deno.statSync(`${dir}/main.db-search`).size;
  return { cpu: cpu / messages, bytes };
}

const results = checkouts.map(() => [] as { cpu: number; bytes: number }[]);
for (let pair = 0; pair < pairs; pair++) {
  for (let i = 0; i < checkouts.length; i++) {
    const dir = await Deno.makeTempDir({ prefix: "search-index-cpu-" });
    try {
      results[i].push(run(modules[i], dir));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
    const last = results[i][results[i].length - 1];
    console.log(
      `${checkouts[i].label} (${checkouts[i].dir}): ${
        last.cpu.toFixed(2)
      } µs a message, index ${last.bytes} bytes`,
    );
  }
}
const median = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (let i = 0; i < checkouts.length; i++) {
  console.log(
    `${checkouts[i].label}: median ${
      median(results[i].map((r) => r.cpu)).toFixed(2)
    } µs a message (${
      results[i].map((r) => r.cpu.toFixed(2)).join(", ")
    }), index ${median(results[i].map((r) => r.bytes))} bytes`,
  );
}
