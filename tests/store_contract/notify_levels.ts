/**
 * The store contract for notification levels: setNotifyLevel,
 * listNotifyLevels and notifyLevel, one row per account and stream not at
 * the default, capped per account, gone with the account.
 */
import assert from "node:assert/strict";
import {
  conversationKey,
  type NotifyLevel,
  type StoredNotifyLevel,
} from "../../server/store/mod.ts";
import { account, type StoreTest } from "./support.ts";

function level(stream: string, level: NotifyLevel, updatedAt = 1_000) {
  return { stream, level, updatedAt };
}

/** The contract of the notification levels. */
export function notifyLevels(test: StoreTest): void {
  test(
    "setNotifyLevel keeps the last level per account and stream; notifyLevel reads it, 'mentions' where none was set, across a reopen",
    async (store, reopen) => {
      const withBen = conversationKey("ann", "ben");
      assert.equal(await store.notifyLevel("ann", "general"), "mentions");
      assert.equal(
        await store.setNotifyLevel("ann", level("general", "none"), 10),
        true,
      );
      await store.setNotifyLevel(
        "ann",
        { stream: withBen, with: "Ben", level: "all", updatedAt: 2_000 },
        10,
      );
      await store.setNotifyLevel("ann", level("dev", "none"), 10);
      await store.setNotifyLevel("ann", level("dev", "all", 3_000), 10);
      await store.setNotifyLevel("cat", level("general", "all"), 10);
      const expected: StoredNotifyLevel[] = [
        { stream: withBen, with: "Ben", level: "all", updatedAt: 2_000 },
        { stream: "dev", level: "all", updatedAt: 3_000 },
        { stream: "general", level: "none", updatedAt: 1_000 },
      ].sort((a, b) => a.stream < b.stream ? -1 : 1) as StoredNotifyLevel[];
      assert.deepEqual(await store.listNotifyLevels("ann"), expected);
      const again = await reopen();
      assert.deepEqual(await again.listNotifyLevels("ann"), expected);
      assert.equal(await again.notifyLevel("ann", "general"), "none");
      assert.equal(await again.notifyLevel("ann", withBen), "all");
      assert.equal(await again.notifyLevel("cat", "general"), "all");
      assert.equal(await again.notifyLevel("ben", "general"), "mentions");
      assert.deepEqual(await again.listNotifyLevels("nobody"), []);
    },
  );

  test("setNotifyLevel back to 'mentions' deletes the row, and one that was never there is no error", async (store) => {
    await store.setNotifyLevel("ann", level("general", "none"), 10);
    assert.equal(
      await store.setNotifyLevel("ann", level("general", "mentions"), 10),
      true,
    );
    assert.equal(
      await store.setNotifyLevel("ann", level("dev", "mentions"), 10),
      true,
    );
    assert.deepEqual(await store.listNotifyLevels("ann"), []);
    assert.equal(await store.notifyLevel("ann", "general"), "mentions");
  });

  test("setNotifyLevel refuses a new stream past max rows, and still changes or clears the ones kept", async (store) => {
    for (const stream of ["a", "b", "c"]) {
      assert.equal(
        await store.setNotifyLevel("ann", level(stream, "none"), 3),
        true,
      );
    }
    assert.equal(
      await store.setNotifyLevel("ann", level("d", "none"), 3),
      false,
    );
    assert.equal(
      await store.setNotifyLevel("ann", level("a", "all"), 3),
      true,
    );
    assert.equal(
      await store.setNotifyLevel("ben", level("d", "none"), 3),
      true,
    );
    await store.setNotifyLevel("ann", level("b", "mentions"), 3);
    assert.equal(
      await store.setNotifyLevel("ann", level("d", "all"), 3),
      true,
    );
    assert.deepEqual(
      (await store.listNotifyLevels("ann")).map((l) => [l.stream, l.level]),
      [["a", "all"], ["c", "none"], ["d", "all"]],
    );
  });

  test("deleteAccount forgets the account's notification levels", async (store) => {
    await store.createAccount(account("ann"));
    await store.setNotifyLevel("ann", level("general", "none"), 10);
    assert.ok(await store.deleteAccount("ann", "keep"));
    assert.deepEqual(await store.listNotifyLevels("ann"), []);
    assert.equal(await store.notifyLevel("ann", "general"), "mentions");
  });

  test("renameRoom moves every account's levels there to the new key; a room made again under the old name starts at 'mentions'", async (store) => {
    await store.createRoom("dev", "dev");
    for (const who of ["ann", "ben"]) await store.addMember(who, "dev");
    await store.setNotifyLevel("ann", level("dev", "none"), 10);
    await store.setNotifyLevel("ben", level("dev", "all"), 10);
    await store.setNotifyLevel("ann", level("general", "all"), 10);
    // A row under the new key that no room has (a server of before left
    // them): the moved one takes its place.
    await store.setNotifyLevel("ann", level("lab", "all"), 10);
    assert.ok(typeof await store.renameRoom("dev", "lab", "lab") === "object");
    assert.deepEqual(
      (await store.listNotifyLevels("ann")).map((l) => [l.stream, l.level]),
      [["general", "all"], ["lab", "none"]],
    );
    assert.equal(await store.notifyLevel("ben", "lab"), "all");
    assert.equal(await store.notifyLevel("ann", "dev"), "mentions");
    await store.createRoom("dev", "dev");
    await store.addMember("ann", "dev");
    assert.equal(await store.notifyLevel("ann", "dev"), "mentions");
    assert.equal(await store.notifyLevel("ben", "dev"), "mentions");
  });

  test("deleteRoom takes every account's level there, a member's and one who left; a room made again under the name starts at 'mentions'", async (store) => {
    await store.createRoom("den", "den");
    for (const who of ["ann", "ben"]) await store.addMember(who, "den");
    await store.setNotifyLevel("ann", level("den", "none"), 10);
    await store.setNotifyLevel("ben", level("den", "all"), 10);
    await store.setNotifyLevel("ann", level("general", "all"), 10);
    assert.equal(await store.removeMember("ben", "den"), true);
    assert.ok(await store.deleteRoom("den"));
    assert.deepEqual(
      (await store.listNotifyLevels("ann")).map((l) => [l.stream, l.level]),
      [["general", "all"]],
    );
    assert.deepEqual(await store.listNotifyLevels("ben"), []);
    await store.createRoom("den", "den");
    for (const who of ["ann", "ben"]) await store.addMember(who, "den");
    assert.equal(await store.notifyLevel("ann", "den"), "mentions");
    assert.equal(await store.notifyLevel("ben", "den"), "mentions");
  });
}
