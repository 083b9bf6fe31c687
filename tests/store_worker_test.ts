/**
 * WorkerStore: the SQLite store on a worker thread, as the server runs it.
 * The store contract on that path, then what only the boundary can get
 * wrong: errors crossing it, a worker that dies, closing with calls in
 * flight, group commits and read-only properties.
 */
import assert from "node:assert/strict";
import { DEFAULT_CONFIG } from "../server/config.ts";
import { StoreUnavailableError } from "../server/protocol/errors.ts";
import type { Role } from "../server/protocol/types.ts";
import {
  type HistoryQuery,
  RoomGoneError,
  type Store,
} from "../server/store/mod.ts";
import { BACKGROUND_CHECKPOINTS } from "../server/store/checkpoints.ts";
import { openWorkerStore } from "../server/store/worker_store.ts";
import { eventually, PATIENT_WAIT_MS } from "./harness.ts";
import { storeContract } from "./store_contract.ts";

const GENERAL = { name: "general", key: "general" };

// As backends.ts opens it for the server.
function openAt(path: string): Promise<Store> {
  return openWorkerStore({
    kind: "sqlite",
    path,
    options: {
      permanentRooms: [GENERAL],
      busyTimeoutMs: DEFAULT_CONFIG.dbBusyTimeoutMs,
      backgroundCheckpoints: BACKGROUND_CHECKPOINTS,
    },
  });
}

storeContract("WorkerStore (SQLite on a worker thread)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-worker-store-" });
  return {
    open: () => openAt(`${dir}/chat.db`),
    dispose: () => Deno.remove(dir, { recursive: true }),
  };
});

