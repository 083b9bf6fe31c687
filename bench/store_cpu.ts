/**
 * What a stored message and a commit cost the SQLite store in CPU, apart
 * from the server (docs/performance.md, "A stored message's CPU, in
 * process"): appends through `SqliteStore.appendMessage` as the server
 * calls it, with the checkpoint thread, search indexing and mentions, in
 * commits of 1, 8 and 64 messages.
 *
 *   deno run -A bench/store_cpu.ts [messages=2048] [sizes=1,8,64] [rounds=1]
 *
 * For each commit size, `messages` appends after a warm-up of a quarter
 * as many, in 20 rooms taken in turn; each commit is that many appends
 * queued in one turn (no commit wait), awaited together, so the store
 * commits them as one group (checked against `appendCommits`). A tenth
 * of the messages mention someone; every text has nine words, as chat's.
 * Prints the process's CPU (user and system, from `process.cpuUsage`:
 * the checkpoint thread's included) per message and per commit, and the
 * main thread's alone (Linux's `/proc/thread-self/schedstat`), which is
 * what bounds the server when a part moves to a thread of its own. CPU,
 * not wall time: the machine may be busy. And the main thread's time
 * blocked a commit (neither on a core nor waiting for one: the commit's
 * fsync, which a busy machine does not lengthen as it does wall time).
 * `rounds` repeats the sizes.
 *
 * Then, for the same size, the WAL bytes a message, which no load
 * changes: the store opened again without the checkpoint thread, 64
 * commits (256 for commits of 1) appended, and the -wal file's growth
 * divided by the messages, in 4 KiB frames too (a frame is a page and
 * its 24-byte header). Fewer than the store's automatic checkpoint's
 * 10,000 frames, so the WAL only grows meanwhile.
 *
 * STORE_CPU_TEXT=history: the history scenario's text instead (its
 * sender's room, a number seen once and 80 `x`s: three words, no
 * mention), as its commits of 160 hold it (`... 160`: 8 a room).
 *
 * STORE_ROOT: the absolute path of a folder in the checkout (its import
 * map applies there) holding another version's server/, e.g. after
 * `mkdir .old && git archive HEAD server | tar -x -C .old`, to measure its
 * store instead: alternate the two for A/B pairs.
 */
import process from "node:process";
import type { Store } from "../server/store/mod.ts";

const [messages = 2048, , rounds = 1] = Deno.args.map(Number);
const sizes = (Deno.args[1] ?? "1,8,64").split(",").map(Number);
const root = Deno.env.get("STORE_ROOT") ?? new URL("..", import.meta.url).href;
const base = root.startsWith("file:") ? root : `file://${root}/`;
const { SqliteStore } = await import(`${base}server/store/sqlite.ts`);
const { BACKGROUND_CHECKPOINTS } = await import(
  `${base}server/store/checkpoints.ts`
);
const ROOMS = Array.from({ length: 20 }, (_, i) => `room${i}`);
const WORDS = [
  "the",
  "meeting",
  "moved",
  "to",
  "thursday",
  "afternoon",
  "bring",
  "your",
  "notes",
  "please",
  "deploy",
  "finished",
  "without",
  "errors",
  "again",
];

let sent = 0;
const HISTORY_TEXT = Deno.env.get("STORE_CPU_TEXT") === "history";
const FILLER = "x".repeat(80);
function text(room: number): string {
  const n = sent++;
  // As bench/load_worker.ts's history senders write them.
  if (HISTORY_TEXT) return `h${room}-${n} ${FILLER}`;
  const words = [];
  for (let i = 0; i < 9; i++) words.push(WORDS[(n * 7 + i * 3) % WORDS.length]);
  if (n % 10 === 0) words[4] = `@reader${n % 20}`;
  return `${words.join(" ")} ${n}`;
}

async function append(store: Store, count: number, size: number) {
  for (let done = 0; done < count; done += size) {
    const batch = [];
    for (let i = 0; i < size; i++) {
      const room = (done + i) % ROOMS.length;
      batch.push(store.appendMessage({
        roomKey: ROOMS[room],
        userKey: `writer${i % 20}`,
        user: `Writer${i % 20}`,
        text: text(room),
      }));
    }
    await Promise.all(batch);
  }
}

// This thread's time in µs from Linux's schedstat (nanoseconds on a core,
// and runnable but waiting for one), apart from the checkpoint thread's
// and any other.
function threadTimesUs(): { cpu: number; runnable: number } {
  const [cpu, runnable] = Deno.readTextFileSync("/proc/thread-self/schedstat")
    .split(" ").map(Number);
  return { cpu: cpu / 1000, runnable: runnable / 1000 };
}

// A WAL frame: a 4 KiB page (SQLite's default, which the store keeps) and
// its header.
const FRAME = 4096 + 24;

/** The WAL's growth a message over commits of `size` in `path`'s store. */
async function walBytes(path: string, size: number): Promise<number> {
  const store = await SqliteStore.open(path, {
    busyTimeoutMs: 5000,
    commitWaitMs: 0,
  }) as Store;
  try {
    const count = size * (size === 1 ? 256 : 64);
    const walSize = async () => (await Deno.stat(`${path}-wal`)).size;
    const before = await walSize();
    await append(store, count, size);
    return (await walSize() - before) / count;
  } finally {
    await store.close();
  }
}

const dir = await Deno.makeTempDir({ prefix: "store_cpu_" });
try {
  console.log(
    `${base}, ${messages} messages a size${
      HISTORY_TEXT ? ", the history scenario's text" : ""
    }, load ${Deno.loadavg().map((n) => n.toFixed(1)).join(" ")}`,
  );
  for (let round = 0; round < rounds; round++) {
    for (const size of sizes) {
      const store = await SqliteStore.open(`${dir}/r${round}s${size}.db`, {
        busyTimeoutMs: 5000,
        commitWaitMs: 0,
        backgroundCheckpoints: BACKGROUND_CHECKPOINTS,
      }) as Store & { appendCommits: number };
      for (const key of ROOMS) await store.createRoom(key, key);
      await append(store, Math.max(size, messages / 4), size);
      const commits = store.appendCommits;
      const before = process.cpuUsage();
      const mainBefore = threadTimesUs();
      const wallBefore = performance.now();
      await append(store, messages, size);
      const used = process.cpuUsage(before);
      const mainAfter = threadTimesUs();
      const mainUsed = mainAfter.cpu - mainBefore.cpu;
      // Neither on a core nor waiting for one: blocked, nearly all of it
      // in the commits' fsyncs (nothing else here waits; the load's
      // queueing is in `runnable`, not here).
      const mainBlocked = (performance.now() - wallBefore) * 1000 - mainUsed -
        (mainAfter.runnable - mainBefore.runnable);
      const made = store.appendCommits - commits;
      await store.close();
      const wal = await walBytes(`${dir}/r${round}s${size}.db`, size);
      const stored = Math.ceil(messages / size) * size;
      const per = (us: number, n: number) => (us / n).toFixed(1);
      console.log(
        `commits of ${size}: ${made} commits (${
          (stored / made).toFixed(1)
        } a commit); CPU µs a message user ${per(used.user, stored)} system ${
          per(used.system, stored)
        } total ${per(used.user + used.system, stored)} (main thread ${
          per(mainUsed, stored)
        }); a commit ${
          per(used.user + used.system, made)
        }; main thread blocked µs a commit ${
          per(mainBlocked, made)
        }; WAL bytes a message ${wal.toFixed(0)} (${
          (wal * size / FRAME).toFixed(1)
        } frames a commit)`,
      );
    }
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}
