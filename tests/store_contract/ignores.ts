/**
 * The store contract for ignores (ignore, unignore, listIgnored,
 * isIgnoring) and the inviter recorded with a membership
 * (addMember's invitedBy, roomsInvitedBy).
 */
import assert from "node:assert/strict";
import { conversationKey } from "../../server/store/mod.ts";
import { account, dm, draft, range, type StoreTest } from "./support.ts";

/** The contract of whom each account ignores. */
export function ignores(test: StoreTest): void {
  test("ignore records one account once, per ignorer; unignore forgets it", async (store) => {
    assert.equal(
      await store.ignore("alice", { key: "mallory", name: "Mallory", max: 5 }),
      true,
    );
    assert.equal(
      await store.ignore("alice", { key: "mallory", name: "Mallory", max: 5 }),
      false,
    );
    assert.equal(await store.isIgnoring("alice", "mallory"), true);
    // One way only: Mallory does not ignore Alice, Bob ignores nobody.
    assert.equal(await store.isIgnoring("mallory", "alice"), false);
    assert.equal(await store.isIgnoring("bob", "mallory"), false);
    assert.equal(await store.unignore("alice", "mallory"), true);
    assert.equal(await store.unignore("alice", "mallory"), false);
    assert.equal(await store.isIgnoring("alice", "mallory"), false);
    assert.deepEqual(await store.listIgnored("alice"), []);
  });

  test("listIgnored lists by name key with the name and time ignored; past max: full", async (store) => {
    const before = Date.now();
    for (const name of ["Zed", "Eve", "Mallory"]) {
      assert.equal(
        await store.ignore("alice", {
          key: name.toLowerCase(),
          name,
          max: 3,
        }),
        true,
      );
    }
    assert.equal(
      await store.ignore("alice", { key: "trent", name: "Trent", max: 3 }),
      "full",
    );
    // One ignored already is no new row: false, not full.
    assert.equal(
      await store.ignore("alice", { key: "eve", name: "Eve", max: 3 }),
      false,
    );
    const list = await store.listIgnored("alice");
    assert.deepEqual(list.map(({ key, name }) => [key, name]), [
      ["eve", "Eve"],
      ["mallory", "Mallory"],
      ["zed", "Zed"],
    ]);
    for (const entry of list) {
      assert.ok(entry.at >= before && entry.at <= Date.now(), String(entry.at));
    }
    assert.deepEqual(await store.listIgnored("bob"), []);
  });

  test("deleteAccount forgets whom the account ignored and who ignored it", async (store) => {
    for (const key of ["alice", "mallory", "bob"]) {
      await store.createAccount(account(key));
    }
    await store.ignore("alice", { key: "mallory", name: "MALLORY", max: 5 });
    await store.ignore("mallory", { key: "bob", name: "BOB", max: 5 });
    await store.ignore("bob", { key: "alice", name: "ALICE", max: 5 });
    assert.ok(await store.deleteAccount("mallory", "keep"));
    assert.equal(await store.isIgnoring("alice", "mallory"), false);
    assert.deepEqual(await store.listIgnored("mallory"), []);
    assert.equal(await store.isIgnoring("bob", "alice"), true);
  });

  test("roomsInvitedBy lists the rooms an account was added to by one inviter since a time; joins of its own name none", async (store) => {
    for (const room of ["a", "b", "c", "d"]) {
      await store.createRoom(room, room, { private: true });
    }
    assert.equal(await store.addMember("alice", "a", 0, "mallory"), true);
    assert.equal(await store.addMember("alice", "b", 10, "bob"), true);
    assert.equal(await store.addMember("alice", "c"), true);
    assert.equal(await store.addMember("alice", "d", 10, "mallory"), true);
    // A member already: the first inviter stays.
    assert.equal(await store.addMember("alice", "b", 10, "mallory"), false);
    assert.deepEqual(
      await store.roomsInvitedBy("alice", { key: "mallory", since: 0 }),
      ["a", "d"],
    );
    assert.deepEqual(
      await store.roomsInvitedBy("alice", { key: "bob", since: 0 }),
      ["b"],
    );
    assert.deepEqual(
      await store.roomsInvitedBy("bob", { key: "mallory", since: 0 }),
      [],
    );
    // An inviter's name created after the invites: a former holder's.
    assert.deepEqual(
      await store.roomsInvitedBy("alice", {
        key: "mallory",
        since: Date.now() + 1000,
      }),
      [],
    );
    // Left and joined again by itself: no inviter any more.
    await store.removeMember("alice", "a");
    await store.addMember("alice", "a");
    assert.deepEqual(
      await store.roomsInvitedBy("alice", { key: "mallory", since: 0 }),
      ["d"],
    );
  });

  test("read states count no message nor mention of an account the reader ignores, however they are read; unignored, they count again", async (store) => {
    await store.createRoom("dev", "dev");
    await store.addMember("bob", "dev");
    const by = (who: string) => ({ userKey: who, user: who });
    for (
      const [who, text] of [
        ["alice", "hi @bob"],
        ["mallory", "@bob look"],
        ["mallory", "spam"],
        ["alice", "plain"],
      ]
    ) {
      await store.appendMessage(draft("dev", text, by(who)));
    }
    await store.appendPrivate(dm("mallory", "bob", "psst @bob"));
    const withMallory = conversationKey("bob", "mallory");
    await store.ignore("bob", { key: "mallory", name: "mallory", max: 5 });
    const state = { lastReadSeq: 0, unread: 2, mentions: 1, lastSeq: 4 };
    assert.deepEqual(await store.readState("bob", "dev"), state);
    assert.deepEqual(await store.readStates("bob", ["dev", withMallory]), [
      state,
      { lastReadSeq: 0, unread: 0, mentions: 0, lastSeq: 1 },
    ]);
    assert.deepEqual(
      (await store.markRead("bob", "dev", 1)).state,
      { lastReadSeq: 1, unread: 1, mentions: 0, lastSeq: 4 },
    );
    assert.deepEqual(
      (await store.markUnread("bob", "dev", 1)).state,
      state,
    );
    // Another reader's counts are its own.
    assert.deepEqual(
      await store.readState("carol", "dev"),
      { lastReadSeq: 0, unread: 4, mentions: 0, lastSeq: 4 },
    );
    await store.unignore("bob", "mallory");
    assert.deepEqual(
      await store.readState("bob", "dev"),
      { lastReadSeq: 0, unread: 4, mentions: 2, lastSeq: 4 },
    );
  });

  test("addMember with an inviter refuses, writing nothing, an account that ignores that inviter: ignored", async (store) => {
    await store.createRoom("den", "den", { private: true });
    await store.ignore("alice", { key: "mallory", name: "Mallory", max: 5 });
    assert.equal(
      await store.addMember("alice", "den", 10, "mallory"),
      "ignored",
    );
    assert.equal(
      await store.addMember("alice", "den", 0, "mallory"),
      "ignored",
    );
    assert.equal(await store.isMember("alice", "den"), false);
    // Another inviter, or a join of its own, passes.
    assert.equal(await store.addMember("alice", "den", 10, "bob"), true);
    await store.removeMember("alice", "den");
    assert.equal(await store.addMember("alice", "den"), true);
  });

  test("an invite racing an ignore of its inviter is refused, or committed before the ignore so that roomsInvitedBy after it finds the room", async (store) => {
    const rooms = range(1, 40).map((n) => `r${n}`);
    for (const room of rooms) {
      await store.createRoom(room, room, { private: true });
    }
    // As ignore_user does: the ignore, then the rooms to leave.
    let found: string[] = [];
    const ignoring = async () => {
      await store.ignore("alice", { key: "mallory", name: "Mallory", max: 5 });
      found = await store.roomsInvitedBy("alice", { key: "mallory", since: 0 });
    };
    const invites = rooms.map((room, n) =>
      n === rooms.length / 2
        ? ignoring()
        : store.addMember("alice", room, 100, "mallory")
    );
    await Promise.all(invites);
    for (const room of rooms) {
      if (await store.isMember("alice", room)) {
        assert.ok(found.includes(room), `${room} stays, unseen by the ignore`);
      }
    }
  });

  test("read states: an ignored author's deleted message counts neither way, its mentions go with the ignore, and the reader's own messages never count", async (store) => {
    await store.createRoom("dev", "dev");
    await store.addMember("bob", "dev");
    const by = (who: string) => ({ userKey: who, user: who });
    const gone = await store.appendMessage(
      draft("dev", "@bob gone", by("mallory")),
    );
    await store.appendMessage(draft("dev", "@bob here", by("mallory")));
    await store.appendMessage(draft("dev", "mine @bob", by("bob")));
    await store.appendMessage(draft("dev", "hi @bob", by("alice")));
    await store.updateMessage(gone.message.id, { deleted: true });
    assert.deepEqual(
      await store.readState("bob", "dev"),
      { lastReadSeq: 0, unread: 2, mentions: 2, lastSeq: 4 },
    );
    await store.ignore("bob", { key: "mallory", name: "mallory", max: 5 });
    assert.deepEqual(
      await store.readState("bob", "dev"),
      { lastReadSeq: 0, unread: 1, mentions: 1, lastSeq: 4 },
    );
    assert.deepEqual(
      (await store.markRead("bob", "dev", 3)).state,
      { lastReadSeq: 3, unread: 1, mentions: 1, lastSeq: 4 },
    );
  });
}
