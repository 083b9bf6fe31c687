/**
 * Shared files through a crash: the server runs as its own process, as
 * `deno task start` runs it, and is killed (SIGKILL) in the middle of
 * deleting files; started again on the same database and folder, it keeps
 * no bytes that no upload refers to. And the price of that is paid only
 * after a crash: a clean restart, run under strace, lists no folder of the
 * files folder (the deletions it finishes are those the store recorded).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fetchFile, filesUnder, member, uploaded } from "./file_helpers.ts";
import { eventually, spawnServer } from "./harness.ts";
import { STRACE, straceSkipReason } from "./services.ts";

// Enough files that deleting them one by one takes longer than noticing
// the first one go and killing the process, on a busy machine too.
const FILES = 300;

/** The files folder's bytes: every file but those being uploaded. */
async function keptBytes(dir: string): Promise<string[]> {
  return (await filesUnder(dir)).filter((path) => !path.startsWith(".staging"));
}

Deno.test("crash: a server killed while it deletes the files of a deleted room deletes the rest once started again, so no bytes outlive their messages", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-crash-files-" });
  const filesDir = join(dir, "files");
  const args = ["--db", join(dir, "chat.db"), "--files-dir", filesDir];
  try {
    const first = await spawnServer(args);
    let left: number;
    const minutes = new File(["the minutes"], "minutes.txt", {
      type: "text/plain",
    });
    let kept: string;
    try {
      const alice = await member(first, "alice");
      kept = (await uploaded(first, alice.cookie, minutes)).url;
      await alice.client.ok("send_message", {
        text: "minutes",
        attachments: [{ url: kept }],
      });
      await alice.client.ok("create_room", { room: "scans" });
      for (let batch = 0; batch < FILES / 10; batch++) {
        const attachments = [];
        for (let i = 0; i < 10; i++) {
          const n = batch * 10 + i;
          const file = new File([`page ${n}`], `page-${n}.txt`, {
            type: "text/plain",
          });
          attachments.push({
            url: (await uploaded(first, alice.cookie, file)).url,
          });
        }
        await alice.client.ok("send_message", { text: "", attachments });
      }
      assert.equal((await keptBytes(filesDir)).length, FILES + 1);

      // Killed as soon as the first file goes: the uploads' rows are
      // deleted, most of their bytes not yet.
      using watcher = Deno.watchFs(filesDir, { recursive: true });
      await alice.client.ok("delete_room", { room: "scans" });
      for await (const event of watcher) {
        if (event.kind === "remove") break;
      }
      await first.stop("SIGKILL");
      left = (await keptBytes(filesDir)).length;
      assert.ok(left > 1, "the kill came after the last file went");
    } finally {
      await first.stop("SIGKILL");
    }

    const second = await spawnServer(args);
    try {
      await eventually(async () => {
        assert.equal((await keptBytes(filesDir)).length, 1);
      }, { timeoutMs: 60_000 });
      // The file a message still carries stays, and is served.
      const file = await fetchFile(second, kept);
      assert.equal(file.status, 200);
      assert.equal(new TextDecoder().decode(file.bytes), "the minutes");
    } finally {
      await second.stop();
    }
    console.log(`${left} files left by the kill`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "crash: a clean restart lists no folder of the files folder: it finishes only the deletions the store recorded, and leaves bytes nobody recorded alone",
  ignore: straceSkipReason() !== undefined,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "chat-clean-files-" });
    const filesDir = join(dir, "files");
    const args = ["--db", join(dir, "chat.db"), "--files-dir", filesDir];
    try {
      const first = await spawnServer(args);
      try {
        const alice = await member(first, "alice");
        const kept = (await uploaded(
          first,
          alice.cookie,
          new File(["the minutes"], "minutes.txt", { type: "text/plain" }),
        )).url;
        await alice.client.ok("send_message", {
          text: "minutes",
          attachments: [{ url: kept }],
        });
      } finally {
        await first.stop();
      }
      // Bytes no upload refers to and no deletion recorded: put there by
      // hand (an operator's copy), never by the server. The start leaves
      // them; the daily walk, from an hour after start, removes such bytes
      // once an hour old (unnamed_files_test.ts).
      const stray = "ee".repeat(32);
      await Deno.mkdir(join(filesDir, "ee"), { recursive: true });
      await Deno.writeTextFile(join(filesDir, "ee", stray), "not ours");

      const trace = join(dir, "trace");
      const second = await spawnServer(args, {
        wrapper: [
          STRACE,
          "-f",
          "-y",
          "-qq",
          "-e",
          "trace=getdents64",
          "-o",
          trace,
        ],
      });
      let traced: number | undefined;
      try {
        const children = await new Deno.Command("pgrep", {
          args: ["-P", String(second.process.pid)],
          stdout: "piped",
        }).output();
        traced = Number(new TextDecoder().decode(children.stdout).trim());
        // A sweep after the start's: a deleted message's file goes.
        const bob = await member(second, "bob");
        const note = (await uploaded(
          second,
          bob.cookie,
          new File(["a note"], "note.txt", { type: "text/plain" }),
        )).url;
        const { message } = await bob.client.ok("send_message", {
          text: "note",
          attachments: [{ url: note }],
        }) as { message: { id: string } };
        const before = (await filesUnder(filesDir)).length;
        await bob.client.ok("delete_message", { id: message.id });
        await eventually(async () => {
          assert.equal((await filesUnder(filesDir)).length, before - 1);
        }, { timeoutMs: 60_000 });
      } finally {
        // The traced server, not strace: strace ends with it, its trace
        // whole (strace stopped first would leave the server running).
        if (traced) Deno.kill(traced, "SIGTERM");
        await second.process.status;
        await second.stop();
      }
      const read = (await Deno.readTextFile(trace)).split("\n")
        .filter((line) => line.includes(`getdents64(`))
        .map((line) => /<([^>]*)>/.exec(line)?.[1] ?? "");
      // The trace records listings: the start's look for staged leftovers.
      assert.ok(
        read.some((path) => path.startsWith(join(filesDir, ".staging"))),
        "no listing of the staging folder in the trace",
      );
      const listed = read
        .filter((path) =>
          path.startsWith(filesDir) &&
          !path.startsWith(join(filesDir, ".staging"))
        );
      assert.deepEqual(listed, []);
      // The stray bytes stay, beside the minutes a message carries.
      const left = await keptBytes(filesDir);
      assert.equal(left.length, 2);
      assert.ok(left.includes(join("ee", stray)));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("crash: an import killed after placing files leaves the list of what it placed, and the first start an hour later deletes those bytes, no upload referring to them", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-import-files-" });
  const source = join(dir, "source");
  const target = join(dir, "target");
  const targetFiles = join(target, "files");
  const bytes = join(dir, "bytes");
  try {
    await Deno.mkdir(source);
    await Deno.mkdir(target);
    const first = await spawnServer([
      "--db",
      join(source, "chat.db"),
      "--files-dir",
      join(source, "files"),
    ]);
    try {
      const alice = await member(first, "alice");
      for (let n = 0; n < 3; n++) {
        const file = new File([`page ${n}`], `page-${n}.txt`, {
          type: "text/plain",
        });
        const { url } = await uploaded(first, alice.cookie, file);
        await alice.client.ok("send_message", {
          text: "",
          attachments: [{ url }],
        });
      }
    } finally {
      await first.stop();
    }
    const exported = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        "scripts/export.ts",
        "--db",
        join(source, "chat.db"),
        "--include-files",
        bytes,
      ],
      cwd: join(import.meta.dirname!, ".."),
      stdout: "piped",
      stderr: "null",
    }).output();
    assert.equal(exported.code, 0);
    // Every line but the last: the import places the files as it reads
    // their rows, then waits for the rest, its transaction open.
    const lines = new TextDecoder().decode(exported.stdout).trimEnd()
      .split("\n");
    const importer = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        "scripts/import.ts",
        "--db",
        join(target, "chat.db"),
        "--files-dir",
        targetFiles,
        "--include-files",
        bytes,
      ],
      cwd: join(import.meta.dirname!, ".."),
      stdin: "piped",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const writer = importer.stdin.getWriter();
    try {
      await writer.write(
        new TextEncoder().encode(lines.slice(0, -1).join("\n") + "\n"),
      );
      await eventually(async () => {
        assert.equal((await keptBytes(targetFiles)).length, 3);
      }, { timeoutMs: 60_000 });
    } finally {
      try {
        importer.kill("SIGKILL");
      } catch {
        // It had stopped already: the checks below say what it left.
      }
      await importer.status;
      await writer.close().catch(() => {});
    }
    const staging = join(targetFiles, ".staging");
    const lists = [...Deno.readDirSync(staging)]
      .filter((entry) => entry.name.endsWith(".placed"));
    assert.equal(lists.length, 1);
    // An hour later: no import is still writing it.
    const hoursAgo = new Date(Date.now() - 2 * 3600 * 1000);
    await Deno.utime(join(staging, lists[0].name), hoursAgo, hoursAgo);

    const second = await spawnServer([
      "--db",
      join(target, "chat.db"),
      "--files-dir",
      targetFiles,
    ]);
    try {
      await eventually(async () => {
        assert.deepEqual(await keptBytes(targetFiles), []);
      }, { timeoutMs: 60_000 });
      assert.deepEqual(
        [...Deno.readDirSync(staging)].map((entry) => entry.name),
        [],
      );
    } finally {
      await second.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
