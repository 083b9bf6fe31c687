/**
 * FileStorage's sweep, on a real SQLite store and a real folder: the
 * order of a delete and a sweep already under way.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DiskFileContents } from "../server/file_contents/disk.ts";
import { FileStorage } from "../server/files.ts";
import type { EmojiStore, FileStore } from "../server/store/mod.ts";
import { SqliteStore } from "../server/store/sqlite.ts";
import { draft, UPLOAD } from "./store_contract/support.ts";

Deno.test("file storage: a sweep asked for while one runs runs again after it, so a file deleted meanwhile goes with its bytes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-test-sweep-" });
  const store = await SqliteStore.open(join(dir, "chat.db"), {
    busyTimeoutMs: 5000,
  });
  const contents = new DiskFileContents(join(dir, "files"));
  // The first sweep reads the uploads, then waits until let go: a sweep
  // under way when the message is deleted.
  const read = Promise.withResolvers<void>();
  const letGo = Promise.withResolvers<void>();
  let sweeps = 0;
  const gated: FileStore & EmojiStore = {
    saveUpload: (upload, options) => store.saveUpload(upload, options),
    uploadedBytes: (uploader) => store.uploadedBytes(uploader),
    findUpload: (id) => store.findUpload(id),
    deleteUpload: (id) => store.deleteUpload(id),
    uploadStreams: (id) => store.uploadStreams(id),
    uploadCarried: (id) => store.uploadCarried(id),
    hashInUse: (hash) => store.hashInUse(hash),
    setAvatar: (userKey, upload, createdAt) =>
      store.setAvatar(userKey, upload, createdAt),
    removeAvatar: (userKey) => store.removeAvatar(userKey),
    findAvatar: (userKey) => store.findAvatar(userKey),
    avatarIds: (userKeys) => store.avatarIds(userKeys),
    listUploads: (after, limit) => store.listUploads(after, limit),
    recordFileDeletions: (hashes) => store.recordFileDeletions(hashes),
    pendingFileDeletions: (after, limit) =>
      store.pendingFileDeletions(after, limit),
    claimFileDeletion: (hash) => store.claimFileDeletion(hash),
    finishFileDeletion: (hash, deleted) =>
      store.finishFileDeletion(hash, deleted),
    uploadsToReread: (after, limit) => store.uploadsToReread(after, limit),
    finishReread: (id, facts) => store.finishReread(id, facts),
    secret: (name, fresh) => store.secret(name, fresh),
    addEmoji: (emoji, options) => store.addEmoji(emoji, options),
    removeEmoji: (name, audit) => store.removeEmoji(name, audit),
    listEmoji: () => store.listEmoji(),
    findEmoji: (name) => store.findEmoji(name),
    async sweepUploads(before) {
      const hashes = await store.sweepUploads(before);
      if (++sweeps === 1) {
        read.resolve();
        await letGo.promise;
      }
      return hashes;
    },
  };
  const files = new FileStorage({
    contents,
    store: gated,
    maxFileBytes: 1024,
    sweepEveryMs: 0,
  });
  try {
    await store.saveUpload(UPLOAD);
    const staged = join(dir, "staged");
    await Deno.writeFile(staged, new Uint8Array([1, 2, 3]));
    await contents.put(UPLOAD.hash, staged);
    await store.createRoom("dev", "dev");
    const { message } = await store.appendMessage(draft("dev", "", {
      attachments: [{
        url: `/files/${UPLOAD.id}/photo.png`,
        name: "photo.png",
        size: 3,
        type: "image/png",
      }],
    }));
    const first = files.sweep();
    await read.promise;
    await store.updateMessage(message.id, { deleted: true });
    const second = files.sweep();
    letGo.resolve();
    await Promise.all([first, second]);
    assert.equal(sweeps, 2);
    assert.equal(await store.findUpload(UPLOAD.id), undefined);
    assert.equal(await contents.get(UPLOAD.hash), undefined);
  } finally {
    letGo.resolve();
    await files.close();
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
