/**
 * `deno task export` and `deno task import`: a store as JSON Lines and back,
 * ids and seqs kept, so a SQLite server moves to PostgreSQL and its clients
 * resume where they were; bad input stops with its line number and
 * changes nothing.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { DatabaseSync } from "node:sqlite";
import { SqliteStore } from "../server/store/sqlite.ts";
import { searchIndexPath } from "../server/store/search_index_file.ts";
import { exportStore } from "../server/transfer/export.ts";
import { ImportError, importStore } from "../server/transfer/import.ts";
import { FORMAT, FORMAT_VERSION } from "../server/transfer/format.ts";
import { Progress } from "../server/transfer/progress.ts";
import { SqliteSource, SqliteTarget } from "../server/transfer/sqlite.ts";
import { DiskFileContents } from "../server/file_contents/disk.ts";
import type { Attachment } from "../server/protocol/types.ts";
import type { StoredPoll } from "../server/polls.ts";
import { call } from "./api_helpers.ts";
import {
  fetchFile,
  gifOfFrames,
  member,
  PNG,
  pngOfSize,
  uploaded,
} from "./file_helpers.ts";
import {
  expectError,
  historyOf,
  spawnServer,
  startTestServer,
  TEST_PASSWORD,
  TestClient,
  type TestServer,
} from "./harness.ts";
import { postgresSkipReason, startPostgres } from "./services.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const OPTIONS = { busyTimeoutMs: 2000 };

interface Message {
  seq: number;
  id: string;
  text: string;
  edited_at?: number;
  deleted?: boolean;
  ts?: string;
}

/** What a populated server held, read over the protocol before it stopped. */
interface Before {
  general: Message[];
  team: Message[];
  conversation: Message[];
  /** Bob's drafts, as list_drafts answered. */
  drafts: unknown[];
  fileUrl: string;
  dir: string;
}

/**
 * A server used for a while: accounts, a private room with an invite, edits,
 * a deletion, a mention, private messages (one still waiting for its
 * recipient), drafts in a room and a conversation, a shared image, an account
 * deleted with its messages anonymised, a ban, a ban for an hour, a password reset
 * link and so the audit log, a bot with a token and a webhook that posted.
 * Stopped before it returns.
 */
async function populated(): Promise<Before> {
  const server = await startTestServer();
  try {
    const alice = await member(server, "alice");
    const bob = await member(server, "bob");
    const carol = await member(server, "carol");
    await carol.client.close();
    const erin = await member(server, "erin");
    await erin.client.close();
    const a = alice.client;
    const file = await uploaded(
      server,
      alice.cookie,
      new File([PNG], "dot.png", { type: "image/png" }),
    );
    for (let i = 1; i <= 5; i++) {
      await a.ok("send_message", { text: `general ${i}`, client_id: `g${i}` });
    }
    await a.ok("send_message", {
      text: "a picture for @bob",
      attachments: [{ url: file.url, name: "dot.png", size: PNG.length }],
    });
    const sent = await a.ok("send_message", { text: "typo" });
    const typo = (sent.message as Message).id;
    await a.ok("edit_message", { id: typo, text: "fixed" });
    const gone = await a.ok("send_message", { text: "oops" });
    await a.ok("delete_message", { id: (gone.message as Message).id });
    // A reply, reactions (bob's first: their order is kept) and a pin.
    const reply = await bob.client.ok("send_message", {
      text: "nice fix",
      reply_to: typo,
    });
    const replyId = (reply.message as Message).id;
    await bob.client.ok("react", { id: replyId, emoji: "👍" });
    await a.ok("react", { id: replyId, emoji: "👍" });
    // An account deleted with its messages anonymised: its message and its
    // reaction stay under "deleted user", a name no account can have.
    const dave = await member(server, "dave");
    await dave.client.ok("send_message", { text: "a word from dave" });
    await dave.client.ok("react", { id: replyId, emoji: "👍" });
    // Bob's message to him names "deleted user" as its `to` once he is.
    await bob.client.ok("private_message", { to: "dave", text: "hi dave" });
    await dave.client.close();
    await a.ok("delete_account", { user: "dave", messages: "anonymise" });
    await a.ok("pin", { id: typo });
    await a.ok("create_room", { room: "team", private: true });
    await a.ok("invite", { room: "team", user: "bob" });
    await a.ok("send_message", { text: "team only" });
    await a.ok("create_invite", { room: "team" });
    await a.ok("private_message", { to: "bob", text: "psst bob" });
    await bob.client.ok("private_message", { to: "alice", text: "hi alice" });
    await a.ok("private_message", { to: "carol", text: "for later" });
    await bob.client.ok("ignore_user", { user: "carol" });
    await bob.client.ok("set_draft", { room: "team", text: "see you at " });
    await bob.client.ok("set_draft", { with: "Alice", text: "thanks" });
    await bob.client.ok("set_notify_level", { with: "carol", level: "none" });
    await bob.client.ok("star", { room: "team" });
    await bob.client.ok("star", { with: "Alice" });
    await bob.client.ok("set_sections", {
      sections: [
        { name: "Team", items: ["#team", "@Alice"], collapsed: true },
        { name: "Later", items: [] },
      ],
    });
    await a.ok("create_group", { name: "design", members: ["bob", "carol"] });
    const guest = await TestClient.login(server.wsUrl, "mallory");
    await a.ok("ban", { user: "mallory", reason: "spam" });
    await guest.close();
    await a.ok("ban", { user: "erin", reason: "cool off", duration_s: 3600 });
    await a.ok("reset_password", { user: "carol" });
    await bob.client.ok("mark_read", { room: "general", seq: 3 });
    // A webhook and a push subscription, stored as their routes store them
    // (the routes would call out to check the URLs: not from a test).
    await server.node.store.createWebhook({
      id: "hook-1",
      roomKey: "general",
      url: "https://hooks.example/general",
      secret: "hook-signing-secret",
      createdBy: "alice",
      createdAt: 1,
    });
    await server.node.store.recordWebhookOutcome("hook-1", {
      at: 2,
      ok: false,
      status: 500,
      error: "HTTP 500",
    });
    await server.node.store.savePushSubscription({
      endpoint: "https://push.example/bob",
      userKey: "bob",
      p256dh: "bob-p256dh-key",
      auth: "bob-auth-key",
      createdAt: 3,
    });
    const asAlice = { cookie: alice.cookie, origin: server.url };
    const bot = await call(server, "POST", "/api/bots", {
      body: { name: "ci" },
      headers: asAlice,
    });
    assert.equal(bot.status, 201);
    const botToken = await call(server, "POST", "/api/bots/ci/tokens", {
      body: { name: "deploys" },
      headers: asAlice,
    });
    assert.equal(botToken.status, 201);
    const hook = await call(server, "POST", "/api/rooms/general/hooks", {
      body: { name: "CI" },
      headers: asAlice,
    });
    assert.equal(hook.status, 201);
    const posted = await call(
      server,
      "POST",
      new URL(hook.body.url).pathname,
      { body: { text: "build passed" } },
    );
    assert.equal(posted.status, 200);
    const before = {
      general: await historyOf<Message>(a, "general"),
      team: await historyOf<Message>(a, "team"),
      conversation: (await a.ok("history", { with: "bob", limit: 200 }))
        .messages as Message[],
      drafts: (await bob.client.ok("list_drafts")).drafts as unknown[],
      fileUrl: file.url,
      dir: server.dir,
    };
    await a.close();
    await bob.client.close();
    return before;
  } finally {
    await server.shutdown();
  }
}

/** Runs a deno task with stdin from a file and stdout to a file. */
async function task(
  name: string,
  args: string[],
  io: { stdin?: string; stdout?: string } = {},
): Promise<{ code: number; stderr: string }> {
  // Its TMPDIR: on PostgreSQL, files stage in a chat-uploads-UID there,
  // which in /tmp outlives the command by design.
  const tempDir = await Deno.makeTempDir({ prefix: "chat-task-" });
  try {
    return await runTask(name, args, io, tempDir);
  } finally {
    await Deno.remove(tempDir, { recursive: true });
  }
}

async function runTask(
  name: string,
  args: string[],
  io: { stdin?: string; stdout?: string },
  tempDir: string,
): Promise<{ code: number; stderr: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", name, ...args],
    cwd: ROOT,
    stdin: io.stdin ? "piped" : "null",
    stdout: io.stdout ? "piped" : "null",
    stderr: "piped",
    env: { NO_COLOR: "1", TMPDIR: tempDir },
  }).spawn();
  const writing = io.stdin
    ? (await Deno.open(io.stdin)).readable.pipeTo(child.stdin)
    : Promise.resolve();
  const reading = io.stdout
    ? child.stdout.pipeTo(
      (await Deno.open(io.stdout, { write: true, create: true })).writable,
    )
    : Promise.resolve();
  const stderr = new Response(child.stderr).text();
  const [status, text] = await Promise.all([
    child.status,
    stderr,
    writing,
    reading,
  ]);
  return { code: status.code, stderr: text };
}

/**
 * README's "Move to PostgreSQL", steps 1 and 2, through the tasks: the
 * SQLite file `db` exported (with `exportArgs`) to `work`/chat.jsonl, its
 * files' bytes to `work`/files, and imported into PostgreSQL at `url`.
 * Returns the export's path.
 */
async function movedToPostgres(
  db: string,
  url: string,
  work: string,
  exportArgs: string[] = [],
): Promise<string> {
  const out = `${work}/chat.jsonl`;
  const files = `${work}/files`;
  const exported = await task("export", [
    "--db",
    db,
    ...exportArgs,
    "--include-files",
    files,
  ], { stdout: out });
  assert.equal(exported.code, 0, exported.stderr);
  assert.match(exported.stderr, /Exported .*messages/);
  const imported = await task("import", [
    "--database-url",
    url,
    "--include-files",
    files,
  ], { stdin: out });
  assert.equal(imported.code, 0, imported.stderr);
  return out;
}

/** Lines of an export file without its header (which holds the time). */
async function body(path: string): Promise<string[]> {
  const lines = (await Deno.readTextFile(path)).trimEnd().split("\n");
  assert.equal(JSON.parse(lines[0]).kind, "header");
  return lines.slice(1);
}

async function* each(lines: string[]): AsyncGenerator<string> {
  yield* lines;
}

async function exportLines(
  path: string,
  options: Parameters<typeof exportStore>[2] = {},
): Promise<string[]> {
  const source = await SqliteSource.open(path, OPTIONS);
  let text = "";
  try {
    await exportStore(source, (chunk) => {
      text += chunk;
      return Promise.resolve();
    }, options);
  } finally {
    await source.close();
  }
  return text.trimEnd().split("\n");
}

async function messageCount(path: string): Promise<number> {
  // Only read: no search index made beside the file.
  const store = new SqliteStore(path, {
    ...OPTIONS,
    searchIndex: { mode: "off" },
  });
  try {
    return (await store.history("general", { limit: 200 })).length;
  } finally {
    await store.close();
  }
}

const pgSkip = postgresSkipReason();

