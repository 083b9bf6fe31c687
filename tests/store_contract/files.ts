/**
 * The store contract for the records of uploads: saveUpload (and its
 * quota), uploadedBytes, findUpload, deleteUpload, uploadStreams,
 * uploadCarried, sweepUploads, hashInUse, and secret.
 */
import assert from "node:assert/strict";
import type { StoredUpload } from "../../server/store/mod.ts";
import { draft, range, type StoreTest, UPLOAD } from "./support.ts";

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

  test("secret is stable per name", async (store) => {
    assert.equal(await store.secret("files"), await store.secret("files"));
    assert.notEqual(await store.secret("files"), await store.secret("other"));
  });
}
