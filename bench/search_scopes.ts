/**
 * What an FTS5 index whose lists know who may read them would cost
 * SqliteStore's search, against today's index of every stream's words in
 * one list a word (docs/performance.md, "A search bounded over its
 * reader's scope: designed and measured, not built"). A page's work is
 * bounded over the lists it reads: with one list a word, where it stops
 * depends on rows its reader may not read (docs/security.md, Known
 * limits); with lists by reader, it would not.
 *
 * Three indexes of the same messages, FTS5 as search_index_file.ts makes
 * it (contentless, detail=none):
 * - `global`: today's, a word's list holds every stream's messages;
 * - `stream`: each word qualified by its stream (a code), a reader's
 *   query an OR of the word in each stream of their scope;
 * - `audience`: public rooms' words as today, a private room's qualified
 *   by the room, a conversation's twice, by each of its two people: a
 *   reader's query is the word, the word of their own conversations and
 *   the word of each private room they are in.
 *
 * Reports, for each: the index's size, what inserting a message cost (the
 * index thread's work), and the median and slowest of 30 reads of the
 * newest 512 entries of a word (a page's first read at the budget's
 * 16,384 entries over 32 a message) for common, middling and rare words.
 *
 *   deno run -A bench/search_scopes.ts [messages, default 100000]
 */
import { DatabaseSync } from "node:sqlite";

const MESSAGES = Number(Deno.args[0] ?? 100_000);
// Streams 0-149 public rooms, 150-199 private rooms, 200-399
// conversations between 100 people; the lower the busier (a cube skew).
const STREAMS = 400;
const PUBLIC = 150;
const PRIVATE = 200;
const PEOPLE = 100;
const VOCABULARY = 5000;
const WORDS_A_MESSAGE = 8;
const READS = 30;

// A deterministic generator (mulberry32): the same corpus every run.
let seed = 42;
function random(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

const LETTERS = "abcdefghijklmnopqrstuvwxyz";
const vocabulary = Array.from({ length: VOCABULARY }, (_, i) => {
  let word = "";
  for (let n = i + 217, k = 0; k < 5; k++) {
    word += LETTERS[n % 26];
    n = Math.floor(n / 26) + 3 * k;
  }
  return `${word}${LETTERS[i % 26]}${i % 10}`;
});
// Zipf: word i weighs 1 / (i + 1).
const cumulative: number[] = [];
{
  const total = vocabulary.reduce((sum, _, i) => sum + 1 / (i + 1), 0);
  let sum = 0;
  for (let i = 0; i < VOCABULARY; i++) {
    cumulative.push(sum += 1 / (i + 1) / total);
  }
}
function word(): string {
  const r = random();
  let lo = 0;
  let hi = VOCABULARY - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cumulative[mid] < r) lo = mid + 1;
    else hi = mid;
  }
  return vocabulary[lo];
}

// A stream's or a person's code, letters and digits (unicode61 splits a
// token anywhere else).
function code(n: number): string {
  return n.toString(36).padStart(3, "0");
}
// The two people of conversation `stream`.
function people(stream: number): number[] {
  const first = stream % PEOPLE;
  const second = (stream * 7 + 13) % PEOPLE;
  return [first, second === first ? (first + 1) % PEOPLE : second];
}

type Layout = "global" | "stream" | "audience";
const LAYOUTS: Layout[] = ["global", "stream", "audience"];

// The prefixes a message's words are indexed under in each layout.
function qualifiers(layout: Layout, stream: number): string[] {
  if (layout === "global") return [""];
  if (layout === "stream") return [`s${code(stream)}x`];
  if (stream < PUBLIC) return [""];
  if (stream < PRIVATE) return [`r${code(stream)}x`];
  return people(stream).map((person) => `u${code(person)}x`);
}

