/**
 * The store contract for team chat: private rooms, memberships and read
 * state (addMember, removeMember, isMember, memberRooms, roomMembers, markRead,
 * readState, readStates, mentionedAt) and invites (createInvite, findInvite, useInvite,
 * returnInvite, revokeInvite, listInvites, deleteDeadInvites).
 */
import assert from "node:assert/strict";
import {
  conversationKey,
  MAX_UNREAD,
  type Store,
} from "../../server/store/mod.ts";
import {
  account,
  after,
  append,
  dm,
  draft,
  range,
  type StoreTest,
} from "./support.ts";

/** An account's rooms with their read states, as a login lists them. */
async function memberships(store: Store, userKey: string) {
  const keys = await store.memberRooms(userKey);
  const states = await store.readStates(userKey, keys);
  return keys.map((roomKey, i) => ({ roomKey, ...states[i] }));
}

/** The contract of memberships, read state, private rooms and invites. */
export function teamChat(test: StoreTest): void {
  test("createRoom keeps a private room's flag and owner; rooms are public by default", async (store) => {
    const secret = await store.createRoom("Secret", "secret", {
      private: true,
      owner: "alice",
    });
    assert.deepEqual(
      { private: secret?.private, owner: secret?.owner },
      { private: true, owner: "alice" },
    );
    await store.createRoom("dev", "dev");
    const rooms = await store.listRooms();
    assert.deepEqual(rooms.map((r) => [r.key, r.private, r.owner]), [
      ["general", false, undefined],
      ["secret", true, "alice"],
      ["dev", false, undefined],
    ]);
  });

  test("addMember joins once, read to the room's end; removeMember ends it", async (store) => {
    await store.createRoom("dev", "dev");
    await append(store, "dev", ["a", "b"]);
    assert.equal(await store.addMember("bob", "dev"), true);
    assert.equal(await store.addMember("bob", "dev"), false);
    assert.equal(await store.addMember("bob", "nowhere"), false);
    assert.equal(await store.isMember("bob", "dev"), true);
    assert.equal(await store.isMember("carol", "dev"), false);
    assert.deepEqual(await memberships(store, "bob"), [
      { roomKey: "dev", lastReadSeq: 2, unread: 0, mentions: 0, lastSeq: 2 },
    ]);
    assert.equal(await store.removeMember("bob", "dev"), true);
    assert.equal(await store.removeMember("bob", "dev"), false);
    assert.deepEqual(await memberships(store, "bob"), []);
  });

  test("roomMembers names a room's accounts that start with a prefix, by key, at most the limit; general every account", async (store) => {
    await store.createRoom("dev", "dev");
    for (const name of ["carol", "bonnie", "bob", "boxer"]) {
      await store.createAccount(account(name));
    }
    for (const name of ["bob", "bonnie", "carol", "ghost"]) {
      await store.addMember(name, "dev");
    }
    assert.deepEqual(await store.roomMembers("dev", "bo", 20), [
      "BOB",
      "BONNIE",
    ]);
    // A member without an account (none here for "ghost") is nobody.
    assert.deepEqual(await store.roomMembers("dev", "", 20), [
      "BOB",
      "BONNIE",
      "CAROL",
    ]);
    assert.deepEqual(await store.roomMembers("dev", "", 2), ["BOB", "BONNIE"]);
    // "_" is a name's character, not a wildcard.
    assert.deepEqual(await store.roomMembers("dev", "b_", 20), []);
    // Every account belongs to general, rows or not.
    assert.deepEqual(await store.roomMembers("general", "bo", 20), [
      "BOB",
      "BONNIE",
      "BOXER",
    ]);
    assert.deepEqual(await store.roomMembers("general", "", 2), [
      "BOB",
      "BONNIE",
    ]);
    assert.deepEqual(await store.roomMembers("general", "b_", 20), []);
    await store.removeMember("carol", "dev");
    assert.deepEqual(await store.roomMembers("dev", "c", 20), []);
    assert.deepEqual(await store.roomMembers("nowhere", "", 20), []);
  });

  test("roomMembers pages after a key: each page starts past the last one's, in a room and in general, a prefix kept", async (store) => {
    await store.createRoom("dev", "dev");
    for (const name of ["ann", "bob", "bonnie", "boxer", "carol"]) {
      await store.createAccount(account(name));
      await store.addMember(name, "dev");
    }
    for (const room of ["dev", "general"]) {
      assert.deepEqual(
        await store.roomMembers(room, "", 2, { after: "bob" }),
        ["BONNIE", "BOXER"],
        room,
      );
      assert.deepEqual(
        await store.roomMembers(room, "", 2, { after: "boxer" }),
        ["CAROL"],
        room,
      );
      assert.deepEqual(
        await store.roomMembers(room, "", 2, { after: "carol" }),
        [],
        room,
      );
      // After a key below the prefix: from the prefix; past it: nothing.
      assert.deepEqual(
        await store.roomMembers(room, "bo", 20, { after: "ann" }),
        ["BOB", "BONNIE", "BOXER"],
        room,
      );
      assert.deepEqual(
        await store.roomMembers(room, "bo", 20, { after: "bonnie" }),
        ["BOXER"],
        room,
      );
      assert.deepEqual(
        await store.roomMembers(room, "bo", 20, { after: "c" }),
        [],
        room,
      );
    }
  });

  test("roomMembers of a room orders keys by code point and finds a prefix of any script, as in general", async (store) => {
    await store.createRoom("dev", "dev");
    const keys = ["zoe", "élodie", "émile", "eve", "日向", "e"];
    for (const key of keys) {
      await store.createAccount(account(key));
      await store.addMember(key, "dev");
    }
    const byCodePoint = ["E", "EVE", "ZOE", "ÉLODIE", "ÉMILE", "日向"];
    assert.deepEqual(await store.roomMembers("dev", "", 20), byCodePoint);
    assert.deepEqual(
      await store.roomMembers("general", "", 20),
      byCodePoint,
    );
    for (const room of ["dev", "general"]) {
      assert.deepEqual(await store.roomMembers(room, "é", 20), [
        "ÉLODIE",
        "ÉMILE",
      ]);
      assert.deepEqual(await store.roomMembers(room, "e", 20), ["E", "EVE"]);
      assert.deepEqual(await store.roomMembers(room, "日", 20), ["日向"]);
      assert.deepEqual(await store.roomMembers(room, "ém", 20), ["ÉMILE"]);
    }
  });

  test("addMember with a cap: full once the account belongs to that many rooms, a member already or a gone room false as without it; joins at once never pass it", async (store) => {
    for (const room of ["a", "b", "c", "d", "e"]) {
      await store.createRoom(room, room);
    }
    assert.equal(await store.addMember("bob", "a", 2), true);
    assert.equal(await store.addMember("bob", "nowhere", 2), false);
    assert.equal(await store.addMember("bob", "b", 2), true);
    assert.equal(await store.addMember("bob", "c", 2), "full");
    assert.equal(await store.addMember("bob", "a", 2), false);
    assert.equal(await store.addMember("carol", "c", 2), true);
    assert.equal(await store.addMember("bob", "c", 0), true);
    assert.deepEqual(await store.memberRooms("bob"), ["a", "b", "c"]);
    // Racing joins of one account: exactly as many as the cap allows.
    const results = await Promise.all(
      ["a", "b", "c", "d", "e"].map((room) => store.addMember("dan", room, 3)),
    );
    assert.equal(results.filter((r) => r === true).length, 3);
    assert.equal(results.filter((r) => r === "full").length, 2);
    assert.equal((await store.memberRooms("dan")).length, 3);
  });

  test("memberships list the oldest first, also two joined in one millisecond", async (store) => {
    await store.createRoom("zed", "zed");
    await store.createRoom("abc", "abc");
    // A clock that stands still (where the store runs in this thread):
    // joined in one millisecond, by name "abc" would come first.
    const now = Date.now;
    const frozen = now();
    Date.now = () => frozen;
    try {
      for (const room of ["general", "zed", "abc"]) {
        assert.equal(await store.addMember("bob", room), true);
      }
    } finally {
      Date.now = now;
    }
    assert.deepEqual(await store.memberRooms("bob"), ["general", "zed", "abc"]);
  });

  test("memberships count messages by others after the read position, and mentions of the account", async (store) => {
    await store.createRoom("dev", "dev");
    await store.addMember("bob", "general");
    await store.addMember("bob", "dev");
    await append(store, "dev", ["hi @bob", "plain", "`@bob` in code"]);
    await store.appendMessage(draft("dev", "mine @bob", {
      userKey: "bob",
      user: "bob",
    }));
    await store.appendMessage(draft("general", "hey @BOB and @carol"));
    const rooms = await memberships(store, "bob");
    rooms.sort((a, b) => a.roomKey < b.roomKey ? -1 : 1);
    assert.deepEqual(rooms, [
      { roomKey: "dev", lastReadSeq: 0, unread: 3, mentions: 1, lastSeq: 4 },
      {
        roomKey: "general",
        lastReadSeq: 0,
        unread: 1,
        mentions: 1,
        lastSeq: 1,
      },
    ]);
    const carol = await store.readState("carol", "general");
    assert.deepEqual(carol, {
      lastReadSeq: 0,
      unread: 1,
      mentions: 1,
      lastSeq: 1,
    });
  });

  test("markRead says whether the position moved: only a move forward within the stream does", async (store) => {
    await store.addMember("bob", "general");
    await append(store, "general", ["1", "@bob 2", "3"]);
    const marked = async (seq: number) => {
      const { moved, state } = await store.markRead("bob", "general", seq);
      return [moved, state.lastReadSeq, state.unread, state.mentions];
    };
    // Joined before the messages: at 0, with 3 unread and a mention.
    assert.deepEqual(await marked(0), [false, 0, 3, 1]);
    assert.deepEqual(await marked(1), [true, 1, 2, 1]);
    assert.deepEqual(await marked(1), [false, 1, 2, 1]);
    assert.deepEqual(await marked(0), [false, 1, 2, 1]);
    assert.deepEqual(await marked(2), [true, 2, 1, 0]);
    // Two at once for one position (two of the account's sockets): one
    // moved it, so one read_state goes out.
    const both = await Promise.all([
      store.markRead("bob", "general", 3),
      store.markRead("bob", "general", 3),
    ]);
    assert.deepEqual(both.map((m) => m.moved).sort(), [false, true]);
    // Past the end: capped at 3, where it stands.
    assert.deepEqual(await marked(99), [false, 3, 0, 0]);
    assert.deepEqual(await marked(3), [false, 3, 0, 0]);
    // A conversation never marked, nothing in it: nothing to move to.
    const stream = conversationKey("alice", "bob");
    assert.deepEqual(
      await store.markRead("bob", stream, 5),
      { moved: false, state: await store.readState("bob", stream) },
    );
  });

  test(
    "markRead only moves forward, is capped at the stream's end, and survives a reopen",
    async (store, reopen) => {
      await store.addMember("bob", "general");
      const sent = await append(store, "general", ["@bob 1", "2", "3"]);
      assert.deepEqual((await store.markRead("bob", "general", 2)).state, {
        lastReadSeq: 2,
        unread: 1,
        mentions: 0,
        lastSeq: 3,
      });
      const back = await store.markRead("bob", "general", 1);
      assert.equal(back.state.lastReadSeq, 2);
      const end = await store.markRead("bob", "general", 99);
      assert.equal(end.state.lastReadSeq, 3);
      const again = await reopen();
      assert.deepEqual(await memberships(again, "bob"), [
        {
          roomKey: "general",
          lastReadSeq: 3,
          unread: 0,
          mentions: 0,
          lastSeq: 3,
        },
      ]);
      assert.equal(sent.length, 3);
    },
  );

  test("read state covers private conversations, and deleted messages are not unread", async (store) => {
    const stream = conversationKey("alice", "bob");
    const sent: string[] = [];
    for (const text of ["one", "two @bob", "three"]) {
      const { message } = await store.appendPrivate({
        fromKey: "alice",
        from: "alice",
        toKey: "bob",
        to: "bob",
        text,
        delivered: true,
      });
      sent.push(message.id);
    }
    assert.deepEqual(await store.readState("bob", stream), {
      lastReadSeq: 0,
      unread: 3,
      mentions: 1,
      lastSeq: 3,
    });
    await store.updateMessage(sent[1], { deleted: true });
    assert.deepEqual((await store.markRead("bob", stream, 1)).state, {
      lastReadSeq: 1,
      unread: 1,
      mentions: 0,
      lastSeq: 3,
    });
    assert.equal((await store.readState("alice", stream)).unread, 0);
  });

  test("markRead with since starts past the messages stored before it: a former holder's of the name", async (store) => {
    const stream = conversationKey("alice", "bob");
    const say = async (text: string) =>
      (await store.appendPrivate(dm("alice", "bob", text))).message;
    await say("@bob one");
    const old = await say("@bob two");
    await after(Date.parse(old.ts));
    const since = Date.now();
    await say("three");
    await say("@bob four");
    const state = { lastReadSeq: 2, unread: 2, mentions: 1, lastSeq: 4 };
    // Nothing read yet, or an old message: the position moves past the
    // old ones, once.
    assert.deepEqual(await store.markRead("bob", stream, 0, since), {
      moved: true,
      state,
    });
    assert.deepEqual(await store.markRead("bob", stream, 1, since), {
      moved: false,
      state,
    });
    assert.deepEqual((await store.markRead("bob", stream, 3, since)).state, {
      ...state,
      lastReadSeq: 3,
      unread: 1,
    });
    // A holder since before the conversation began starts at its start.
    assert.deepEqual(
      (await store.markRead("alice", stream, 0, since - 60_000)).moved,
      false,
    );
  });

  test(
    "markUnread moves the position back to just before a message, never forward, and survives a reopen",
    async (store, reopen) => {
      await store.addMember("bob", "general");
      await append(store, "general", ["1", "@bob 2", "3"]);
      await store.markRead("bob", "general", 3);
      const unread = async (seq: number) => {
        const { moved, state } = await store.markUnread("bob", "general", seq);
        return [moved, state.lastReadSeq, state.unread, state.mentions];
      };
      // Message 2 and after are unread again, its mention too.
      assert.deepEqual(await unread(2), [true, 1, 2, 1]);
      assert.deepEqual(await unread(2), [false, 1, 2, 1]);
      // Never forward: message 3 is unread already.
      assert.deepEqual(await unread(3), [false, 1, 2, 1]);
      assert.deepEqual(await unread(99), [false, 1, 2, 1]);
      // The first message, or 0: all of it.
      assert.deepEqual(await unread(1), [true, 0, 3, 1]);
      assert.deepEqual(await unread(0), [false, 0, 3, 1]);
      // Two at once (two of the account's sockets): one moved it.
      await store.markRead("bob", "general", 3);
      const both = await Promise.all([
        store.markUnread("bob", "general", 3),
        store.markUnread("bob", "general", 3),
      ]);
      assert.deepEqual(both.map((m) => m.moved).sort(), [false, true]);
      const again = await reopen();
      assert.deepEqual(await memberships(again, "bob"), [
        {
          roomKey: "general",
          lastReadSeq: 2,
          unread: 1,
          mentions: 0,
          lastSeq: 3,
        },
      ]);
      // An account with no position there, or no such stream: nothing moves.
      const stream = conversationKey("alice", "bob");
      assert.equal((await again.markUnread("bob", stream, 1)).moved, false);
    },
  );

  test("markUnread with since leaves a former holder's messages read", async (store) => {
    const stream = conversationKey("alice", "bob");
    const say = async (text: string) =>
      (await store.appendPrivate(dm("alice", "bob", text))).message;
    await say("@bob one");
    const old = await say("@bob two");
    await after(Date.parse(old.ts));
    const since = Date.now();
    await say("three");
    await say("@bob four");
    await store.markRead("bob", stream, 4, since);
    assert.deepEqual(await store.markUnread("bob", stream, 1, since), {
      moved: true,
      state: { lastReadSeq: 2, unread: 2, mentions: 1, lastSeq: 4 },
    });
    assert.deepEqual(
      (await store.markUnread("bob", stream, 4, since)).moved,
      false,
    );
  });

  test("an edit that keeps a mention keeps it: a name's, and an @here's with here_mention as read", async (store) => {
    await store.addMember("bob", "general");
    await store.addMember("carol", "general");
    const [message] = await append(store, "general", ["hi @bob"]);
    await store.updateMessage(message.id, { text: "hi @bob!" });
    assert.equal((await store.readState("bob", "general")).mentions, 1);
    const sent = (await store.appendMessage(
      draft("general", "@here x", { here: ["carol"] }),
    )).message;
    await store.updateMessage(sent.id, { text: "@here y", here: ["carol"] });
    assert.equal((await store.readState("carol", "general")).mentions, 1);
    const [read] = await store.history("general", { limit: 1 });
    assert.equal(read.here_mention, true);
  });

  test("an edit's mentions follow its new text", async (store) => {
    await store.addMember("bob", "general");
    await store.addMember("carol", "general");
    const [message] = await append(store, "general", ["hi @bob"]);
    await store.updateMessage(message.id, { text: "hi @carol, @alice" });
    assert.equal((await store.readState("bob", "general")).mentions, 0);
    assert.equal((await store.readState("carol", "general")).mentions, 1);
    // The author's own name is never a mention.
    assert.equal((await store.readState("alice", "general")).mentions, 0);
  });

  test("a roomWide @room is one mention of every member but its author, once with a name beside it, as written and as edited; without roomWide only the name room's", async (store) => {
    await store.addMember("bob", "general");
    await store.addMember("room", "general");
    await store.appendMessage(
      draft("general", "@room and @bob", { roomWide: true }),
    );
    const [plain] = await append(store, "general", ["@room, plainly"]);
    const mentions = async (userKey: string) =>
      (await store.readState(userKey, "general")).mentions;
    assert.equal(await mentions("bob"), 1);
    assert.equal(await mentions("carol"), 1, "no row of carol's own");
    assert.equal(await mentions("alice"), 0, "the author's own @room");
    assert.equal(await mentions("room"), 2);
    await store.updateMessage(plain.id, { text: "@room now", roomWide: true });
    assert.equal(await mentions("bob"), 2);
    await store.updateMessage(plain.id, { text: "@room again" });
    assert.equal(await mentions("bob"), 1);
  });

  test("an @here with its members online is one mention of each of them only, once with a name beside it, says here_mention as written, read and edited; without here only the name here's", async (store) => {
    for (const key of ["bob", "carol", "dan", "here"]) {
      await store.addMember(key, "general");
    }
    const sent = (await store.appendMessage(
      draft("general", "@here and @bob", { here: ["bob", "carol", "alice"] }),
    )).message;
    assert.equal(sent.here_mention, true);
    const mentions = async (userKey: string) =>
      (await store.readState(userKey, "general")).mentions;
    assert.equal(await mentions("bob"), 1);
    assert.equal(await mentions("carol"), 1);
    assert.equal(await mentions("dan"), 0, "offline when it was sent");
    assert.equal(await mentions("alice"), 0, "the author's own @here");
    assert.equal(await mentions("here"), 0);
    const [read] = await store.history("general", { limit: 1 });
    assert.equal(read.here_mention, true);
    const edited = await store.updateMessage(sent.id, {
      text: "@here again",
      here: ["dan"],
    });
    assert.equal(edited?.here_mention, true);
    assert.deepEqual(
      [await mentions("bob"), await mentions("carol"), await mentions("dan")],
      [0, 0, 1],
    );
    const plain = await store.updateMessage(sent.id, { text: "@here plain" });
    assert.equal(plain?.here_mention, undefined);
    assert.equal(await mentions("dan"), 0);
    assert.equal(await mentions("here"), 1, "only the name here's");
  });

  test("mentionedAt answers those of the seqs asked at which the account has a mention row: its @here's and its name's, not another's nor another stream's", async (store) => {
    for (const key of ["bob", "carol"]) await store.addMember(key, "general");
    await store.createRoom("dev", "dev");
    const [first] = await append(store, "general", ["before"]);
    const here = (await store.appendMessage(
      draft("general", "@here look", { here: ["bob"] }),
    )).message;
    const [named, plain] = await append(store, "general", [
      "@carol and @bob",
      "nobody",
    ]);
    const elsewhere = (await store.appendMessage(
      draft("dev", "@here there", { here: ["bob"] }),
    )).message;
    const asked = [first.seq, here.seq, named.seq, plain.seq];
    assert.deepEqual(await store.mentionedAt("bob", "general", asked), [
      here.seq,
      named.seq,
    ]);
    assert.deepEqual(
      await store.mentionedAt("bob", "general", [here.seq]),
      [here.seq],
    );
    assert.deepEqual(
      await store.mentionedAt("bob", "general", [first.seq, plain.seq]),
      [],
      "a row between the seqs asked is not one of them",
    );
    assert.deepEqual(await store.mentionedAt("carol", "general", asked), [
      named.seq,
    ]);
    assert.deepEqual(await store.mentionedAt("bob", "general", []), []);
    assert.deepEqual(
      await store.mentionedAt("bob", "dev", [elsewhere.seq]),
      [elsewhere.seq],
    );
  });

  test("an @here's members take no place of the 50 names a message mentions, as written and as edited", async (store) => {
    const text = ["@here", ...range(1, 51).map((i) => `@user${i}`)].join(" ");
    const here = ["zed"];
    const sent = (await store.appendMessage(draft("general", text, { here })))
      .message;
    const [plain] = await append(store, "general", ["nobody yet"]);
    await store.updateMessage(plain.id, { text, here });
    const mentions = async (userKey: string) =>
      (await store.readState(userKey, "general")).mentions;
    assert.equal(sent.here_mention, true);
    assert.equal(await mentions("zed"), 2);
    assert.equal(await mentions("user50"), 2, "the 50th name, twice");
    assert.equal(await mentions("user51"), 0, "past the cap");
  });

  test("an @room keeps the rows of the 50 names beside its marker, as written and as edited: neither its marker, its @here's nor the author's name takes one's place, and those online get none", async (store) => {
    const names = range(1, 51).map((i) => `@user${i}`);
    const text = ["@Alice", "@room", "@here", ...names].join(" ");
    const wide = { roomWide: true, here: ["zed"] };
    const sent = (await store.appendMessage(draft("general", text, wide)))
      .message;
    const [plain] = await append(store, "general", ["nobody yet"]);
    const edited = await store.updateMessage(plain.id, { text, ...wide });
    assert.deepEqual(
      [sent.room_mention, sent.here_mention, edited?.room_mention],
      [true, true, true],
    );
    const rows = (userKey: string) =>
      store.mentionedAt(userKey, "general", [sent.seq, plain.seq]);
    assert.deepEqual(await rows("user1"), [sent.seq, plain.seq]);
    assert.deepEqual(await rows("user50"), [sent.seq, plain.seq]);
    assert.deepEqual(await rows("user51"), [], "past the cap");
    assert.deepEqual(await rows("zed"), [], "@room's marker counts for it");
    assert.deepEqual(await rows("alice"), []);
  });

  test("a message mentions the first 50 other names it holds, as written and as edited: the author's own name takes no place", async (store) => {
    // The author's name first, then 51 others: the cap is 50 others.
    const text = ["@Alice", ...range(1, 51).map((i) => `@user${i}`)].join(" ");
    const [, plain] = await append(store, "general", [text, "nobody yet"]);
    await store.updateMessage(plain.id, { text });
    const mentions = async (userKey: string) =>
      (await store.readState(userKey, "general")).mentions;
    assert.equal(await mentions("user1"), 2);
    assert.equal(await mentions("user50"), 2, "the 50th other name, twice");
    assert.equal(await mentions("user51"), 0, "past the cap");
    assert.equal(await mentions("alice"), 0);
  });

  test("readStates count streams in order; with a row budget, the first ones only, never none", async (store) => {
    for (const room of ["a", "b", "c"]) {
      await store.createRoom(room, room);
      await store.addMember("bob", room);
    }
    await append(store, "a", ["1", "2", "@bob 3"]);
    await append(store, "b", ["1"]);
    await append(store, "c", ["1", "2"]);
    const keys = ["c", "a", "b", "c"];
    const all = await store.readStates("bob", keys);
    assert.deepEqual(all.map((s) => [s.unread, s.mentions, s.lastSeq]), [
      [2, 0, 2],
      [3, 1, 3],
      [1, 0, 1],
      [2, 0, 2],
    ]);
    assert.deepEqual(await store.readStates("bob", []), []);
    // Whatever a store stops at, it is a prefix of the whole answer, and
    // slices taken one after the other make it up.
    for (const budget of [1, 4, 1_000_000]) {
      const counted = [];
      while (counted.length < keys.length) {
        const slice = await store.readStates(
          "bob",
          keys.slice(counted.length),
          budget,
        );
        assert.ok(slice.length > 0, `budget ${budget}: counted nothing`);
        counted.push(...slice);
      }
      assert.deepEqual(counted, all);
    }
    assert.deepEqual(await store.readStates("bob", ["nowhere"]), [
      { lastReadSeq: 0, unread: 0, mentions: 0, lastSeq: 0 },
    ]);
  });

  test("unread counts stop at MAX_UNREAD", async (store) => {
    await store.addMember("bob", "general");
    await Promise.all(
      Array.from(
        { length: MAX_UNREAD + 5 },
        (_, i) => store.appendMessage(draft("general", `m${i}`)),
      ),
    );
    const [general] = await memberships(store, "bob");
    assert.equal(general.unread, MAX_UNREAD);
    assert.equal(general.lastSeq, MAX_UNREAD + 5);
  });

  test("deleting a room ends its memberships, read positions, mentions and invites", async (store) => {
    await store.createRoom("dev", "dev");
    await store.addMember("bob", "dev");
    await append(store, "dev", ["@bob 1", "2"]);
    await store.markRead("bob", "dev", 2);
    await store.createInvite({
      code: "c1",
      roomKey: "dev",
      createdBy: "alice",
      createdAt: Date.now(),
    });
    assert.ok(await store.deleteRoom("dev"));
    assert.deepEqual(await memberships(store, "bob"), []);
    assert.equal(await store.findInvite("c1"), undefined);
    // A new room of the same name starts from nothing.
    await store.createRoom("dev", "dev");
    await store.addMember("bob", "dev");
    await store.removeMember("bob", "dev");
    assert.deepEqual(await store.readState("bob", "dev"), {
      lastReadSeq: 0,
      unread: 0,
      mentions: 0,
      lastSeq: 0,
    });
  });

  test("invites are used up, expire, and are revoked; listInvites shows the usable ones", async (store) => {
    await store.createRoom("dev", "dev");
    const now = Date.now();
    const base = { roomKey: "dev", createdBy: "alice", createdAt: now };
    await store.createInvite({ ...base, code: "once", maxUses: 1 });
    await store.createInvite({ ...base, code: "soon", expiresAt: now + 1000 });
    await store.createInvite({ ...base, code: "open" });
    assert.deepEqual(await store.findInvite("once"), {
      ...base,
      code: "once",
      maxUses: 1,
      uses: 0,
      revoked: false,
    });
    assert.equal((await store.useInvite("once", now))?.uses, 1);
    assert.equal(await store.useInvite("once", now), undefined);
    assert.equal((await store.useInvite("soon", now))?.code, "soon");
    assert.equal(await store.useInvite("soon", now + 1000), undefined);
    assert.equal(await store.revokeInvite("open"), true);
    assert.equal(await store.revokeInvite("nothing"), false);
    assert.equal(await store.useInvite("open", now), undefined);
    assert.equal((await store.findInvite("open"))?.revoked, true);
    assert.deepEqual(
      (await store.listInvites("dev", now)).map((i) => i.code),
      ["soon"],
    );
    assert.deepEqual(await store.listInvites("dev", now + 1000), []);
    assert.equal(await store.useInvite("nothing", now), undefined);
  });

  test("making a public room private revokes every invite it had; changes of a private room keep them", async (store) => {
    await store.createRoom("dev", "dev");
    await store.createRoom("ops", "ops");
    const now = Date.now();
    const base = { roomKey: "dev", createdBy: "alice", createdAt: now };
    await store.createInvite({ ...base, code: "open" });
    await store.createInvite({ ...base, code: "once", maxUses: 1 });
    await store.createInvite({ ...base, roomKey: "ops", code: "elsewhere" });
    await store.updateRoom("dev", { private: true });
    for (const code of ["open", "once"]) {
      assert.equal((await store.findInvite(code))?.revoked, true, code);
      assert.equal(await store.useInvite(code, now), undefined, code);
    }
    assert.equal((await store.findInvite("elsewhere"))?.revoked, false);
    // Links made once it is private survive its other changes.
    await store.createInvite({ ...base, code: "later" });
    await store.updateRoom("dev", { private: true, owner: "alice" });
    await store.updateRoom("dev", { retentionDays: 3 });
    await store.updateRoom("dev", { private: false });
    assert.deepEqual(
      (await store.listInvites("dev", now)).map((i) => i.code),
      ["later"],
    );
  });

  test("returnInvite gives back one use, so a used-up invite is usable again; never below no use", async (store) => {
    await store.createRoom("dev", "dev");
    const now = Date.now();
    const base = { roomKey: "dev", createdBy: "alice", createdAt: now };
    await store.createInvite({ ...base, code: "once", maxUses: 1 });
    await store.createInvite({ ...base, code: "fresh", maxUses: 1 });
    assert.equal((await store.useInvite("once", now))?.uses, 1);
    await store.returnInvite("once");
    assert.equal((await store.findInvite("once"))?.uses, 0);
    assert.equal((await store.useInvite("once", now))?.uses, 1);
    await store.returnInvite("fresh");
    await store.returnInvite("nothing");
    assert.equal((await store.findInvite("fresh"))?.uses, 0);
  });

  test("deleteDeadInvites drops a room's revoked, expired and used-up invites, and only those", async (store) => {
    await store.createRoom("dev", "dev");
    await store.createRoom("ops", "ops");
    const now = Date.now();
    const base = { roomKey: "dev", createdBy: "alice", createdAt: now };
    await store.createInvite({ ...base, code: "once", maxUses: 1 });
    await store.createInvite({ ...base, code: "twice", maxUses: 2 });
    await store.createInvite({ ...base, code: "soon", expiresAt: now + 1000 });
    await store.createInvite({ ...base, code: "later", expiresAt: now + 9000 });
    await store.createInvite({ ...base, code: "open" });
    await store.createInvite({ ...base, code: "gone" });
    await store.createInvite({ ...base, roomKey: "ops", code: "elsewhere" });
    await store.useInvite("once", now);
    await store.useInvite("twice", now);
    await store.revokeInvite("gone");
    await store.revokeInvite("elsewhere");
    assert.equal(await store.deleteDeadInvites("dev", now + 1000), 3);
    for (const code of ["once", "soon", "gone"]) {
      assert.equal(await store.findInvite(code), undefined, code);
    }
    assert.deepEqual(
      (await store.listInvites("dev", now + 1000)).map((i) => i.code).sort(),
      ["later", "open", "twice"],
    );
    // Another room's are its own business.
    assert.equal((await store.findInvite("elsewhere"))?.revoked, true);
    assert.equal(await store.deleteDeadInvites("dev", now + 1000), 0);
  });
}
