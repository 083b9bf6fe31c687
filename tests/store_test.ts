/** SqliteStore against a real temporary file: the store contract, then its own edges. */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { DEFAULT_CONFIG } from "../server/config.ts";
import { StoreUnavailableError } from "../server/protocol/errors.ts";
import { BACKGROUND_CHECKPOINTS } from "../server/store/checkpoints.ts";
import {
  SqliteStore,
  type SqliteStoreOptions,
} from "../server/store/sqlite.ts";
import { SQLITE_MIGRATIONS } from "../server/store/sqlite_schema.ts";
import { storeContract } from "./store_contract.ts";
import {
  checkConversationsBackfilled,
  checkIgnoresFromNone,
  checkOrphanedOwnersCleared,
  checkStaleConversationsGone,
  checkUsageBackfilled,
  checkVersionsFromZero,
  CONVERSATIONS_MIGRATION,
  IGNORES_MIGRATION,
  OLD_MEMBERSHIPS_SQL,
  OLD_OWNERS_SQL,
  OLD_UPLOADS_SQL,
  oldMessagesSql,
  oldPrivateSql,
  ONE_MESSAGE_INDEX_MIGRATION,
  OWNERS_MIGRATION,
  QUOTA_MIGRATION,
  STALE_CONVERSATIONS_MIGRATION,
  staleConversationsSql,
  versionBefore,
  VERSIONS_MIGRATION,
} from "./store_contract/support.ts";
import {
  eventually,
  expectError,
  historyOf,
  type Message,
  receivedTexts,
  roundTrip,
  spawnServer,
  withClients,
} from "./harness.ts";

const GENERAL = { name: "general", key: "general" };
const OPTIONS = {
  permanentRooms: [GENERAL],
  busyTimeoutMs: DEFAULT_CONFIG.dbBusyTimeoutMs,
};

// A store on a temporary file, opened with these options.
function onFile(options: Partial<SqliteStoreOptions>) {
  return async () => {
    const dir = await Deno.makeTempDir({ prefix: "chat-store-" });
    const path = `${dir}/chat.db`;
    return {
      open: () => SqliteStore.open(path, { ...OPTIONS, ...options }),
      dispose: () => Deno.remove(dir, { recursive: true }),
    };
  };
}

// As backends.ts opens it with --db-thread off: checkpoints in the
// background, the search index written by its thread.
storeContract(
  "SqliteStore",
  onFile({ backgroundCheckpoints: BACKGROUND_CHECKPOINTS }),
);

// The search index in the store's own database, as a `:memory:` store and
// the one-file build keep it (search_index.ts, InPlaceIndexer): the
// contract's search cases on that path too.
storeContract(
  "SqliteStore, search index in place",
  onFile({ searchIndex: { mode: "in_place" } }),
  { only: "threads" },
);

