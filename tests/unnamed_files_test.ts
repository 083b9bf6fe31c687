/**
 * Bytes in the files folder that no upload names and nobody recorded for
 * deletion (what a crash, a killed import or a database restored from an
 * older backup leaves): a real server on a real folder removes those an
 * hour old when it walks the folder (FileStorage.removeUnnamed, which its
 * hourly sweep runs once a day), and nothing else.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { fetchFile, filesUnder, member, uploaded } from "./file_helpers.ts";
import { withServer } from "./harness.ts";

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
