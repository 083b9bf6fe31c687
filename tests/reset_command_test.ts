/**
 * `deno task reset-password NAME` (server/reset_command.ts): the operator's
 * one-time password reset link, made beside a running server on SQLite
 * and PostgreSQL, run as its own process exactly as the task runs it, then
 * used through the server's real reset route.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { SQLITE_MIGRATIONS } from "../server/store/sqlite_schema.ts";
import { rewindServerDatabase } from "./old_schema.ts";
import { NO_RATE_LIMITS } from "../server/mod.ts";
import { createPasswordReset } from "../server/accounts/password_reset.ts";
import { hashToken } from "../server/accounts/tokens.ts";
import { DEFAULT_CONFIG } from "../server/config.ts";
import { auditEntry, OPERATOR_ACTOR } from "../server/handlers/audit.ts";
import { isFailure } from "../server/protocol/errors.ts";
import { SqliteStore } from "../server/store/sqlite.ts";
import { bothStores, type StoreUnderTest } from "./both_stores.ts";
import { accountWithToken, call } from "./api_helpers.ts";
import {
  eventually,
  startTestServer,
  TEST_PASSWORD,
  TestClient,
  type TestServer,
  withClients,
  withPool,
} from "./harness.ts";

const stores = await bothStores();

const SCRIPT = new URL("../scripts/reset_password.ts", import.meta.url)
  .pathname;
// The task's own permissions (deno.json), so a missing one fails here.
const TASK = JSON.parse(
  await Deno.readTextFile(new URL("../deno.json", import.meta.url)),
).tasks["reset-password"] as string;
const PERMISSIONS = TASK.split(" ").filter((word) => word.startsWith("--"));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function resetPassword(args: string[]): Promise<Run> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMISSIONS, SCRIPT, ...args],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code, stdout: text.decode(stdout), stderr: text.decode(stderr) };
}

/** The flags naming the store a test server runs on. */
function storeOf(server: TestServer, store: StoreUnderTest): string[] {
  return store.databaseUrl
    ? ["--database-url", store.databaseUrl]
    : ["--db", `${server.dir}/chat.db`];
}

/** POST /api/reset-password as the reset form sends it. */
async function choosePassword(
  server: TestServer,
  token: string,
  password: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${server.url}/api/reset-password`, {
    method: "POST",
    headers: { origin: server.url, "content-type": "application/json" },
    body: JSON.stringify({ token, password }),
  });
  return { status: response.status, body: await response.json() };
}

stores.test(
  "reset-password: the operator's link lets a locked-out admin choose a new password while the server runs, and the audit log says who made it",
  (server, store) =>
    withPool(server, async (pool) => {
      const root = await pool.register("root");
      const bob = await pool.register("bob");
      // Bob keeps chatting meanwhile: each send must still be stored.
      let sending = true;
      const sender = (async () => {
        for (let i = 0; sending; i++) {
          await bob.ok("send_message", {
            text: `busy ${i}`,
            client_id: `${i}`,
          });
        }
      })();
      const run = await resetPassword([
        "Root",
        ...storeOf(server, store),
        "--url",
        `${server.url}/some/page`,
        "--reason",
        "every admin forgot",
      ]);
      sending = false;
      await sender;
      assert.equal(run.code, 0, run.stderr);
      const link = new RegExp(
        `^${server.url.replaceAll(".", "\\.")}/reset#([A-Za-z0-9_-]{43})\n$`,
      ).exec(run.stdout);
      assert.ok(link, `a whole link on stdout: ${run.stdout}`);
      assert.match(run.stderr, /for root \(admin\), valid until 20/);

      const done = await choosePassword(server, link[1], "a brand new secret");
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.deepEqual(done.body, {
        username: "root",
        role: "admin",
        totp: false,
      });
      // The link works once; the old session ends with its socket.
      const again = await choosePassword(server, link[1], "another secret");
      assert.equal(again.body.error, "bad_credentials");
      await eventually(() => assert.equal(root.closeCode, 4004));
      const back = await pool.login({
        username: "root",
        password: "a brand new secret",
      });
      const { entries } = await back.ok("audit_log", {});
      assert.deepEqual(
        (entries as Record<string, unknown>[]).map((
          { by, action, target, reason, address },
        ) => ({ by, action, target, reason, address })),
        [{
          by: "the operator",
          action: "reset_password",
          target: "root",
          reason: "every admin forgot",
          address: "",
        }],
      );
    }),
  { rateLimits: NO_RATE_LIMITS },
);

stores.test(
  "reset-password: an unknown name exits with code 2, says so, and logs nothing",
  (server, store) =>
    withPool(server, async (pool) => {
      const root = await pool.register("root");
      // A guest online has a name but no account, so no password to reset.
      await pool.guest("visitor");
      for (const name of ["nobody", "visitor"]) {
        const run = await resetPassword([name, ...storeOf(server, store)]);
        assert.equal(run.code, 2, run.stderr);
        assert.match(run.stderr, new RegExp(`no account is called '${name}'`));
        assert.equal(run.stdout, "");
      }
      assert.deepEqual((await root.ok("audit_log", {})).entries, []);
    }),
);

