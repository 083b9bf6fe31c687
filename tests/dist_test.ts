/**
 * `deno task dist`: the one text file that runs the server on any machine
 * with Deno. Built once for this file, then copied alone into an empty
 * folder and run there as an executable (its shebang), as an operator would.
 */
import assert from "node:assert/strict";
import { fetchFile, member, uploaded } from "./file_helpers.ts";
import { type Frame, historyOf, spawnServer, TestClient } from "./harness.ts";
import {
  postgresSkipReason,
  redisSkipReason,
  startPostgres,
  startRedis,
} from "./services.ts";
import { VERSION } from "../server/version.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const built = await Deno.makeTempDir({ prefix: "chat-dist-" });
const DIST = `${built}/chat-server`;
globalThis.addEventListener(
  "unload",
  () => Deno.removeSync(built, { recursive: true }),
);

const build = await new Deno.Command(Deno.execPath(), {
  args: ["task", "dist", "--output", DIST],
  cwd: ROOT,
  stdout: "piped",
  stderr: "piped",
}).output();
const buildLog = new TextDecoder().decode(build.stderr);

/** A fresh empty folder holding only a copy of the dist file. */
async function installAlone(): Promise<string> {
  assert.ok(build.success, `deno task dist failed:\n${buildLog}`);
  const dir = await Deno.makeTempDir({ prefix: "chat-install-" });
  await Deno.copyFile(DIST, `${dir}/chat-server`);
  return dir;
}

