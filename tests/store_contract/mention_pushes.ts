/**
 * The store contract for the subscriptions an `@room`'s page of members is
 * pushed to (mentionSubscriptions): the answers of findBan, isIgnoring,
 * notifyLevel, doNotDisturb and pushSubscriptions, asked of many
 * accounts at once.
 */
import assert from "node:assert/strict";
import { account, BAN, type StoreTest } from "./support.ts";

const HOUR = 3_600_000;

/** The contract of mentionSubscriptions. */
export function mentionPushes(test: StoreTest): void {
  test(
    "mentionSubscriptions gives the subscriptions of the accounts asked about that take a mention from the author in the room, by account, oldest first",
    async (store) => {
      const now = Date.now();
      const subscribed = [
        "ann", // takes it, on two devices
        "ben", // ignores the author
        "cat", // set the room to none
        "dan", // paused for an hour
        "eve", // banned from the server
        "fay", // banned from another room only: still takes it
        "gil", // paused until an hour ago: takes it
        "hal", // banned until an hour ago: takes it
        "jon", // set another room to none: takes it
        "kim", // ignores someone else: takes it
        "lee", // an address banned with the name, not the name: takes it
        "mo", // takes it, but was not asked about
      ];
      for (const key of ["boss", "ivy", ...subscribed]) {
        await store.createAccount(account(key));
      }
      for (const [i, key] of subscribed.entries()) {
        await store.savePushSubscription({
          endpoint: `https://push.example/${key}`,
          userKey: key,
          p256dh: "key",
          auth: "auth",
          createdAt: 10 + i,
        });
      }
      await store.savePushSubscription({
        endpoint: "https://push.example/ann-phone",
        userKey: "ann",
        p256dh: "key",
        auth: "auth",
        createdAt: 1,
      });
      await store.ignore("ben", { key: "boss", name: "BOSS", max: 10 });
      await store.ignore("kim", { key: "ivy", name: "IVY", max: 10 });
      const none = { level: "none" as const, updatedAt: 1 };
      await store.setNotifyLevel("cat", { stream: "ops", ...none }, 10);
      await store.setNotifyLevel("jon", { stream: "dev", ...none }, 10);
      await store.setDoNotDisturb("dan", now + HOUR);
      await store.setDoNotDisturb("gil", now - HOUR);
      await store.addBan({ userKey: "eve", ...BAN });
      await store.addBan({ userKey: "fay", roomKey: "dev", ...BAN });
      await store.addBan({ userKey: "hal", ...BAN, expiresAt: now - HOUR });
      await store.addBan({ userKey: "lee", address: "203.0.113.7", ...BAN });

      const asked = ["ivy", ...subscribed.filter((key) => key !== "mo")];
      const pushed = await store.mentionSubscriptions(asked, {
        roomKey: "ops",
        authorKey: "boss",
      });
      assert.deepEqual(
        pushed.map((s) => `${s.userKey} ${s.endpoint.split("/").at(-1)}`),
        [
          "ann ann-phone",
          "ann ann",
          "fay fay",
          "gil gil",
          "hal hal",
          "jon jon",
          "kim kim",
          "lee lee",
        ],
      );
      // Each as pushSubscriptions gives it.
      assert.deepEqual(
        pushed.filter((s) => s.userKey === "ann"),
        await store.pushSubscriptions("ann"),
      );
      assert.deepEqual(
        await store.mentionSubscriptions([], {
          roomKey: "ops",
          authorKey: "boss",
        }),
        [],
      );
    },
  );
}