Deno.test({
  name: pgSkip
    ? `export: skipped SQLite to PostgreSQL, ${pgSkip}`
    : "export: a SQLite server moves to PostgreSQL and every client resumes by after_seq with no gap",
  ignore: pgSkip !== undefined,
  async fn() {
    const before = await populated();
    const pg = (await startPostgres())!;
    const work = await Deno.makeTempDir({ prefix: "chat-move-" });
    try {
      const out = await movedToPostgres(`${before.dir}/chat.db`, pg.url, work, [
        "--include-secrets",
      ]);

      // PostgreSQL gives back the same lines SQLite wrote (orders of text
      // keys may differ between the two: compared as sets).
      const again = `${work}/again.jsonl`;
      const reexported = await task("export", [
        "--database-url",
        pg.url,
        "--include-secrets",
      ], { stdout: again });
      assert.equal(reexported.code, 0, reexported.stderr);
      const header = JSON.parse(
        (await Deno.readTextFile(again)).split("\n")[0],
      );
      assert.equal(header.secrets, true);
      assert.deepEqual(
        (await body(again)).toSorted(),
        (await body(out)).toSorted(),
      );

      const node = await startTestServer({ databaseUrl: pg.url });
      try {
        const bob = await TestClient.loginWith(node.wsUrl, {
          username: "bob",
          password: TEST_PASSWORD,
        });
        const alice = await TestClient.loginWith(node.wsUrl, {
          username: "alice",
          password: TEST_PASSWORD,
        });
        // Every room's history, as it was: replies, reactions and pins too.
        assert.deepEqual(await historyOf(alice, "general"), before.general);
        const nice = before.general.find((m) => m.text === "nice fix");
        assert.deepEqual(
          (nice as unknown as { reactions: unknown }).reactions,
          [{ emoji: "👍", count: 3, users: ["bob", "alice", "deleted user"] }],
        );
        assert.deepEqual(
          ((await alice.ok("list_pins", { room: "general" }))
            .messages as Message[]).map((m) => m.text),
          ["fixed"],
        );
        // Search finds the imported messages (indexed when the store opens).
        const found = await alice.ok("search", { query: "picture" });
        assert.deepEqual(
          (found.results as Message[]).map((m) => m.text),
          ["a picture for @bob"],
        );
        assert.deepEqual(await historyOf(alice, "team"), before.team);
        assert.deepEqual(
          (await alice.ok("history", { with: "bob", limit: 200 })).messages,
          before.conversation,
        );
        // His sidebar's sections too, the private room's place in them.
        const bobLogin = bob.received.find((f) => f.data.request === "login")!;
        assert.deepEqual(bobLogin.data.sections, [
          { name: "Team", collapsed: true, items: ["#team", "@Alice"] },
          { name: "Later", collapsed: false, items: [] },
        ]);
        // Bob's unsent text waits for him on the new server too.
        assert.equal(before.drafts.length, 2);
        assert.deepEqual((await bob.ok("list_drafts")).drafts, before.drafts);
        // New messages take the next seqs, and a client that saw the old
        // server's last message catches up with exactly what it missed.
        const last = before.general.at(-1)!.seq;
        await alice.ok("send_message", { text: "on PostgreSQL now" });
        const missed = await historyOf<Message>(bob, "general", last);
        assert.deepEqual(missed.map((m) => [m.seq, m.text]), [
          [last + 1, "on PostgreSQL now"],
        ]);
        // What waited for carol is still waiting; the ban still holds;
        // the file is served from the database.
        const carol = await TestClient.loginWith(node.wsUrl, {
          username: "carol",
          password: TEST_PASSWORD,
        });
        await carol.waitFor((f) => f.data.text === "for later");
        await carol.close();
        const mallory = await TestClient.connect(node.wsUrl);
        await expectError(mallory, "login", { username: "mallory" }, "banned");
        await mallory.close();
        // The audit log came along, and new entries number on after it.
        const log = (await alice.ok("audit_log", {})).entries as {
          id: number;
          action: string;
        }[];
        await alice.ok("unban", { user: "mallory" });
        const [newest] = (await alice.ok("audit_log", { limit: 1 }))
          .entries as { id: number; action: string }[];
        assert.deepEqual(
          [newest.action, newest.id],
          ["unban", Math.max(...log.map((e) => e.id)) + 1],
        );
        assert.deepEqual(log.map((e) => e.action).toSorted(), [
          "ban",
          "ban",
          "create_bot",
          "create_bot_token",
          "create_webhook",
          "delete_account",
          "reset_password",
        ]);
        const login = await fetch(`${node.url}/api/login`, {
          method: "POST",
          headers: { "content-type": "application/json", origin: node.url },
          body: JSON.stringify({ username: "alice", password: TEST_PASSWORD }),
        });
        await login.body?.cancel();
        const cookie = login.headers.get("set-cookie")!.split(";")[0];
        const got = await fetchFile(node, before.fileUrl, cookie);
        assert.equal(got.status, 200);
        assert.deepEqual(got.bytes, PNG);
        await alice.close();
        await bob.close();
      } finally {
        await node.close();
      }
    } finally {
      await pg.stop();
      await Deno.remove(work, { recursive: true });
      await Deno.remove(before.dir, { recursive: true });
    }
  },
});

Deno.test({
  name: pgSkip
    ? `export: skipped the files folder after a move to PostgreSQL, ${pgSkip}`
    : "export: a node started on PostgreSQL where the SQLite server ran does not warn of the files folder an import with --include-files put in the database; a file the database lacks is counted",
  ignore: pgSkip !== undefined,
  async fn() {
    const sqlite = await startTestServer();
    const work = await Deno.makeTempDir({ prefix: "chat-move-files-" });
    const pg = (await startPostgres())!;
    try {
      await sharedAndStopped(
        sqlite,
        new File([PNG], "dot.png", { type: "image/png" }),
      );
      await movedToPostgres(`${sqlite.dir}/chat.db`, pg.url, work);

      // README's step 3, in the folder the SQLite server ran in: its
      // files/ is still there, and every file of it is in the database.
      const startOutput = async () => {
        const node = await spawnServer(["--database-url", pg.url], {
          cwd: sqlite.dir,
        });
        await node.stop();
        return node.output();
      };
      assert.doesNotMatch(await startOutput(), / WRN /);

      // A file the import did not carry (put there by hand) is not served.
      const stray = new TextEncoder().encode("not in the export");
      const hash = createHash("sha256").update(stray).digest("hex");
      await Deno.mkdir(`${sqlite.dir}/files/${hash.slice(0, 2)}`, {
        recursive: true,
      });
      await Deno.writeFile(
        `${sqlite.dir}/files/${hash.slice(0, 2)}/${hash}`,
        stray,
      );
      assert.match(
        await startOutput(),
        /1 of 2 files looked at in files are not in the database, where shared files now go: they are not served\. Start with --files-dir files/,
      );
    } finally {
      await pg.stop();
      await Deno.remove(work, { recursive: true });
      await sqlite.close();
    }
  },
});

Deno.test("export: an import into a new SQLite file gives back every line, whatever the page size", async () => {
  const before = await populated();
  const work = await Deno.makeTempDir({ prefix: "chat-copy-" });
  try {
    const db = `${before.dir}/chat.db`;
    const lines = await exportLines(db, { includeSecrets: true });
    const kinds = new Set(lines.map((l) => JSON.parse(l).kind));
    for (
      const kind of [
        "header",
        "secret",
        "account",
        "session",
        "api_token",
        "room",
        "incoming_hook",
        "stream",
        "membership",
        "ignore",
        "notify_level",
        "star",
        "sidebar_section",
        "sidebar_item",
        "read_position",
        "draft",
        "invite",
        "ban",
        "file",
        "message",
        "private_message",
        "file_ref",
        "mention",
        "reaction",
        "webhook",
        "push_subscription",
        "password_reset",
        "audit",
        "end",
      ]
    ) assert.ok(kinds.has(kind), `${kind} lines`);
    // Who invited a member goes too: ignoring its inviter leaves the room.
    assert.ok(
      lines.some((l) => JSON.parse(l).invited_by === "alice"),
      "a membership's inviter",
    );
    assert.deepEqual(
      (await exportLines(db, { includeSecrets: true, pageSize: 2 })).slice(1),
      lines.slice(1),
    );
    const copy = `${work}/copy.db`;
    const target = await SqliteTarget.open(copy, OPTIONS);
    try {
      await importStore(each(lines), target);
    } finally {
      await target.close();
    }
    assert.deepEqual(
      (await exportLines(copy, { includeSecrets: true })).slice(1),
      lines.slice(1),
    );
    // The copy's search index is built when a server opens it.
    const store = new SqliteStore(copy, OPTIONS);
    try {
      const found = (await store.search({
        words: ["picture"],
        scope: { roomKeys: ["general"] },
        limit: 5,
      })).records;
      assert.deepEqual(found.map((r) => r.message.text), [
        "a picture for @bob",
      ]);
    } finally {
      await store.close();
    }
  } finally {
    await Deno.remove(work, { recursive: true });
    await Deno.remove(before.dir, { recursive: true });
  }
});

Deno.test("export: without --include-secrets no password hash, session, invite, secret, token, webhook or push subscription leaves the server", async () => {
  const before = await populated();
  const work = await Deno.makeTempDir({ prefix: "chat-plain-" });
  try {
    const lines = await exportLines(`${before.dir}/chat.db`);
    const text = lines.join("\n");
    assert.doesNotMatch(
      text,
      /scrypt\$|password_hash|token_hash|secret_hash|hook-signing-secret|bob-auth-key/,
    );
    for (
      const kind of [
        "secret",
        "session",
        "invite",
        "webhook",
        "push_subscription",
        "password_reset",
        "api_token",
        "incoming_hook",
      ]
    ) {
      assert.ok(!lines.some((l) => JSON.parse(l).kind === kind), kind);
    }
    // Imported, the accounts are there but no password opens them.
    const copy = `${work}/copy.db`;
    const target = await SqliteTarget.open(copy, OPTIONS);
    await importStore(each(lines), target).finally(() => target.close());
    const server = await startTestServer({ db: copy });
    try {
      const client = await TestClient.connect(server.wsUrl);
      const reply = await client.request("login", {
        username: "alice",
        password: TEST_PASSWORD,
      });
      assert.equal(reply.action, "error");
      await client.close();
      const guest = await TestClient.login(server.wsUrl, "dave");
      assert.deepEqual(await historyOf(guest, "general"), before.general);
      await guest.close();
    } finally {
      await server.close();
    }
  } finally {
    await Deno.remove(work, { recursive: true });
    await Deno.remove(before.dir, { recursive: true });
  }
});

Deno.test("import: a SQLite copy searches newest first across rooms and conversations, pages through all and finds them after a day, as the original", async () => {
  const server = await startTestServer();
  const work = await Deno.makeTempDir({ prefix: "chat-order-" });
  try {
    const alice = await TestClient.register(server.wsUrl, "alice");
    const bob = await TestClient.register(server.wsUrl, "bob");
    // A room's and a conversation's messages in turn: the file holds them
    // stream by stream ('@alice:bob' before 'general').
    await alice.ok("send_message", { text: "word g1" });
    await alice.ok("private_message", { to: "bob", text: "word p1" });
    await alice.ok("send_message", { text: "word g2" });
    await alice.ok("private_message", { to: "bob", text: "word p2" });
    await alice.close();
    await bob.close();
    await server.shutdown();
    const copy = `${work}/copy.db`;
    assert.equal(
      await importInto(
        copy,
        await exportLines(`${server.dir}/chat.db`, { includeSecrets: true }),
      ),
      undefined,
    );
    const again = await startTestServer({ db: copy });
    try {
      const reader = await TestClient.loginWith(again.wsUrl, {
        username: "alice",
        password: TEST_PASSWORD,
      });
      const newest = ["word p2", "word g2", "word p1", "word g1"];
      const texts = async (data: Record<string, unknown>) =>
        (await reader.ok("search", data)) as {
          results: { text: string }[];
          next?: string;
        };
      const all = await texts({ query: "word" });
      assert.deepEqual(all.results.map((r) => r.text), newest);
      const paged: string[] = [];
      let before: string | undefined;
      do {
        const page = await texts({ query: "word", limit: 1, before });
        paged.push(...page.results.map((r) => r.text));
        before = page.next;
      } while (before !== undefined);
      assert.deepEqual(paged, newest);
      const yesterday = new Date(Date.now() - 86_400_000).toISOString()
        .slice(0, 10);
      const after = await texts({ after: yesterday });
      assert.deepEqual(after.results.map((r) => r.text), newest);
      await reader.close();
    } finally {
      await again.close();
    }
  } finally {
    await server.close();
    await Deno.remove(work, { recursive: true });
  }
});

/** Imports lines into a new SQLite file; the error, or undefined. */
async function importInto(
  path: string,
  lines: string[],
): Promise<ImportError | undefined> {
  const target = await SqliteTarget.open(path, OPTIONS);
  try {
    await importStore(each(lines), target);
    return undefined;
  } catch (error) {
    if (error instanceof ImportError) return error;
    throw error;
  } finally {
    await target.close();
  }
}

