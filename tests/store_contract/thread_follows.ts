/**
 * The store contract for the threads an account takes part in:
 * followThread, markThreadRead, unfollowThread and listThreads, one row
 * per account and root, newest activity first, gone with the account.
 */
import assert from "node:assert/strict";
import type { ThreadReply } from "../../server/store/mod.ts";
import { account, type StoreTest } from "./support.ts";

/** A reply to `rootId` by `authorKey`, at seq `seq` and time `at`. */
function reply(
  rootId: string,
  authorKey: string,
  seq: number,
  at: number,
  followers: string[] = [],
): ThreadReply {
  return { rootId, authorKey, seq, at, followers };
}

/** The contract of the ThreadStore methods. */
export function threadFollows(test: StoreTest): void {
  test(
    "followThread adds the author and the followers once each, moves the thread's rows to the newest reply and reads it for its author, across a reopen",
    async (store, reopen) => {
      await store.followThread(reply("r1", "ben", 2, 1_000, ["ann"]));
      await store.followThread(reply("r2", "ann", 5, 2_000, ["cid"]));
      // A later reply in r1 by cid, naming ann again: ann's row is kept
      // (its read mark stays), every row of r1 moves to 3_000.
      await store.followThread(reply("r1", "cid", 3, 3_000, ["ann"]));
      const expected = [
        { id: "r1", lastAt: 3_000, lastReadSeq: 0 },
        { id: "r2", lastAt: 2_000, lastReadSeq: 5 },
      ];
      assert.deepEqual(await store.listThreads("ann", { limit: 10 }), expected);
      assert.deepEqual(await store.listThreads("ben", { limit: 10 }), [
        { id: "r1", lastAt: 3_000, lastReadSeq: 2 },
      ]);
      assert.deepEqual(await store.listThreads("cid", { limit: 10 }), [
        { id: "r1", lastAt: 3_000, lastReadSeq: 3 },
        { id: "r2", lastAt: 2_000, lastReadSeq: 0 },
      ]);
      // A reply noted late (an older time) moves nothing back.
      await store.followThread(reply("r1", "ben", 4, 500));
      const again = await reopen();
      assert.deepEqual(await again.listThreads("ann", { limit: 10 }), expected);
      assert.deepEqual(await again.listThreads("ben", { limit: 10 }), [
        { id: "r1", lastAt: 3_000, lastReadSeq: 4 },
      ]);
      assert.deepEqual(await again.listThreads("nobody", { limit: 10 }), []);
    },
  );

  test("listThreads pages by the root id of the last thread read, ties in one millisecond by id, and answers none after a thread not followed", async (store) => {
    for (const id of ["a", "c", "b", "d"]) {
      await store.followThread(reply(id, "ann", 1, 1_000));
    }
    await store.followThread(reply("z", "ann", 1, 500));
    const ids = async (page: { before?: string; limit: number }) =>
      (await store.listThreads("ann", page)).map((row) => row.id);
    assert.deepEqual(await ids({ limit: 2 }), ["d", "c"]);
    assert.deepEqual(await ids({ before: "c", limit: 2 }), ["b", "a"]);
    assert.deepEqual(await ids({ before: "a", limit: 2 }), ["z"]);
    assert.deepEqual(await ids({ before: "z", limit: 2 }), []);
    assert.deepEqual(await ids({ before: "nope", limit: 2 }), []);
  });

  test("followThread without an author (a guest's reply) adds the followers' rows and moves them, and reads for nobody", async (store) => {
    await store.followThread(reply("r1", "ben", 2, 1_000, ["ann"]));
    await store.followThread({
      rootId: "r1",
      followers: ["ann", "cid"],
      seq: 3,
      at: 2_000,
    });
    assert.deepEqual(await store.listThreads("ann", { limit: 10 }), [
      { id: "r1", lastAt: 2_000, lastReadSeq: 0 },
    ]);
    assert.deepEqual(await store.listThreads("ben", { limit: 10 }), [
      { id: "r1", lastAt: 2_000, lastReadSeq: 2 },
    ]);
    assert.deepEqual(await store.listThreads("cid", { limit: 10 }), [
      { id: "r1", lastAt: 2_000, lastReadSeq: 0 },
    ]);
  });

  test("markThreadRead moves an account's read mark forward only, and only in a thread it follows; unfollowThread forgets one", async (store) => {
    await store.followThread(reply("r1", "ben", 2, 1_000, ["ann"]));
    assert.equal(await store.markThreadRead("ann", "r1", 2), true);
    assert.equal(await store.markThreadRead("ann", "r1", 2), false);
    assert.equal(await store.markThreadRead("ann", "r1", 1), false);
    assert.equal(await store.markThreadRead("cid", "r1", 2), false);
    assert.deepEqual(await store.listThreads("ann", { limit: 10 }), [
      { id: "r1", lastAt: 1_000, lastReadSeq: 2 },
    ]);
    assert.deepEqual(await store.listThreads("cid", { limit: 10 }), []);
    assert.equal(await store.unfollowThread("ann", "r1"), true);
    assert.equal(await store.unfollowThread("ann", "r1"), false);
    assert.deepEqual(await store.listThreads("ann", { limit: 10 }), []);
    assert.equal((await store.listThreads("ben", { limit: 10 })).length, 1);
  });

  test("deleteAccount forgets the account's threads, not another's", async (store) => {
    await store.createAccount(account("ann"));
    await store.followThread(reply("r1", "ben", 2, 1_000, ["ann"]));
    assert.ok(await store.deleteAccount("ann", "keep"));
    assert.deepEqual(await store.listThreads("ann", { limit: 10 }), []);
    assert.equal((await store.listThreads("ben", { limit: 10 })).length, 1);
  });
}
