/**
 * SqliteStore's search index on a thread of its own, in `<db>-search`
 * (server/store/search_index*.ts): indexed without a search asking, a
 * page's worth at once, a pass that fails answered, a crash between a
 * commit and the thread's pass, and a missing, unreadable or newer index
 * built again from the messages.
 */
import assert from "node:assert/strict";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { DEFAULT_CONFIG } from "../server/config.ts";
import {
  authorAudience,
  createSearchIndex,
  markerToken,
  searchIndexPath,
  searchPass,
} from "../server/store/search_index_file.ts";
import {
  SqliteStore,
  type SqliteStoreOptions,
} from "../server/store/sqlite.ts";
import { eventually, PATIENT_WAIT_MS } from "./harness.ts";

const OPTIONS: SqliteStoreOptions = {
  permanentRooms: [{ name: "general", key: "general" }],
  busyTimeoutMs: DEFAULT_CONFIG.dbBusyTimeoutMs,
};
// The thread's passes put off past any test: only a search, or a page's
// worth waiting, brings one.
const NO_TIMED_PASS = { searchIndex: { intervalMs: 600_000 } };

const inGeneral = (text: string) => ({
  roomKey: "general",
  userKey: "alice",
  user: "alice",
  text,
});

async function searchGeneral(store: SqliteStore, word: string) {
  return (await store.search({
    words: [word],
    scope: { roomKeys: ["general"] },
    limit: 10,
  })).records.map((r) => r.message.text);
}

// A store on a temporary file with these options, closed after `test`.
function withStore(
  options: Partial<SqliteStoreOptions>,
  test: (store: SqliteStore, path: string) => Promise<void>,
): Promise<void> {
  return withDir(async (path) => {
    const store = await SqliteStore.open(path, { ...OPTIONS, ...options });
    try {
      await test(store, path);
    } finally {
      await store.close();
    }
  });
}