Deno.test("import: bad input stops with its line number, imports nothing and leaves no file it made", async () => {
  const before = await populated();
  const work = await Deno.makeTempDir({ prefix: "chat-bad-" });
  try {
    const lines = await exportLines(`${before.dir}/chat.db`);
    const at = lines.findIndex((l) => JSON.parse(l).kind === "message");
    const message = JSON.parse(lines[at]);
    const find = (kind: string, key: string, value: string) =>
      lines.findIndex((l) => {
        const row = JSON.parse(l);
        return row.kind === kind && row[key] === value;
      });
    const stream = find("stream", "key", "general");
    const streamLine = JSON.parse(lines[stream]);
    const account = find("account", "key", "bob");
    const accountLine = JSON.parse(lines[account]);
    const room = find("room", "key", "team");
    const roomLine = JSON.parse(lines[room]);
    const file = lines.findIndex((l) => JSON.parse(l).kind === "file");
    const fileLine = JSON.parse(lines[file]);
    const membership = find("membership", "user_key", "bob");
    const membershipLine = JSON.parse(lines[membership]);
    const draft = find("draft", "user_key", "bob");
    const draftLine = JSON.parse(lines[draft]);
    const item = find("sidebar_item", "with_name", "Alice");
    const itemLine = JSON.parse(lines[item]);
    const group = find("group", "key", "design");
    const groupLine = JSON.parse(lines[group]);
    const groupMember = find("group_member", "user_key", "bob");
    const groupMemberLine = JSON.parse(lines[groupMember]);
    const cases: [string, string[], RegExp][] = [
      [
        "a broken line",
        lines.with(at, lines[at].slice(0, 20)),
        /^line \d+: not JSON/,
      ],
      [
        "a duplicate id",
        lines.toSpliced(at + 1, 0, JSON.stringify({ ...message, seq: 999 })),
        /^line \d+: the store refused this message: .*UNIQUE/,
      ],
      [
        "an unknown kind",
        lines.toSpliced(at, 0, JSON.stringify({ kind: "poll" })),
        /^line \d+: unknown kind "poll"/,
      ],
      [
        "a missing field",
        lines.with(at, JSON.stringify({ ...message, text: undefined })),
        /^line \d+: bad message: text/,
      ],
      [
        "a seq below 1",
        lines.with(at, JSON.stringify({ ...message, seq: -5 })),
        /^line \d+: bad message: seq/,
      ],
      [
        "a NUL in a text",
        lines.with(at, JSON.stringify({ ...message, text: "a\0b" })),
        /^line \d+: bad message: text/,
      ],
      [
        "a lone surrogate in a name",
        lines.with(at, JSON.stringify({ ...message, user: "al\uD800ce" })),
        /^line \d+: bad message: user/,
      ],
      // What the doors never let in, and a server then served or choked on.
      [
        "a time later than a date holds",
        lines.with(at, JSON.stringify({ ...message, ts: 9e15 })),
        /^line \d+: bad message: ts: Too big/,
      ],
      [
        "a seq the store cannot count past",
        lines.with(
          stream,
          JSON.stringify({ ...streamLine, last_seq: 2 ** 53 - 1 }),
        ),
        /^line \d+: bad stream: last_seq: Too big/,
      ],
      [
        "a message over 4000 characters",
        lines.with(at, JSON.stringify({ ...message, text: "x".repeat(4001) })),
        /^line \d+: bad message: text: at most 4000 characters/,
      ],
      [
        "an attachment that is no file",
        lines.with(
          at,
          JSON.stringify({
            ...message,
            attachments: [{ url: "javascript:alert(1)" }, 5, null],
          }),
        ),
        /^line \d+: bad message: attachments\.0\.url/,
      ],
      [
        "a file whose hash is a path",
        lines.with(
          file,
          JSON.stringify({ ...fileLine, hash: "../../../etc/passwd" }),
        ),
        /^line \d+: bad file: hash: does not match/,
      ],
      [
        "an account whose key is not its name's",
        lines.with(account, JSON.stringify({ ...accountLine, key: "mallory" })),
        /^line \d+: the account "bob" has the key "mallory", not its name's \("bob"\)/,
      ],
      [
        // No version's set_email kept it (a space).
        "an account's email with a space",
        lines.with(
          account,
          JSON.stringify({ ...accountLine, email: "bob smith@example.org" }),
        ),
        /^line \d+: bad account: email/,
      ],
      [
        "a room whose key is not its name's",
        lines.with(room, JSON.stringify({ ...roomLine, name: "Ops" })),
        /^line \d+: the room "Ops" has the key "team", not its name's \("ops"\)/,
      ],
      [
        "a room whose topic is two lines",
        lines.with(room, JSON.stringify({ ...roomLine, topic: "a\nb" })),
        /^line \d+: bad room: topic: A topic is one line/,
      ],
      [
        "a room whose archived flag is no boolean",
        lines.with(room, JSON.stringify({ ...roomLine, archived: 1 })),
        /^line \d+: bad room: archived: /,
      ],
      [
        "a room whose posting is neither everyone nor moderators",
        lines.with(room, JSON.stringify({ ...roomLine, posting: "owner" })),
        /^line \d+: bad room: posting: does not match/,
      ],
      [
        "an archived general",
        lines.with(
          find("room", "key", "general"),
          JSON.stringify({
            ...JSON.parse(lines[find("room", "key", "general")]),
            archived: true,
          }),
        ),
        /^line \d+: the room general cannot be archived/,
      ],
      [
        "a room whose topic is over 250 characters",
        lines.with(
          room,
          JSON.stringify({ ...roomLine, topic: "x".repeat(251) }),
        ),
        /^line \d+: bad room: topic: at most 250 characters/,
      ],
      [
        "a membership of no account",
        lines.with(
          membership,
          JSON.stringify({ ...membershipLine, user_key: "ghost" }),
        ),
        /^line \d+: a membership of "ghost", which has no account line/,
      ],
      [
        "a group with an account's name",
        lines.with(
          group,
          JSON.stringify({ ...groupLine, key: "bob", name: "Bob" }),
        ),
        /^line \d+: the group "Bob" has an account's or a reserved name/,
      ],
      [
        "a group named room",
        lines.with(
          group,
          JSON.stringify({ ...groupLine, key: "room", name: "room" }),
        ),
        /^line \d+: the group "room" has an account's or a reserved name/,
      ],
      [
        "a group whose key is not its name's",
        lines.with(group, JSON.stringify({ ...groupLine, name: "ops" })),
        /^line \d+: the group "ops" has the key "design", not its name's/,
      ],
      [
        "a group whose description is two lines",
        lines.with(
          group,
          JSON.stringify({ ...groupLine, description: "a\nb" }),
        ),
        /^line \d+: bad group: description/,
      ],
      [
        "a group member of no account",
        lines.with(
          groupMember,
          JSON.stringify({ ...groupMemberLine, user_key: "ghost" }),
        ),
        /^line \d+: a group_member of "ghost", which has no account line/,
      ],
      [
        "a group member of no group",
        lines.with(
          groupMember,
          JSON.stringify({ ...groupMemberLine, group_key: "ghost" }),
        ),
        /^line \d+: a group_member of "ghost", which has no group line/,
      ],
      [
        "a draft of no account",
        lines.with(draft, JSON.stringify({ ...draftLine, user_key: "ghost" })),
        /^line \d+: a draft of "ghost", which has no account line/,
      ],
      [
        "a draft longer than a message",
        lines.with(
          draft,
          JSON.stringify({ ...draftLine, text: "x".repeat(4001) }),
        ),
        /^line \d+: bad draft: text: at most 4000 characters/,
      ],
      [
        "a sidebar item of no account",
        lines.with(item, JSON.stringify({ ...itemLine, user_key: "ghost" })),
        /^line \d+: a sidebar_item of "ghost", which has no account line/,
      ],
      [
        "a sidebar item with no account",
        lines.with(item, JSON.stringify({ ...itemLine, with_key: "ghost" })),
        /^line \d+: a sidebar_item with "ghost", which has no account line/,
      ],
      ["a cut-short file", lines.slice(0, -1), /cut short/],
      [
        "no header",
        lines.slice(1),
        /^line 1: the first line is a secret|^line 1: the first line is a account/,
      ],
    ];
    for (const [what, input, expected] of cases) {
      const path = `${work}/${what.replaceAll(" ", "-")}.db`;
      const error = await importInto(path, input);
      assert.ok(error, `${what}: refused`);
      assert.match(error.message, expected, what);
      const line = /^line (\d+)/.exec(error.message)?.[1];
      if (what === "a duplicate id" || what === "a broken line") {
        assert.equal(
          Number(line),
          at + 1 + (what === "a duplicate id" ? 1 : 0),
        );
      }
      assert.equal(await messageCount(path), 0, `${what}: nothing imported`);
    }
    // The command says the same, and exits 1. Into a new file it leaves
    // nothing it made: no empty database, no -wal or -shm, no files
    // folder for the bytes it placed before the bad line.
    const bytes = `${work}/bytes`;
    const withFiles = await exportLines(`${before.dir}/chat.db`, {
      filesDir: bytes,
      contents: new DiskFileContents(`${before.dir}/files`),
    });
    const badAt = withFiles.findIndex((l) => JSON.parse(l).kind === "message");
    const bad = `${work}/bad.jsonl`;
    await Deno.writeTextFile(
      bad,
      withFiles.toSpliced(badAt, 0, "{not json").join("\n") + "\n",
    );
    const cli = `${work}/cli`;
    await Deno.mkdir(cli);
    const importBad = () =>
      task("import", ["--db", `${cli}/chat.db`, "--include-files", bytes], {
        stdin: bad,
      });
    const run = await importBad();
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      new RegExp(`error: line ${badAt + 1}: not JSON.*nothing was imported`),
    );
    const left = () => [...Deno.readDirSync(cli)].map((e) => e.name).sort();
    assert.deepEqual(left(), [], "nothing left in the folder");
    // A file that was there (a server only started on it) stays, empty.
    assert.equal(await messageCount(`${cli}/chat.db`), 0);
    assert.equal((await importBad()).code, 1);
    assert.deepEqual(left(), ["chat.db"]);
    assert.equal(await messageCount(`${cli}/chat.db`), 0);
  } finally {
    await Deno.remove(work, { recursive: true });
    await Deno.remove(before.dir, { recursive: true });
  }
});

/**
 * Runs `body` with the lines of a populated server's export, secrets in,
 * and a folder to work in; removes both after it.
 */
async function withDump(
  body: (lines: string[], work: string) => Promise<void>,
): Promise<void> {
  const before = await populated();
  const work = await Deno.makeTempDir({ prefix: "chat-rules-" });
  try {
    await body(
      await exportLines(`${before.dir}/chat.db`, { includeSecrets: true }),
      work,
    );
  } finally {
    await Deno.remove(work, { recursive: true });
    await Deno.remove(before.dir, { recursive: true });
  }
}

/** Each case's lines imported into a new file: refused so, nothing imported. */
async function assertRefused(
  work: string,
  cases: [string, string[], RegExp][],
): Promise<void> {
  for (const [what, input, expected] of cases) {
    const path = `${work}/${what.replaceAll(" ", "-")}.db`;
    const error = await importInto(path, input);
    assert.ok(error, `${what}: refused`);
    assert.match(error.message, expected, what);
    assert.equal(await messageCount(path), 0, `${what}: nothing imported`);
  }
}

Deno.test("import: a dump past the groups' caps (over 1,000 groups, 1,000 members in one, 10,000 in all) is refused at the line past the cap, nothing imported; one account's groups past its share (2,000) import, as an honest server holds them", async () => {
  await withDump(async (lines, work) => {
    const first = (kind: string) =>
      lines.findIndex((l) => JSON.parse(l).kind === kind);
    const [account, group, member] = ["account", "group", "group_member"]
      .map((kind) => JSON.parse(lines[first(kind)]));
    const names = Array.from({ length: 1001 }, (_, i) => `member${i}`);
    const crews = (n: number) =>
      Array.from({ length: n }, (_, i) => `crew${i}`);
    // The dump with 1,001 more accounts, `groups` more groups made by
    // bob, each with its first `per` of them; the end line counts them.
    const dump = (groups: string[], per: number) => {
      const added: Record<string, string[]> = {
        account: names.map((name) =>
          JSON.stringify({ ...account, key: name, username: name })
        ),
        group: groups.map((key) =>
          JSON.stringify({ ...group, key, name: key, creator_key: "bob" })
        ),
        group_member: groups.flatMap((key) =>
          names.slice(0, per).map((user) =>
            JSON.stringify({ ...member, group_key: key, user_key: user })
          )
        ),
      };
      const out = lines.flatMap((line, i) =>
        Object.entries(added).some(([kind]) => first(kind) === i)
          ? [line, ...added[JSON.parse(line).kind]]
          : [line]
      );
      const end = JSON.parse(out[out.length - 1]);
      for (const [kind, more] of Object.entries(added)) {
        end.counts[kind] = (end.counts[kind] ?? 0) + more.length;
      }
      return out.with(out.length - 1, JSON.stringify(end));
    };
    await assertRefused(work, [
      [
        "more than 1,000 groups",
        dump(crews(1000), 0),
        /^line \d+: more than 1000 groups, which a server holds at most/,
      ],
      [
        "a group of 1,001 members",
        dump(crews(1), 1001),
        /^line \d+: the group "crew0" has more than 1000 members/,
      ],
      [
        "more than 10,000 members in all",
        dump(crews(10), 1000),
        /^line \d+: the groups have more than 10000 members in all/,
      ],
    ]);
    // Up to the caps, bob's groups past an account's share: imported.
    const path = `${work}/share.db`;
    assert.equal(await importInto(path, dump(crews(3), 1000)), undefined);
    const store = new SqliteStore(path, OPTIONS);
    try {
      const crew = (await store.listGroups()).filter((g) =>
        g.key.startsWith("crew")
      );
      assert.deepEqual(crew.map((g) => g.members.length), [1000, 1000, 1000]);
    } finally {
      await store.close();
    }
  });
});