async function run(dir: string, args: string[]): Promise<Deno.CommandOutput> {
  return await new Deno.Command(`${dir}/chat-server`, {
    args,
    cwd: dir,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Logs in as a guest, sends a message and reads it back from history. */
async function chat(wsUrl: string, text: string): Promise<void> {
  const alice = await TestClient.login(wsUrl, "alice");
  try {
    const sent = await alice.ok("send_message", { text, client_id: "k1" });
    const history = await historyOf<{ seq: number; text: string }>(
      alice,
      "general",
    );
    assert.deepEqual(history.map((m) => [m.seq, m.text]), [[1, text]]);
    assert.equal((sent.message as Frame["data"]).text, text);
    // Search too: the one file starts no thread, its index is kept in the
    // database (search_index.ts, in place).
    const found = await alice.ok("search", { query: text.split(" ")[0] });
    assert.deepEqual(
      (found.results as { text: string }[]).map((r) => r.text),
      [text],
    );
  } finally {
    await alice.close();
  }
}

Deno.test("dist: chat-server copied alone into an empty folder serves the client and chats, with chat.db beside it", async () => {
  const dir = await installAlone();
  try {
    const server = await spawnServer([], {
      executable: `${dir}/chat-server`,
      cwd: dir,
    });
    try {
      // Nothing it needs is missing from its permissions: the server says
      // so at start when one is (the machine's own addresses, that
      // webhooks and push may not call, went unread).
      assert.doesNotMatch(server.output(), / (WRN|ERR) /);
      await chat(server.wsUrl, "hello from one file");
      const page = await fetch(`${server.url}/`);
      assert.equal(page.status, 200);
      const html = await page.text();
      assert.match(html, /<script[^>]+app\.js/);
      // The admin page and the reset form are the same page, from memory.
      for (const path of ["/admin", "/reset"]) {
        const response = await fetch(`${server.url}${path}`);
        assert.equal(response.status, 200, path);
        assert.equal(await response.text(), html, path);
      }
      for (
        const [path, type] of [
          ["/app.js", "text/javascript"],
          ["/styles.css", "text/css"],
          ["/favicon.svg", "image/svg+xml"],
          // The installable app: its service worker, manifest and icons.
          ["/sw.js", "text/javascript"],
          ["/manifest.webmanifest", "application/manifest+json"],
          ["/icons/icon-192.png", "image/png"],
          ["/icons/icon-512.png", "image/png"],
        ]
      ) {
        const response = await fetch(`${server.url}${path}`);
        assert.equal(response.status, 200, path);
        assert.ok(response.headers.get("content-type")?.startsWith(type));
        const body = await response.bytes();
        const source = await Deno.readFile(`${ROOT}static${path}`);
        assert.deepEqual(body, source, `${path} as built`);
      }
      // Uploads parse multipart bodies with a bundled CommonJS package.
      const bob = await member(server, "bob");
      try {
        const note = new File(["shared notes"], "notes.txt", {
          type: "text/plain",
        });
        const file = await uploaded(server, bob.cookie, note);
        const got = await fetchFile(server, file.url, bob.cookie);
        assert.equal(got.status, 200);
        assert.equal(new TextDecoder().decode(got.bytes), "shared notes");
      } finally {
        await bob.client.close();
      }
      const missing = await fetch(`${server.url}/nothing-here.js`);
      assert.equal(missing.status, 404);
      await missing.body?.cancel();
      assert.ok(await exists(`${dir}/chat.db`), "chat.db in the folder");
      // The same file backs up the database it serves, while it serves.
      const backup = await run(dir, ["backup", "--to", "backup.db"]);
      assert.equal(backup.code, 0, new TextDecoder().decode(backup.stderr));
      assert.match(new TextDecoder().decode(backup.stdout), /: 1 message, /);
      // And exports it, as JSON Lines on stdout.
      const exported = await run(dir, ["export"]);
      assert.equal(exported.code, 0, new TextDecoder().decode(exported.stderr));
      const lines = new TextDecoder().decode(exported.stdout).trimEnd()
        .split("\n").map((line) => JSON.parse(line));
      assert.equal(lines[0].kind, "header");
      assert.equal(lines.at(-1).kind, "end");
      assert.ok(lines.some((l) => l.text === "hello from one file"));
      // And makes the operator's password reset link for bob, while it serves.
      const reset = await run(dir, [
        "reset-password",
        "bob",
        "--url",
        server.url,
      ]);
      assert.equal(reset.code, 0, new TextDecoder().decode(reset.stderr));
      assert.ok(
        new TextDecoder().decode(reset.stdout).startsWith(
          `${server.url}/reset#`,
        ),
      );
    } finally {
      const status = await server.stop("SIGTERM");
      assert.equal(status.code, 0, server.output());
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dist: chat-server warns that --db-thread on is not in the one file, and serves on the main thread", async () => {
  const dir = await installAlone();
  try {
    const server = await spawnServer(["--db-thread", "on"], {
      executable: `${dir}/chat-server`,
      cwd: dir,
    });
    try {
      assert.match(
        server.output(),
        / WRN .*--db-thread on is not available in this build/,
      );
      await chat(server.wsUrl, "stored on the main thread");
    } finally {
      const status = await server.stop("SIGTERM");
      assert.equal(status.code, 0, server.output());
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dist: chat-server answers --help and --version without starting", async () => {
  const dir = await installAlone();
  try {
    const version = await run(dir, ["--version"]);
    assert.equal(version.code, 0);
    assert.equal(
      new TextDecoder().decode(version.stdout),
      `chat-server ${VERSION}\n`,
    );
    const help = await run(dir, ["--help"]);
    assert.equal(help.code, 0);
    const text = new TextDecoder().decode(help.stdout);
    assert.match(text, /--database-url URL/);
    assert.match(text, /chat-server backup --to FILE/);
    assert.match(text, /chat-server export > chat.jsonl/);
    assert.match(text, /chat-server reset-password NAME/);
    const bad = await run(dir, ["--port", "x"]);
    assert.equal(bad.code, 2);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), [
      "chat-server",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dist: the file asks Deno for no more than the server needs", async () => {
  assert.ok(build.success, `deno task dist failed:\n${buildLog}`);
  const file = await Deno.open(DIST);
  const head = new Uint8Array(512);
  const n = (await file.read(head)) ?? 0;
  file.close();
  const shebang = new TextDecoder().decode(head.subarray(0, n)).split("\n")[0];
  assert.match(shebang, /^#!\/usr\/bin\/env -S deno run /);
  for (const flag of ["--no-prompt", "--no-npm", "--no-config"]) {
    assert.ok(shebang.includes(flag), `${flag} in ${shebang}`);
  }
  assert.doesNotMatch(shebang, / (-A|--allow-all|--allow-run|--allow-ffi)\b/);
  assert.ok((await Deno.stat(DIST)).mode! & 0o100, "executable");
});

Deno.test("dist: the file runs with the same V8 flags as deno task start", async () => {
  assert.ok(build.success, `deno task dist failed:\n${buildLog}`);
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  const start: string = config.tasks.start;
  const flags = start.split(" ").filter((arg) => arg.startsWith("--v8-flags"));
  assert.ok(flags.length > 0, `no --v8-flags in ${start}`);
  const text = await Deno.readTextFile(DIST);
  const shebang = text.slice(0, text.indexOf("\n"));
  for (const flag of flags) {
    assert.ok(shebang.split(" ").includes(flag), `${flag} in ${shebang}`);
  }
});

const servicesSkip = postgresSkipReason() ?? redisSkipReason();

Deno.test({
  name: servicesSkip
    ? `dist: skipped PostgreSQL and Redis, ${servicesSkip}`
    : "dist: chat-server runs on PostgreSQL and Redis with --database-url and --redis-url",
  ignore: servicesSkip !== undefined,
  async fn() {
    const dir = await installAlone();
    const pg = (await startPostgres())!;
    const redis = await startRedis();
    try {
      const server = await spawnServer([
        "--database-url",
        pg.url,
        "--redis-url",
        redis!.url,
      ], { executable: `${dir}/chat-server`, cwd: dir });
      try {
        assert.match(server.output(), /PostgreSQL/);
        await chat(server.wsUrl, "hello through PostgreSQL");
        const health = await fetch(`${server.url}/healthz`);
        assert.deepEqual(await health.json(), { status: "ok" });
      } finally {
        const status = await server.stop("SIGTERM");
        assert.equal(status.code, 0, server.output());
      }
      assert.ok(!(await exists(`${dir}/chat.db`)), "no SQLite file");
    } finally {
      await redis?.stop();
      await pg.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
