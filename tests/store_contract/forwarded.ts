/**
 * The store contract for forwards (handlers/forward.ts): setForwarded
 * gives a message just appended its copy of the original, once, in rooms
 * and conversations alike; reads serve it; the forward's delete takes it.
 */
import assert from "node:assert/strict";
import type { ForwardedMessage } from "../../server/protocol/types.ts";
import { dm, draft, type StoreTest } from "./support.ts";

const COPY: ForwardedMessage = {
  id: "01ARZ3NDEKTSV4RRFFQ69G5FAV",
  seq: 7,
  user: "bob",
  ts: "2026-12-06T10:00:00.000Z",
  text: "The build is green",
  room: "general",
};

/** The contract of setForwarded. */
export function forwards(test: StoreTest): void {
  test(
    "setForwarded gives a message its copy once, without a version; history, findMessage and a reopened store serve it; a delete takes it",
    async (store, reopen) => {
      const { message } = await store.appendMessage(draft("general", "FYI"));
      const carried = await store.setForwarded(message.id, COPY);
      assert.deepEqual(carried?.forwarded, COPY);
      assert.equal(carried?.version, undefined);
      // A second copy does not replace the first.
      const again = await store.setForwarded(message.id, {
        ...COPY,
        text: "other",
      });
      assert.deepEqual(again?.forwarded, COPY);
      store = await reopen();
      const [read] = await store.history("general", { limit: 10 });
      assert.deepEqual(read.forwarded, COPY);
      assert.deepEqual(
        (await store.findMessage(message.id))?.message.forwarded,
        {
          ...COPY,
        },
      );
      await store.updateMessage(message.id, { deleted: true });
      const gone = (await store.findMessage(message.id))?.message;
      assert.equal(gone?.deleted, true);
      assert.equal(gone?.forwarded, undefined);
      assert.equal(await store.setForwarded(message.id, COPY), undefined);
    },
  );

  test("setForwarded: a private message carries its copy (with, no room), keys in one order", async (store) => {
    const { message } = await store.appendPrivate(dm("alice", "carol", ""));
    const copy = {
      id: COPY.id,
      seq: 3,
      user: "bob",
      ts: COPY.ts,
      text: "hi",
      with: "bob",
      badge: "bot" as const,
    };
    const carried = await store.setForwarded(message.id, copy);
    assert.deepEqual(carried?.forwarded, copy);
    const [read] = await store.conversation("alice", "carol", { limit: 10 });
    assert.deepEqual(Object.keys(read.forwarded ?? {}), [
      "id",
      "seq",
      "user",
      "ts",
      "text",
      "with",
      "badge",
    ]);
  });
}