/** The lines with the first line of `kind` whose `field` is `value` changed. */
function changedLine(
  lines: string[],
  kind: string,
  [field, value]: [string, string],
  change: Record<string, unknown>,
): string[] {
  const at = lines.findIndex((l) => {
    const row = JSON.parse(l);
    return row.kind === kind && row[field] === value;
  });
  assert.ok(at >= 0, `a ${kind} line with ${field} ${value}`);
  return lines.with(
    at,
    JSON.stringify({ ...JSON.parse(lines[at]), ...change }),
  );
}

Deno.test("import: a crafted dump's ban and audit reasons, topics, account and room names, statuses, token and hook names are held to the rules every version of the server had, each refused at its line naming the field, nothing imported", async () => {
  await withDump(async (lines, work) => {
    const changed = (
      kind: string,
      found: [string, string],
      change: Record<string, unknown>,
    ) => changedLine(lines, kind, found, change);
    const cases: [string, string[], RegExp][] = [
      [
        "a ban reason over 500 characters",
        changed("ban", ["reason", "spam"], { reason: "x".repeat(501) }),
        /^line \d+: bad ban: reason: Too big/,
      ],
      [
        "a ban reason the server would have trimmed",
        changed("ban", ["reason", "spam"], { reason: "spam " }),
        /^line \d+: bad ban: reason: not as the server keeps it/,
      ],
      [
        "an empty ban reason, where the server stores one for none",
        changed("ban", ["reason", "spam"], { reason: "" }),
        /^line \d+: bad ban: reason: Too small/,
      ],
      [
        "an audit reason over 500 characters",
        changed("audit", ["reason", "spam"], { reason: "x".repeat(501) }),
        /^line \d+: bad audit: reason: Too big/,
      ],
      [
        "a topic of two lines",
        changed("room", ["key", "team"], { topic: "ops\nadmin: root" }),
        /^line \d+: bad room: topic: A topic is one line/,
      ],
      [
        "a topic over 250 characters",
        changed("room", ["key", "team"], { topic: "x".repeat(251) }),
        /^line \d+: bad room: topic: at most 250 characters/,
      ],
      [
        "a topic with spaces around it",
        changed("room", ["key", "team"], { topic: " ops " }),
        /^line \d+: bad room: topic: A topic is one line/,
      ],
      [
        "an account named outside the alphabet",
        changed("account", ["key", "erin"], {
          username: "<b>erin</b>",
          key: "<b>erin</b>",
        }),
        /^line \d+: bad account: username: 1 to 32 letters/,
      ],
      [
        "an account named with an invisible letter",
        changed("account", ["key", "erin"], {
          username: "er\u115Fin",
          key: "er\u115Fin",
        }),
        /^line \d+: bad account: username: 1 to 32 letters/,
      ],
      [
        "a profile's title on two lines",
        changed("account", ["key", "erin"], { profile_title: "Nurse\nDoctor" }),
        /^line \d+: bad account: profile_title: no control characters/,
      ],
      [
        "a profile's time zone no one keeps",
        changed("account", ["key", "erin"], { profile_timezone: "Mars/Base" }),
        /^line \d+: bad account: profile_timezone: an IANA time zone/,
      ],
      [
        "a status emoji that is words",
        changed("account", ["key", "erin"], { status_emoji: "admin" }),
        /^line \d+: bad account: status_emoji: one emoji/,
      ],
      [
        "a room named with a space",
        changed("room", ["key", "team"], { name: "te am", key: "te am" }),
        /^line \d+: bad room: name: 1 to 32 letters/,
      ],
      [
        "a token named on two lines",
        changed("api_token", ["name", "deploys"], { name: "de\nploys" }),
        /^line \d+: bad api_token: name: no control characters/,
      ],
      [
        "a hook name the server would have trimmed",
        changed("incoming_hook", ["name", "CI"], { name: " CI" }),
        /^line \d+: bad incoming_hook: name: not as the server keeps it/,
      ],
    ];
    await assertRefused(work, cases);
    // An account named before the rule on mixed scripts (Latin with a
    // Cyrillic o), which the server keeps, is still imported.
    const oldName = "r\u043E\u043Et";
    const accounts = changed("account", ["key", "erin"], {
      username: oldName,
      key: oldName,
    }).map((l) => l.replaceAll('"erin"', JSON.stringify(oldName)));
    const kept = `${work}/kept.db`;
    assert.equal(await importInto(kept, accounts), undefined);
    const store = new SqliteStore(kept, OPTIONS);
    try {
      assert.equal((await store.findAccount(oldName))?.username, oldName);
    } finally {
      await store.close();
    }
  });
});

Deno.test("import: a crafted dump's file names, in a file line or a message's attachment, are held to what uploads have kept from the first: one turned around, with a folder, a line break, spaces around it or over 200 units is refused at its line, nothing imported", async () => {
  await withDump(async (lines, work) => {
    const file = (name: string) =>
      changedLine(lines, "file", ["name", "dot.png"], { name });
    const at = lines.findIndex((l) => JSON.parse(l).attachments?.length);
    assert.ok(at >= 0, "a message with an attachment");
    const attached = (name: string) => {
      const row = JSON.parse(lines[at]);
      row.attachments[0] = { ...row.attachments[0], name };
      return lines.with(at, JSON.stringify(row));
    };
    const rule = "a file's name as uploads keep it";
    const fileRefused = new RegExp(`^line \\d+: bad file: name: ${rule}`);
    const attachmentRefused = new RegExp(
      `^line \\d+: bad message: attachments\\.0\\.name: ${rule}`,
    );
    // Each was imported, and shown as it was: "invoiceexe.png" for the
    // first, in the chat and in the download's name; every upload loses
    // these characters (files.ts cleanFileName), so no server stored one.
    await assertRefused(work, [
      ["a file turned around", file("invoice\u202Egnp.exe"), fileRefused],
      ["a file in a folder", file("../../etc/passwd"), fileRefused],
      ["a file of two lines", file("dot\nadmin: root.png"), fileRefused],
      ["a file with a space before", file(" dot.png"), fileRefused],
      ["a file named 201 units", file("x".repeat(201)), fileRefused],
      ["a file named ..", file(".."), fileRefused],
      [
        "an attachment turned around",
        attached("invoice\u202Egnp.exe"),
        attachmentRefused,
      ],
      ["an attachment of two lines", attached("a\rb.png"), attachmentRefused],
    ]);
    // Direction marks and invisible spaces were kept until 12-03: a dump
    // of then still imports, as do 200 units cut before a space.
    const kept = `${work}/kept.db`;
    assert.equal(await importInto(kept, file("dot\u200E.png")), undefined);
    const cut = `${work}/cut.db`;
    assert.equal(
      await importInto(cut, attached(`${"x".repeat(199)} `)),
      undefined,
    );
  });
});

Deno.test("import: a dump of an older server keeps the token names, hook names and hook posts' display names it stored under piled marks (allowed before the marks rule), but not one on two lines, which no version stored", async () => {
  await withDump(async (lines, work) => {
    const piled = "CI" + "\u0300\u0301\u0302\u0303\u0304".repeat(8);
    const old = [
      ["api_token", ["name", "deploys"], { name: `deploys${piled}` }],
      ["incoming_hook", ["name", "CI"], { name: piled }],
      ["message", ["text", "build passed"], { user: piled }],
    ] as const;
    const dump = old.reduce(
      (dump, [kind, found, change]) =>
        changedLine(dump, kind, [...found], change),
      lines,
    );
    const kept = `${work}/kept.db`;
    assert.equal(await importInto(kept, dump), undefined);
    const back = (await exportLines(kept, { includeSecrets: true }))
      .map((l) => JSON.parse(l));
    for (const [kind, [field, value], change] of old) {
      const [[key, stored]] = Object.entries(change);
      assert.ok(
        back.some((row) =>
          row.kind === kind && row[key] === stored &&
          (field === key || row[field] === value)
        ),
        `${kind} ${key} kept under its marks`,
      );
    }
    await assertRefused(work, [
      [
        "a token under piled marks on two lines",
        changedLine(lines, "api_token", ["name", "deploys"], {
          name: `de\nploys${piled}`,
        }),
        /^line \d+: bad api_token: name: no control characters/,
      ],
    ]);
  });
});

Deno.test("import: a dump of an older server keeps the email addresses it stored before round 21's rules (a domain label over 63 letters, a compatibility letter), which set_email now refuses; a whole restore is not refused for one", async () => {
  await withDump(async (lines, work) => {
    for (
      const email of [`bob@${"b".repeat(64)}.org`, "\uFB00@example.org"]
    ) {
      const dump = changedLine(lines, "account", ["key", "bob"], {
        email,
        email_key: email,
      });
      const kept = `${work}/kept-${email.length}.db`;
      assert.equal(await importInto(kept, dump), undefined);
      const back = (await exportLines(kept, { includeSecrets: true }))
        .map((l) => JSON.parse(l));
      assert.equal(
        back.find((row) => row.kind === "account" && row.key === "bob")?.email,
        email,
      );
    }
  });
});

Deno.test("import: a dump of an older server keeps the topics it stored under piled marks (before the marks rule), the ban and audit reasons it stored on two lines or under piled marks (before reasons' rules) and the operator's long reason, but not an operator's reason with spaces around it, which no version stored", async () => {
  await withDump(async (lines, work) => {
    const piled = "\u0300\u0301\u0302\u0303\u0304".repeat(8);
    const old = [
      ["room", ["key", "team"], { topic: `ops${piled}` }],
      ["ban", ["reason", "spam"], { reason: "spam\nadmin: root" }],
      ["audit", ["reason", "spam"], { reason: `spam${piled}` }],
      ["audit", ["reason", "cool off"], {
        by_user: "the operator",
        reason: "forgot it ".repeat(60).trim(),
      }],
    ] as const;
    const dump = old.reduce(
      (dump, [kind, found, change]) =>
        changedLine(dump, kind, [...found], change),
      lines,
    );
    const kept = `${work}/kept.db`;
    assert.equal(await importInto(kept, dump), undefined);
    const back = (await exportLines(kept)).map((l) => JSON.parse(l));
    for (const [kind, , change] of old) {
      assert.ok(
        back.some((row) =>
          row.kind === kind &&
          Object.entries(change).every(([key, value]) => row[key] === value)
        ),
        `${kind} kept as ${JSON.stringify(change)}`,
      );
    }
    await assertRefused(work, [
      [
        "an operator's reason the command would have trimmed",
        changedLine(lines, "audit", ["reason", "spam"], {
          by_user: "the operator",
          reason: " forgot it",
        }),
        /^line \d+: bad audit: reason: not as the server keeps it/,
      ],
    ]);
  });
});

