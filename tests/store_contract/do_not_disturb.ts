/**
 * The store contract for "do not disturb" (setDoNotDisturb, doNotDisturb)
 * and for the members Web Push sends a room's every message
 * (membersAtAll).
 */
import assert from "node:assert/strict";
import { account, type StoreTest } from "./support.ts";

const HOUR = 3_600_000;

/** The contract of "do not disturb" and of the rooms' `all` members. */
export function doNotDisturb(test: StoreTest): void {
  test(
    "setDoNotDisturb keeps an account's until across a reopen; null ends it; no account, no row",
    async (store, reopen) => {
      await store.createAccount(account("ann"));
      await store.createAccount(account("ben"));
      assert.equal(await store.doNotDisturb("ann"), null);
      const until = 1_800_000_000_000 + HOUR;
      assert.equal(await store.setDoNotDisturb("ann", until), true);
      const again = await reopen();
      assert.equal(await again.doNotDisturb("ann"), until);
      assert.equal(await again.doNotDisturb("ben"), null);
      assert.equal(await again.setDoNotDisturb("ann", null), true);
      assert.equal(await again.doNotDisturb("ann"), null);
      assert.equal(await again.setDoNotDisturb("nobody", until), false);
      assert.equal(await again.doNotDisturb("nobody"), null);
    },
  );

  test("membersAtAll lists the room's members at 'all', not those at other levels, elsewhere, or gone from the room", async (store) => {
    await store.createRoom("ops", "ops");
    for (const who of ["ann", "ben", "cat", "dan"]) {
      await store.createAccount(account(who));
      await store.addMember(who, "ops");
    }
    const at = (stream: string, level: "all" | "none") => ({
      stream,
      level,
      updatedAt: 1_000,
    });
    await store.setNotifyLevel("ann", at("ops", "all"), 10);
    await store.setNotifyLevel("ben", at("ops", "none"), 10);
    await store.setNotifyLevel("cat", at("general", "all"), 10);
    await store.setNotifyLevel("dan", at("ops", "all"), 10);
    await store.removeMember("dan", "ops");
    assert.deepEqual(await store.membersAtAll("ops"), ["ann"]);
    assert.deepEqual(await store.membersAtAll("nowhere"), []);
  });
}
