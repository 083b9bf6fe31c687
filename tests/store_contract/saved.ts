/**
 * The store contract for saved messages: saveMessage, unsaveMessage and
 * listSaved, one row per account and message, capped per account, gone
 * with the account; and their reminders (setReminder, claimDueReminders,
 * confirmReminder), each claimed once per lease until confirmed.
 */
import assert from "node:assert/strict";
import { account, type StoreTest } from "./support.ts";

/** The contract of saveMessage, unsaveMessage and listSaved. */
export function savedMessages(test: StoreTest): void {
  test(
    "saveMessage keeps one row per account and message, its first time; listSaved reads them newest saved first, across a reopen",
    async (store, reopen) => {
      assert.equal(await store.saveMessage("ann", "m1", 1_000, 10), "added");
      assert.equal(await store.saveMessage("ann", "m2", 3_000, 10), "added");
      assert.equal(await store.saveMessage("ann", "m3", 2_000, 10), "added");
      // Saved again: kept, at its first time.
      assert.equal(await store.saveMessage("ann", "m1", 4_000, 10), "kept");
      assert.equal(await store.saveMessage("ben", "m1", 5_000, 10), "added");
      const expected = [
        { id: "m2", savedAt: 3_000 },
        { id: "m3", savedAt: 2_000 },
        { id: "m1", savedAt: 1_000 },
      ];
      assert.deepEqual(await store.listSaved("ann", { limit: 10 }), expected);
      const again = await reopen();
      assert.deepEqual(await again.listSaved("ann", { limit: 10 }), expected);
      assert.deepEqual(await again.listSaved("nobody", { limit: 10 }), []);
    },
  );

  test("listSaved pages by the id of the last saved one read, ties in one millisecond by id, and answers none after an id not saved", async (store) => {
    for (const id of ["a", "c", "b", "d"]) {
      await store.saveMessage("ann", id, 1_000, 10);
    }
    await store.saveMessage("ann", "z", 500, 10);
    const ids = async (page: { before?: string; limit: number }) =>
      (await store.listSaved("ann", page)).map((row) => row.id);
    assert.deepEqual(await ids({ limit: 2 }), ["d", "c"]);
    assert.deepEqual(await ids({ before: "c", limit: 2 }), ["b", "a"]);
    assert.deepEqual(await ids({ before: "a", limit: 2 }), ["z"]);
    assert.deepEqual(await ids({ before: "z", limit: 2 }), []);
    assert.deepEqual(await ids({ before: "nope", limit: 2 }), []);
  });

  test("listSaved with beforeSavedAt pages after that place (saved then, with that id), whether or not that one is still saved", async (store) => {
    for (const id of ["a", "c", "b", "d"]) {
      await store.saveMessage("ann", id, 1_000, 10);
    }
    await store.saveMessage("ann", "z", 500, 10);
    await store.saveMessage("ben", "y", 400, 10);
    const ids = async (before: string, beforeSavedAt: number) =>
      (await store.listSaved("ann", { before, beforeSavedAt, limit: 2 }))
        .map((row) => row.id);
    assert.deepEqual(await ids("c", 1_000), ["b", "a"]);
    assert.equal(await store.unsaveMessage("ann", "c"), true);
    assert.deepEqual(await ids("c", 1_000), ["b", "a"]);
    assert.deepEqual(await ids("a", 1_000), ["z"]);
    // Ids compare as bytes, as the stores order them.
    assert.deepEqual(await ids("B", 1_000), ["z"]);
    assert.deepEqual(await ids("z", 500), []);
  });

  test("saveMessage refuses a new message past max, still answers kept for one saved, and an unsave makes room", async (store) => {
    for (const id of ["a", "b", "c"]) {
      assert.equal(await store.saveMessage("ann", id, 1_000, 3), "added");
    }
    assert.equal(await store.saveMessage("ann", "d", 2_000, 3), "full");
    assert.equal(await store.saveMessage("ann", "a", 2_000, 3), "kept");
    // Another account's cap is its own.
    assert.equal(await store.saveMessage("ben", "d", 2_000, 3), "added");
    assert.equal(await store.unsaveMessage("ann", "b"), true);
    assert.equal(await store.unsaveMessage("ann", "b"), false);
    assert.equal(await store.saveMessage("ann", "d", 3_000, 3), "added");
    assert.deepEqual(
      (await store.listSaved("ann", { limit: 10 })).map((row) => row.id),
      ["d", "c", "a"],
    );
  });

  test("deleteAccount forgets the account's saved messages, not another's", async (store) => {
    await store.createAccount(account("ann"));
    await store.saveMessage("ann", "m1", 1_000, 10);
    await store.saveMessage("ben", "m1", 1_000, 10);
    assert.ok(await store.deleteAccount("ann", "keep"));
    assert.deepEqual(await store.listSaved("ann", { limit: 10 }), []);
    assert.equal((await store.listSaved("ben", { limit: 10 })).length, 1);
  });

  test(
    "setReminder sets, changes and clears a saved message's reminder, answers whether it changed, and listSaved carries it while set, across a reopen",
    async (store, reopen) => {
      await store.saveMessage("ann", "m1", 1_000, 10);
      await store.saveMessage("ann", "m2", 2_000, 10);
      assert.equal(await store.setReminder("ann", "m1", 50_000), true);
      assert.equal(await store.setReminder("ann", "m1", 50_000), false);
      assert.equal(await store.setReminder("ann", "m1", 60_000), true);
      // Not saved (by this account): nothing to remind of.
      assert.equal(await store.setReminder("ann", "nope", 60_000), false);
      assert.equal(await store.setReminder("ben", "m1", 60_000), false);
      const again = await reopen();
      assert.deepEqual(await again.listSaved("ann", { limit: 10 }), [
        { id: "m2", savedAt: 2_000 },
        { id: "m1", savedAt: 1_000, remindAt: 60_000 },
      ]);
      assert.equal(await again.setReminder("ann", "m1", null), true);
      assert.equal(await again.setReminder("ann", "m1", null), false);
      assert.deepEqual(await again.listSaved("ann", { limit: 10 }), [
        { id: "m2", savedAt: 2_000 },
        { id: "m1", savedAt: 1_000 },
      ]);
    },
  );

  test("claimDueReminders answers the reminders due, the earliest first, up to its limit, leases them so that they are claimed once in their lease, and confirmReminder clears them, keeping their messages saved", async (store) => {
    await store.saveMessage("ann", "m1", 1_000, 10);
    await store.saveMessage("ann", "m2", 2_000, 10);
    await store.saveMessage("ben", "m1", 3_000, 10);
    await store.saveMessage("ben", "m3", 4_000, 10);
    await store.setReminder("ann", "m1", 30_000);
    await store.setReminder("ann", "m2", 10_000);
    await store.setReminder("ben", "m1", 20_000);
    await store.setReminder("ben", "m3", 90_000);
    assert.deepEqual(await store.claimDueReminders(5_000, 10, 65_000), []);
    assert.deepEqual(await store.claimDueReminders(40_000, 2, 100_000), [
      { userKey: "ann", id: "m2", savedAt: 2_000, remindAt: 10_000 },
      { userKey: "ben", id: "m1", savedAt: 3_000, remindAt: 20_000 },
    ]);
    assert.deepEqual(await store.claimDueReminders(40_000, 10, 100_000), [
      { userKey: "ann", id: "m1", savedAt: 1_000, remindAt: 30_000 },
    ]);
    assert.deepEqual(await store.claimDueReminders(40_000, 10, 100_000), []);
    assert.equal(await store.confirmReminder("ann", "m2", 10_000), true);
    assert.equal(await store.confirmReminder("ann", "m1", 30_000), true);
    assert.equal(await store.confirmReminder("ann", "m1", 30_000), false);
    assert.deepEqual(await store.listSaved("ann", { limit: 10 }), [
      { id: "m2", savedAt: 2_000 },
      { id: "m1", savedAt: 1_000 },
    ]);
    assert.deepEqual(
      (await store.listSaved("ben", { limit: 10 })).map((row) => row.remindAt),
      [90_000, undefined],
    );
  });

  test("a claimed reminder not confirmed is claimed again once its lease runs out, and a confirmed one never", async (store) => {
    await store.saveMessage("ann", "m1", 1_000, 10);
    await store.saveMessage("ann", "m2", 1_000, 10);
    await store.setReminder("ann", "m1", 2_000);
    await store.setReminder("ann", "m2", 2_000);
    const ids = async (now: number) =>
      (await store.claimDueReminders(now, 10, now + 60_000))
        .map((due) => due.id).toSorted();
    assert.deepEqual(await ids(3_000), ["m1", "m2"]);
    assert.equal(await store.confirmReminder("ann", "m1", 2_000), true);
    assert.deepEqual(await ids(62_999), []);
    assert.deepEqual(await ids(63_000), ["m2"]);
    assert.deepEqual(await ids(100_000), []);
    assert.equal(await store.confirmReminder("ann", "m2", 2_000), true);
    assert.deepEqual(await ids(1_000_000), []);
  });

  test("a reminder set again while claimed keeps its new time: the claim's confirmReminder leaves it, and it is due then", async (store) => {
    await store.saveMessage("ann", "m1", 1_000, 10);
    await store.setReminder("ann", "m1", 2_000);
    assert.equal(
      (await store.claimDueReminders(3_000, 10, 63_000)).length,
      1,
    );
    assert.equal(await store.setReminder("ann", "m1", 10_000), true);
    assert.equal(await store.confirmReminder("ann", "m1", 2_000), false);
    assert.deepEqual(await store.claimDueReminders(9_000, 10, 69_000), []);
    assert.deepEqual(await store.claimDueReminders(10_000, 10, 70_000), [
      { userKey: "ann", id: "m1", savedAt: 1_000, remindAt: 10_000 },
    ]);
  });

  test("two claimers at once claim each due reminder once between them", async (store) => {
    const ids = Array.from({ length: 40 }, (_, i) => `m${i}`);
    for (const id of ids) {
      await store.saveMessage("ann", id, 1_000, 100);
      await store.setReminder("ann", id, 2_000);
    }
    const claims = await Promise.all(
      Array.from(
        { length: 4 },
        () => store.claimDueReminders(3_000, 15, 63_000),
      ),
    );
    const more = await store.claimDueReminders(3_000, 100, 63_000);
    const claimed = [...claims.flat(), ...more].map((due) => due.id);
    assert.deepEqual(claimed.toSorted(), ids.toSorted());
  });

  test("unsaveMessage and deleteAccount take a reminder with its saved message", async (store) => {
    await store.createAccount(account("ann"));
    await store.saveMessage("ann", "m1", 1_000, 10);
    await store.saveMessage("ann", "m2", 1_000, 10);
    await store.saveMessage("ben", "m3", 1_000, 10);
    await store.setReminder("ann", "m1", 2_000);
    await store.setReminder("ann", "m2", 2_000);
    await store.setReminder("ben", "m3", 2_000);
    await store.unsaveMessage("ann", "m1");
    await store.deleteAccount("ann", "keep");
    assert.deepEqual(
      (await store.claimDueReminders(3_000, 10, 63_000)).map((due) => due.id),
      ["m3"],
    );
  });
}