// The median and slowest of READS reads of the newest 512 entries.
function read(
  databases: Map<Layout, DatabaseSync>,
  layout: Layout,
  match: string,
): string {
  const statement = databases.get(layout)!.prepare(
    `SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?
     ORDER BY rowid DESC LIMIT 512`,
  );
  const times: number[] = [];
  let rows = 0;
  for (let i = 0; i < READS; i++) {
    const started = performance.now();
    rows = statement.all(match).length;
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return `${times[READS >> 1].toFixed(2)} ms (slowest ${
    times[READS - 1].toFixed(2)
  }, ${rows} entries)`;
}

const folder = Deno.makeTempDirSync({ prefix: "search_scopes_" });
const databases = new Map<Layout, DatabaseSync>();
const inserting = new Map<Layout, number>();
const streams: number[] = [];
try {
  for (const layout of LAYOUTS) {
    const db = new DatabaseSync(`${folder}/${layout}.db`);
    db.exec(`CREATE VIRTUAL TABLE messages_fts USING fts5 (
      words, content = '', contentless_delete = 1, detail = none,
      prefix = '2 3', tokenize = "unicode61 remove_diacritics 2")`);
    databases.set(layout, db);
    inserting.set(layout, 0);
  }
  const insert = new Map(
    LAYOUTS.map((layout) => [
      layout,
      databases.get(layout)!.prepare(
        "INSERT INTO messages_fts (rowid, words) VALUES (?, ?)",
      ),
    ]),
  );
  for (const db of databases.values()) db.exec("BEGIN");
  for (let rowid = 1; rowid <= MESSAGES; rowid++) {
    const stream = Math.min(
      STREAMS - 1,
      Math.floor(Math.pow(random(), 3) * STREAMS),
    );
    streams.push(stream);
    const words = Array.from({ length: WORDS_A_MESSAGE }, word);
    for (const layout of LAYOUTS) {
      const text = qualifiers(layout, stream)
        .flatMap((prefix) => words.map((w) => prefix + w)).join(" ");
      const started = performance.now();
      insert.get(layout)!.run(rowid, text);
      inserting.set(
        layout,
        inserting.get(layout)! + performance.now() - started,
      );
    }
    // Commits of a pass's size (search_index_file.ts' PASS_ROWS).
    if (rowid % 2048 === 0) {
      for (const db of databases.values()) db.exec("COMMIT; BEGIN");
    }
  }
  for (const db of databases.values()) db.exec("COMMIT");

  const perStream = new Map<number, number>();
  for (const stream of streams) {
    perStream.set(stream, (perStream.get(stream) ?? 0) + 1);
  }
  // Streams by how many messages they hold, busiest first.
  const busiest = [...perStream.keys()].sort((a, b) =>
    perStream.get(b)! - perStream.get(a)!
  );
  console.log(`${MESSAGES} messages, ${STREAMS} streams`);
  for (const layout of LAYOUTS) {
    const bytes = Deno.statSync(`${folder}/${layout}.db`).size;
    console.log(
      `${layout}: ${(bytes / 2 ** 20).toFixed(1)} MiB, ${
        (1000 * inserting.get(layout)! / MESSAGES).toFixed(1)
      } µs a message inserted`,
    );
  }

  const or = (terms: string[]) => `(${terms.join(" OR ")})`;
  for (
    const [kind, w] of [
      ["common", vocabulary[0]],
      ["middling", vocabulary[60]],
      ["rare", vocabulary[3000]],
    ]
  ) {
    console.log(`\n${kind} word:`);
    console.log(`  global: ${read(databases, "global", w)}`);
    for (const count of [1, 10, 100, STREAMS]) {
      const scope = busiest.slice(0, count);
      const held = scope.reduce((sum, s) => sum + perStream.get(s)!, 0);
      console.log(
        `  stream, the ${count} busiest streams (${held} messages): ${
          read(databases, "stream", or(scope.map((s) => `s${code(s)}x${w}`)))
        }`,
      );
    }
    for (const rooms of [0, 5, 50]) {
      const terms = [
        w,
        `u${code(7)}x${w}`,
        ...Array.from(
          { length: rooms },
          (_, k) => `r${code(PUBLIC + k)}x${w}`,
        ),
      ];
      console.log(
        `  audience, public rooms, own conversations and ${rooms} private rooms: ${
          read(databases, "audience", or(terms))
        }`,
      );
    }
  }
} finally {
  for (const db of databases.values()) db.close();
  Deno.removeSync(folder, { recursive: true });
}
