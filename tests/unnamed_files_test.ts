/**
 * The daily walk of the files a server keeps, on a real server with real
 * files: in its folder (SQLite) or in PostgreSQL's `file_contents`.
 * Bytes no upload names and nobody recorded for deletion (what a crash,
 * a killed import or a database restored from an older backup leaves)
 * are removed once an hour old (FileStorage.removeUnnamed), and nothing
 * else; uploads whose bytes are gone are counted, logged and shown in
 * /metrics (FileStorage.findMissing). Its hourly sweep runs both once a
 * day; the tests run them at once.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { bothStores, type StoreUnderTest } from "./both_stores.ts";
import {
  fetchFile,
  filesUnder,
  type Member,
  member,
  type Uploaded,
  uploaded,
} from "./file_helpers.ts";
import {
  eventually,
  metric,
  startTestServer,
  type TestServer,
  withServer,
} from "./harness.ts";
import { logLines } from "./log_lines.ts";

const TWO_HOURS_AGO = new Date(Date.now() - 2 * 3600 * 1000);

/** Puts bytes in the folder as the server would, written at `when`. */
async function place(
  folder: string,
  text: string,
  when: Date,
): Promise<string> {
  const hash = createHash("sha256").update(text).digest("hex");
  const path = join(hash.slice(0, 2), hash);
  await Deno.mkdir(join(folder, hash.slice(0, 2)), { recursive: true });
  await Deno.writeTextFile(join(folder, path), text);
  await Deno.utime(join(folder, path), when, when);
  return path;
}

Deno.test("unnamed files: a walk removes bytes no upload names once they are an hour old, and keeps sent files, drafts, recent bytes, staged uploads and others' files", () =>
  withServer(async (server) => {
    const folder = join(server.dir, "files");
    const alice = await member(server, "alice");
    const minutes = await uploaded(
      server,
      alice.cookie,
      new File(["the minutes"], "minutes.txt", { type: "text/plain" }),
    );
    await alice.client.ok("send_message", {
      text: "minutes",
      attachments: [{ url: minutes.url }],
    });
    // Recorded, never sent yet: its uploader's draft.
    const draft = await uploaded(
      server,
      alice.cookie,
      new File(["a draft"], "draft.txt", { type: "text/plain" }),
    );
    const named = await filesUnder(folder);
    assert.equal(named.length, 2, String(named));
    for (const path of named) {
      await Deno.utime(join(folder, path), TWO_HOURS_AGO, TWO_HOURS_AGO);
    }
    const leftover = await place(folder, "left by a crash", TWO_HOURS_AGO);
    // May be an import's, placed before its commit.
    const recent = await place(folder, "placed a minute ago", new Date());
    const staged = join(".staging", "upload.part");
    await Deno.mkdir(join(folder, ".staging"), { recursive: true });
    await Deno.writeTextFile(join(folder, staged), "half an upload");
    await Deno.utime(join(folder, staged), TWO_HOURS_AGO, TWO_HOURS_AGO);
    const foreign = "README.txt";
    await Deno.writeTextFile(join(folder, foreign), "the operator's");
    await Deno.utime(join(folder, foreign), TWO_HOURS_AGO, TWO_HOURS_AGO);

    assert.deepEqual(await server.node.files.removeUnnamed(), {
      files: 1,
      bytes: "left by a crash".length,
    });
    assert.deepEqual(
      await filesUnder(folder),
      [...named, recent, staged, foreign].sort(),
    );
    assert.ok(!(await filesUnder(folder)).includes(leftover));
    for (const { url } of [minutes, draft]) {
      const file = await fetchFile(server, url, alice.cookie);
      assert.equal(file.status, 200, url);
    }
    // Nothing is left recorded for deletion: a second walk finds nothing.
    assert.deepEqual(await server.node.files.removeUnnamed(), {
      files: 0,
      bytes: 0,
    });
    await alice.client.close();
  }));

/**
 * Where a server keeps the bytes of its files, for a test to look inside:
 * its folder (SQLite) or the `file_contents` table (PostgreSQL, with no
 * `--files-dir`), and the uploads' rows beside them.
 */