async function withDir(test: (path: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "chat-search-index-" });
  try {
    await test(`${dir}/chat.db`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

// The marks and a word's count in the index file, read on a connection
// closed before it returns.
function readIndex(path: string, word: string) {
  const db = new DatabaseSync(searchIndexPath(path), { readOnly: true });
  try {
    const marks = db.prepare("SELECT rowid, change FROM search_marks")
      .get() as { rowid: number; change: number };
    const { n } = db.prepare(
      "SELECT count(*) AS n FROM messages_fts WHERE messages_fts MATCH ?",
    ).get(word) as { n: number };
    return { ...marks, count: n };
  } finally {
    db.close();
  }
}

Deno.test("search index: stored messages are indexed in the index file by its thread, without a search asking, and the main file holds no index", () =>
  withDir(async (path) => {
    const store = await SqliteStore.open(path, OPTIONS);
    try {
      for (let i = 0; i < 5; i++) {
        await store.appendMessage(inGeneral(`background ${i}`));
      }
      // A pass every 100 ms; the margin is for a busy machine.
      await eventually(
        () => assert.equal(readIndex(path, "background").count, 5),
        { timeoutMs: PATIENT_WAIT_MS },
      );
      const main = new DatabaseSync(path, { readOnly: true });
      try {
        assert.deepEqual(
          main.prepare(
            `SELECT name FROM sqlite_schema WHERE name IN
             ('messages_fts', 'search_words', 'search_pending',
              'search_backfill', 'search_marks')`,
          ).all(),
          [],
        );
      } finally {
        main.close();
      }
    } finally {
      await store.close();
    }
  }));

Deno.test("search index: a page's worth of messages waiting brings the thread's pass at once, not at its interval", () =>
  withStore(NO_TIMED_PASS, async (store, path) => {
    // The thread's first pass, which it runs as it starts, is over.
    assert.deepEqual(await searchGeneral(store, "paged"), []);
    // Commits of 100 until 2,100 are stored: past 2,048 the store asks.
    for (let batch = 0; batch < 21; batch++) {
      await Promise.all(Array.from(
        { length: 100 },
        (_, i) => store.appendMessage(inGeneral(`paged ${batch} ${i}`)),
      ));
    }
    await eventually(
      () => assert.ok(readIndex(path, "paged").rowid >= 2048),
      { timeoutMs: PATIENT_WAIT_MS },
    );
  }));

Deno.test("search index: a search finds what was stored and changed before it, the thread's pass asked for at once", () =>
  withStore(NO_TIMED_PASS, async (store, path) => {
    const kept = await store.appendMessage(inGeneral("lunch at noon"));
    await searchGeneral(store, "lunch");
    const edited = await store.appendMessage(inGeneral("lunch at one"));
    await store.updateMessage(kept.message.id, { text: "brunch at noon" });
    await store.updateMessage(edited.message.id, { deleted: true });
    // Neither the edit nor the delete is indexed yet: no pass ran.
    assert.equal(readIndex(path, "brunch").count, 0);
    assert.deepEqual(await searchGeneral(store, "lunch"), []);
    assert.deepEqual(await searchGeneral(store, "brunch"), [
      "brunch at noon",
    ]);
  }));

Deno.test("search index: a pass that fails (the index refuses words) leaves the messages stored, the search answered, and finds them once the index takes them", () =>
  withDir(async (path) => {
    const store = await SqliteStore.open(path, {
      ...OPTIONS,
      ...NO_TIMED_PASS,
    });
    const logged: string[] = [];
    const error = console.error;
    console.error = (...args: unknown[]) => logged.push(args.join(" "));
    const other = new DatabaseSync(searchIndexPath(path));
    try {
      other.exec(`CREATE TRIGGER refuse_words BEFORE INSERT ON search_words
        BEGIN SELECT RAISE(ABORT, 'no words today'); END`);
      const appended = await Promise.all(Array.from(
        { length: 70 },
        (_, i) => store.appendMessage(inGeneral(`refused ${i}`)),
      ));
      assert.deepEqual(
        appended.map((a) => a.message.seq),
        appended.map((_, i) => i + 1),
      );
      assert.deepEqual(await searchGeneral(store, "refused"), []);
      assert.ok(
        logged.some((line) => line.includes("no words today")),
        logged.join("\n"),
      );
      other.exec("DROP TRIGGER refuse_words");
      assert.equal((await searchGeneral(store, "refused")).length, 10);
    } finally {
      console.error = error;
      other.close();
      await store.close();
    }
  }));

Deno.test("search index: messages committed and killed (SIGKILL) before the thread's pass are found after a restart", () =>
  withDir(async (path) => {
    // A process of its own, killed as a crash would: its store's thread
    // has had its first pass (the search), then two appends are
    // committed and acknowledged, and no pass comes for ten minutes.
    const store = new URL("../server/store/sqlite.ts", import.meta.url);
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `import { SqliteStore } from ${JSON.stringify(store.href)};
         const store = await SqliteStore.open(${JSON.stringify(path)}, ${
          JSON.stringify({ ...OPTIONS, ...NO_TIMED_PASS })
        });
         await store.search({ words: ["x"], scope: { roomKeys: ["general"] }, limit: 1 });
         await Promise.all([
           store.appendMessage(${
          JSON.stringify(inGeneral("before the crash"))
        }),
           store.appendMessage(${
          JSON.stringify(inGeneral("right before the crash"))
        }),
         ]);
         console.log("stored");
         await new Promise(() => {});`,
      ],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const reader = child.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    let out = "";
    try {
      while (!out.includes("stored")) {
        const { value, done } = await reader.read();
        if (done) break;
        out += value;
      }
      assert.match(out, /stored/);
    } finally {
      child.kill("SIGKILL");
      await child.status;
      await reader.cancel();
    }
    assert.equal(
      readIndex(path, "crash").rowid,
      0,
      "the thread had indexed them before the kill",
    );
    const reopened = await SqliteStore.open(path, OPTIONS);
    try {
      assert.deepEqual((await searchGeneral(reopened, "crash")).sort(), [
        "before the crash",
        "right before the crash",
      ]);
    } finally {
      await reopened.close();
    }
  }));

Deno.test("search index: a missing, unreadable or newer index file is built again from the messages before a search answers", () =>
  withDir(async (path) => {
    const first = await SqliteStore.open(path, OPTIONS);
    let alpha;
    try {
      alpha = await first.appendMessage(inGeneral("alpha words"));
      await first.appendMessage(inGeneral("beta words"));
      assert.equal((await searchGeneral(first, "words")).length, 2);
    } finally {
      await first.close();
    }
    // The main file as a backup holds it: without the index.
    const backup = `${path}.backup`;
    await Deno.copyFile(path, backup);
    const newer = await SqliteStore.open(path, OPTIONS);
    try {
      await newer.updateMessage(alpha.message.id, { text: "gamma words" });
      await newer.appendMessage(inGeneral("delta words"));
      assert.equal((await searchGeneral(newer, "words")).length, 3);
    } finally {
      await newer.close();
    }
    const index = searchIndexPath(path);
    await Deno.remove(index);
    for (const reopen of ["missing", "unreadable", "newer"]) {
      if (reopen === "unreadable") {
        await Deno.writeTextFile(index, "not a database ".repeat(500));
      }
      if (reopen === "newer") {
        // The older main file restored beside the newer index, whose
        // words of the first message are those of its edit since.
        await Deno.copyFile(backup, path);
      }
      const store = await SqliteStore.open(path, OPTIONS);
      try {
        assert.deepEqual(
          (await searchGeneral(store, "words")).sort(),
          reopen === "newer"
            ? ["alpha words", "beta words"]
            : ["beta words", "delta words", "gamma words"],
          reopen,
        );
        assert.deepEqual(
          await searchGeneral(store, reopen === "newer" ? "alpha" : "gamma"),
          [reopen === "newer" ? "alpha words" : "gamma words"],
          reopen,
        );
      } finally {
        await store.close();
      }
    }
  }));

Deno.test("search index: an index file of version 1 (one list a word, whoever may read it) is built again by audience when the store opens", () =>
  withDir(async (path) => {
    const first = await SqliteStore.open(path, OPTIONS);
    try {
      await first.appendMessage(inGeneral("public plans"));
      await first.appendPrivate({
        fromKey: "bob",
        from: "Bob",
        toKey: "carol",
        to: "Carol",
        text: "secret plans",
        delivered: true,
      });
    } finally {
      await first.close();
    }
    // The file as version 1 wrote it: every message's words as they are,
    // no audiences.
    const main = new DatabaseSync(path, { readOnly: true });
    const rows = main.prepare("SELECT rowid, text FROM messages").all() as {
      rowid: number;
      text: string;
    }[];
    main.close();
    const old = new DatabaseSync(searchIndexPath(path));
    try {
      old.exec(`DROP TABLE messages_fts; DROP TABLE search_audiences;
        CREATE VIRTUAL TABLE messages_fts USING fts5 (
          words, content = '', contentless_delete = 1, detail = none,
          prefix = '2 3', tokenize = "unicode61 remove_diacritics 2"
        );
        UPDATE search_marks SET version = 1;`);
      const insert = old.prepare(
        "INSERT INTO messages_fts (rowid, words) VALUES (?, ?)",
      );
      for (const row of rows) insert.run(row.rowid, row.text);
    } finally {
      old.close();
    }
    const store = await SqliteStore.open(path, OPTIONS);
    try {
      const { records } = await store.search({
        words: ["plans"],
        scope: { roomKeys: [], conversations: { userKey: "carol", since: 0 } },
        limit: 10,
      });
      assert.deepEqual(records.map((r) => r.message.text), ["secret plans"]);
      assert.deepEqual(await searchGeneral(store, "plans"), ["public plans"]);
    } finally {
      await store.close();
    }
  }));

Deno.test("search index: a pass prepares its statements once a connection, not again at each pass nor for each author new to it (two prepares an author were most of a chat message's CPU on the thread), and lists each author's messages under their own code", () =>
  withDir(async (path) => {
    const AUTHORS = 120;
    const store = await SqliteStore.open(path, {
      ...OPTIONS,
      searchIndex: { mode: "off" },
    });
    try {
      for (let i = 0; i < 2 * AUTHORS; i++) {
        const user = `user${i % AUTHORS}`;
        await store.appendMessage({
          roomKey: "general",
          userKey: user,
          user,
          text: `message ${i}`,
        });
      }
    } finally {
      await store.close();
    }
    const source = new DatabaseSync(path, { readOnly: true });
    const index = new DatabaseSync(`${path}-passes`);
    try {
      createSearchIndex(index);
      let prepared = 0;
      for (const db of [source, index]) {
        const prepare = db.prepare.bind(db);
        (db as { prepare(sql: string): StatementSync }).prepare = (sql) => {
          prepared++;
          return prepare(sql);
        };
      }
      // Passes of 60: each of the first two meets 60 authors new to it.
      assert.equal(searchPass(source, index, 60).read, 60);
      const first = prepared;
      for (let pass = 1; pass < 4; pass++) {
        assert.equal(searchPass(source, index, 60).read, 60);
      }
      assert.equal(prepared, first, "prepared after the first pass");
      assert.ok(first <= 12, `${first} statements prepared by one pass`);
      const written = source.prepare(
        "SELECT rowid FROM messages WHERE user_key = ? ORDER BY rowid",
      );
      const code = index.prepare(
        "SELECT code FROM search_audiences WHERE audience = ?",
      );
      const listed = index.prepare(
        `SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?
         ORDER BY rowid`,
      );
      for (let i = 0; i < AUTHORS; i++) {
        const user = `user${i}`;
        const { code: author } = code.get(authorAudience(user)) as {
          code: number;
        };
        assert.deepEqual(
          listed.all(`"${markerToken(null, author)}"`).map((row) => row.rowid),
          written.all(user).map((row) => row.rowid),
          user,
        );
      }
    } finally {
      index.close();
      source.close();
    }
  }));

Deno.test("search index: a store closed while its thread starts leaves no thread and no file made after the close (its folder removed at once)", async () => {
  // Ten times: the thread's start and the close race.
  for (let i = 0; i < 10; i++) {
    await withDir(async (path) => {
      // Not opened (open waits for the thread): closed at once.
      const store = new SqliteStore(path, OPTIONS);
      await store.close();
    });
  }
});

Deno.test("search index in place (the one-file build): a file the thread indexed is indexed in the database at open, and appended messages a moment later without a search asking", () =>
  withDir(async (path) => {
    const threaded = await SqliteStore.open(path, OPTIONS);
    try {
      await threaded.appendMessage(inGeneral("indexed by the thread"));
    } finally {
      await threaded.close();
    }
    const inPlace = await SqliteStore.open(path, {
      ...OPTIONS,
      searchIndex: { mode: "in_place" },
    });
    const count = (word: string) => {
      const db = new DatabaseSync(path, { readOnly: true });
      try {
        return (db.prepare(
          "SELECT count(*) AS n FROM messages_fts WHERE messages_fts MATCH ?",
        ).get(word) as { n: number }).n;
      } finally {
        db.close();
      }
    };
    try {
      assert.equal(count("thread"), 1);
      await inPlace.appendMessage(inGeneral("indexed in place"));
      // A pass 100 ms later; the margin is for a busy machine.
      await eventually(() => assert.equal(count("place"), 1), {
        timeoutMs: PATIENT_WAIT_MS,
      });
    } finally {
      await inPlace.close();
    }
  }));

Deno.test("search index: a message given the rowid of the newest ones deleted after the thread indexed them, and after it applied their deletion, is found by its own words", () =>
  withStore(NO_TIMED_PASS, async (store) => {
    await store.appendMessage(inGeneral("older words"));
    await store.appendMessage(inGeneral("newest words"));
    // Indexed: the thread's mark is at the second rowid.
    assert.equal((await searchGeneral(store, "words")).length, 2);
    await store.createRoom("side", "side");
    await store.deleteRoom("general");
    await store.createRoom("general", "general");
    // The deletions applied: the main file has no message left.
    assert.deepEqual(await searchGeneral(store, "words"), []);
    // SQLite gives rowid 1 again, below where the thread's mark was.
    await store.appendMessage(inGeneral("fresh start"));
    assert.deepEqual(await searchGeneral(store, "fresh"), ["fresh start"]);
    assert.deepEqual(await searchGeneral(store, "older"), []);
  }));

Deno.test("search index: a closed store leaves its database and its index file, no WAL of either", () =>
  withDir(async (path) => {
    const store = await SqliteStore.open(path, OPTIONS);
    try {
      await store.appendMessage(inGeneral("closing words"));
      assert.deepEqual(await searchGeneral(store, "closing"), [
        "closing words",
      ]);
    } finally {
      await store.close();
    }
    const dir = path.slice(0, path.lastIndexOf("/"));
    assert.deepEqual(
      [...Deno.readDirSync(dir)].map((entry) => entry.name).sort(),
      ["chat.db", "chat.db-search"],
    );
  }));

// The thread that dies at a search while `<db>-die` exists.
const DYING_WORKER = new URL(
  "./fixtures/dying_search_index_worker.ts",
  import.meta.url,
).href;

/**
 * Runs `test` with a store whose index thread is DYING_WORKER, a message
 * "before it died" stored and found, and the lines the store logs (as
 * errors) gathered; the log given back and the store closed after.
 */
function withDyingIndex(
  test: (store: SqliteStore, path: string, logged: string[]) => Promise<void>,
): Promise<void> {
  return withDir(async (path) => {
    const logged: string[] = [];
    const error = console.error;
    console.error = (...args: unknown[]) => logged.push(args.join(" "));
    try {
      const store = await SqliteStore.open(path, {
        ...OPTIONS,
        searchIndex: { ...NO_TIMED_PASS.searchIndex, workerUrl: DYING_WORKER },
      });
      try {
        await store.appendMessage(inGeneral("before it died"));
        assert.deepEqual(await searchGeneral(store, "before"), [
          "before it died",
        ]);
        await test(store, path, logged);
      } finally {
        await store.close();
      }
    } finally {
      console.error = error;
    }
  });
}

Deno.test("search index: a thread that dies is started again from its marks, said in the log and counted, and a message stored after it is found", () =>
  withDyingIndex(async (store, path, logged) => {
    await Deno.writeTextFile(`${path}-die`, "");
    // This search's catch-up kills the thread: it answers with what the
    // index holds.
    assert.deepEqual(await searchGeneral(store, "before"), [
      "before it died",
    ]);
    await store.appendMessage(inGeneral("after the restart"));
    await eventually(() => assert.equal(store.searchIndexRestarts, 1), {
      timeoutMs: PATIENT_WAIT_MS,
    });
    assert.deepEqual(await searchGeneral(store, "restart"), [
      "after the restart",
    ]);
    assert.equal(readIndex(path, "restart").count, 1);
    assert.ok(
      logged.some((line) =>
        line.includes("the search index thread died (test)") &&
        line.includes("started again")
      ),
      logged.join("\n"),
    );
  }));

Deno.test("search index: a thread started again that cannot read its file makes it again, and searches read the new file, not the one it replaced", () =>
  withDyingIndex(async (store, path) => {
    const { ino } = await Deno.stat(searchIndexPath(path));
    // The thread writes over its file's header, then dies at this
    // search's catch-up; its answer is not the test's subject.
    await Deno.writeTextFile(`${path}-die`, "unreadable");
    await searchGeneral(store, "before").catch(() => {});
    await eventually(() => assert.equal(store.searchIndexRestarts, 1), {
      timeoutMs: PATIENT_WAIT_MS,
    });
    // Made again: another file where the old one was.
    assert.notEqual((await Deno.stat(searchIndexPath(path))).ino, ino);
    await store.appendMessage(inGeneral("after the restart"));
    // Both found through the new file: the one before, indexed again
    // from 0, and the one after.
    assert.deepEqual(await searchGeneral(store, "restart"), [
      "after the restart",
    ]);
    assert.deepEqual(await searchGeneral(store, "before"), [
      "before it died",
    ]);
  }));
