/**
 * The store contract for forwards (handlers/forward.ts): setForwarded
 * gives a message just appended its copy of the original, once, in rooms
 * and conversations alike; reads serve it; the forward's delete takes it.
 * Every read serves the copy of an original since deleted, removed with
 * its room or expired as `{id, deleted: true}`, and findForwards finds
 * the forwards of a message. A copy naming a room names it as it is now
 * (renamed, made private).
 */
import assert from "node:assert/strict";
import type { ForwardedMessage } from "../../server/protocol/types.ts";
import { ANONYMOUS_NAME, type Store } from "../../server/store/mod.ts";
import { dm, draft, type StoreTest } from "./support.ts";

const COPY: ForwardedMessage = {
  id: "",
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
      const COPY = await original(store);
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
      const [, read] = await store.history("general", { limit: 10 });
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
    const { id } = await original(store);
    const { message } = await store.appendPrivate(dm("alice", "carol", ""));
    const copy = {
      id,
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

  test(
    "setForwarded takes a blank copy (a forward of a forward whose original is deleted) and serves it blank, as a reopened store does",
    async (store, reopen) => {
      const { id } = await original(store);
      await store.updateMessage(id, { deleted: true });
      const { message } = await store.appendMessage(draft("general", ""));
      const blank = { id, deleted: true as const };
      assert.deepEqual(
        (await store.setForwarded(message.id, blank))?.forwarded,
        blank,
      );
      store = await reopen();
      const [read] = await store.history("general", { limit: 1 });
      assert.deepEqual(read.forwarded, blank);
    },
  );

  test(
    "a copy naming a room names the room its original is in now, as a reopened store does: renamed, the new name; made private, no room; public again, named again",
    async (store, reopen) => {
      await store.createRoom("ops", "ops");
      const copy = await original(store, "ops");
      const { message } = await store.appendMessage(draft("general", ""));
      await store.setForwarded(message.id, copy);
      const read = async () =>
        (await store.findMessage(message.id))?.message.forwarded;
      await store.renameRoom("ops", "platform", "Platform");
      store = await reopen();
      assert.deepEqual(await read(), { ...copy, room: "Platform" });
      await store.updateRoom("platform", { private: true });
      const { room: _, ...unnamed } = copy;
      assert.deepEqual(await read(), unnamed);
      const [page] = await store.history("general", { limit: 1 });
      assert.deepEqual(page.forwarded, unnamed);
      await store.updateRoom("platform", { private: false });
      assert.deepEqual(await read(), { ...copy, room: "Platform" });
    },
  );

  test(
    "a copy whose original is deleted or removed (with its room, as retention removes it) reads as {id, deleted} everywhere; findForwards finds the live forwards, newest first, at most the limit",
    async (store, reopen) => {
      await store.createRoom("dev", "dev");
      const deleted = await original(store);
      const inDev = await original(store, "dev");
      const kept = await original(store);
      const forwards = [];
      for (const copy of [deleted, inDev, kept, deleted]) {
        const { message } = await store.appendMessage(draft("general", "FYI"));
        await store.setForwarded(message.id, copy);
        forwards.push(message);
      }
      const toCarol = await store.appendPrivate(dm("alice", "carol", ""));
      await store.setForwarded(toCarol.message.id, deleted);
      const found = await store.findForwards(deleted.id, 10);
      assert.deepEqual(found.map((r) => [r.message.id, r.stream]), [
        [toCarol.message.id, "@alice:carol"],
        [forwards[3].id, "general"],
        [forwards[0].id, "general"],
      ]);
      assert.deepEqual(
        (await store.findForwards(deleted.id, 1)).map((r) => r.message.id),
        [toCarol.message.id],
      );
      assert.deepEqual(await store.findForwards(kept.id.slice(1), 10), []);
      await store.updateMessage(deleted.id, { deleted: true });
      assert.ok(await store.deleteRoom("dev"));
      // An edit of the original leaves the copy as it was.
      await store.updateMessage(kept.id, { text: "edited" });
      store = await reopen();
      const page = await store.history("general", { limit: 20 });
      const copyOf = (id: string) => page.find((m) => m.id === id)?.forwarded;
      assert.deepEqual(copyOf(forwards[0].id), {
        id: deleted.id,
        deleted: true,
      });
      assert.deepEqual(copyOf(forwards[1].id), { id: inDev.id, deleted: true });
      assert.deepEqual(copyOf(forwards[2].id), kept);
      const [dmRead] = await store.conversation("alice", "carol", {
        limit: 10,
      });
      assert.deepEqual(dmRead.forwarded, { id: deleted.id, deleted: true });
      assert.deepEqual(
        (await store.findMessage(forwards[3].id))?.message.forwarded,
        { id: deleted.id, deleted: true },
      );
      // The forward's own delete leaves it out of findForwards.
      await store.updateMessage(forwards[3].id, { deleted: true });
      assert.deepEqual(
        (await store.findForwards(deleted.id, 10)).map((r) => r.message.id),
        [toCarol.message.id, forwards[0].id],
      );
    },
  );

  test(
    "an account deleted with its messages anonymised: the copies of its messages name it no more, a blank copy stays blank, others' copies are left",
    async (store, reopen) => {
      await store.createAccount({
        key: "alice",
        username: "alice",
        passwordHash: "h",
        role: "user",
      });
      const own = await original(store);
      const other = await original(store, "general", "bob");
      const gone = await original(store);
      const forwards = [];
      // Bob forwards Alice's and his own; Alice forwards her own.
      for (
        const [copy, userKey] of [[own, "bob"], [other, "bob"], [gone, "bob"], [
          own,
          "alice",
        ]] as const
      ) {
        const { message } = await store.appendMessage(
          draft("general", "FYI", { userKey, user: userKey }),
        );
        await store.setForwarded(message.id, copy);
        forwards.push(message.id);
      }
      await store.updateMessage(gone.id, { deleted: true });
      assert.ok(await store.deleteAccount("alice", "anonymise"));
      store = await reopen();
      const page = await store.history("general", { limit: 20 });
      const read = (id: string) => page.find((m) => m.id === id);
      assert.deepEqual(read(forwards[0])?.forwarded, {
        ...own,
        user: ANONYMOUS_NAME,
      });
      assert.deepEqual(read(forwards[1])?.forwarded, other);
      assert.deepEqual(read(forwards[2])?.forwarded, {
        id: gone.id,
        deleted: true,
      });
      assert.equal(read(forwards[3])?.user, ANONYMOUS_NAME);
      assert.deepEqual(read(forwards[3])?.forwarded, {
        ...own,
        user: ANONYMOUS_NAME,
      });
    },
  );
}

// A message of `room`'s and the copy a forward of it carries.
async function original(
  store: Store,
  room = "general",
  author?: string,
): Promise<ForwardedMessage> {
  const { message } = await store.appendMessage(
    draft(
      room,
      "original",
      author === undefined ? {} : { userKey: author, user: author },
    ),
  );
  return {
    id: message.id,
    seq: message.seq,
    user: message.user,
    ts: message.ts,
    text: message.text,
    room,
  };
}
