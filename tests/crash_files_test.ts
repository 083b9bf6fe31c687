/**
 * Shared files through a crash: the server runs as its own process, as
 * `deno task start` runs it, and is killed (SIGKILL) in the middle of
 * deleting files; started again on the same database and folder, it keeps
 * no bytes that no upload refers to.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fetchFile, filesUnder, member, uploaded } from "./file_helpers.ts";
import { eventually, spawnServer } from "./harness.ts";

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
