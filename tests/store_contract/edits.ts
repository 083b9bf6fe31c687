/**
 * The store contract for edit history: updateMessage keeps the text an
 * edit replaced, listEdits reads it, bounded per message, gone with the
 * message (a delete, a room's deletion, retention).
 */
import assert from "node:assert/strict";
import { MAX_KEPT_EDITS } from "../../server/protocol/limits.ts";
import { after, append, type StoreTest } from "./support.ts";

/** The contract of the edit history. */
export function messageEdits(test: StoreTest): void {
  test(
    "updateMessage keeps each text an edit replaced with when it was written, oldest first, across a reopen; an edit to the same text keeps nothing",
    async (store, reopen) => {
      const [one, other] = await append(store, "general", ["first", "other"]);
      assert.deepEqual(await store.listEdits(one.id), []);
      const second = await store.updateMessage(one.id, { text: "second" });
      await after(Date.parse(second!.edited_at!));
      const third = await store.updateMessage(one.id, { text: "third" });
      await store.updateMessage(one.id, { text: "third" });
      const expected = [
        { text: "first", ts: Date.parse(one.ts) },
        { text: "second", ts: Date.parse(second!.edited_at!) },
      ];
      assert.equal(third!.text, "third");
      assert.deepEqual(await store.listEdits(one.id), expected);
      const again = await reopen();
      assert.deepEqual(await again.listEdits(one.id), expected);
      assert.deepEqual(await again.listEdits(other.id), []);
      assert.deepEqual(await again.listEdits("nothing"), []);
    },
  );

  test("updateMessage keeps the last MAX_KEPT_EDITS texts a message's edits replaced: the oldest go", async (store) => {
    const [one] = await append(store, "general", ["v0"]);
    for (let n = 1; n <= MAX_KEPT_EDITS + 2; n++) {
      await store.updateMessage(one.id, { text: `v${n}` });
    }
    const kept = (await store.listEdits(one.id)).map((edit) => edit.text);
    assert.equal(kept.length, MAX_KEPT_EDITS);
    assert.equal(kept[0], "v2");
    assert.equal(kept.at(-1), `v${MAX_KEPT_EDITS + 1}`);
  });

  test("edits of one message at once keep every text they replaced, once each", async (store) => {
    const [one] = await append(store, "general", ["v0"]);
    await Promise.all(
      ["a", "b", "c", "d"].map((text) => store.updateMessage(one.id, { text })),
    );
    const now = (await store.findMessage(one.id))!.message.text;
    const kept = (await store.listEdits(one.id)).map((edit) => edit.text);
    // Each text was written once and replaced once, but the last.
    assert.equal(kept[0], "v0");
    assert.deepEqual(
      [...kept, now].sort(),
      ["a", "b", "c", "d", "v0"],
    );
  });

  test("a message's edit history goes with it: its delete, its room's deletion, retention", async (store) => {
    await store.createRoom("dev", "dev");
    const [deleted, expired] = await append(store, "general", [
      "said",
      "old",
    ]);
    const [inRoom] = await append(store, "dev", ["in dev"]);
    for (const message of [deleted, expired, inRoom]) {
      await store.updateMessage(message.id, { text: "edited" });
      assert.equal((await store.listEdits(message.id)).length, 1);
    }
    await store.updateMessage(deleted.id, { deleted: true });
    assert.deepEqual(await store.listEdits(deleted.id), []);
    assert.ok(await store.deleteRoom("dev"));
    assert.deepEqual(await store.listEdits(inRoom.id), []);
    const cutoff = Date.now() + 1;
    await after(cutoff);
    await append(store, "general", ["new"]);
    assert.equal(await store.expireMessages(cutoff, 100), 2);
    assert.deepEqual(await store.listEdits(expired.id), []);
  });
}
