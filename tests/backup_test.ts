/**
 * `deno task backup --db chat.db --to backup.db`: an online copy of the
 * SQLite database taken while a real server keeps storing messages, run as
 * its own process exactly as the task runs it.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import {
  eventually,
  type Frame,
  startTestServer,
  TestClient,
} from "./harness.ts";
import { NO_RATE_LIMITS } from "../server/mod.ts";
import { fillHistory } from "./history_fixture.ts";

const BACKUP = new URL("../scripts/backup.ts", import.meta.url).pathname;
// Enough history for the copy to take a while on a busy machine.
const STORED = 20_000;

// One store full of history, built once for the file and copied per test.
const fixtureDir = await Deno.makeTempDir({ prefix: "chat-backup-fixture-" });
const FIXTURE = `${fixtureDir}/chat.db`;
globalThis.addEventListener(
  "unload",
  () => Deno.removeSync(fixtureDir, { recursive: true }),
);
await fillHistory(FIXTURE, STORED);

/** A folder holding a copy of the fixture as chat.db. */
async function folderWithHistory(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "chat-backup-" });
  await Deno.copyFile(FIXTURE, `${dir}/chat.db`);
  return dir;
}

function backupCommand(args: string[]): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    // manual: the command uses node_modules as it is, taking no lock on
    // it. With "auto" (deno.json) the eight runs of one test queued on the
    // lock, and a run that waited printed "Blocking waiting for file lock
    // on node_modules directory" before its error.
    args: [
      "run",
      "--node-modules-dir=manual",
      "--allow-read",
      "--allow-write",
      BACKUP,
      ...args,
    ],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  });
}

function names(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((entry) => entry.name).sort();
}

interface Acked {
  id: string;
  seq: number;
}