Deno.test("import: labels an older server stored with direction marks or invisible spaces (a topic, a status, a title, a group's description, a token's, a hook's and a section's name, a hook post's display name, a ban's and an audit entry's reason) import without them, and the import's warning names each line and field; one that is nothing else, or breaks another rule, is still refused", async () => {
  await withDump(async (lines, work) => {
    // Each change, and the value the import keeps of it.
    const old: [string, [string, string], Record<string, string>, string][] = [
      ["room", ["key", "team"], { topic: "\u202Esnoitces " }, "snoitces"],
      ["account", ["key", "erin"], {
        status_text: "on\u00ADholiday",
        profile_title: "\u200BNurse",
      }, ""],
      ["api_token", ["name", "deploys"], { name: "de\u2060ploys" }, "deploys"],
      ["incoming_hook", ["name", "CI"], { name: "\u202EIC" }, "IC"],
      ["message", ["text", "build passed"], { user: "C\u200BI" }, "CI"],
      ["ban", ["reason", "cool off"], { reason: "\u202Emaps" }, "maps"],
      ["audit", ["reason", "spam"], { reason: "sp\uFEFFam" }, "spam"],
    ];
    const dump = old.reduce(
      (dump, [kind, found, change]) => changedLine(dump, kind, found, change),
      lines,
    );
    // Lines the dump has only when the populated server made them.
    const optional = [
      ["group", "description", "the\u200Bcrew", "thecrew"],
      ["sidebar_section", "name", "\u2066Work\u2069", "Work"],
    ] as const;
    let withOptional = dump;
    for (const [kind, field, value] of optional) {
      const at = withOptional.findIndex((l) => JSON.parse(l).kind === kind);
      if (at < 0) continue;
      withOptional = withOptional.with(
        at,
        JSON.stringify({ ...JSON.parse(withOptional[at]), [field]: value }),
      );
    }
    const path = `${work}/cleaned.db`;
    const target = await SqliteTarget.open(path, OPTIONS);
    const said: string[] = [];
    try {
      await importStore(each(withOptional), target, {
        progress: (line) => said.push(line),
      });
    } finally {
      await target.close();
    }
    const warning = said.filter((l) => /^warning: \d+ labels/.test(l));
    assert.equal(warning.length, 1, said.join("\n"));
    const named = [...warning[0].matchAll(/line (\d+) (\w+) (\w+)/g)]
      .map(([, line, kind, field]) => ({ line: Number(line), kind, field }));
    for (const { line, kind, field } of named) {
      assert.equal(JSON.parse(withOptional[line - 1]).kind, kind);
      assert.ok(field in JSON.parse(withOptional[line - 1]), field);
    }
    assert.match(warning[0], new RegExp(`^warning: ${named.length} labels`));
    assert.ok(named.length >= 8, warning[0]);
    const back = (await exportLines(path, { includeSecrets: true }))
      .map((l) => JSON.parse(l));
    const expected: [string, string, string][] = [
      ["room", "topic", "snoitces"],
      ["account", "status_text", "onholiday"],
      ["account", "profile_title", "Nurse"],
      ["api_token", "name", "deploys"],
      ["incoming_hook", "name", "IC"],
      ["message", "user", "CI"],
      ["ban", "reason", "maps"],
      ["audit", "reason", "spam"],
      ...optional.filter(([kind]) =>
        withOptional.some((l) => JSON.parse(l).kind === kind)
      ).map(([kind, field, , kept]) =>
        [kind, field, kept] as [
          string,
          string,
          string,
        ]
      ),
    ];
    for (const [kind, field, kept] of expected) {
      assert.ok(
        back.some((row) => row.kind === kind && row[field] === kept),
        `${kind} ${field} imported as ${kept}`,
      );
      assert.ok(
        named.some((n) => n.kind === kind && n.field === field),
        `${kind} ${field} named in the warning`,
      );
    }
    await assertRefused(work, [
      [
        "a hook named with nothing but a direction mark",
        changedLine(lines, "incoming_hook", ["name", "CI"], {
          name: "\u202E",
        }),
        /^line \d+: bad incoming_hook: name: no direction marks/,
      ],
      [
        "a topic turned around on two lines",
        changedLine(lines, "room", ["key", "team"], {
          topic: "\u202Eops\nadmin: root",
        }),
        /^line \d+: bad room: topic: A topic is one line/,
      ],
      [
        "an account named with an invisible letter, a name and no label",
        changedLine(lines, "account", ["key", "erin"], {
          username: "er\u200Bin",
          key: "er\u200Bin",
        }),
        /^line \d+: bad account: username: 1 to 32 letters/,
      ],
    ]);
  });
});

Deno.test("import: a crafted dump's display names and actors (a message's author and recipient, a hook post's username, who reacted and with what, in a reaction line or a message's summary, banned, acted in the audit log, made an invite or a hook, is ignored) are held to their doors' rules, each refused at its line naming the field, nothing imported", async () => {
  await withDump(async (lines, work) => {
    const changed = (
      kind: string,
      found: [string, string],
      change: Record<string, unknown>,
    ) => changedLine(lines, kind, found, change);
    const zalgo = "Z" + "\u0300\u0301\u0302\u0303\u0304".repeat(20);
    const hookPost = (user: string) =>
      changed("message", ["text", "build passed"], { user });
    const cases: [string, string[], RegExp][] = [
      [
        "a message under a name outside the alphabet",
        changed("message", ["text", "general 1"], { user: "<b>alice</b>" }),
        /^line \d+: bad message: user: 1 to 32 letters/,
      ],
      [
        "an account's message under a label only a hook may show",
        changed("message", ["text", "general 1"], { user: "CI bot" }),
        /^line \d+: bad message: user: 1 to 32 letters/,
      ],
      [
        "a hook's post under a name of two lines",
        hookPost("CI\nadmin: root"),
        /^line \d+: bad message: user: no control characters/,
      ],
      [
        "a hook's post under a name the server would have trimmed",
        hookPost(" CI"),
        /^line \d+: bad message: user: not as the server keeps it/,
      ],
      [
        "a private message from a name under a pile of marks",
        changed("private_message", ["text", "psst bob"], { user: zalgo }),
        /^line \d+: bad private_message: user: 1 to 32 letters/,
      ],
      [
        "a private message to a name with a space",
        changed("private_message", ["text", "psst bob"], { to_user: "b ob" }),
        /^line \d+: bad private_message: to_user: 1 to 32 letters/,
      ],
      [
        "a message's reactions that are no reactions",
        changed("message", ["text", "nice fix"], { reactions: [null] }),
        /^line \d+: bad message: reactions\.0: /,
      ],
      [
        "a message's reactions naming someone outside the alphabet",
        changed("message", ["text", "nice fix"], {
          reactions: [{ emoji: "👍", count: 1, users: ["<b>bob</b>"] }],
        }),
        /^line \d+: bad message: reactions\.0\.users\.0: 1 to 32 letters/,
      ],
      [
        "a message's reactions under words for an emoji",
        changed("message", ["text", "nice fix"], {
          reactions: [{ emoji: "yes", count: 1, users: ["bob"] }],
        }),
        /^line \d+: bad message: reactions\.0\.emoji: one emoji/,
      ],
      [
        "a reaction whose emoji is markup",
        changed("reaction", ["user", "bob"], { emoji: "<b>" }),
        /^line \d+: bad reaction: emoji: one emoji/,
      ],
      [
        "a reaction by a name with a space",
        changed("reaction", ["user", "bob"], { user: "b ob" }),
        /^line \d+: bad reaction: user: 1 to 32 letters/,
      ],
      [
        "a ban by a name outside the alphabet",
        changed("ban", ["reason", "spam"], { by_user: "<script>" }),
        /^line \d+: bad ban: by_user: 1 to 32 letters/,
      ],
      [
        "an audit entry by a name turned around",
        changed("audit", ["reason", "spam"], { by_user: "\u202Eecila" }),
        /^line \d+: bad audit: by_user: 1 to 32 letters.*or "the server" or "the operator"/,
      ],
      [
        "an ignore of a name with an invisible letter",
        changed("ignore", ["ignored_key", "carol"], {
          ignored_name: "car\u115Fol",
        }),
        /^line \d+: bad ignore: ignored_name: 1 to 32 letters/,
      ],
      [
        "an invite made by a name of two lines",
        changed("invite", ["room_key", "team"], { created_by: "alice\nroot" }),
        /^line \d+: bad invite: created_by: 1 to 32 letters/,
      ],
      [
        "a hook made by a name with a space",
        changed("incoming_hook", ["name", "CI"], { created_by: "ali ce" }),
        /^line \d+: bad incoming_hook: created_by: 1 to 32 letters/,
      ],
    ];
    await assertRefused(work, cases);
    // What the doors do let in still imports: a hook's post under a
    // label of several words (a Slack payload's `username`), an audit
    // entry by the operator's command, a reaction with a stray skin tone
    // (stored before the rule on them).
    const kept = `${work}/kept.db`;
    const allowed = changedLine(
      changedLine(
        hookPost("Build Bot 2"),
        "audit",
        ["reason", "spam"],
        { by_user: "the operator" },
      ),
      "reaction",
      ["user", "bob"],
      { emoji: "👍🏽🏿" },
    );
    assert.equal(await importInto(kept, allowed), undefined);
    const store = new SqliteStore(kept, OPTIONS);
    try {
      const users = (await store.history("general", { limit: 200 }))
        .map((m) => m.user);
      assert.ok(users.includes("Build Bot 2"), users.join());
    } finally {
      await store.close();
    }
    // The command says the same, exits 1 and leaves no database.
    const bad = `${work}/bad.jsonl`;
    const input = hookPost("CI\nadmin: root");
    await Deno.writeTextFile(bad, input.join("\n") + "\n");
    const badAt = input.findIndex((l) =>
      JSON.parse(l).user === "CI\nadmin: root"
    );
    const cli = `${work}/cli`;
    await Deno.mkdir(cli);
    const run = await task("import", ["--db", `${cli}/chat.db`], {
      stdin: bad,
    });
    assert.equal(run.code, 1, run.stderr);
    assert.match(
      run.stderr,
      new RegExp(
        `error: line ${
          badAt + 1
        }: bad message: user: no control characters.*nothing was imported`,
      ),
    );
    assert.deepEqual([...Deno.readDirSync(cli)], [], "no database left");
  });
});

Deno.test("import: a crafted dump's message shows its own author and room (an account's message under another's name, a room message under another room's name or its room's in another spelling, a private message in a room), and an upload's uploader, an outgoing webhook's maker and an audit entry's target keep their forms (a key, a name), each refused at its line naming the field, nothing imported", async () => {
  await withDump(async (lines, work) => {
    const changed = (
      kind: string,
      found: [string, string],
      change: Record<string, unknown>,
    ) => changedLine(lines, kind, found, change);
    const general = (change: Record<string, unknown>) =>
      changed("message", ["text", "general 1"], change);
    const cases: [string, string[], RegExp][] = [
      [
        "an account's message under another account's name",
        general({ user: "bob" }),
        /^line \d+: bad message: user: the name of its user_key \("alice"\)/,
      ],
      [
        "an account's message under the name of one deleted",
        general({ user: "deleted user" }),
        /^line \d+: bad message: user: the name of its user_key \("alice"\)/,
      ],
      [
        "an anonymised message under an account's name",
        changed("message", ["user", "deleted user"], { user: "bob" }),
        /^line \d+: bad message: user: "deleted user", as its empty user_key/,
      ],
      [
        "a room message under another room's name",
        general({ room: "team" }),
        /^line \d+: bad message: room: the name of its stream's room \("general"\)/,
      ],
      [
        "a room message under its room's name spelled otherwise",
        general({ room: "GENERAL" }),
        /^line \d+: bad message: room: "GENERAL" is not the name of its room line \("general"\)/,
      ],
      [
        "a room message without its room's name",
        general({ room: null }),
        /^line \d+: bad message: room: null is not the name of its room line/,
      ],
      [
        "a private message in a room",
        changed("private_message", ["text", "psst bob"], { room: "general" }),
        /^line \d+: bad private_message: room: a private message is in no room/,
      ],
      [
        "a file uploaded under a name, not a key",
        changed("file", ["uploader", "alice"], { uploader: "Alice" }),
        /^line \d+: bad file: uploader: a name's key/,
      ],
      [
        "a file uploaded under markup",
        changed("file", ["uploader", "alice"], { uploader: "<b>" }),
        /^line \d+: bad file: uploader: a name's key/,
      ],
      [
        "an outgoing webhook made by a name spelled otherwise than its key",
        changed("webhook", ["id", "hook-1"], { created_by: "ALICE" }),
        /^line \d+: bad webhook: created_by: a name's key/,
      ],
      [
        "an audit entry about a name outside the alphabet",
        changed("audit", ["reason", "spam"], { target: "<b>mallory</b>" }),
        /^line \d+: bad audit: target: 1 to 32 letters/,
      ],
      [
        "an unban typed with a control character",
        changed("audit", ["reason", "spam"], {
          action: "unban",
          target: "mal\u0007lory",
        }),
        /^line \d+: bad audit: target: a name, as unban was given it/,
      ],
      [
        "a deleted message's author in the audit log turned around",
        changed("audit", ["reason", "spam"], {
          action: "delete_message",
          target: "\u202EIC",
        }),
        /^line \d+: bad audit: target: /,
      ],
    ];
    await assertRefused(work, cases);
    // What the doors write still imports: a hook's post deleted (its
    // label in the entry), an unban typed in capitals, a key NFKC spelled
    // with a space (the key of the name "ﷺ"), a deleted user's message.
    const kept = `${work}/kept.db`;
    const allowed = changedLine(
      changedLine(
        changed("audit", ["reason", "spam"], {
          action: "delete_message",
          target: "Build Bot 2",
        }),
        "audit",
        ["reason", "cool off"],
        { action: "unban", target: "ERIN" },
      ),
      "file",
      ["uploader", "alice"],
      { uploader: "\u0635\u0644\u0649 \u0627\u0644\u0644\u0647" },
    );
    assert.equal(await importInto(kept, allowed), undefined);
  });
});

