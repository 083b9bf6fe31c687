/**
 * The store opened before the server loads (server/early_store.ts): the
 * entry starts the SQLite store's threads first, and the server takes that
 * store when its settings choose it; nothing is opened early for other
 * commands or stores, and a store that cannot open still stops the
 * program before it listens.
 */
import assert from "node:assert/strict";
import { readCommandLine } from "../server/command_line.ts";
import { type EarlyStore, openStoreEarly } from "../server/early_store.ts";
import { startServer } from "../server/mod.ts";
import type { Store } from "../server/store/mod.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const NO_ENV = () => undefined;

// Starts a server as runCli does, from these arguments and this early
// store; checks which store it serves and that it answers, then stops it.
async function serveAndStop(
  args: string[],
  early: EarlyStore,
  check: (served: Store, early: Store) => void,
): Promise<void> {
  const command = readCommandLine(args, NO_ENV);
  assert.equal(command.run, "server");
  const server = await startServer(command.config, { store: early });
  try {
    check(server.node.store, await early.store);
    const health = await fetch(`${server.url}/healthz`);
    assert.deepEqual(await health.json(), { status: "ok" });
  } finally {
    await server.shutdown();
  }
}

// A server on `db` with SQLite on its own threads (not the default).
const threadedServer = (db: string) => [
  "--host",
  "127.0.0.1",
  "--port",
  "0",
  "--db",
  db,
  "--db-thread",
  "on",
];

Deno.test("early store: the server serves the store its entry began to open", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-early-" });
  try {
    const args = threadedServer(`${dir}/a.db`);
    const early = openStoreEarly(args, NO_ENV);
    assert.ok(early);
    await serveAndStop(args, early, (served, opened) => {
      assert.equal(served, opened);
    });
    // The shutdown closed it: it refuses calls.
    await assert.rejects((await early.store).ping());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("early store: one begun for other settings is not served: the server opens its own", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-early-" });
  try {
    const early = openStoreEarly(
      ["--db", `${dir}/other.db`, "--db-thread", "on"],
      NO_ENV,
    );
    assert.ok(early);
    await serveAndStop(
      threadedServer(`${dir}/a.db`),
      early,
      (served, opened) => assert.notEqual(served, opened),
    );
    await (await early.store).close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("early store: nothing opens early for --help, --version, bad flags, other commands, PostgreSQL or SQLite on the main thread (the default)", () => {
  for (
    const args of [
      [],
      ["--db", "x.db"],
      ["--help"],
      ["--version"],
      ["--port", "x"],
      ["backup", "--db", "x.db"],
      ["--database-url", "postgres://127.0.0.1:1/chat"],
      ["--db-thread", "off"],
    ]
  ) {
    assert.equal(openStoreEarly(args, NO_ENV), undefined, args.join(" "));
  }
  assert.equal(
    openStoreEarly(
      ["--db-thread", "on"],
      (name) =>
        name === "DATABASE_URL" ? "postgres://127.0.0.1:1/chat" : undefined,
    ),
    undefined,
  );
});

Deno.test("main.ts: a database it cannot open stops it with exit code 1 and the store's error, before it listens", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-early-" });
  try {
    const path = `${dir}/garbage.db`;
    await Deno.writeTextFile(path, "not a database, ".repeat(512));
    const run = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", MAIN, "--port", "0", "--db", path],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(run.stdout);
    const stderr = new TextDecoder().decode(run.stderr);
    assert.equal(run.code, 1, stderr);
    assert.match(stderr, /^error: .*garbage\.db/m);
    assert.doesNotMatch(stdout + stderr, /Listening on/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