Deno.test("reset-password: a bot is refused with code 2, as the admin's reset_password refuses it, and nothing is logged", async () => {
  const server = await startTestServer();
  try {
    const root = await accountWithToken(server, "root");
    const made = await call(server, "POST", "/api/bots", {
      body: { name: "ci" },
      token: root.token,
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const run = await resetPassword(["ci", "--db", `${server.dir}/chat.db`]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /ci is a bot: it has no password/);
    assert.equal(run.stdout, "");
    const log = await call(server, "GET", "/api/admin/audit_log", {
      token: root.token,
    });
    assert.ok(
      !JSON.stringify(log.body).includes("reset_password"),
      JSON.stringify(log.body),
    );
  } finally {
    await server.shutdown();
    await Deno.remove(server.dir, { recursive: true });
  }
});

Deno.test("reset links: createPasswordReset, which the admin's reset_password and the operator's command both call, refuses a bot with forbidden and stores neither link nor entry", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-reset-" });
  const store = await SqliteStore.open(`${dir}/chat.db`, {
    busyTimeoutMs: DEFAULT_CONFIG.dbBusyTimeoutMs,
  });
  try {
    const bot = await store.createAccount({
      key: "ci",
      username: "ci",
      passwordHash: "",
      role: "user",
      bot: true,
    });
    assert.ok(bot);
    const entry = auditEntry(OPERATOR_ACTOR, "", {
      action: "reset_password",
      target: "ci",
    });
    const refused = await createPasswordReset(store, bot, entry);
    assert.ok(isFailure(refused), JSON.stringify(refused));
    assert.equal(refused.code, "forbidden");
    assert.match(refused.message, /ci is a bot: it has no password/);
    assert.deepEqual(await store.auditLog({ limit: 10 }), []);
    // A person's account gets its link, with the entry.
    const ann = await store.createAccount({
      key: "ann",
      username: "ann",
      passwordHash: "x",
      role: "user",
    });
    const made = await createPasswordReset(store, ann!, entry);
    assert.ok(!isFailure(made));
    assert.equal(
      await store.takePasswordReset(hashToken(made.token), Date.now()),
      "ann",
    );
    assert.equal((await store.auditLog({ limit: 10 })).length, 1);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("reset-password: without --url it prints the link's path, which the server's reset route takes", () =>
  withClients(async (pool, server) => {
    await pool.register("root");
    const run = await resetPassword(["root", "--db", `${server.dir}/chat.db`]);
    assert.equal(run.code, 0, run.stderr);
    const path = /^\/reset#([A-Za-z0-9_-]{43})\n$/.exec(run.stdout);
    assert.ok(path, `a path on stdout: ${run.stdout}`);
    assert.match(run.stderr, /Put the server's address before it/);
    const done = await choosePassword(server, path[1], "a brand new secret");
    assert.equal(done.status, 200, JSON.stringify(done.body));
    await pool.login({ username: "root", password: "a brand new secret" });
    // The old password is gone.
    const stale = await pool.connect();
    const reply = await stale.request("login", {
      username: "root",
      password: TEST_PASSWORD,
    });
    assert.equal(reply.data.code, "bad_credentials");
  }));

Deno.test("reset-password: bad usage exits with code 2, a missing database with 1, and makes no file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-reset-" });
  try {
    const none = await resetPassword(["--db", `${dir}/chat.db`]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /name one account/);
    const badUrl = await resetPassword(["root", "--url", "ftp://x.example"]);
    assert.equal(badUrl.code, 2);
    assert.match(badUrl.stderr, /must be an http or https address/);
    // The admin's reset_password reasons' rule: one line.
    const twoLines = await resetPassword([
      "root",
      "--db",
      `${dir}/chat.db`,
      "--reason",
      "forgot\nadmin: root",
    ]);
    assert.equal(twoLines.code, 2);
    assert.match(twoLines.stderr, /--reason: one line, without control/);
    const missing = await resetPassword(["root", "--db", `${dir}/chat.db`]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no database at /);
    assert.equal(existsSync(`${dir}/chat.db`), false);
    const help = await resetPassword(["--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: chat-server reset-password NAME/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("reset-password: a database an older version left is brought up to date first, and one a newer version wrote is refused", async () => {
  const server = await startTestServer();
  const db = `${server.dir}/chat.db`;
  try {
    try {
      await (await TestClient.register(server.wsUrl, "root")).close();
    } finally {
      await server.shutdown();
    }
    // As a server from before the skeletons' last change left it.
    await rewindServerDatabase({}, db, {
      marker: "UPDATE accounts SET skeleton = NULL",
      postgres: () => Promise.resolve(),
      sqlite: () => {},
    });
    assert.ok(versionOf(db) < SQLITE_MIGRATIONS.length);
    const run = await resetPassword(["root", "--db", db]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(versionOf(db), SQLITE_MIGRATIONS.length);
    // A schema this version does not know is not written to.
    const file = new DatabaseSync(db);
    file.exec(`PRAGMA user_version = ${SQLITE_MIGRATIONS.length + 1}`);
    file.close();
    const newer = await resetPassword(["root", "--db", db]);
    assert.equal(newer.code, 1);
    assert.match(newer.stderr, /written by a newer chat-server/);
  } finally {
    await Deno.remove(server.dir, { recursive: true });
  }
});

function versionOf(path: string): number {
  const db = new DatabaseSync(path);
  try {
    return (db.prepare("PRAGMA user_version").get() as {
      user_version: number;
    }).user_version;
  } finally {
    db.close();
  }
}

stores.finish();