Deno.test("import: --help says what --include-files checks of the bytes and what happens without it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-help-" });
  try {
    const { code } = await task("import", ["--help"], {
      stdout: `${dir}/help.txt`,
    });
    assert.equal(code, 0);
    // One paragraph, as the terminal shows it.
    const help = (await Deno.readTextFile(`${dir}/help.txt`))
      .replace(/\s+/g, " ");
    for (
      const said of [
        "their SHA-256 must be the file's hash and their length its size",
        "stop the import at that line, and nothing is imported",
        "its type, width, height and frames are read again from the bytes",
        "An export made with --include-files is refused without it.",
        "the file lines are taken at their word",
        "reads their bytes again in the background",
      ]
    ) assert.ok(help.includes(said), `${said}\n---\n${help}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("import: refuses a store that already holds messages or accounts", async () => {
  const before = await populated();
  try {
    const db = `${before.dir}/chat.db`;
    const lines = await exportLines(db);
    const error = await importInto(db, lines);
    assert.match(error!.message, /is not empty \(\d+ rows in accounts\)/);
    assert.deepEqual(
      (await exportLines(db)).slice(1),
      lines.slice(1),
      "unchanged",
    );
  } finally {
    await Deno.remove(before.dir, { recursive: true });
  }
});

Deno.test({
  name: pgSkip
    ? `import: skipped PostgreSQL, ${pgSkip}`
    : "import: a refused import into PostgreSQL names its line, imports nothing and leaves no files folder it made",
  ignore: pgSkip !== undefined,
  async fn() {
    const before = await populated();
    const pg = (await startPostgres())!;
    const work = await Deno.makeTempDir({ prefix: "chat-bad-pg-" });
    try {
      // The command, with the bytes of files kept in a --files-dir folder:
      // a bad line after a file's bytes were placed leaves no folder it
      // made (it left the folder, with the file's empty subfolder).
      const bytes = `${work}/bytes`;
      const withFiles = await exportLines(`${before.dir}/chat.db`, {
        filesDir: bytes,
        contents: new DiskFileContents(`${before.dir}/files`),
      });
      const badAt = withFiles.findIndex((l) =>
        JSON.parse(l).kind === "message"
      );
      assert.ok(
        withFiles.slice(0, badAt).some((l) => JSON.parse(l).kind === "file"),
        "a file's bytes are placed before the bad line",
      );
      const bad = `${work}/bad.jsonl`;
      await Deno.writeTextFile(
        bad,
        withFiles.toSpliced(badAt, 0, "{not json").join("\n") + "\n",
      );
      const filesDir = `${work}/files`;
      const importBad = () =>
        task("import", [
          "--database-url",
          pg.url,
          "--files-dir",
          filesDir,
          "--include-files",
          bytes,
        ], { stdin: bad });
      const run = await importBad();
      assert.equal(run.code, 1);
      assert.match(
        run.stderr,
        new RegExp(`error: line ${badAt + 1}: not JSON.*nothing was imported`),
      );
      assert.deepEqual(
        [...Deno.readDirSync(work)].map((e) => e.name).sort(),
        ["bad.jsonl", "bytes"],
        "no files folder left",
      );
      // A folder that was there stays, with what it held, and without the
      // bytes the refused import placed in it.
      await Deno.mkdir(filesDir);
      await Deno.writeTextFile(`${filesDir}/keep.txt`, "mine");
      assert.equal((await importBad()).code, 1);
      const filesIn = (dir: string): string[] =>
        [...Deno.readDirSync(dir)].flatMap((e) =>
          e.isDirectory ? filesIn(`${dir}/${e.name}`) : [e.name]
        );
      assert.deepEqual(filesIn(filesDir), ["keep.txt"]);
      assert.equal(await Deno.readTextFile(`${filesDir}/keep.txt`), "mine");
      assert.match(await pg.psql("SELECT count(*) FROM messages"), /\b0\b/);

      const lines = await exportLines(`${before.dir}/chat.db`);
      const at = lines.findIndex((l) => JSON.parse(l).kind === "message");
      const copy = JSON.stringify({ ...JSON.parse(lines[at]), seq: 999 });
      const { PostgresTarget } = await import("../server/transfer/postgres.ts");
      const target = await PostgresTarget.open(pg.url);
      try {
        await assert.rejects(
          importStore(each(lines.toSpliced(at + 2, 0, copy)), target),
          (error: Error) => {
            assert.match(
              error.message,
              new RegExp(
                `^line ${
                  at + 3
                }: the store refused this message: duplicate key`,
              ),
            );
            return true;
          },
        );
        assert.match(
          await pg.psql("SELECT count(*) FROM messages"),
          /\b0\b/,
        );
        await importStore(each(lines), target);
        assert.doesNotMatch(
          await pg.psql("SELECT count(*) FROM messages"),
          /^\s*0\s*$/m,
        );
      } finally {
        await target.close();
      }
    } finally {
      await pg.stop();
      await Deno.remove(work, { recursive: true });
      await Deno.remove(before.dir, { recursive: true });
    }
  },
});

Deno.test("export: --include-files copies each file's bytes once, and the import puts them back", async () => {
  const before = await populated();
  const work = await Deno.makeTempDir({ prefix: "chat-files-" });
  try {
    const contents = new DiskFileContents(`${before.dir}/files`);
    const lines = await exportLines(`${before.dir}/chat.db`, {
      filesDir: `${work}/bytes`,
      contents,
    });
    const copied = [...Deno.readDirSync(`${work}/bytes`)].map((e) => e.name);
    assert.equal(copied.length, 1);
    assert.deepEqual(await Deno.readFile(`${work}/bytes/${copied[0]}`), PNG);
    const target = await SqliteTarget.open(`${work}/copy.db`, OPTIONS);
    const into = new DiskFileContents(`${work}/copy-files`);
    await assert.rejects(
      importStore(each(lines), target, { contents: into }),
      /give their folder with --include-files/,
    );
    await importStore(each(lines), target, {
      filesDir: `${work}/bytes`,
      contents: into,
    }).finally(() => target.close());
    const stream = await into.get(copied[0]);
    assert.deepEqual(await new Response(stream).bytes(), PNG);
  } finally {
    await Deno.remove(work, { recursive: true });
    await Deno.remove(before.dir, { recursive: true });
  }
});

/**
 * Stops `server` with one message in general carrying a GIF whose screen
 * says 1 x 1 and whose first frame Chromium decodes as 10,000 x 10,000
 * (four times the preview cap), and exports its store (`options` as
 * exportStore's): the bytes, the file as sent, and the export's lines.
 */
async function exportedBomb(
  server: TestServer,
  options: Parameters<typeof exportStore>[2] = {},
): Promise<{ bomb: Uint8Array; file: Attachment; lines: string[] }> {
  const bomb = gifOfFrames(1, 10_000, 10_000, { screen: [1, 1] });
  const file = await sharedAndStopped(
    server,
    new File([bomb], "bomb.gif", { type: "image/gif" }),
  );
  const lines = await exportLines(`${server.dir}/chat.db`, options);
  return { bomb, file, lines };
}

/**
 * Alice shares `shared` in general (a message with nothing but the file),
 * then the server stops, its folder kept: the file as sent.
 */
async function sharedAndStopped(
  server: TestServer,
  shared: File,
): Promise<Attachment> {
  const alice = await member(server, "alice");
  const file = await uploaded(server, alice.cookie, shared);
  await alice.client.ok("send_message", {
    text: "",
    attachments: [{ url: file.url }],
  });
  await alice.client.close();
  await server.shutdown();
  return file;
}

Deno.test("import: with --include-files a file line is held to its bytes: a GIF claimed 1 x 1 comes in at its first frame's 10,000 x 10,000, its message too, and bytes or a size not the file's stop the import at its line", async () => {
  const server = await startTestServer();
  const work = await Deno.makeTempDir({ prefix: "chat-claims-" });
  try {
    const { bomb, file, lines } = await exportedBomb(server, {
      filesDir: `${work}/bytes`,
      contents: new DiskFileContents(`${server.dir}/files`),
    });
    const at = (kind: string) =>
      lines.findIndex((l) => JSON.parse(l).kind === kind);
    const fileAt = at("file");
    const messageAt = at("message");
    const hash = JSON.parse(lines[fileAt]).hash;
    // As a server whose reader got it wrong recorded it, or a hand did.
    const oneByOne = [...lines];
    oneByOne[fileAt] = JSON.stringify({
      ...JSON.parse(lines[fileAt]),
      width: 1,
      height: 1,
    });
    const message = JSON.parse(lines[messageAt]);
    message.attachments[0] = {
      ...message.attachments[0],
      width: 1,
      height: 1,
      size: 1,
    };
    oneByOne[messageAt] = JSON.stringify(message);
    const attempt = async (name: string, input: string[]) => {
      const target = await SqliteTarget.open(`${work}/${name}.db`, OPTIONS);
      const said: string[] = [];
      try {
        await importStore(each(input), target, {
          filesDir: `${work}/bytes`,
          contents: new DiskFileContents(`${work}/${name}-files`),
          progress: (line) => said.push(line),
        });
      } finally {
        await target.close();
      }
      return said.filter((line) => line.startsWith("warning:"));
    };
    assert.deepEqual(await attempt("read", oneByOne), [
      `warning: line ${fileAt + 1}: file ${file.url.split("/")[2]} ` +
      '("bomb.gif") was recorded as image/gif 1 x 1, its bytes read as ' +
      "image/gif 10000 x 10000: imported as read",
      "warning: 1 attachments of messages said other than their file's " +
      "bytes: imported as the bytes read",
    ]);
    // Exported again, the copy says what the first server said.
    assert.deepEqual(
      (await exportLines(`${work}/read.db`)).slice(1),
      lines.slice(1),
    );

    const lying = [...lines];
    lying[fileAt] = JSON.stringify({ ...JSON.parse(lines[fileAt]), size: 5 });
    await assert.rejects(
      attempt("size", lying),
      (error: Error) =>
        error instanceof ImportError && error.line === fileAt + 1 &&
        error.message.includes(
          `the file says it is 5 bytes, its bytes are ${bomb.length}`,
        ),
    );
    // Other bytes under the file's hash: a later upload of the real
    // bytes would have been served these.
    await Deno.writeFile(`${work}/bytes/${hash}`, gifOfFrames(1, 2, 2));
    await assert.rejects(
      attempt("bytes", lines),
      (error: Error) =>
        error instanceof ImportError && error.line === fileAt + 1 &&
        /its bytes are not this file's: their SHA-256 is [0-9a-f]{64}/
          .test(error.message),
    );
    // Neither refused import left bytes where the target keeps files.
    for (const refused of ["size", "bytes"]) {
      const kept = new DiskFileContents(`${work}/${refused}-files`).list();
      assert.deepEqual(await Array.fromAsync(kept), [], refused);
    }
  } finally {
    await server.close();
    await Deno.remove(work, { recursive: true });
  }
});

Deno.test("import: without --include-files an image claimed 1 x 1 is read from its bytes by the first server started on the store: a GIF whose first frame is 10,000 x 10,000 is then recorded so, its message too", async () => {
  const server = await startTestServer();
  const work = await Deno.makeTempDir({ prefix: "chat-unread-" });
  let copy: TestServer | undefined;
  try {
    const { file, lines: exported } = await exportedBomb(server);
    const lines = exported.map((line) => {
      const row = JSON.parse(line);
      if (row.kind === "file") {
        return JSON.stringify({ ...row, width: 1, height: 1 });
      }
      if (row.kind !== "message" || !row.attachments) return line;
      row.attachments[0] = { ...row.attachments[0], width: 1, height: 1 };
      return JSON.stringify(row);
    });
    const said: string[] = [];
    const target = await SqliteTarget.open(`${work}/chat.db`, OPTIONS);
    await importStore(each(lines), target, {
      progress: (line) => said.push(line),
    }).finally(() => target.close());
    assert.ok(
      said.includes(
        "warning: 1 images came without their bytes (no --include-files): " +
          "their sizes are the file's word until a server started on this " +
          "store has read them from the bytes",
      ),
      said.join("\n"),
    );
    // The operator copies the files folder, as README says, and starts.
    await Deno.rename(`${server.dir}/files`, `${work}/files`);
    copy = await startTestServer({ db: `${work}/chat.db` });
    await copy.node.files.rereadMarked();
    const id = file.url.split("/")[2];
    const record = await copy.node.store.findUpload(id);
    assert.deepEqual([record?.width, record?.height], [10_000, 10_000]);
    const shown = (await copy.node.store.history("general", {}))
      .flatMap((m) => m.attachments ?? [])
      .map((a) => [a.width, a.height]);
    assert.deepEqual(shown, [[10_000, 10_000]]);
  } finally {
    await copy?.close();
    await server.close();
    await Deno.remove(work, { recursive: true });
  }
});

Deno.test("import: a read position in a private conversation and a file sent in one come back (the check meant for messages refused them)", async () => {
  const server = await startTestServer();
  const work = await Deno.makeTempDir({ prefix: "chat-copy-" });
  try {
    const alice = await member(server, "alice");
    const bob = await member(server, "bob");
    const hello = await bob.client.ok("private_message", {
      to: "alice",
      text: "hello",
    });
    const seq = (hello.message as { seq: number }).seq;
    await alice.client.ok("mark_read", { with: "bob", seq });
    const image = await uploaded(
      server,
      alice.cookie,
      new File([PNG], "dot.png", { type: "image/png" }),
    );
    await alice.client.ok("private_message", {
      to: "bob",
      text: "",
      attachments: [{ url: image.url }],
    });
    await alice.client.close();
    await bob.client.close();
    await server.shutdown();
    const lines = await exportLines(`${server.dir}/chat.db`);
    const kinds = lines.map((l) => JSON.parse(l));
    assert.ok(
      kinds.some((l) => l.kind === "read_position" && l.stream[0] === "@"),
    );
    assert.ok(kinds.some((l) => l.kind === "file_ref" && l.stream[0] === "@"));
    const copy = `${work}/copy.db`;
    assert.equal(await importInto(copy, lines), undefined);
    assert.deepEqual(
      await exportLines(copy).then((l) => l.slice(1)),
      lines.slice(1),
    );
  } finally {
    await server.close();
    await Deno.remove(work, { recursive: true });
  }
});

Deno.test("import: a thread's version comes back with its root: a reply deleted before the export still counts, so a client's copy from before is not later than the thread's next change", async () => {
  const server = await startTestServer();
  const work = await Deno.makeTempDir({ prefix: "chat-copy-" });
  try {
    const alice = await member(server, "alice");
    const a = alice.client;
    const root = (await a.ok("send_message", { text: "root" }))
      .message as Message;
    await a.ok("send_message", { text: "first", reply_to: root.id });
    const gone = await a.ok("send_message", {
      text: "oops",
      reply_to: root.id,
    });
    await a.ok("delete_message", { id: (gone.message as Message).id });
    const versionOf = (messages: { id: string; thread_version?: number }[]) =>
      messages.find((m) => m.id === root.id)?.thread_version;
    // One reply live, one gone: 1 + 2 x 1.
    const before = versionOf(
      await historyOf<Message & { thread_version?: number }>(a, "general"),
    );
    assert.equal(before, 3);
    await a.close();
    await server.shutdown();
    const lines = await exportLines(`${server.dir}/chat.db`);
    const copy = `${work}/copy.db`;
    assert.equal(await importInto(copy, lines), undefined);
    const store = new SqliteStore(copy, OPTIONS);
    try {
      const after = versionOf(await store.history("general", { limit: 200 }));
      assert.equal(after, before);
    } finally {
      await store.close();
    }
  } finally {
    await server.close();
    await Deno.remove(work, { recursive: true });
  }
});

Deno.test("import: a message's link previews come back with it, and a crafted dump's preview that is not an http(s) link is refused at its line", async () => {
  const server = await startTestServer({ linkPreviews: false });
  const work = await Deno.makeTempDir({ prefix: "chat-copy-" });
  try {
    const alice = await member(server, "alice");
    const sent = (await alice.client.ok("send_message", {
      text: "tea: https://tea.example/",
    })).message as Message;
    const previews = [{ url: "https://tea.example/", title: "Tea & cakes" }];
    await server.node.store.setLinkPreviews(sent.id, {
      previews,
      text: sent.text,
    });
    await alice.client.close();
    await server.shutdown();
    const lines = await exportLines(`${server.dir}/chat.db`);
    const copy = `${work}/copy.db`;
    assert.equal(await importInto(copy, lines), undefined);
    const store = new SqliteStore(copy, OPTIONS);
    try {
      const [after] = await store.history("general", { limit: 200 });
      assert.deepEqual(after.previews, previews);
      assert.equal(after.version, 1);
    } finally {
      await store.close();
    }
    const crafted = lines.map((line) =>
      line.includes('"https://tea.example/"') && line.includes('"previews"')
        ? line.replace(
          '"url":"https://tea.example/"',
          '"url":"javascript:alert(1)"',
        )
        : line
    );
    assert.notDeepEqual(crafted, lines);
    const error = await importInto(`${work}/crafted.db`, crafted);
    assert.match(String(error), /previews/);
  } finally {
    await server.close();
    await Deno.remove(work, { recursive: true });
  }
});

Deno.test("import: a crafted dump's two-factor secret that is not base32 is refused at its line: the account's every login threw", async () => {
  const server = await startTestServer();
  const work = await Deno.makeTempDir({ prefix: "chat-totp-" });
  try {
    const alice = await TestClient.register(server.wsUrl, "alice");
    await alice.close();
    const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    await server.node.store.setPendingTotp("alice", secret);
    assert.ok(
      await server.node.store.enableTotp("alice", {
        secret,
        step: 1,
        recoveryHashes: [],
      }),
    );
    await server.shutdown();
    const lines = await exportLines(`${server.dir}/chat.db`, {
      includeSecrets: true,
    });
    assert.equal(await importInto(`${work}/copy.db`, lines), undefined);
    for (
      const [column, value] of [["secret", "not base32!"], [
        "pending_secret",
        "x",
      ]]
    ) {
      const crafted = lines.map((line) => {
        const row = JSON.parse(line);
        return row.kind === "totp"
          ? JSON.stringify({ ...row, [column]: value })
          : line;
      });
      assert.notDeepEqual(crafted, lines);
      const error = await importInto(`${work}/${column}.db`, crafted);
      assert.match(String(error), new RegExp(`totp.*${column}`));
    }
  } finally {
    await server.close();
    await Deno.remove(work, { recursive: true });
  }
});

Deno.test("import: a poll comes back with its votes and its version, and a crafted dump's poll of one option is refused at its line", async () => {
  const server = await startTestServer();
  const work = await Deno.makeTempDir({ prefix: "chat-poll-" });
  try {
    const alice = await member(server, "alice");
    const sent = (await alice.client.ok("create_poll", {
      room: "general",
      question: "Lunch?",
      options: ["Pizza", "Sushi"],
    })).message as Message;
    await alice.client.ok("vote", { id: sent.id, options: [1] });
    await alice.client.close();
    await server.shutdown();
    const lines = await exportLines(`${server.dir}/chat.db`);
    const copy = `${work}/copy.db`;
    assert.equal(await importInto(copy, lines), undefined);
    const store = new SqliteStore(copy, OPTIONS);
    try {
      const [after] = await store.history("general", { limit: 200 });
      assert.deepEqual(after.poll, {
        question: "Lunch?",
        options: [
          { text: "Pizza", votes: 0, voters: [] },
          { text: "Sushi", votes: 1, voters: ["alice"] },
        ],
        multiple: false,
        closed: false,
      });
      assert.equal(after.version, 2);
    } finally {
      await store.close();
    }
    // One option left: fewer than create_poll allows.
    const cut = lines.map((line) =>
      line.includes('"poll":{')
        ? line.replace(/\{"text":"Pizza","voters":\[\]\},/, "")
        : line
    );
    assert.notDeepEqual(cut, lines);
    const error = await importInto(`${work}/crafted.db`, cut);
    assert.match(String(error), /poll/);
  } finally {
    await server.close();
    await Deno.remove(work, { recursive: true });
  }
});

Deno.test("import: a crafted dump's poll that counts an account twice (twice in one option, or in two options of a poll of one choice) is refused at its line; in two options of a poll of several it comes in", async () => {
  const server = await startTestServer();
  const work = await Deno.makeTempDir({ prefix: "chat-poll-voters-" });
  try {
    const alice = await member(server, "alice");
    const sent = (await alice.client.ok("create_poll", {
      room: "general",
      question: "Lunch?",
      options: ["Pizza", "Sushi"],
    })).message as Message;
    await alice.client.ok("vote", { id: sent.id, options: [1] });
    await alice.client.close();
    await server.shutdown();
    const lines = await exportLines(`${server.dir}/chat.db`);
    const at = lines.findIndex((line) => line.includes('"poll":{'));
    assert.ok(at > 0, "the poll's line");
    // The dump with the poll's line changed: its line number is at + 1.
    const crafted = (change: (poll: StoredPoll) => void) => {
      const row = JSON.parse(lines[at]);
      change(row.poll);
      return lines.toSpliced(at, 1, JSON.stringify(row));
    };
    const alices = { key: "alice", name: "alice" };
    const twice = await importInto(
      `${work}/twice.db`,
      crafted((poll) => poll.options[1].voters.push(alices)),
    );
    assert.match(
      String(twice),
      new RegExp(
        `^ImportError: line ${at + 1}: bad message: ` +
          "poll.options.1.voters.1: alice votes twice for one option",
      ),
    );
    const both = await importInto(
      `${work}/both.db`,
      crafted((poll) => poll.options[0].voters.push(alices)),
    );
    assert.match(
      String(both),
      new RegExp(
        `^ImportError: line ${at + 1}: bad message: ` +
          "poll.options.1.voters.0: alice votes for two options of a poll of one choice",
      ),
    );
    const several = `${work}/several.db`;
    const allowed = crafted((poll) => {
      poll.multiple = true;
      poll.options[0].voters.push(alices);
    });
    assert.equal(await importInto(several, allowed), undefined);
    const store = new SqliteStore(several, OPTIONS);
    try {
      const [after] = await store.history("general", { limit: 200 });
      assert.deepEqual(
        after.poll?.options.map((o) => o.voters),
        [["alice"], ["alice"]],
      );
    } finally {
      await store.close();
    }
  } finally {
    await server.close();
    await Deno.remove(work, { recursive: true });
  }
});

Deno.test("import: a forward comes back with its copy of the original, one whose original was deleted with its blanked copy {id, deleted}, one naming its room by an older name reads the room's name now, and a crafted dump's copy that names a room outside the names' alphabet is refused at its line", async () => {
  const server = await startTestServer();
  const work = await Deno.makeTempDir({ prefix: "chat-forward-" });
  try {
    const alice = await member(server, "alice");
    const original = (await alice.client.ok("send_message", {
      text: "The build is green",
    })).message as Message;
    const sent = (await alice.client.ok("forward_message", {
      id: original.id,
      room: "general",
      text: "again",
    })).message as Message;
    const regretted = (await alice.client.ok("send_message", {
      text: "regretted",
    })).message as Message;
    const blanked = (await alice.client.ok("forward_message", {
      id: regretted.id,
      room: "general",
    })).message as Message;
    await alice.client.ok("delete_message", { id: regretted.id });
    await alice.client.close();
    await server.shutdown();
    const lines = await exportLines(`${server.dir}/chat.db`);
    // The dump carries the copy as the delete left it: no text.
    assert.ok(!lines.some((line) => line.includes("regretted")));
    const copy = `${work}/copy.db`;
    assert.equal(await importInto(copy, lines), undefined);
    const store = new SqliteStore(copy, OPTIONS);
    try {
      const page = await store.history("general", { limit: 200 });
      assert.deepEqual(page.find((m) => m.id === sent.id)?.forwarded, {
        id: original.id,
        seq: original.seq,
        user: "alice",
        ts: original.ts,
        text: "The build is green",
        room: "general",
      });
      assert.deepEqual(page.find((m) => m.id === blanked.id)?.forwarded, {
        id: regretted.id,
        deleted: true,
      });
    } finally {
      await store.close();
    }
    // A copy naming the room by an older name (a dump made before a
    // rename) imports, and reads name the room its original is in now.
    const renamed = `${work}/renamed.db`;
    const older = lines.map((line) =>
      line.replace(/("forwarded":\{[^}]*"room":)"general"/, '$1"lobby"')
    );
    assert.notDeepEqual(older, lines);
    assert.equal(await importInto(renamed, older), undefined);
    const again = new SqliteStore(renamed, OPTIONS);
    try {
      const page = await again.history("general", { limit: 200 });
      const read = page.find((m) => m.id === sent.id)?.forwarded;
      assert.equal((read as { room?: string }).room, "general");
    } finally {
      await again.close();
    }
    const crafted = lines.map((line) =>
      line.replace(/("forwarded":\{[^}]*"room":)"general"/, '$1"<b>"')
    );
    assert.notDeepEqual(crafted, lines);
    const error = await importInto(`${work}/crafted.db`, crafted);
    assert.match(String(error), /forwarded/);
  } finally {
    await server.close();
    await Deno.remove(work, { recursive: true });
  }
});

Deno.test("import: an account's look-alike skeleton is computed from its name, not read from the dump: R00T exported by an older server (skeleton rOOt) keeps root taken", async () => {
  const old = await startTestServer();
  const work = await Deno.makeTempDir({ prefix: "chat-skeleton-" });
  try {
    await (await TestClient.register(old.wsUrl, "R00T")).close();
    await old.shutdown();
    // What servers before the skeletons met capitals wrote for R00T.
    const lines = (await exportLines(`${old.dir}/chat.db`)).map((line) => {
      const row = JSON.parse(line);
      if (row.kind !== "account" || row.key !== "r00t") return line;
      return JSON.stringify({ ...row, skeleton: "rOOt" });
    });
    assert.ok(lines.some((line) => line.includes('"rOOt"')), "the account");
    const copy = `${work}/copy.db`;
    assert.equal(await importInto(copy, lines), undefined);
    const server = await startTestServer({ db: copy });
    try {
      const client = await TestClient.connect(server.wsUrl);
      await expectError(
        client,
        "login",
        { username: "root" },
        "username_taken",
      );
      await client.close();
    } finally {
      await server.close();
    }
  } finally {
    await Deno.remove(work, { recursive: true });
    await Deno.remove(old.dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("import: a room owned by a name with no account is owned by nobody: whoever registers the name later does not manage it", async () => {
  const old = await startTestServer();
  const work = await Deno.makeTempDir({ prefix: "chat-owner-" });
  try {
    const alice = await TestClient.register(old.wsUrl, "alice");
    await alice.ok("create_room", { room: "lobby" });
    await alice.close();
    await old.shutdown();
    const lines = (await exportLines(`${old.dir}/chat.db`, {
      includeSecrets: true,
    })).map((line) => {
      const row = JSON.parse(line);
      return row.kind === "room" && row.key === "lobby"
        ? JSON.stringify({ ...row, owner: "ghost" })
        : line;
    });
    const copy = `${work}/copy.db`;
    assert.equal(await importInto(copy, lines), undefined);
    const server = await startTestServer({ db: copy });
    try {
      const ghost = await TestClient.register(server.wsUrl, "ghost");
      await expectError(ghost, "create_invite", { room: "lobby" }, "forbidden");
      await ghost.close();
      const root = await TestClient.loginWith(server.wsUrl, {
        username: "alice",
        password: TEST_PASSWORD,
      });
      const { rooms } = await root.ok("list_all_rooms");
      const lobby = (rooms as { name: string; owner?: string }[])
        .find((r) => r.name === "lobby");
      assert.deepEqual(lobby && { ...lobby, users: 0 }, {
        name: "lobby",
        users: 0,
        private: false,
      });
      await root.close();
    } finally {
      await server.close();
    }
  } finally {
    await Deno.remove(work, { recursive: true });
    await Deno.remove(old.dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("export: progress names each table once, also one whose count was said while it ran", async () => {
  // A table's count is said while it runs at most once a second, counted
  // from the process's start: past that second the first rows are said.
  while (performance.now() < 1_100) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const lines: string[] = [];
  const progress = new Progress("Exported", (line) => lines.push(line));
  progress.table("accounts", 2);
  progress.advance(2);
  progress.table("rooms", 1);
  progress.advance(1);
  progress.table("bans", 0);
  progress.done({ account: 2, room: 1 });
  assert.deepEqual(lines.slice(0, -1), [
    "Exported accounts: 2 of 2 (100%)",
    "Exported rooms: 1 of 1 (100%)",
  ]);
  assert.match(lines.at(-1)!, /^Exported 2 account, 1 room in \d+\.\d s$/);
});

const SCRIPT = "/usr/bin/script";
const hasScript = await Deno.stat(SCRIPT).then(() => true, () => false);

/**
 * Runs a deno script under `script`, its stdin and stdout a terminal, as an
 * operator who forgot the `<` or `>` would; its exit code and output.
 */
async function onTerminal(
  file: string,
  args: string[],
): Promise<{ code: number; output: string }> {
  const command = [Deno.execPath(), "run", "-A", `${ROOT}${file}`, ...args]
    .join(" ");
  const run = await new Deno.Command(SCRIPT, {
    args: ["-qec", command, "/dev/null"],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return {
    code: run.code,
    output: decode(run.stdout) + decode(run.stderr),
  };
}

Deno.test({
  name:
    "export and import: a terminal instead of a file (a forgotten > or <) is refused with the command to type, and nothing is made",
  ignore: !hasScript,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "chat-transfer-tty-" });
    try {
      await new SqliteStore(`${dir}/chat.db`, OPTIONS).close();
      const exported = await onTerminal("scripts/export.ts", [
        "--db",
        `${dir}/chat.db`,
      ]);
      assert.equal(exported.code, 2, exported.output);
      assert.match(exported.output, /chat-server export > chat\.jsonl/);
      assert.doesNotMatch(exported.output, /"kind":"header"/);
      const imported = await onTerminal("scripts/import.ts", [
        "--db",
        `${dir}/new.db`,
      ]);
      assert.equal(imported.code, 2, imported.output);
      assert.match(imported.output, /chat-server import < chat\.jsonl/);
      assert.equal(
        await Deno.stat(`${dir}/new.db`).then(() => true, () => false),
        false,
        "no database made",
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("import: SIGTERM while it runs stops it as a refused line does: exit 143, nothing imported, and no file or folder it made is left", async () => {
  const work = await Deno.makeTempDir({ prefix: "chat-stopped-" });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}scripts/import.ts`, "--db", `${work}/chat.db`],
    cwd: ROOT,
    stdin: "piped",
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  let stopped = false;
  try {
    // 600 accounts and a room: the room line ends the accounts, whose rows
    // are then written in the transaction and said on stderr. The input
    // stays open, as a long export still on its way.
    const header = {
      kind: "header",
      format: FORMAT,
      version: FORMAT_VERSION,
      server_version: "test",
      exported_at: Date.now(),
      secrets: false,
      files: false,
    };
    const account = (n: number) => ({
      kind: "account",
      key: `user${n}`,
      username: `user${n}`,
      role: "user",
      created_at: Date.now(),
      bot: false,
    });
    const room = {
      kind: "room",
      key: "general",
      name: "general",
      created_at: Date.now(),
      private: false,
      owner: null,
    };
    const lines = [
      header,
      ...Array.from({ length: 600 }, (_, n) => account(n)),
      room,
    ];
    const stdin = child.stdin.getWriter();
    await stdin.write(
      new TextEncoder().encode(
        lines.map((l) => JSON.stringify(l) + "\n").join(""),
      ),
    );
    // Waits for the line, however long a busy machine takes.
    let stderr = "";
    const reader = child.stderr.pipeThrough(new TextDecoderStream())
      .getReader();
    while (!stderr.includes("Imported accounts: 600")) {
      const { value, done } = await reader.read();
      assert.ok(!done, `the import ended before its progress: ${stderr}`);
      stderr += value;
    }
    assert.ok(
      await Deno.stat(`${work}/chat.db`).then(() => true, () => false),
      "the import made its database",
    );
    child.kill("SIGTERM");
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      stderr += r.value;
    }
    const status = await child.status;
    stopped = true;
    await stdin.close().catch(() => {});
    const left = [];
    for await (const entry of Deno.readDir(work)) left.push(entry.name);
    assert.deepEqual(left, [], stderr);
    // Ended by itself, not by the signal's default action.
    assert.equal(status.signal, null, stderr);
    assert.equal(status.code, 143, stderr);
    assert.match(
      stderr.trimEnd().split("\n").at(-1)!,
      /^error: stopped by SIGTERM; nothing was imported$/,
    );
  } finally {
    if (!stopped) {
      child.kill("SIGKILL");
      await child.status;
    }
    await Deno.remove(work, { recursive: true });
  }
});

