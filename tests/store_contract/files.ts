/**
 * The store contract for the records of uploads: saveUpload (and its
 * quota), uploadedBytes, findUpload, deleteUpload, uploadStreams,
 * uploadCarried, sweepUploads, hashInUse, listUploads, the journal of file deletions
 * (recordFileDeletions, pendingFileDeletions, claimFileDeletion,
 * finishFileDeletion), reading uploads again (uploadsToReread,
 * finishReread), profile pictures (setAvatar, removeAvatar, findAvatar),
 * and secret.
 */
import assert from "node:assert/strict";
import type { StoredUpload } from "../../server/store/mod.ts";
import {
  account,
  dm,
  draft,
  range,
  type StoreTest,
  UPLOAD,
} from "./support.ts";

/** The contract of the upload records. */
export function files(test: StoreTest): void {
  test("saveUpload records an upload and findUpload finds it by id", async (store) => {
    await store.saveUpload(UPLOAD);
    assert.deepEqual(await store.findUpload(UPLOAD.id), UPLOAD);
    // Same bytes under another id and name: a record of its own.
    const again = { ...UPLOAD, id: "1f".repeat(16), name: "other.png" };
    await store.saveUpload(again);
    assert.deepEqual(await store.findUpload(again.id), again);
    assert.deepEqual(await store.findUpload(UPLOAD.id), UPLOAD);
    const text = {
      ...UPLOAD,
      id: "2f".repeat(16),
      type: "text/plain",
      width: undefined,
      height: undefined,
    };
    delete text.width;
    delete text.height;
    await store.saveUpload(text);
    assert.deepEqual(await store.findUpload(text.id), text);
  });

  test("findUpload of an unknown id is undefined, and deleteUpload forgets one", async (store) => {
    await store.saveUpload(UPLOAD);
    assert.equal(await store.findUpload("ef".repeat(16)), undefined);
    assert.equal(await store.findUpload(""), undefined);
    await store.deleteUpload(UPLOAD.id);
    assert.equal(await store.findUpload(UPLOAD.id), undefined);
    assert.equal(await store.hashInUse(UPLOAD.hash), false);
    await store.deleteUpload(UPLOAD.id);
  });

  test("an upload is live while a message carries it, and swept with its bytes' hash after", async (store) => {
    const upload = (id: string, hash: string, createdAt = Date.now()) => ({
      id,
      hash,
      name: `${id}.png`,
      size: 3,
      type: "image/png",
      uploader: "alice",
      width: 2,
      height: 1,
      frames: 4,
      createdAt,
    });
    const a = upload("a".repeat(32), "1".repeat(64));
    const b = upload("b".repeat(32), "1".repeat(64));
    const old = upload("c".repeat(32), "2".repeat(64), 1000);
    for (const u of [a, b, old]) await store.saveUpload(u);
    assert.deepEqual(await store.findUpload(a.id), a);
    assert.equal(await store.findUpload("d".repeat(32)), undefined);
    const url = (id: string) => ({
      url: `/files/${id}/x.png`,
      name: "x.png",
      size: 3,
      type: "image/png",
    });
    await store.createRoom("dev", "dev");
    const inRoom = await store.appendMessage(
      draft("dev", "", { attachments: [url(a.id)] }),
    );
    await store.appendPrivate({
      fromKey: "alice",
      from: "alice",
      toKey: "bob",
      to: "bob",
      text: "",
      attachments: [url(a.id), url(b.id)],
      delivered: true,
    });
    const streams = (await store.uploadStreams(a.id)).map((u) => u.stream)
      .sort();
    assert.deepEqual(streams, ["@alice:bob", "dev"]);
    // Nothing to sweep yet but the old upload nobody attached.
    assert.deepEqual(await store.sweepUploads(Date.now() - 60_000), [
      old.hash,
    ]);
    assert.equal(await store.findUpload(old.id), undefined);
    assert.equal(await store.hashInUse(old.hash), false);
    await store.updateMessage(inRoom.message.id, { deleted: true });
    assert.deepEqual(
      (await store.uploadStreams(a.id)).map((u) => u.stream),
      ["@alice:bob"],
    );
    await store.deleteRoom("dev");
    assert.deepEqual(await store.sweepUploads(0), []);
    assert.equal(await store.hashInUse(a.hash), true);
  });

  test("finishReread writes an upload's facts into its record and into its attachment in every message that carries it, other attachments as they were, and names the messages it changed", async (store) => {
    const gif = { ...UPLOAD, id: "a".repeat(32), name: "a.gif" };
    gif.type = "image/gif";
    const other = { ...UPLOAD, id: "b".repeat(32), hash: "cd".repeat(32) };
    await store.saveUpload(gif);
    await store.saveUpload(other);
    await store.createRoom("dev", "dev");
    const attachment = (upload: StoredUpload) => ({
      url: `/files/${upload.id}/${upload.name}`,
      name: upload.name,
      size: upload.size,
      type: upload.type,
      width: 1,
      height: 1,
    });
    const { message } = await store.appendMessage(
      draft("dev", "", { attachments: [attachment(gif), attachment(other)] }),
    );
    const { message: privately } = await store.appendPrivate(
      dm("alice", "bob", "", { attachments: [attachment(gif)] }),
    );
    await store.appendMessage(
      draft("dev", "", { attachments: [attachment(other)] }),
    );
    // Nothing is marked but by a migration: none to read on a new store.
    assert.deepEqual(await store.uploadsToReread("", 10), []);
    // The messages changed, for their readers to be told: not the one
    // carrying only the other file.
    const changed = await store.finishReread(gif.id, {
      type: "image/gif",
      width: 10_000,
      height: 10_000,
      frames: 2,
    });
    assert.deepEqual(changed.sort(), [message.id, privately.id].sort());
    const read = { ...gif, width: 10_000, height: 10_000, frames: 2 };
    assert.deepEqual(await store.findUpload(gif.id), read);
    const [room] = (await store.history("dev", {}))
      .filter((m) => m.id === message.id);
    assert.deepEqual(room.attachments, [
      { ...attachment(gif), width: 10_000, height: 10_000, frames: 2 },
      attachment(other),
    ]);
    // What readers see of it changed: its version counts it.
    assert.deepEqual([message.version, room.version], [undefined, 1]);
    const [sent] = await store.conversation("alice", "bob", {});
    assert.deepEqual(sent.attachments, [
      { ...attachment(gif), width: 10_000, height: 10_000, frames: 2 },
    ]);
    // Bytes that are no image: no dimensions left anywhere.
    await store.finishReread(gif.id, { type: "application/octet-stream" });
    const plain = { ...gif, type: "application/octet-stream" };
    delete plain.width;
    delete plain.height;
    assert.deepEqual(await store.findUpload(gif.id), plain);
    const { width: _w, height: _h, ...bare } = attachment(gif);
    const [again] = (await store.history("dev", {}))
      .filter((m) => m.id === message.id);
    assert.deepEqual(again.attachments, [
      { ...bare, type: "application/octet-stream" },
      attachment(other),
    ]);
  });

  test("an upload counts as carried once a message carried it, even after that message is deleted", async (store) => {
    const upload = { ...UPLOAD, id: "e".repeat(32) };
    await store.saveUpload(upload);
    await store.createRoom("dev", "dev");
    assert.equal(await store.uploadCarried(upload.id), false);
    assert.equal(await store.uploadCarried("f".repeat(32)), false);
    const { message } = await store.appendMessage(
      draft("dev", "", {
        attachments: [{
          url: `/files/${upload.id}/x.png`,
          name: "x.png",
          size: 3,
          type: "image/png",
        }],
      }),
    );
    assert.equal(await store.uploadCarried(upload.id), true);
    await store.updateMessage(message.id, { deleted: true });
    assert.deepEqual(await store.uploadStreams(upload.id), []);
    assert.equal(await store.uploadCarried(upload.id), true);
    await store.deleteRoom("dev");
    assert.equal(await store.uploadCarried(upload.id), true);
    // The sweep forgets it and its reference together.
    await store.sweepUploads(0);
    assert.equal(await store.findUpload(upload.id), undefined);
    assert.equal(await store.uploadCarried(upload.id), false);
  });

  test("uploadedBytes sums each uploader's recorded uploads, the same bytes counted once per upload", async (store) => {
    assert.equal(await store.uploadedBytes("alice"), 0);
    await store.saveUpload(UPLOAD);
    // The same bytes again, by Alice and by Bob: each upload counts.
    await store.saveUpload({ ...UPLOAD, id: "1f".repeat(16) });
    await store.saveUpload({ ...UPLOAD, id: "2f".repeat(16), uploader: "bob" });
    assert.equal(await store.uploadedBytes("alice"), 2 * UPLOAD.size);
    assert.equal(await store.uploadedBytes("bob"), UPLOAD.size);
    assert.equal(await store.uploadedBytes("carol"), 0);
  });

  test("saveUpload with a quota records what fits and refuses, recording nothing, what would pass it", async (store) => {
    const quotaBytes = 3 * UPLOAD.size;
    const nth = (n: number, more: Partial<StoredUpload> = {}) => ({
      ...UPLOAD,
      id: n.toString(16).padStart(32, "0"),
      ...more,
    });
    for (let n = 1; n <= 3; n++) {
      assert.equal(await store.saveUpload(nth(n), { quotaBytes }), true);
    }
    assert.equal(await store.saveUpload(nth(4), { quotaBytes }), false);
    assert.equal(await store.findUpload(nth(4).id), undefined);
    assert.equal(await store.uploadedBytes("alice"), quotaBytes);
    // Another uploader has a quota of its own; 0 and none are no quota.
    assert.equal(
      await store.saveUpload(nth(5, { uploader: "bob" }), { quotaBytes }),
      true,
    );
    assert.equal(await store.saveUpload(nth(6), { quotaBytes: 0 }), true);
    assert.equal(await store.saveUpload(nth(7)), true);
    assert.equal(await store.uploadedBytes("alice"), 5 * UPLOAD.size);
  });

  test("an upload's bytes leave its uploader's sum when it is deleted or swept", async (store) => {
    const quotaBytes = 2 * UPLOAD.size;
    const sent = { ...UPLOAD, id: "a".repeat(32), createdAt: Date.now() };
    const draftOnly = { ...UPLOAD, id: "b".repeat(32), createdAt: 1000 };
    await store.saveUpload(sent, { quotaBytes });
    await store.saveUpload(draftOnly, { quotaBytes });
    const third = { ...UPLOAD, id: "c".repeat(32) };
    assert.equal(await store.saveUpload(third, { quotaBytes }), false);
    await store.createRoom("dev", "dev");
    const { message } = await store.appendMessage(
      draft("dev", "", {
        attachments: [{
          url: `/files/${sent.id}/x.png`,
          name: "x.png",
          size: UPLOAD.size,
          type: "image/png",
        }],
      }),
    );
    // The old upload nobody sent expires; the one a message carries stays.
    await store.sweepUploads(Date.now() - 60_000);
    assert.equal(await store.uploadedBytes("alice"), UPLOAD.size);
    assert.equal(await store.saveUpload(third, { quotaBytes }), true);
    await store.deleteUpload(third.id);
    // Its message deleted, the sent one goes at the next sweep.
    await store.updateMessage(message.id, { deleted: true });
    await store.sweepUploads(Date.now() - 60_000);
    assert.equal(await store.uploadedBytes("alice"), 0);
  });

  test("saveUpload calls racing for the rest of a quota record only what fits", async (store) => {
    const quotaBytes = 3 * UPLOAD.size;
    await store.saveUpload({ ...UPLOAD, id: "f".repeat(32) });
    // Reads at once open a pool's connections, so that the saves below run
    // side by side (on PostgreSQL), not queued on one connection.
    await Promise.all(range(1, 20).map(() => store.uploadedBytes("bob")));
    const saved = await Promise.all(
      Array.from({ length: 12 }, (_, n) =>
        store.saveUpload(
          { ...UPLOAD, id: n.toString(16).padStart(32, "0") },
          { quotaBytes },
        )),
    );
    assert.equal(saved.filter((ok) => ok).length, 2);
    assert.equal(await store.uploadedBytes("alice"), quotaBytes);
  });

  test("a sweep records the hashes it returns for deletion, and a finished deletion clears its record", async (store) => {
    const shared = "1".repeat(64);
    const kept = { ...UPLOAD, id: "a".repeat(32), createdAt: Date.now() };
    const old = (id: string, hash: string) => ({
      ...UPLOAD,
      id,
      hash,
      createdAt: 1000,
    });
    await store.saveUpload(kept);
    await store.saveUpload(old("b".repeat(32), shared));
    await store.saveUpload(old("c".repeat(32), shared));
    await store.saveUpload(old("d".repeat(32), UPLOAD.hash));
    assert.deepEqual(await store.pendingFileDeletions("", 10), []);
    // The hash another upload still uses is neither returned nor recorded.
    assert.deepEqual(await store.sweepUploads(Date.now() - 60_000), [shared]);
    assert.deepEqual(await store.pendingFileDeletions("", 10), [shared]);
    // Recorded, unused: the bytes may go; the record stays until finished.
    assert.equal(await store.claimFileDeletion(shared), true);
    await store.finishFileDeletion(shared, true);
    assert.deepEqual(await store.pendingFileDeletions("", 10), []);
    // Not recorded (any more, or ever): nothing to delete.
    assert.equal(await store.claimFileDeletion(shared), false);
    assert.equal(await store.claimFileDeletion(UPLOAD.hash), false);
    assert.equal(await store.hashInUse(UPLOAD.hash), true);
  });

  test(
    "a deletion that did not finish keeps its record for the next try, which a reopened store still holds",
    async (store, reopen) => {
      await store.saveUpload({ ...UPLOAD, createdAt: 1000 });
      await store.sweepUploads(Date.now() - 60_000);
      assert.equal(await store.claimFileDeletion(UPLOAD.hash), true);
      await store.finishFileDeletion(UPLOAD.hash, false);
      assert.deepEqual(await store.pendingFileDeletions("", 10), [UPLOAD.hash]);
      // What a process killed after the sweep's commit leaves.
      const again = await reopen();
      assert.deepEqual(await again.pendingFileDeletions("", 10), [UPLOAD.hash]);
      assert.equal(await again.claimFileDeletion(UPLOAD.hash), true);
      await again.finishFileDeletion(UPLOAD.hash, true);
      assert.deepEqual(await again.pendingFileDeletions("", 10), []);
    },
  );

  test("an upload of bytes recorded for deletion wins: the claim clears the record and keeps the bytes", async (store) => {
    await store.saveUpload({ ...UPLOAD, createdAt: 1000 });
    await store.sweepUploads(Date.now() - 60_000);
    assert.deepEqual(await store.pendingFileDeletions("", 10), [UPLOAD.hash]);
    await store.saveUpload({ ...UPLOAD, id: "e".repeat(32) });
    assert.equal(await store.claimFileDeletion(UPLOAD.hash), false);
    assert.deepEqual(await store.pendingFileDeletions("", 10), []);
    assert.equal(await store.hashInUse(UPLOAD.hash), true);
  });

  test("deleteUpload records its bytes' hash for deletion only when no other upload uses them", async (store) => {
    const twin = { ...UPLOAD, id: "e".repeat(32) };
    await store.saveUpload(UPLOAD);
    await store.saveUpload(twin);
    await store.deleteUpload(UPLOAD.id);
    assert.deepEqual(await store.pendingFileDeletions("", 10), []);
    await store.deleteUpload(twin.id);
    assert.deepEqual(await store.pendingFileDeletions("", 10), [UPLOAD.hash]);
    // An unknown id records nothing more.
    await store.deleteUpload(twin.id);
    assert.deepEqual(await store.pendingFileDeletions("", 10), [UPLOAD.hash]);
  });

  test("recordFileDeletions records bytes placed outside any upload: those an upload uses are kept at the claim, the others may go", async (store) => {
    const placed = ["1".repeat(64), "2".repeat(64)];
    await store.saveUpload({ ...UPLOAD, hash: placed[0] });
    await store.recordFileDeletions([...placed, placed[1]]);
    await store.recordFileDeletions([placed[1]]);
    assert.deepEqual(await store.pendingFileDeletions("", 10), placed);
    assert.equal(await store.claimFileDeletion(placed[0]), false);
    assert.equal(await store.claimFileDeletion(placed[1]), true);
    await store.finishFileDeletion(placed[1], true);
    assert.deepEqual(await store.pendingFileDeletions("", 10), []);
    await store.recordFileDeletions([]);
    assert.deepEqual(await store.pendingFileDeletions("", 10), []);
  });

  test("pendingFileDeletions pages through the records in hash order", async (store) => {
    const hashes = range(1, 5).map((n) => n.toString(16).repeat(64));
    for (const [n, hash] of hashes.entries()) {
      await store.saveUpload({
        ...UPLOAD,
        id: n.toString(16).padStart(32, "0"),
        hash,
        createdAt: 1000,
      });
    }
    assert.deepEqual(
      (await store.sweepUploads(Date.now() - 60_000)).sort(),
      hashes,
    );
    assert.deepEqual(
      await store.pendingFileDeletions("", 2),
      hashes.slice(0, 2),
    );
    assert.deepEqual(
      await store.pendingFileDeletions(hashes[1], 2),
      hashes.slice(2, 4),
    );
    assert.deepEqual(
      await store.pendingFileDeletions(hashes[3], 2),
      hashes.slice(4),
    );
  });

  test("listUploads pages through the uploads in id order, each with the hash of its bytes and when it was recorded", async (store) => {
    const ids = ["3", "1", "4", "2"].map((digit) => digit.repeat(32));
    for (const [i, id] of ids.entries()) {
      await store.saveUpload({
        ...UPLOAD,
        id,
        hash: String(i).repeat(64),
        createdAt: 1000 + i,
      });
    }
    const row = (id: string) => {
      const i = ids.indexOf(id);
      return { id, hash: String(i).repeat(64), createdAt: 1000 + i };
    };
    const sorted = [...ids].sort();
    assert.deepEqual(
      await store.listUploads("", 3),
      sorted.slice(0, 3).map(row),
    );
    assert.deepEqual(
      await store.listUploads(sorted[2], 3),
      sorted.slice(3).map(row),
    );
    assert.deepEqual(await store.listUploads(sorted[3], 3), []);
  });

  test("setAvatar names an upload as an account's picture; a new one and removeAvatar forget the upload before, recording its hash for deletion only when no other upload uses it", async (store) => {
    await store.createAccount(account("alice"));
    assert.equal(await store.findAvatar("alice"), undefined);
    const first = { ...UPLOAD, id: "a1".repeat(16), name: "avatar" };
    assert.equal(await store.setAvatar("alice", first), true);
    assert.deepEqual(await store.findAvatar("alice"), first);
    assert.deepEqual(await store.findUpload(first.id), first);
    // The same bytes in a shared file: they stay when the picture goes.
    await store.saveUpload(UPLOAD);
    const second = {
      ...first,
      id: "a2".repeat(16),
      hash: "cd".repeat(32),
    };
    assert.equal(await store.setAvatar("alice", second), true);
    assert.deepEqual(await store.findAvatar("alice"), second);
    assert.equal(await store.findUpload(first.id), undefined);
    assert.deepEqual(await store.pendingFileDeletions("", 10), []);
    assert.equal(await store.removeAvatar("alice"), true);
    assert.equal(await store.findAvatar("alice"), undefined);
    assert.equal(await store.findUpload(second.id), undefined);
    assert.deepEqual(await store.pendingFileDeletions("", 10), [second.hash]);
    assert.equal(await store.removeAvatar("alice"), false);
  });

  test("setAvatar names an upload saveUpload recorded before (its bytes written meanwhile), keeping one record of it, counted once", async (store) => {
    await store.createAccount(account("alice"));
    const first = { ...UPLOAD, id: "a1".repeat(16), name: "avatar" };
    assert.equal(await store.setAvatar("alice", first), true);
    const second = { ...first, id: "a2".repeat(16), hash: "cd".repeat(32) };
    assert.equal(await store.saveUpload(second), true);
    // Recorded, not yet the picture: the one before stays.
    assert.deepEqual(await store.findAvatar("alice"), first);
    assert.equal(await store.setAvatar("alice", second), true);
    assert.deepEqual(await store.findAvatar("alice"), second);
    assert.deepEqual(await store.findUpload(second.id), second);
    assert.equal(await store.findUpload(first.id), undefined);
    assert.equal(await store.uploadedBytes(second.uploader), second.size);
  });

  test("avatarIds gives the picture's upload of each key that has one, in one read, and nothing for the others", async (store) => {
    await store.createAccount(account("alice"));
    await store.createAccount(account("bob"));
    assert.deepEqual(await store.avatarIds([]), []);
    assert.deepEqual(await store.avatarIds(["alice", "bob", "nobody"]), []);
    const picture = { ...UPLOAD, id: "a1".repeat(16), name: "avatar" };
    assert.equal(await store.setAvatar("alice", picture), true);
    assert.deepEqual(await store.avatarIds(["bob", "alice", "nobody"]), [
      { userKey: "alice", uploadId: picture.id },
    ]);
  });

  test("a picture's upload is never swept however old, none is set for an account that is not there, and a deleted account's goes with it", async (store) => {
    await store.createAccount(account("alice"));
    const picture = { ...UPLOAD, id: "a1".repeat(16), name: "avatar" };
    assert.equal(await store.setAvatar("alice", picture), true);
    assert.deepEqual(await store.sweepUploads(Date.now() + 86_400_000), []);
    assert.deepEqual(await store.findAvatar("alice"), picture);
    const lost = { ...picture, id: "b1".repeat(16), uploader: "nobody" };
    assert.equal(await store.setAvatar("nobody", lost), false);
    assert.equal(await store.findUpload(lost.id), undefined);
    assert.ok(await store.deleteAccount("alice", "keep"));
    assert.equal(await store.findAvatar("alice"), undefined);
    assert.equal(await store.findUpload(picture.id), undefined);
    assert.deepEqual(await store.pendingFileDeletions("", 10), [picture.hash]);
  });

  test("setAvatar for an account deleted since (its accountCreatedAt) sets nothing on the name's next holder; the holder's own time sets it", async (store) => {
    const old = await store.createAccount(account("alice"));
    assert.ok(old);
    assert.ok(await store.deleteAccount("alice", "keep"));
    await new Promise((resolve) => setTimeout(resolve, 2));
    const again = await store.createAccount(account("alice"));
    assert.ok(again && again.createdAt !== old.createdAt);
    const stale = { ...UPLOAD, id: "c1".repeat(16), name: "avatar" };
    assert.equal(await store.setAvatar("alice", stale, old.createdAt), false);
    assert.equal(await store.findAvatar("alice"), undefined);
    assert.equal(await store.findUpload(stale.id), undefined);
    const own = { ...stale, id: "d1".repeat(16) };
    assert.equal(await store.setAvatar("alice", own, again.createdAt), true);
    assert.deepEqual(await store.findAvatar("alice"), own);
  });

  test("secret is stable per name", async (store) => {
    assert.equal(await store.secret("files"), await store.secret("files"));
    assert.notEqual(await store.secret("files"), await store.secret("other"));
  });
}
