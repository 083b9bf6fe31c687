/** The store contract for custom statuses (setStatus, statuses). */
import assert from "node:assert/strict";
import { account, type StoreTest } from "./support.ts";

/** The contract of the accounts' custom statuses. */
export function statuses(test: StoreTest): void {
  test(
    "setStatus keeps an account's status across a reopen; null clears it; no account, no row",
    async (store, reopen) => {
      for (const who of ["ann", "ben", "cat"]) {
        await store.createAccount(account(who));
      }
      assert.deepEqual(await store.statuses(["ann", "ben"]), []);
      const until = 1_800_000_000_000;
      assert.equal(
        await store.setStatus("ben", {
          text: "In a meeting",
          emoji: "📅",
          until,
        }),
        true,
      );
      assert.equal(
        await store.setStatus("ann", { text: "", emoji: "🤒", until: null }),
        true,
      );
      await store.setStatus("cat", { text: "Away", emoji: null, until: null });
      const again = await reopen();
      assert.deepEqual(await again.statuses(["ben", "ann", "nobody"]), [
        { userKey: "ann", text: "", emoji: "🤒", until: null },
        { userKey: "ben", text: "In a meeting", emoji: "📅", until },
      ]);
      assert.equal(await again.setStatus("ben", null), true);
      assert.deepEqual(await again.statuses(["ben", "cat"]), [
        { userKey: "cat", text: "Away", emoji: null, until: null },
      ]);
      assert.equal(
        await again.setStatus("nobody", { text: "x", emoji: null, until }),
        false,
      );
      assert.deepEqual(await again.statuses([]), []);
    },
  );

  test("a deleted account's status goes with it", async (store) => {
    await store.createAccount(account("ann"));
    await store.setStatus("ann", {
      text: "Out sick",
      emoji: null,
      until: null,
    });
    await store.deleteAccount("ann", "keep");
    assert.deepEqual(await store.statuses(["ann"]), []);
  });
}
