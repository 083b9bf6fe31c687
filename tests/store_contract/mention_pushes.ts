/**
 * The store contract for the subscriptions an `@room`'s page of members is
 * pushed to (mentionSubscriptions): the answers of findBan, isIgnoring,
 * notifyLevel, doNotDisturb and pushSubscriptions, asked of many
 * accounts at once, and the rule notify_rule.ts's `reaches` says probe
 * by probe, said in one query.
 */
import assert from "node:assert/strict";
import { reaches } from "../../server/notify_rule.ts";
import type { Store } from "../../server/store/mod.ts";
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
      await store.createRoom("ops", "ops");
      for (const key of ["boss", "ivy", ...subscribed]) {
        await store.createAccount(account(key));
        await store.addMember(key, "ops");
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

  test(
    "mentionSubscriptions takes exactly the accounts the notification rule (reaches) lets a mention reach, for every level, ignore, ban and pause",
    async (store) => {
      const now = Date.now();
      const mention = { roomKey: "ops", authorKey: "boss" };
      await store.createRoom("ops", "ops");
      await store.createRoom("dev", "dev");
      for (const key of ["boss", "ivy"]) {
        await store.createAccount(account(key));
        await store.addMember(key, "ops");
      }
      // Every case of each part of the rule, with every case of the
      // others: an account each, subscribed, and asked about as a page of
      // the room's members would be (those who left or were banned from
      // the room since the page was read too).
      const keys: string[] = [];
      for (const standing of Object.keys(STANDINGS)) {
        for (const level of Object.keys(LEVELS)) {
          for (const ignoring of Object.keys(IGNORES)) {
            for (const pause of Object.keys(PAUSES)) {
              const key = `${standing}-${level}-${ignoring}-${pause}`;
              assert.ok(await store.createAccount(account(key)), key);
              await store.savePushSubscription({
                endpoint: `https://push.example/${key}`,
                userKey: key,
                p256dh: "key",
                auth: "auth",
                createdAt: keys.length,
              });
              await store.addMember(key, "ops");
              await STANDINGS[standing](store, key, now);
              await LEVELS[level](store, key);
              await IGNORES[ignoring](store, key);
              await PAUSES[pause](store, key, now);
              keys.push(key);
            }
          }
        }
      }

      const rule: string[] = [];
      for (const key of keys) {
        if (await reaches(store, key, { kind: "mention", ...mention }, now)) {
          rule.push(key);
        }
      }
      const query = (await store.mentionSubscriptions(keys, mention))
        .map((subscription) => subscription.userKey);
      assert.deepEqual(query.toSorted(), rule.toSorted());
      // Neither side is everyone or no one: each part says no somewhere.
      assert.ok(rule.length > 0 && rule.length < keys.length);
    },
  );
}

type Case = (store: Store, key: string, now: number) => Promise<unknown>;

// Where the account stands with the room and the server.
const STANDINGS: Record<string, Case> = {
  member: () => Promise.resolve(),
  left: (store, key) => store.removeMember(key, "ops"),
  roomban: (store, key) =>
    store.addBan({ userKey: key, roomKey: "ops", ...BAN }),
  devban: (store, key) =>
    store.addBan({ userKey: key, roomKey: "dev", ...BAN }),
  ban: (store, key) => store.addBan({ userKey: key, ...BAN }),
  oldban: (store, key, now) =>
    store.addBan({ userKey: key, ...BAN, expiresAt: now - HOUR }),
  laterban: (store, key, now) =>
    store.addBan({ userKey: key, ...BAN, expiresAt: now + HOUR }),
  // An address banned with the name, not the name.
  address: (store, key) =>
    store.addBan({ userKey: key, address: "203.0.113.7", ...BAN }),
};

// The account's level in the room (none set: the default), or elsewhere.
const LEVELS: Record<string, (store: Store, key: string) => Promise<unknown>> =
  {
    usual: () => Promise.resolve(),
    all: (store, key) => level(store, key, "ops", "all"),
    mentions: (store, key) => level(store, key, "ops", "mentions"),
    none: (store, key) => level(store, key, "ops", "none"),
    devnone: (store, key) => level(store, key, "dev", "none"),
  };

// Whom the account ignores.
const IGNORES: Record<string, (store: Store, key: string) => Promise<unknown>> =
  {
    nobody: () => Promise.resolve(),
    author: (store, key) =>
      store.ignore(key, { key: "boss", name: "BOSS", max: 10 }),
    other: (store, key) =>
      store.ignore(key, { key: "ivy", name: "IVY", max: 10 }),
  };

// Do not disturb: none, until an hour ahead, until an hour ago.
const PAUSES: Record<string, Case> = {
  awake: () => Promise.resolve(),
  paused: (store, key, now) => store.setDoNotDisturb(key, now + HOUR),
  resumed: (store, key, now) => store.setDoNotDisturb(key, now - HOUR),
};

function level(
  store: Store,
  key: string,
  stream: string,
  level: "all" | "mentions" | "none",
): Promise<boolean> {
  return store.setNotifyLevel(key, { stream, level, updatedAt: 1 }, 10);
}