interface Kept {
  /** Puts bytes there as the server would, written at `when`; their hash. */
  place(text: string, when: Date): Promise<string>;
  /** Sets when the bytes of a hash were written. */
  age(hash: string, when: Date): Promise<void>;
  /** Takes the bytes of a hash away, as a hand or a mishap would. */
  remove(hash: string): Promise<void>;
  /** The hashes kept, sorted. */
  hashes(): Promise<string[]>;
  /** Sets when every upload but those of `except` (ids) was recorded. */
  ageUploads(when: Date, except: string[]): Promise<void>;
}

function keptOf(server: TestServer, store: StoreUnderTest): Kept {
  const { psql } = store;
  if (psql) {
    return {
      async place(text, when) {
        const hash = sha256(text);
        await psql(`
          INSERT INTO file_contents (hash, bytes, written_at)
          VALUES ('${hash}', convert_to('${text}', 'UTF8'), ${when.getTime()})`);
        return hash;
      },
      async age(hash, when) {
        await psql(`UPDATE file_contents SET written_at = ${when.getTime()}
          WHERE hash = '${hash}'`);
      },
      async remove(hash) {
        await psql(`DELETE FROM file_contents WHERE hash = '${hash}'`);
      },
      async hashes() {
        const out = await psql(
          "SELECT hash FROM file_contents ORDER BY hash",
        );
        return out.split("\n").map((line) => line.trim())
          .filter((line) => /^[0-9a-f]{64}$/.test(line)).sort();
      },
      async ageUploads(when, except) {
        await psql(`UPDATE uploads SET created_at = ${when.getTime()}
          WHERE id NOT IN ('${except.join("', '")}')`);
      },
    };
  }
  const folder = join(server.dir, "files");
  const path = (hash: string) => join(folder, hash.slice(0, 2), hash);
  return {
    async place(text, when) {
      const hash = sha256(text);
      await Deno.mkdir(join(folder, hash.slice(0, 2)), { recursive: true });
      await Deno.writeTextFile(path(hash), text);
      await Deno.utime(path(hash), when, when);
      return hash;
    },
    age: (hash, when) => Deno.utime(path(hash), when, when),
    remove: (hash) => Deno.remove(path(hash)),
    async hashes() {
      return (await filesUnder(folder)).map((file) => file.slice(3)).sort();
    },
    ageUploads(when, except) {
      // Beside the server's own connection, as the reset command writes.
      const db = new DatabaseSync(join(server.dir, "chat.db"));
      try {
        db.exec("PRAGMA busy_timeout = 60000");
        db.prepare(
          `UPDATE uploads SET created_at = ? WHERE id NOT IN (${
            except.map(() => "?").join(", ")
          })`,
        ).run(when.getTime(), ...except);
      } finally {
        db.close();
      }
      return Promise.resolve();
    },
  };
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** The id of an upload, from its URL `/files/<id>/<name>`. */
function idOf(upload: Uploaded): string {
  return upload.url.split("/")[2];
}

/** Uploads a text file as `member`. */
function uploadText(
  server: TestServer,
  member: Member,
  text: string,
): Promise<Uploaded> {
  return uploaded(
    server,
    member.cookie,
    new File([text], `${text}.txt`, { type: "text/plain" }),
  );
}

const stores = await bothStores();

stores.test(
  "unnamed files: a walk of the bytes kept (a folder, or PostgreSQL's file_contents) removes those no upload names once an hour old, and keeps sent files, drafts and recent bytes",
  async (server, store) => {
    const kept = keptOf(server, store);
    const alice = await member(server, "alice");
    const minutes = await uploadText(server, alice, "the minutes");
    await alice.client.ok("send_message", {
      text: "minutes",
      attachments: [{ url: minutes.url }],
    });
    const draft = await uploadText(server, alice, "a draft");
    const named = await kept.hashes();
    assert.deepEqual(named, [sha256("the minutes"), sha256("a draft")].sort());
    for (const hash of named) await kept.age(hash, TWO_HOURS_AGO);
    await kept.place("left by a crash", TWO_HOURS_AGO);
    // May be an import's, placed before its commit.
    const recent = await kept.place("placed a minute ago", new Date());

    assert.deepEqual(await server.node.files.removeUnnamed(), {
      files: 1,
      bytes: "left by a crash".length,
    });
    assert.deepEqual(await kept.hashes(), [...named, recent].sort());
    for (const { url } of [minutes, draft]) {
      const file = await fetchFile(server, url, alice.cookie);
      assert.equal(file.status, 200, url);
    }
    // Nothing is left recorded for deletion: a second walk finds nothing.
    assert.deepEqual(await server.node.files.removeUnnamed(), {
      files: 0,
      bytes: 0,
    });
    await alice.client.close();
  },
);

stores.test(
  "missing files: a walk counts the uploads whose file is gone, says so in the log with a few ids and in /metrics (chat_files_missing), and counts none once the file is back",
  async (server, store) => {
    const kept = keptOf(server, store);
    const alice = await member(server, "alice");
    const sent = await uploadText(server, alice, "the minutes");
    const lost = await uploadText(server, alice, "the budget");
    await alice.client.ok("send_message", {
      text: "minutes and budget",
      attachments: [{ url: sent.url }, { url: lost.url }],
    });
    const lostDraft = await uploadText(server, alice, "a draft");
    // Its bytes may still be on their way: an hour's grace.
    const arriving = await uploadText(server, alice, "just uploaded");
    await kept.ageUploads(TWO_HOURS_AGO, [idOf(arriving)]);
    for (const text of ["the budget", "a draft", "just uploaded"]) {
      await kept.remove(sha256(text));
    }
    assert.equal(await metric(server.url, "chat_files_missing"), 0);

    const missing = await logLines(
      ["chat", "files"],
      () => server.node.files.findMissing(),
    );
    const ids = [idOf(lost), idOf(lostDraft)].sort();
    assert.deepEqual(
      { ...missing.result, ids: missing.result.ids.sort() },
      { count: 2, ids },
    );
    assert.equal(await metric(server.url, "chat_files_missing"), 2);
    const warnings = missing.lines.filter((line) => line.level === "warning");
    assert.equal(warnings.length, 1, JSON.stringify(missing.lines));
    assert.match(warnings[0].text, /^2 of 3 uploads name a file that is gone/);
    for (const id of ids) assert.ok(warnings[0].text.includes(id), id);
    const download = await fetchFile(server, lost.url, alice.cookie);
    assert.equal(download.status, 404);

    // The same bytes uploaded again are the lost uploads' bytes too.
    for (const text of ["the budget", "a draft"]) {
      await uploadText(server, alice, text);
    }
    const found = await logLines(
      ["chat", "files"],
      () => server.node.files.findMissing(),
    );
    assert.deepEqual(found.result, { count: 0, ids: [] });
    assert.equal(await metric(server.url, "chat_files_missing"), 0);
    assert.deepEqual(found.lines, [
      {
        level: "info",
        text: "Every upload's file is kept (3 uploads over an hour old)",
      },
    ]);
    await alice.client.close();
  },
);

stores.test(
  "missing files: a server started on a store whose uploads lost their files counts them in /metrics (chat_files_missing) soon after its start, not at the daily walk an hour later",
  async (server, store) => {
    const kept = keptOf(server, store);
    const alice = await member(server, "alice");
    const lost = await uploadText(server, alice, "the lost budget");
    await alice.client.ok("send_message", {
      text: "the budget",
      attachments: [{ url: lost.url }],
    });
    await alice.client.close();
    await kept.ageUploads(TWO_HOURS_AGO, []);
    await kept.remove(sha256("the lost budget"));
    // Another node on the store, as after a restore: nothing asks it to
    // walk, and its first timed walk is an hour away.
    const next = await startTestServer(
      store.databaseUrl === undefined
        ? { db: join(server.dir, "chat.db") }
        : { databaseUrl: store.databaseUrl },
    );
    try {
      // Polled until it holds, within the harness's wide deadline.
      await eventually(async () =>
        assert.equal(await metric(next.url, "chat_files_missing"), 1)
      );
    } finally {
      await next.close();
    }
  },
);

stores.finish();