Deno.test("backup: a copy taken while sends go on holds every message acknowledged before it, and sends keep being acknowledged", async () => {
  const dir = await folderWithHistory();
  // A send that waited for a lock longer than this would fail, not stall:
  // the backup must never hold one the server needs.
  const server = await startTestServer({
    db: `${dir}/chat.db`,
    rateLimits: NO_RATE_LIMITS,
    dbBusyTimeoutMs: 100,
  });
  const alice = await TestClient.login(server.wsUrl, "alice");
  try {
    const acked: Acked[] = [];
    const failures: Frame[] = [];
    const sends: { start: number; ms: number }[] = [];
    let sending = true;
    const sender = (async () => {
      for (let i = 0; sending; i++) {
        const start = performance.now();
        const reply = await alice.request("send_message", {
          text: `live ${i}`,
          client_id: `live-${i}`,
        });
        sends.push({ start, ms: performance.now() - start });
        if (reply.action === "success") {
          acked.push(reply.data.message as Acked);
        } else {
          failures.push(reply);
        }
      }
    })();
    const ackedSoon = async (n: number) => {
      while (acked.length < n && failures.length === 0) {
        await alice.waitFor(
          (f) => f.action === "receive_message",
          "a send",
          { from: alice.received.length },
        );
      }
    };
    await ackedSoon(20);

    const before = acked.slice();
    const started = performance.now();
    const output = await backupCommand([
      "--db",
      `${dir}/chat.db`,
      "--to",
      `${dir}/backup.db`,
    ]).output();
    const ended = performance.now();
    const ackedDuring = acked.length - before.length;
    await ackedSoon(acked.length + 5);
    sending = false;
    await sender;

    const stdout = new TextDecoder().decode(output.stdout);
    const stderr = new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 0, stderr);
    assert.match(stdout, /^Backed up .* messages/);
    assert.deepEqual(failures, []);
    assert.ok(ackedDuring > 0, "sends were acknowledged during the backup");
    const during = sends.filter((s) =>
      s.start + s.ms >= started && s.start <= ended
    );
    const longest = Math.max(...during.map((s) => s.ms));
    console.log(
      `${stdout.trim()} (the process: ${
        ((ended - started) / 1000).toFixed(1)
      } s); meanwhile ${ackedDuring} sends acknowledged, the slowest in ${
        longest.toFixed(0)
      } ms`,
    );

    const copy = new DatabaseSync(`${dir}/backup.db`, { readOnly: true });
    try {
      assert.deepEqual(
        copy.prepare("PRAGMA integrity_check").all().map((r) => ({ ...r })),
        [{ integrity_check: "ok" }],
      );
      assert.deepEqual(
        { ...copy.prepare("PRAGMA journal_mode").get() },
        { journal_mode: "delete" },
      );
      const ids = new Set(
        copy.prepare("SELECT id FROM messages").all().map((r) => r.id),
      );
      const missing = before.filter((m) => !ids.has(m.id));
      assert.deepEqual(missing, [], "acknowledged before, missing from copy");
      // One instant: each stream's counter matches its messages, no gap.
      const streams = copy.prepare(
        `SELECT s.key, s.last_seq, count(m.seq) AS n, max(m.seq) AS top
         FROM streams s LEFT JOIN messages m ON m.stream = s.key
         GROUP BY s.key`,
      ).all();
      for (const s of streams) {
        assert.equal(s.last_seq, s.top ?? 0, `stream ${s.key}`);
        assert.equal(s.n, s.top ?? 0, `stream ${s.key}`);
      }
    } finally {
      copy.close();
    }
    // No file of the backup's own is left beside its copy (the server's
    // files folder, made at its start, is the server's).
    assert.deepEqual(
      names(dir).filter((name) => !name.startsWith("chat.db")),
      ["backup.db", "files"],
    );

    // The copy is a working server's database.
    const restored = await startTestServer({
      db: `${dir}/backup.db`,
      rateLimits: NO_RATE_LIMITS,
    });
    try {
      const bob = await TestClient.login(restored.wsUrl, "bob");
      const last = before[before.length - 1];
      const page = await bob.ok("history", {
        room: "general",
        after_seq: last.seq - 1,
        limit: 1,
      });
      assert.deepEqual(
        (page.messages as Acked[]).map((m) => m.id),
        [last.id],
      );
      await bob.close();
    } finally {
      await restored.close();
    }
  } finally {
    await alice.close();
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("backup: bad input gets a clear error and exit code and leaves no file behind", async () => {
  const dir = await folderWithHistory();
  try {
    await Deno.writeTextFile(`${dir}/taken.db`, "keep me");
    await Deno.writeTextFile(`${dir}/notes.txt`, "not a database");
    const db = `${dir}/chat.db`;
    const cases: [string[], number, RegExp][] = [
      [["--db", `${dir}/missing.db`, "--to", `${dir}/a.db`], 1, /no such file/],
      [["--db", db, "--to", `${dir}/taken.db`], 1, /already exists/],
      [["--db", db, "--to", `${dir}/no/such/folder.db`], 1, /no folder/],
      [["--db", `${dir}/notes.txt`, "--to", `${dir}/b.db`], 1, /not a data/],
      [["--db", ":memory:", "--to", `${dir}/c.db`], 1, /path of a file/],
      [["--db", db], 2, /--to FILE is required/],
      [["--database-url", "postgres://x", "--to", `${dir}/d.db`], 2, /pg_dump/],
      [["--to", `${dir}/e.db`, "--db-busy-timeout", "soon"], 2, /whole num/],
      [["--db", db, "--to", `${dir}/f.db`, "--force"], 2, /Unknown option/],
    ];
    const before = names(dir);
    const outputs = await Promise.all(
      cases.map(([args]) => backupCommand(args).output()),
    );
    cases.forEach(([args, code, message], i) => {
      const stderr = new TextDecoder().decode(outputs[i].stderr);
      assert.equal(outputs[i].code, code, `${args.join(" ")}: ${stderr}`);
      assert.match(stderr, /^error: /, args.join(" "));
      assert.match(stderr, message, args.join(" "));
      // Bad usage points at the help rather than printing it.
      if (code === 2) {
        assert.match(
          stderr,
          /\nSee 'chat-server backup --help' for the options\.\n$/,
        );
        assert.equal(stderr.split("\n").length, 3, stderr);
      }
    });
    assert.deepEqual(names(dir), before, "no file written or left");
    assert.equal(await Deno.readTextFile(`${dir}/taken.db`), "keep me");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("backup: interrupted with Ctrl-C, it leaves a whole copy or none", async () => {
  const dir = await folderWithHistory();
  try {
    const child = backupCommand([
      "--db",
      `${dir}/chat.db`,
      "--to",
      `${dir}/backup.db`,
    ]).spawn();
    const stdout = new Response(child.stdout).text();
    const reader = child.stderr.pipeThrough(new TextDecoderStream())
      .getReader();
    let stderr = "";
    while (!stderr.includes("Backing up")) {
      const { value, done } = await reader.read();
      if (done) break;
      stderr += value;
    }
    child.kill("SIGINT");
    const status = await child.status;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      stderr += value;
    }
    await stdout;
    if (status.code === 0) {
      // It finished before the signal came: the copy must be whole.
      const copy = new DatabaseSync(`${dir}/backup.db`, { readOnly: true });
      const { n } = copy.prepare("SELECT count(*) AS n FROM messages").get()!;
      copy.close();
      assert.equal(n, STORED);
    } else {
      assert.equal(status.code, 130, stderr);
      assert.match(stderr, /interrupted; nothing written/);
      assert.deepEqual(
        names(dir).filter((name) => !name.startsWith("chat.db")),
        [],
      );
    }
    assert.deepEqual(
      names(dir).filter((name) => name.includes("partial")),
      [],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("backup: a copy killed outright leaves a partial file that the next backup into its folder removes; one still under way stays and finishes", async () => {
  const dir = await folderWithHistory();
  // The database held by another process in exclusive mode: each backup
  // makes its partial file, then waits to read.
  const holder = new DatabaseSync(`${dir}/chat.db`);
  holder.exec("PRAGMA locking_mode = EXCLUSIVE");
  holder.exec("BEGIN EXCLUSIVE");
  let held = true;
  const started: Deno.ChildProcess[] = [];
  const backup = (to: string) => {
    const child = backupCommand([
      "--db",
      `${dir}/chat.db`,
      "--to",
      `${dir}/${to}`,
      "--db-busy-timeout",
      "300000",
    ]).spawn();
    started.push(child);
    return child;
  };
  const partialOf = (to: string) =>
    names(dir).filter((name) => name.startsWith(`.${to}.partial-`));
  try {
    const killed = backup("monday.db");
    await eventually(() => assert.equal(partialOf("monday.db").length, 1));
    killed.kill("SIGKILL");
    await killed.output();
    assert.equal(partialOf("monday.db").length, 1);

    // Each looks at the folder before it makes its own partial file.
    const tuesday = backup("tuesday.db");
    await eventually(() => assert.equal(partialOf("tuesday.db").length, 1));
    assert.deepEqual(partialOf("monday.db"), []);
    const wednesday = backup("wednesday.db");
    await eventually(() => assert.equal(partialOf("wednesday.db").length, 1));
    assert.equal(partialOf("tuesday.db").length, 1);

    holder.exec("ROLLBACK");
    holder.close();
    held = false;
    for (const child of [tuesday, wednesday]) {
      const output = await child.output();
      assert.equal(
        output.code,
        0,
        new TextDecoder().decode(output.stderr),
      );
    }
    for (const name of ["tuesday.db", "wednesday.db"]) {
      const copy = new DatabaseSync(`${dir}/${name}`, { readOnly: true });
      const { n } = copy.prepare("SELECT count(*) AS n FROM messages").get()!;
      copy.close();
      assert.equal(n, STORED);
    }
    assert.deepEqual(
      names(dir).filter((name) => !name.startsWith("chat.db")),
      ["tuesday.db", "wednesday.db"],
    );
  } finally {
    if (held) holder.close();
    for (const child of started) {
      try {
        child.kill("SIGKILL");
        await child.output();
      } catch {
        // Already gone, its output read.
      }
    }
    await Deno.remove(dir, { recursive: true });
  }
});
