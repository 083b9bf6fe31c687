/**
 * The store contract for stars: star, unstar and listStars, one row per
 * account and stream, capped per account, gone with the account and the
 * room, moved by a room's rename.
 */
import assert from "node:assert/strict";
import { conversationKey, type Store } from "../../server/store/mod.ts";
import { account, type StoreTest } from "./support.ts";

function star(stream: string, createdAt = 1_000) {
  return { stream, createdAt };
}

async function accounts(store: Store, ...keys: string[]): Promise<void> {
  for (const key of keys) await store.createAccount(account(key));
}

async function streams(store: Store, key: string): Promise<string[]> {
  return (await store.listStars(key)).map((s) => s.stream);
}

/** The contract of the stars. */
export function stars(test: StoreTest): void {
  test(
    "star keeps one row per account and stream with its first time, listStars reads them by stream across a reopen, unstar deletes one",
    async (store, reopen) => {
      await accounts(store, "ann", "cat");
      const withBen = conversationKey("ann", "ben");
      assert.equal(await store.star("ann", star("general"), 10), true);
      assert.equal(
        await store.star(
          "ann",
          { stream: withBen, with: "Ben", createdAt: 2_000 },
          10,
        ),
        true,
      );
      assert.equal(await store.star("ann", star("general", 5_000), 10), true);
      await store.star("cat", star("dev"), 10);
      const expected = [
        { stream: withBen, with: "Ben", createdAt: 2_000 },
        { stream: "general", createdAt: 1_000 },
      ].sort((a, b) => a.stream < b.stream ? -1 : 1);
      assert.deepEqual(await store.listStars("ann"), expected);
      const again = await reopen();
      assert.deepEqual(await again.listStars("ann"), expected);
      await again.unstar("ann", "general");
      await again.unstar("ann", "nowhere");
      assert.deepEqual(await streams(again, "ann"), [withBen]);
      assert.deepEqual(await streams(again, "cat"), ["dev"]);
      assert.deepEqual(await again.listStars("nobody"), []);
    },
  );

  test("star refuses a new stream past max rows, and still keeps the ones there", async (store) => {
    await accounts(store, "ann", "ben");
    for (const stream of ["a", "b", "c"]) {
      assert.equal(await store.star("ann", star(stream), 3), true);
    }
    assert.equal(await store.star("ann", star("d"), 3), false);
    assert.equal(await store.star("ann", star("a"), 3), true);
    assert.equal(await store.star("ben", star("d"), 3), true);
    await store.unstar("ann", "b");
    assert.equal(await store.star("ann", star("d"), 3), true);
    assert.deepEqual(await streams(store, "ann"), ["a", "c", "d"]);
  });

  test("deleteAccount forgets the account's stars", async (store) => {
    await accounts(store, "ann", "ben");
    await store.star("ann", star("general"), 10);
    await store.star("ben", star("general"), 10);
    assert.ok(await store.deleteAccount("ann", "keep"));
    assert.deepEqual(await store.listStars("ann"), []);
    assert.deepEqual(await streams(store, "ben"), ["general"]);
  });

  test("renameRoom moves every account's stars there to the new key; deleteRoom takes them, a member's and one who left", async (store) => {
    await accounts(store, "ann", "ben");
    await store.createRoom("dev", "dev");
    for (const who of ["ann", "ben"]) await store.addMember(who, "dev");
    await store.star("ann", star("dev"), 10);
    await store.star("ben", star("dev"), 10);
    await store.star("ann", star("general"), 10);
    // A row under the new key that no room has: the moved one takes its
    // place.
    await store.star("ann", star("lab"), 10);
    assert.ok(typeof await store.renameRoom("dev", "lab", "lab") === "object");
    assert.deepEqual(await streams(store, "ann"), ["general", "lab"]);
    assert.deepEqual(await streams(store, "ben"), ["lab"]);
    assert.equal(await store.removeMember("ben", "lab"), true);
    assert.ok(await store.deleteRoom("lab"));
    assert.deepEqual(await streams(store, "ann"), ["general"]);
    assert.deepEqual(await store.listStars("ben"), []);
  });
}
