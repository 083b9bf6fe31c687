/** The store contract for profile cards (setProfile, profile). */
import assert from "node:assert/strict";
import { account, type StoreTest } from "./support.ts";

/** The contract of the accounts' profile cards. */
export function profiles(test: StoreTest): void {
  test(
    "setProfile keeps an account's title and time zone across a reopen; a field left out stays, null clears it, an empty time zone is kept apart from null",
    async (store, reopen) => {
      await store.createAccount(account("ann"));
      await store.createAccount(account("ben"));
      assert.deepEqual(await store.profile("ann"), {
        title: null,
        timezone: null,
      });
      assert.equal(
        await store.setProfile("ann", {
          title: "Designer",
          timezone: "Europe/Paris",
        }),
        true,
      );
      assert.equal(await store.setProfile("ann", { title: "Lead" }), true);
      const again = await reopen();
      assert.deepEqual(await again.profile("ann"), {
        title: "Lead",
        timezone: "Europe/Paris",
      });
      assert.equal(await again.setProfile("ann", { timezone: null }), true);
      assert.deepEqual(await again.profile("ann"), {
        title: "Lead",
        timezone: null,
      });
      // A zone cleared ("") is kept apart from one never set (null).
      assert.equal(await again.setProfile("ann", { timezone: "" }), true);
      assert.deepEqual(await again.profile("ann"), {
        title: "Lead",
        timezone: "",
      });
      assert.deepEqual(await again.profile("ben"), {
        title: null,
        timezone: null,
      });
      assert.equal(await again.setProfile("nobody", { title: "x" }), false);
      assert.equal(await again.profile("nobody"), null);
    },
  );

  test("a deleted account's profile goes with it", async (store) => {
    await store.createAccount(account("ann"));
    await store.setProfile("ann", { title: "Designer", timezone: "UTC" });
    await store.deleteAccount("ann", "keep");
    assert.equal(await store.profile("ann"), null);
    await store.createAccount(account("ann"));
    assert.deepEqual(await store.profile("ann"), {
      title: null,
      timezone: null,
    });
  });
}