Deno.test("SqliteStore: a file that is not a database fails with StoreUnavailableError naming it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-store-" });
  try {
    const path = `${dir}/garbage.db`;
    await Deno.writeTextFile(path, "this is not a database ".repeat(100));
    assert.throws(
      () => new SqliteStore(path, OPTIONS),
      (error: unknown) =>
        error instanceof StoreUnavailableError &&
        error.message.includes(path),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SqliteStore: a server going back to an older version refuses the database a newer one wrote: exit 1 naming the schema, the file untouched", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-store-" });
  try {
    const path = `${dir}/chat.db`;
    await new SqliteStore(path, OPTIONS).close();
    const db = new DatabaseSync(path);
    const newer = SQLITE_MIGRATIONS.length + 1;
    db.exec(`PRAGMA user_version = ${newer}`);
    db.close();
    // The real command, as an operator rolling back an upgrade runs it.
    await assert.rejects(
      spawnServer(["--db", path]),
      (error: Error) => {
        assert.match(error.message, /Server exited \(1\) before listening/);
        assert.match(
          error.message,
          new RegExp(`written by a newer chat-server \\(schema ${newer},`),
        );
        return true;
      },
    );
    const after = new DatabaseSync(path);
    try {
      const { user_version } = after.prepare("PRAGMA user_version").get() as {
        user_version: number;
      };
      assert.equal(user_version, newer);
    } finally {
      after.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SqliteStore: a server whose --db is in a folder that is not there stops at start naming the folder (SQLite says only 'unable to open database file') and makes none", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-store-" });
  try {
    const path = `${dir}/not-made/chat.db`;
    await assert.rejects(
      spawnServer(["--db", path]),
      (error: Error) => {
        assert.match(error.message, /Server exited \(1\) before listening/);
        assert.ok(
          error.message.includes(
            `Cannot open database '${path}': no folder '${dir}/not-made'`,
          ),
          error.message,
        );
        return true;
      },
    );
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SqliteStore: open fails with StoreUnavailableError when its checkpoint thread cannot start, rather than later", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-store-" });
  try {
    // A thread whose module cannot load, as when the process is out of
    // file descriptors: found at open, before the server listens.
    await assert.rejects(
      SqliteStore.open(`${dir}/chat.db`, {
        ...OPTIONS,
        backgroundCheckpoints: {
          ...BACKGROUND_CHECKPOINTS,
          workerUrl: "data:text/javascript,throw new Error('EMFILE')",
        },
      }),
      (error: unknown) =>
        error instanceof StoreUnavailableError &&
        error.message.includes("checkpoint"),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SqliteStore: a forward's copy set after its original's delete (the forwarder read it before) is written blank on disk, as the delete writes its copies", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-store-" });
  const path = `${dir}/chat.db`;
  try {
    const store = new SqliteStore(path, OPTIONS);
    const author = { roomKey: "general", userKey: "alice", user: "alice" };
    const { message: original } = await store.appendMessage({
      ...author,
      text: "abuse",
    });
    const { message: forward } = await store.appendMessage({
      ...author,
      text: "FYI",
    });
    await store.updateMessage(original.id, { deleted: true });
    const { id, seq, user, ts, text } = original;
    await store.setForwarded(forward.id, { id, seq, user, ts, text });
    await store.close();
    const db = new DatabaseSync(path);
    try {
      const { forwarded } = db.prepare(
        "SELECT forwarded FROM messages WHERE id = ?",
      ).get(forward.id) as { forwarded: string };
      assert.deepEqual(JSON.parse(forwarded), { id, deleted: true });
    } finally {
      db.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SqliteStore: reopening does not duplicate the permanent room", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-store-" });
  const path = `${dir}/chat.db`;
  try {
    const first = new SqliteStore(path, OPTIONS);
    await first.appendMessage({
      roomKey: "general",
      userKey: "alice",
      user: "alice",
      text: "kept",
    });
    await first.close();
    const second = new SqliteStore(path, OPTIONS);
    try {
      const rooms = await second.listRooms();
      assert.deepEqual(rooms.map((r) => r.key), ["general"]);
      // Re-creating the permanent room at open must not restart its seq.
      const { message } = await second.appendMessage({
        roomKey: "general",
        userKey: "alice",
        user: "alice",
        text: "next",
      });
      assert.equal(message.seq, 2);
    } finally {
      await second.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * Writes batches of 20 messages to a store with background checkpoints (a
 * pass every 10 ms, a reset at 100 pages) until its WAL has started over
 * three times, or far more was written than needed. `pauseEvery` > 0: one
 * batch at a time, and a pause of 15 ms every that many messages. 0: four
 * batches in flight, in rooms of their own, so that the store commits turn
 * after turn, never idle. Then checks that the WAL started over, that it
 * stayed small, and that every message is there after a reopen.
 */
async function walStartsOver(pauseEvery: number): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "chat-store-" });
  const path = `${dir}/chat.db`;
  const rooms = Array.from({ length: 20 }, (_, i) => `room-${i}`);
  // Small figures so that a few thousand messages cross them many times.
  const store = new SqliteStore(path, {
    ...OPTIONS,
    permanentRooms: [GENERAL, ...rooms.map((key) => ({ name: key, key }))],
    // Appends wait for the pass that lets the WAL start over however long
    // a busy machine takes to run it: the server gives up after 50 ms (a
    // slow disk), which let the WAL grow to 10 MB here at load 15.
    backgroundCheckpoints: { intervalMs: 10, resetFrames: 100, holdMs: 60_000 },
  });
  const walHeader = new Uint8Array(32);
  // The WAL header's salts change each time it starts over.
  const salts = new Set<string>();
  let largestSinceRestart = 0;
  let total = 0;
  const inFlight: Promise<unknown>[] = [];
  const last = new Map<string, number>();
  try {
    // The thread may take a while to start on a busy machine: write until
    // the WAL has started over three times (or far more was written).
    while (salts.size < 4 && total < 30_000) {
      inFlight.push(Promise.all(rooms.map((roomKey) => {
        const n = ++total;
        last.set(roomKey, n);
        return store.appendMessage({
          roomKey,
          userKey: "alice",
          user: "alice",
          text: `message ${n} ${"x".repeat(200)}`,
        });
      })));
      if (inFlight.length < (pauseEvery > 0 ? 1 : 4)) continue;
      await inFlight.shift();
      using wal = await Deno.open(`${path}-wal`);
      await wal.read(walHeader);
      salts.add(walHeader.subarray(16, 24).join(","));
      if (salts.size > 1) {
        largestSinceRestart = Math.max(
          largestSinceRestart,
          (await wal.stat()).size,
        );
      }
      if (pauseEvery > 0 && total % pauseEvery === 0) {
        await new Promise((r) => setTimeout(r, 15));
      }
    }
    await Promise.all(inFlight);
  } finally {
    await store.close();
  }
  try {
    assert.ok(salts.size >= 4, `the WAL started over ${salts.size - 1} times`);
    // Once passes run, the WAL stays small (resets at 100 pages, 400 KB).
    assert.ok(
      largestSinceRestart < 8e6,
      `the WAL grew to ${largestSinceRestart} bytes`,
    );
    const again = new SqliteStore(path, OPTIONS);
    try {
      for (const [roomKey, n] of last) {
        const [message] = await again.history(roomKey, { limit: 1 });
        assert.equal(message.text.startsWith(`message ${n} `), true);
      }
    } finally {
      await again.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("SqliteStore: with background checkpoints the WAL starts over under steady writes, and nothing is lost", () =>
  // Passes happen between bursts, as between a server's turns.
  walStartsOver(200));

// A pass checkpoints the WAL as it was when it began; under writes that
// never pause, a commit always lands during it, so the WAL is never whole
// checkpointed when the next commit begins, and it grew without end (700
// MB in 10 s of the bench's history scenario) unless the store holds its
// appends for a pass.
Deno.test("SqliteStore: with background checkpoints the WAL starts over under writes that never pause", () =>
  walStartsOver(0));

// ------------------------------------------------------------------------
// A locked database through a real server: another process holding the
// write lock makes sends fail with internal, and the server stays up.

/** Holds the write lock of a SQLite file from another connection. */
function lockDatabase(path: string): DatabaseSync {
  const db = new DatabaseSync(path);
  db.exec("PRAGMA busy_timeout = 5000");
  // In WAL mode readers are never blocked: take the writer's lock.
  db.exec("BEGIN IMMEDIATE");
  db.exec("UPDATE streams SET last_seq = last_seq WHERE key = 'no such key'");
  return db;
}

function unlock(db: DatabaseSync): void {
  db.exec("ROLLBACK");
  db.close();
}

Deno.test("store: while another process holds the write lock, send_message gets internal and the server stays up", () =>
  withClients(async (pool, server) => {
    const alice = await pool.guest("alice");
    const bob = await pool.guest("bob");
    await alice.ok("send_message", { text: "before" });
    const lock = lockDatabase(`${server.dir}/chat.db`);
    try {
      await expectError(alice, "send_message", { text: "during" }, "internal");
      // Reads and other connections still work.
      await bob.ok("list_rooms");
      assert.equal(alice.closeCode, undefined);
    } finally {
      unlock(lock);
    }
    const after = await alice.ok("send_message", { text: "after" });
    // The failed message took no seq and left no trace.
    assert.equal((after.message as Message).seq, 2);
    const stored = await historyOf<Message>(bob, "general");
    assert.deepEqual(stored.map((m) => m.text), ["before", "after"]);
    await roundTrip(bob);
    assert.deepEqual(receivedTexts(bob), ["before", "after"]);
  }, { dbBusyTimeoutMs: 100 }));

Deno.test("store: /healthz answers 503 while the database is locked and 200 once it is released", () =>
  withClients(async (_pool, server) => {
    // A check's answer stands for 100 ms: each state is asked until seen.
    const lock = lockDatabase(`${server.dir}/chat.db`);
    try {
      await eventually(async () => {
        const locked = await fetch(`${server.url}/healthz`);
        await locked.body?.cancel();
        assert.equal(locked.status, 503);
      });
    } finally {
      unlock(lock);
    }
    await eventually(async () => {
      const healthy = await fetch(`${server.url}/healthz`);
      const body = await healthy.json();
      assert.equal(healthy.status, 200);
      assert.deepEqual(body, { status: "ok" });
    });
  }, { dbBusyTimeoutMs: 100 }));

/**
 * Opens a store on a database file as version `version` of the schema
 * left it, holding `rows` (SQL): what an older server leaves to upgrade.
 * Runs `body` with it, then closes it and removes the file.
 */
async function withOldDatabase(
  version: number,
  rows: string,
  body: (store: SqliteStore, path: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "chat-store-" });
  const path = `${dir}/chat.db`;
  try {
    const old = new DatabaseSync(path);
    try {
      for (const migration of SQLITE_MIGRATIONS.slice(0, version)) {
        old.exec(migration);
      }
      old.exec(`PRAGMA user_version = ${version}`);
      old.exec(rows);
    } finally {
      old.close();
    }
    const store = new SqliteStore(path, OPTIONS);
    try {
      await body(store, path);
    } finally {
      await store.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("SqliteStore: messages stored before search existed are indexed when it opens", () =>
  withOldDatabase(
    2,
    `
    INSERT INTO rooms (key, name, created_at) VALUES ('general', 'general', 1);
    INSERT INTO streams (key, last_seq) VALUES ('general', 3);
    INSERT INTO messages (stream, seq, id, user_key, user, room, text, ts, deleted)
    VALUES ('general', 1, '01A', 'alice', 'alice', 'general', 'Une école', 1, 0),
           ('general', 2, '01B', 'alice', 'alice', 'general', '', 2, 1),
           ('general', 3, '01C', 'bob', 'bob', 'general', 'écoles', 3, 0);
    `,
    async (store) => {
      const found = (await store.search({
        words: ["ecole"],
        scope: { roomKeys: ["general"] },
        limit: 10,
      })).records;
      assert.deepEqual(found.map((r) => r.message.id), ["01C", "01A"]);
      const { message } = await store.appendMessage({
        roomKey: "general",
        userKey: "alice",
        user: "alice",
        text: "école again",
      });
      assert.equal(message.seq, 4);
      const again = (await store.search({
        words: ["ecole"],
        scope: { roomKeys: ["general"] },
        limit: 10,
      })).records;
      assert.deepEqual(again.length, 3);
    },
  ));

Deno.test("SqliteStore: uploads kept before their bytes were summed per uploader count against its quota once it opens", () =>
  withOldDatabase(
    versionBefore(SQLITE_MIGRATIONS, QUOTA_MIGRATION),
    OLD_UPLOADS_SQL,
    checkUsageBackfilled,
  ));

Deno.test("SqliteStore: rooms of accounts deleted before deletions gave them an owner nobody can be belong to nobody once it opens, even with the name registered again", () =>
  withOldDatabase(
    versionBefore(SQLITE_MIGRATIONS, OWNERS_MIGRATION),
    OLD_OWNERS_SQL,
    checkOrphanedOwnersCleared,
  ));

Deno.test("SqliteStore: memberships stored before ignores name no inviter once it opens, and ignores are kept", () =>
  withOldDatabase(
    versionBefore(SQLITE_MIGRATIONS, IGNORES_MIGRATION),
    OLD_MEMBERSHIPS_SQL,
    checkIgnoresFromNone,
  ));

Deno.test("SqliteStore: private conversations stored before their list are listed once it opens", () =>
  withOldDatabase(
    versionBefore(SQLITE_MIGRATIONS, CONVERSATIONS_MIGRATION),
    oldPrivateSql("user"),
    checkConversationsBackfilled,
  ));

Deno.test("SqliteStore: conversations of accounts deleted, and emptied by retention, before their rows went with them are gone once it opens", () =>
  withOldDatabase(
    versionBefore(SQLITE_MIGRATIONS, STALE_CONVERSATIONS_MIGRATION),
    staleConversationsSql("user"),
    checkStaleConversationsGone,
  ));

Deno.test("SqliteStore: messages stored before versions read with none, and their next changes count 1, 2", () =>
  withOldDatabase(
    versionBefore(SQLITE_MIGRATIONS, VERSIONS_MIGRATION),
    oldMessagesSql("user"),
    checkVersionsFromZero,
  ));

// Seq 1 again in general, and dev's seq 1 moved into general: both
// refused, as a UNIQUE index on (stream, seq) refused them. A connection
// of its own, beside the store: the store never writes a seq it has.
function checkSeqOnceAStream(path: string): void {
  const db = new DatabaseSync(path);
  try {
    const refused = /UNIQUE constraint failed: messages\.stream, messages\.seq/;
    assert.throws(
      () =>
        db.exec(`INSERT INTO messages (stream, seq, id, user_key, user, room,
          text, ts) VALUES ('general', 1, 'again', 'bob', 'bob', 'general',
          'a seq twice', 1)`),
      refused,
    );
    assert.throws(
      () =>
        db.exec("UPDATE messages SET stream = 'general' WHERE stream = 'dev'"),
      refused,
    );
    // A rename moves a stream whole into a key with no messages.
    db.exec("UPDATE messages SET stream = 'lounge' WHERE stream = 'dev'");
    const seqs = db.prepare(
      "SELECT seq FROM messages WHERE stream = 'lounge' ORDER BY seq",
    ).all().map((row) => row.seq);
    assert.deepEqual(seqs, [1]);
  } finally {
    db.close();
  }
}

Deno.test("SqliteStore: a stream never holds two messages of one seq, whether inserted or moved from another stream", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-store-" });
  const path = `${dir}/chat.db`;
  try {
    const store = await SqliteStore.open(path, OPTIONS);
    try {
      await store.appendMessage(inGeneral("first"));
      await store.createRoom("dev", "dev");
      await store.appendMessage({ ...inGeneral("in dev"), roomKey: "dev" });
    } finally {
      await store.close();
    }
    checkSeqOnceAStream(path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SqliteStore: messages stored under the two indexes of before count unread and mentions as they did once it opens, in one index", () =>
  withOldDatabase(
    versionBefore(SQLITE_MIGRATIONS, ONE_MESSAGE_INDEX_MIGRATION),
    `
    INSERT INTO rooms (key, name, created_at)
    VALUES ('general', 'general', 1), ('dev', 'dev', 2);
    INSERT INTO streams (key, last_seq) VALUES ('general', 4), ('dev', 1);
    INSERT INTO messages (stream, seq, id, user_key, user, room, text, ts, deleted)
    VALUES ('general', 1, '01A', 'bob', 'bob', 'general', 'hello', 1, 0),
           ('general', 2, '01B', 'alice', 'alice', 'general', 'mine', 2, 0),
           ('general', 3, '01C', 'bob', 'bob', 'general', '', 3, 1),
           ('general', 4, '01D', 'bob', 'bob', 'general', '@alice look', 4, 0),
           ('dev', 1, '01E', 'bob', 'bob', 'dev', 'in dev', 5, 0);
    INSERT INTO mentions (user_key, stream, seq)
    VALUES ('alice', 'general', 3), ('alice', 'general', 4);
    `,
    async (store, path) => {
      // Not her own (2), not the deleted one (3), nor its mention.
      assert.deepEqual(await store.readState("alice", "general"), {
        lastReadSeq: 0,
        unread: 2,
        mentions: 1,
        lastSeq: 4,
      });
      const { message } = await store.appendMessage({
        ...inGeneral("after the upgrade"),
        userKey: "bob",
        user: "bob",
      });
      assert.equal(message.seq, 5);
      assert.deepEqual(
        (await store.history("general", { beforeSeq: 6 })).map((m) => m.seq),
        [1, 2, 3, 4, 5],
      );
      assert.equal((await store.readState("alice", "general")).unread, 3);
      const db = new DatabaseSync(path, { readOnly: true });
      try {
        const indexes = db.prepare(
          `SELECT name FROM sqlite_schema
           WHERE type = 'index' AND tbl_name = 'messages'
             AND (name LIKE 'messages_stream%' OR name = 'messages_unread')`,
        ).all().map((row) => row.name);
        assert.deepEqual(indexes, ["messages_stream_seq_author"]);
      } finally {
        db.close();
      }
      checkSeqOnceAStream(path);
    },
  ));

// Words are indexed a moment after the append, many messages at once
// (sqlite.ts, #indexPending); these check what that must not change.
const inGeneral = (text: string) => ({
  roomKey: "general",
  userKey: "alice",
  user: "alice",
  text,
});
const searchGeneral = async (store: SqliteStore, word: string) =>
  (await store.search({
    words: [word],
    scope: { roomKeys: ["general"] },
    limit: 10,
  })).records.map((r) => r.message.text);

Deno.test("SqliteStore: with a commit wait, appends that come soon after a commit share the next one; an idle store commits at once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-store-" });
  // Long, so that a busy machine's pauses stay inside it: from the first
  // commit to the third append is a turn, a 20 ms timer and another turn,
  // which a machine at load 20 can stretch past a second. The test sits
  // out the whole wait.
  const store = await SqliteStore.open(`${dir}/chat.db`, {
    ...OPTIONS,
    commitWaitMs: 5_000,
  });
  try {
    const before = store.appendCommits;
    await store.appendMessage(inGeneral("first, on an idle store"));
    assert.equal(store.appendCommits, before + 1);
    // Two appends in two turns, both within the wait: one commit.
    const second = store.appendMessage(inGeneral("second"));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const third = store.appendMessage(inGeneral("third"));
    const [a, b] = await Promise.all([second, third]);
    assert.equal(store.appendCommits, before + 2);
    assert.equal(b.message.seq, a.message.seq + 1);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SqliteStore: with a commit wait, a batch that fills in its turn commits without waiting", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-store-" });
  // A wait no test could sit out: the batch must not take it.
  const store = await SqliteStore.open(`${dir}/chat.db`, {
    ...OPTIONS,
    commitWaitMs: 60_000,
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await store.appendMessage(inGeneral("first, on an idle store"));
    const eight = Promise.all(
      Array.from(
        { length: 8 },
        (_, i) => store.appendMessage(inGeneral(`${i}`)),
      ),
    );
    const outcome = await Promise.race([
      eight.then(() => "committed"),
      new Promise((resolve) => {
        timer = setTimeout(() => resolve("still waiting"), 20_000);
      }),
    ]);
    assert.equal(outcome, "committed");
  } finally {
    clearTimeout(timer);
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SqliteStore: a search finds a message acknowledged a moment ago, as edited since, and not one deleted since", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-store-" });
  const store = await SqliteStore.open(`${dir}/chat.db`, OPTIONS);
  try {
    const kept = await store.appendMessage(inGeneral("lunch at noon"));
    const edited = await store.appendMessage(inGeneral("lunch at one"));
    const gone = await store.appendMessage(inGeneral("lunch at two"));
    await store.updateMessage(edited.message.id, { text: "dinner at one" });
    await store.updateMessage(gone.message.id, { deleted: true });
    assert.deepEqual(await searchGeneral(store, "lunch"), [kept.message.text]);
    assert.deepEqual(await searchGeneral(store, "dinner"), ["dinner at one"]);
    // Indexed now: an edit takes the old words out as before.
    await store.updateMessage(kept.message.id, { text: "brunch at noon" });
    assert.deepEqual(await searchGeneral(store, "lunch"), []);
    assert.deepEqual(await searchGeneral(store, "brunch"), ["brunch at noon"]);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SqliteStore: a search page stops at its work budget even when the words' newest entries make them look rare (common long ago, in a room the reader cannot see), and its pages to the end give exactly the readable results", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-store-" });
  const store = await SqliteStore.open(`${dir}/chat.db`, OPTIONS);
  try {
    await store.createRoom("secret", "secret");
    await store.createRoom("quiet", "quiet");
    // 600 old messages with the words, in a room the reader is not in;
    // then 70 in general, each 20 messages apart: the newest 64 entries
    // make each word look like one message in 20.
    const old = Array.from({ length: 600 }, (_, i) =>
      store.appendMessage({
        ...inGeneral(`alpha beta gamma delta old ${i}`),
        roomKey: "secret",
      }));
    await Promise.all(old);
    const readable: string[] = [];
    for (let i = 0; i < 70; i++) {
      const text = `alpha beta gamma delta new ${i}`;
      await store.appendMessage(inGeneral(text));
      readable.unshift(text);
      await Promise.all(
        Array.from({ length: 20 }, () => store.appendMessage(inGeneral("x"))),
      );
    }
    // A budget of 200 messages read: the words looked like 100 messages
    // (within it), and were 670.
    const budget = 200 * 32;
    for (const query of ["alpha", "alpha beta", "alpha beta gamma delta"]) {
      const words = query.split(" ");
      // A room without the words: the page used to read every entry.
      const quiet = await store.search({
        words,
        scope: { roomKeys: ["quiet"] },
        limit: 10,
        budget,
      });
      assert.deepEqual(quiet.records, [], query);
      assert.ok(quiet.next !== undefined, `${query}: it stops short`);
      const found: string[] = [];
      let before: string | undefined;
      for (let page = 0; page < 100; page++) {
        const { records, next } = await store.search({
          words,
          scope: { roomKeys: ["general"] },
          limit: 20,
          before,
          budget,
        });
        found.push(...records.map((r) => r.message.text));
        if (records.length === 20) before = records[19].message.id;
        else if (next === undefined) break;
        else {
          assert.ok(before === undefined || next < before, "it moves on");
          before = next;
        }
      }
      assert.deepEqual(found, readable, query);
    }
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