/** Runs a body with a fresh worker store on a temporary file. */
async function withStore(
  body: (store: Store, path: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "chat-worker-store-" });
  const path = `${dir}/chat.db`;
  const store = await openAt(path);
  try {
    await body(store, path);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

function draft(text: string, roomKey = "general") {
  return { roomKey, userKey: "alice", user: "alice", text };
}

Deno.test("WorkerStore: a file that is not a database fails to open with StoreUnavailableError naming it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-worker-store-" });
  try {
    const path = `${dir}/garbage.db`;
    await Deno.writeTextFile(path, "this is not a database ".repeat(100));
    await assert.rejects(
      openAt(path),
      (error: unknown) =>
        error instanceof StoreUnavailableError &&
        error.message.includes(path),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("WorkerStore: open fails with StoreUnavailableError when the store's checkpoint thread cannot start", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-worker-store-" });
  try {
    // Found before the server listens, not printed later as "Uncaught
    // (in worker)" when descriptors run out.
    await assert.rejects(
      openWorkerStore({
        kind: "sqlite",
        path: `${dir}/chat.db`,
        options: {
          permanentRooms: [GENERAL],
          busyTimeoutMs: DEFAULT_CONFIG.dbBusyTimeoutMs,
          backgroundCheckpoints: {
            ...BACKGROUND_CHECKPOINTS,
            // A thread that cannot open its connection says so.
            workerUrl: "data:text/javascript,self.onmessage = () => " +
              "self.postMessage({ type: 'failed', message: 'EMFILE' })",
          },
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

Deno.test("WorkerStore: an error in the worker's store arrives as StoreUnavailableError with its message", () =>
  withStore(async (store) => {
    await store.createAccount({
      key: "al",
      username: "al",
      passwordHash: "x",
      role: "user",
    });
    // A role the schema's CHECK refuses: SQLite throws in the worker.
    await assert.rejects(
      store.setRole("al", "owner" as Role),
      (error: unknown) =>
        error instanceof StoreUnavailableError &&
        error.message.includes("CHECK constraint failed"),
    );
    // A room that is gone crosses as what it is, with its room.
    await assert.rejects(
      store.appendMessage(draft("nowhere", "no-such-room")),
      (error: unknown) =>
        error instanceof RoomGoneError && error.roomKey === "no-such-room",
    );
    // The store goes on working after a failed call.
    const { message } = await store.appendMessage(draft("still here"));
    assert.equal(message.seq, 1);
  }));

Deno.test("WorkerStore: an argument that cannot cross to the worker fails that call alone", () =>
  withStore(async (store) => {
    const query = { limit: () => 5 } as unknown as HistoryQuery;
    const [bad, good] = await Promise.allSettled([
      store.history("general", query),
      store.appendMessage(draft("fine")),
    ]);
    assert.equal(bad.status, "rejected");
    assert.match(String(bad.reason), /Cannot send the arguments of 'history'/);
    assert.equal(good.status, "fulfilled");
  }));

Deno.test("WorkerStore: appends made together share commits, and appendCommits reads through", () =>
  withStore(async (store) => {
    const before = store.appendCommits;
    const results = await Promise.all(
      Array.from(
        { length: 100 },
        (_, i) => store.appendMessage(draft(`m${i}`)),
      ),
    );
    // Made in one turn, they keep the order they were made in.
    assert.deepEqual(
      results.map((r) => r.message.seq),
      Array.from({ length: 100 }, (_, i) => i + 1),
    );
    const commits = store.appendCommits - before;
    assert.ok(commits >= 1 && commits <= 5, `${commits} commits`);
  }));

// What the worker itself reads: a page of 50 asked for by its limit is
// never taken from the recent pages.
function fromWorker(store: Store, roomKey = "general") {
  return store.history(roomKey, { limit: 50 });
}

function hits(store: Store): number {
  return (store as Store & { recentPageHits: number }).recentPageHits;
}

Deno.test("WorkerStore: a room's newest page read again is served without the worker, and is what the worker reads after appends, edits, deletes, reactions, pins and expiry", () =>
  withStore(async (store) => {
    await Promise.all(
      Array.from({ length: 60 }, (_, i) => store.appendMessage(draft(`m${i}`))),
    );
    const first = await store.history("general", {});
    assert.deepEqual(await store.history("general", {}), first);
    assert.equal(hits(store), 1);
    // The two pages the same query gives are equal, not the same objects.
    assert.notEqual(await store.history("general", {}), first);
    assert.equal(hits(store), 2);

    const changes: [string, () => Promise<unknown>][] = [
      ["append", () => store.appendMessage(draft("new"))],
      ["edit", () => store.updateMessage(first[49].id, { text: "edited" })],
      ["delete", () => store.updateMessage(first[48].id, { deleted: true })],
      ["react", () =>
        store.react({
          id: first[47].id,
          userKey: "bob",
          user: "bob",
          emoji: "👍",
          on: true,
        })],
      ["pin", () => store.pin(first[46].id, true)],
      [
        "reply",
        () => store.appendMessage({ ...draft("re"), replyTo: first[45].id }),
      ],
      [
        "edit the answered",
        () => store.updateMessage(first[45].id, { text: "answered, edited" }),
      ],
      ["expire", () => store.expireMessages(Date.now() + 1000, 5)],
    ];
    for (const [what, change] of changes) {
      await store.history("general", {});
      await change();
      assert.deepEqual(
        await store.history("general", {}),
        await fromWorker(store),
        `after ${what}`,
      );
      // And kept again once read.
      const before = hits(store);
      assert.deepEqual(
        await store.history("general", {}),
        await fromWorker(store),
      );
      assert.equal(hits(store), before + 1, `kept after ${what}`);
    }
  }));

Deno.test("WorkerStore: once closed, a room's kept page is refused like any read", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-worker-store-" });
  try {
    const store = await openAt(`${dir}/chat.db`);
    await store.appendMessage(draft("kept"));
    await store.history("general", {});
    assert.equal((await store.history("general", {})).length, 1);
    await store.close();
    await assert.rejects(
      store.history("general", {}),
      StoreUnavailableError,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("WorkerStore: a page read while a change of its room is under way is not served again", () =>
  withStore(async (store) => {
    for (let i = 0; i < 3; i++) await store.appendMessage(draft(`m${i}`));
    const [page] = await Promise.all([
      store.history("general", {}),
      store.appendMessage(draft("meanwhile")),
    ]);
    // Read before the append's commit: the page lacks it, so is not kept.
    assert.equal(page.length, 3);
    assert.deepEqual(
      (await store.history("general", {})).map((m) => m.text),
      ["m0", "m1", "m2", "meanwhile"],
    );
    assert.equal(hits(store), 0);
    await store.appendMessage(draft("again"));
    // Read by the worker (the append made the kept page stale), then the
    // edit in the same batch: the page lacks it.
    const [before] = await Promise.all([
      store.history("general", {}),
      store.updateMessage(page[0].id, { text: "edited meanwhile" }),
    ]);
    assert.equal(before[0].text, "m0");
    assert.equal(
      (await store.history("general", {}))[0].text,
      "edited meanwhile",
    );
    assert.equal(hits(store), 0);
  }));

Deno.test("WorkerStore: close commits the appends already made, then refuses calls", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-worker-store-" });
  const path = `${dir}/chat.db`;
  try {
    const store = await openAt(path);
    // Not awaited: still on this side when close() is called.
    const appends = ["a", "b", "c"].map((t) => store.appendMessage(draft(t)));
    await store.close();
    const stored = await Promise.all(appends);
    assert.deepEqual(stored.map((r) => r.message.seq), [1, 2, 3]);
    await assert.rejects(store.listRooms(), StoreUnavailableError);
    await store.close(); // a second close is harmless

    const again = await openAt(path);
    try {
      const history = await again.history("general", {});
      assert.deepEqual(history.map((m) => m.text), ["a", "b", "c"]);
    } finally {
      await again.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("WorkerStore: a worker that dies fails its calls and every later one with StoreUnavailableError", async () => {
  const store = await openWorkerStore({
    kind: "sqlite",
    path: ":memory:",
    options: { busyTimeoutMs: 0 },
  }, {
    workerUrl: new URL("./fixtures/crashing_store_worker.ts", import.meta.url),
  });
  try {
    await assert.rejects(
      store.listRooms(),
      (error: unknown) =>
        error instanceof StoreUnavailableError &&
        error.message.includes("the store worker crashed"),
    );
    await assert.rejects(store.listRooms(), StoreUnavailableError);
  } finally {
    await store.close();
  }
});

Deno.test("WorkerStore: a search index thread that dies (started from the main thread, reached through a port) is started again, counted, and finds what was stored after", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-worker-store-" });
  const path = `${dir}/chat.db`;
  const store = await openWorkerStore({
    kind: "sqlite",
    path,
    options: {
      permanentRooms: [GENERAL],
      busyTimeoutMs: DEFAULT_CONFIG.dbBusyTimeoutMs,
      searchIndex: {
        intervalMs: 600_000,
        workerUrl: new URL(
          "./fixtures/dying_search_index_worker.ts",
          import.meta.url,
        ).href,
      },
    },
  });
  const search = async (word: string) =>
    (await store.search({
      words: [word],
      scope: { roomKeys: ["general"] },
      limit: 10,
    })).records.map((r) => r.message.text);
  const inGeneral = (text: string) => ({
    roomKey: "general",
    userKey: "alice",
    user: "alice",
    text,
  });
  try {
    await store.appendMessage(inGeneral("before it died"));
    assert.deepEqual(await search("before"), ["before it died"]);
    await Deno.writeTextFile(`${path}-die`, "");
    assert.deepEqual(await search("before"), ["before it died"]);
    await store.appendMessage(inGeneral("after the restart"));
    // Read-only properties come back with each call's outcome.
    await eventually(async () => {
      await store.listRooms();
      assert.equal(store.searchIndexRestarts, 1);
    }, { timeoutMs: PATIENT_WAIT_MS });
    assert.deepEqual(await search("restart"), ["after the restart"]);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
