/**
 * Fills a database with messages, quickly, through the real store (the
 * same rows, counters and indexes the server writes), so that the cost of
 * a large store can be measured (bench/growth.ts) or tried by hand:
 *
 *   deno task seed --messages 1000000 [--db chat.db] [--rooms 10] [--users 100]
 *
 * Messages go round-robin into rooms `seed-1` … `seed-R` (created when
 * absent), from guests `seeder-1` … `seeder-U`, with texts of 20 to 160
 * characters and a client id each, as the web client sends. Appends are
 * issued 5,000 at a time, so each group commit holds 5,000 messages: about
 * 10 µs of CPU a message, far below the server's own path.
 */
import { parseArgs } from "node:util";
import { commandLine } from "./command_line.ts";
import { SqliteStore } from "../server/store/sqlite.ts";
import { nameKey } from "../server/protocol/names.ts";

/** What {@link seedMessages} makes. */
export interface SeedOptions {
  /** Messages to add. */
  messages: number;
  /** Rooms they are spread over (round-robin). */
  rooms: number;
  /** Distinct senders. */
  users: number;
}

/** What {@link seedMessages} did. */
export interface SeedReport {
  /** Rooms the messages went into, by display name. */
  rooms: string[];
  /** Messages added. */
  added: number;
  /** Wall-clock seconds. */
  seconds: number;
}

// Appends issued per group commit: large enough that the commit's fsync
// is a small share, small enough to keep the promise arrays modest.
const BATCH = 5000;

const WORDS = (
  "the a to and of is in it you that for on are with this be have at not " +
  "was we can so but what just if about my all do like they will one get " +
  "meeting deploy review build release today tomorrow lunch coffee ticket " +
  "branch merge test green red bug fix server client room message thanks"
).split(" ");

/** A deterministic text of 20 to 160 characters, for message `i`. */
function textOf(i: number): string {
  // xorshift on the index: the same store for the same options.
  let x = (i + 1) * 2654435761 >>> 0;
  const next = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
  const length = 20 + next() % 141;
  let text = "";
  while (text.length < length) text += WORDS[next() % WORDS.length] + " ";
  return text.slice(0, length).trimEnd();
}

/** Adds `messages` messages to the SQLite database at `path`. */
export async function seedMessages(
  path: string,
  options: SeedOptions,
): Promise<SeedReport> {
  const started = performance.now();
  const store = new SqliteStore(path, { busyTimeoutMs: 2000 });
  try {
    const rooms: { name: string; key: string }[] = [];
    for (let r = 1; r <= options.rooms; r++) {
      const name = `seed-${r}`;
      const key = nameKey(name);
      await store.createRoom(name, key);
      rooms.push({ name, key });
    }
    const users = Array.from({ length: options.users }, (_, u) => {
      const name = `seeder-${u + 1}`;
      return { name, key: nameKey(name) };
    });
    const run = `${Date.now().toString(36)}-`;
    for (let from = 0; from < options.messages; from += BATCH) {
      const to = Math.min(options.messages, from + BATCH);
      const appends = [];
      for (let i = from; i < to; i++) {
        const room = rooms[i % rooms.length];
        const user = users[i % users.length];
        appends.push(store.appendMessage({
          roomKey: room.key,
          userKey: user.key,
          user: user.name,
          text: textOf(i),
          clientId: run + i.toString(36),
        }));
      }
      await Promise.all(appends);
    }
    return {
      rooms: rooms.map((r) => r.name),
      added: options.messages,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await store.close();
  }
}

const HELP = `deno task seed --messages N [options]

  --messages N   messages to add (required)
  --db PATH      SQLite file, created when absent (default chat.db)
  --rooms R      rooms seed-1 … seed-R to spread them over (default 10)
  --users U      distinct senders seeder-1 … seeder-U (default 100)
  -h, --help     this text
`;

function wholeNumber(raw: string | undefined, name: string, min: number) {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) {
    console.error(`--${name} takes a whole number from ${min}\n\n${HELP}`);
    Deno.exit(2);
  }
  return n;
}

if (import.meta.main) {
  const { values } = commandLine(() =>
    parseArgs({
      args: Deno.args,
      options: {
        messages: { type: "string" },
        db: { type: "string", default: "chat.db" },
        rooms: { type: "string", default: "10" },
        users: { type: "string", default: "100" },
        help: { type: "boolean", short: "h" },
      },
    }), { text: HELP, task: "seed" });
  const report = await seedMessages(values.db, {
    messages: wholeNumber(values.messages, "messages", 1),
    rooms: wholeNumber(values.rooms, "rooms", 1),
    users: wholeNumber(values.users, "users", 1),
  });
  console.log(
    `seeded ${report.added} messages into ${values.db} ` +
      `(${report.rooms.length} rooms) in ${report.seconds.toFixed(1)} s`,
  );
}