Deno.test("export: --include-files leaves out a file whose bytes are gone, with its references; the import takes the rest, and the message keeps a link that answers 404", async () => {
  const old = await startTestServer();
  const work = await Deno.makeTempDir({ prefix: "chat-gone-" });
  try {
    const alice = await member(old, "alice");
    const kept = await uploaded(
      old,
      alice.cookie,
      new File([PNG], "dot.png", { type: "image/png" }),
    );
    const wide = pngOfSize(3, 2);
    const gone = await uploaded(
      old,
      alice.cookie,
      new File([wide], "wide.png", { type: "image/png" }),
    );
    await alice.client.ok("send_message", {
      text: "kept",
      attachments: [{ url: kept.url }],
    });
    await alice.client.ok("send_message", {
      text: "gone",
      attachments: [{ url: gone.url }],
    });
    await alice.client.close();
    await old.shutdown();
    // The bytes go as they do when a file's last message is deleted while
    // an export runs: the upload's row is in the snapshot, its bytes not.
    const hash = Array.from(
      new Uint8Array(await crypto.subtle.digest("SHA-256", wide)),
      (b) => b.toString(16).padStart(2, "0"),
    ).join("");
    await Deno.remove(`${old.dir}/files/${hash.slice(0, 2)}/${hash}`);

    const dump = `${work}/chat.jsonl`;
    const exported = await task("export", [
      "--db",
      `${old.dir}/chat.db`,
      "--include-secrets",
      "--include-files",
      `${work}/bytes`,
    ], { stdout: dump });
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(
      exported.stderr,
      new RegExp(`warning: the bytes of file ${hash} are missing: .* left out`),
    );
    const imported = await task("import", [
      "--db",
      `${work}/copy.db`,
      "--include-files",
      `${work}/bytes`,
    ], { stdin: dump });
    assert.equal(imported.code, 0, imported.stderr);

    const server = await startTestServer({ db: `${work}/copy.db` });
    try {
      const fetched = await fetchFile(server, kept.url, alice.cookie);
      assert.equal(fetched.status, 200);
      assert.deepEqual(fetched.bytes, PNG);
      assert.equal(
        (await fetchFile(server, gone.url, alice.cookie)).status,
        404,
      );
      const client = await TestClient.loginWith(server.wsUrl, {}, {
        headers: { cookie: alice.cookie },
      });
      const history = await historyOf<
        { seq: number; text: string; attachments?: { url: string }[] }
      >(client, "general");
      await client.close();
      assert.deepEqual(
        history.filter((m) => m.attachments).map((m) => [
          m.text,
          m.attachments!.map((a) => a.url),
        ]),
        [["kept", [kept.url]], ["gone", [gone.url]]],
      );
    } finally {
      await server.close();
    }
  } finally {
    await Deno.remove(work, { recursive: true });
    await Deno.remove(old.dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("export: beside a running server it reads the main file only and leaves the server's search index (its own file) as the server's thread left it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-export-beside-" });
  const path = `${dir}/chat.db`;
  // How far the server's search index got (its thread's mark).
  const pending = () => {
    const db = new DatabaseSync(searchIndexPath(path), { readOnly: true });
    try {
      const { indexed } = db.prepare(
        "SELECT rowid AS indexed FROM search_marks",
      ).get() as { indexed: number };
      return 3 - indexed;
    } finally {
      db.close();
    }
  };
  // The server's store, its index's timed passes put off past the test.
  const server = await SqliteStore.open(path, {
    ...OPTIONS,
    searchIndex: { intervalMs: 600_000 },
    permanentRooms: [{ key: "general", name: "general" }],
  });
  const search = async (word: string) =>
    (await server.search({
      words: [word],
      scope: { roomKeys: ["general"] },
      limit: 10,
    })).records.length;
  try {
    // The thread's first pass, which it runs as it starts, is over.
    assert.equal(await search("two"), 0);
    for (const text of ["one", "two", "three"]) {
      await server.appendMessage({
        roomKey: "general",
        userKey: "alice",
        user: "Alice",
        text,
      });
    }
    assert.equal(pending(), 3);
    const exported = await task("export", ["--db", path], {
      stdout: `${dir}/chat.jsonl`,
    });
    assert.equal(exported.code, 0, exported.stderr);
    const kinds = (await body(`${dir}/chat.jsonl`)).map((line) =>
      JSON.parse(line).kind
    );
    assert.equal(kinds.filter((kind) => kind === "message").length, 3);
    assert.equal(pending(), 3, "the export indexed the server's messages");
    assert.equal(await search("two"), 1);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
