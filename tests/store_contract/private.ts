/**
 * The store contract for private conversations: appendPrivate,
 * conversation, takeUndelivered and listConversations.
 */
import assert from "node:assert/strict";
import type { PrivateMessage } from "../../server/protocol/types.ts";
import { conversationKey, type HistoryQuery } from "../../server/store/mod.ts";
import {
  after,
  append,
  dm,
  draft,
  ISO_MS,
  range,
  seqs,
  type StoreTest,
} from "./support.ts";

/** The contract of appendPrivate, conversation and takeUndelivered. */
export function privateMessages(test: StoreTest): void {
  test("appendPrivate stores a message with id, seq, user, to, text and ts, and no room", async (store) => {
    const before = Date.now();
    const { message, duplicate } = await store.appendPrivate(
      dm("alice", "bob", "hi bob"),
    );
    assert.equal(duplicate, false);
    assert.deepEqual(Object.keys(message).sort(), [
      "id",
      "seq",
      "text",
      "to",
      "ts",
      "user",
    ]);
    assert.equal(message.seq, 1);
    assert.equal(message.user, "ALICE");
    assert.equal(message.to, "BOB");
    assert.equal(message.text, "hi bob");
    assert.match(message.ts, ISO_MS);
    const ts = Date.parse(message.ts);
    assert.ok(ts >= before - 1000 && ts <= Date.now() + 1000);
    assert.deepEqual(await store.conversation("alice", "bob", {}), [message]);
  });

  test("a conversation counts seq from 1, the same both ways, apart from rooms and other conversations", async (store) => {
    await append(store, "general", ["room 1", "room 2"]);
    const seqOf = async (from: string, to: string) =>
      (await store.appendPrivate(dm(from, to, `${from}>${to}`))).message.seq;
    assert.deepEqual([
      await seqOf("alice", "bob"),
      await seqOf("bob", "alice"),
      await seqOf("alice", "carol"),
      await seqOf("alice", "bob"),
      await seqOf("carol", "bob"),
    ], [1, 2, 1, 3, 1]);
    const both = await store.conversation("bob", "alice", {});
    assert.deepEqual(
      both.map((m) => [m.seq, m.user, m.to, m.text]),
      [
        [1, "ALICE", "BOB", "alice>bob"],
        [2, "BOB", "ALICE", "bob>alice"],
        [3, "ALICE", "BOB", "alice>bob"],
      ],
    );
    assert.deepEqual(await store.conversation("alice", "bob", {}), both);
    assert.deepEqual(seqs(await store.history("general", {})), [1, 2]);
  });

  test("appendPrivate with a retried clientId returns the first message; elsewhere it is new", async (store) => {
    const first = await store.appendPrivate(
      dm("alice", "bob", "retry", { clientId: "c1" }),
    );
    assert.equal(first.message.client_id, "c1");
    const again = await store.appendPrivate(
      dm("alice", "bob", "retry, edited", { clientId: "c1" }),
    );
    assert.deepEqual([again.duplicate, again.message], [true, first.message]);
    // The other side, another conversation, a room: new messages.
    const fromBob = await store.appendPrivate(
      dm("bob", "alice", "mine", { clientId: "c1" }),
    );
    const toCarol = await store.appendPrivate(
      dm("alice", "carol", "yours", { clientId: "c1" }),
    );
    const inRoom = await store.appendMessage(
      draft("general", "ours", { clientId: "c1" }),
    );
    assert.deepEqual(
      [fromBob, toCarol, inRoom].map((r) => [r.duplicate, r.message.seq]),
      [[false, 2], [false, 1], [false, 1]],
    );
    assert.deepEqual(
      (await store.conversation("alice", "bob", {})).map((m) => m.text),
      ["retry", "mine"],
    );
  });

  test("conversation pages like history: latest 50, beforeSeq, afterSeq, limit, at most 200", async (store) => {
    for (let n = 1; n <= 230; n++) {
      await store.appendPrivate(
        n % 2 ? dm("alice", "bob", `m${n}`) : dm("bob", "alice", `m${n}`),
      );
    }
    const page = async (query: HistoryQuery) =>
      seqs(await store.conversation("alice", "bob", query));
    assert.deepEqual(await page({}), range(181, 230));
    assert.deepEqual(await page({ limit: 3 }), [228, 229, 230]);
    assert.deepEqual(await page({ beforeSeq: 10, limit: 3 }), [7, 8, 9]);
    assert.deepEqual(await page({ afterSeq: 5, limit: 3 }), [6, 7, 8]);
    assert.deepEqual(await page({ afterSeq: 3, beforeSeq: 7 }), [4, 5, 6]);
    assert.deepEqual(await page({ afterSeq: 230 }), []);
    assert.deepEqual(await page({ limit: 1000 }), range(31, 230));
    assert.deepEqual(await page({ afterSeq: 0, limit: 1000 }), range(1, 200));
    assert.deepEqual(await page({ limit: 0 }), []);
  });

  test("conversation of two users who never wrote to each other is empty", async (store) => {
    await store.appendPrivate(dm("alice", "bob", "hi"));
    assert.deepEqual(await store.conversation("alice", "carol", {}), []);
    assert.deepEqual(
      await store.conversation("carol", "dave", { afterSeq: 0 }),
      [],
    );
  });

  test("takeUndelivered returns a user's undelivered messages once, oldest first", async (store) => {
    const sent: PrivateMessage[] = [];
    for (
      const [from, text] of [["bob", "b1"], ["carol", "c1"], ["bob", "b2"]]
    ) {
      const { message } = await store.appendPrivate(
        dm(from, "dave", text, { delivered: false }),
      );
      sent.push(message);
    }
    const taken = await store.takeUndelivered("dave");
    assert.deepEqual(
      taken.map((m) => m.text).sort(),
      ["b1", "b2", "c1"],
    );
    for (const message of taken) {
      assert.deepEqual(message, sent.find((m) => m.id === message.id));
    }
    // Oldest first: by time stored, and each conversation in seq order.
    const times = taken.map((m) => Date.parse(m.ts));
    assert.deepEqual(times, [...times].sort((a, b) => a - b));
    assert.deepEqual(
      taken.filter((m) => m.user === "BOB").map((m) => m.text),
      ["b1", "b2"],
    );
    assert.deepEqual(await store.takeUndelivered("dave"), []);
    // Taken means delivered, not deleted: the conversation keeps them.
    assert.deepEqual(
      (await store.conversation("dave", "bob", {})).map((m) => m.text),
      ["b1", "b2"],
    );
  });

  test("takeUndelivered leaves delivered messages and other users' messages", async (store) => {
    await store.appendPrivate(dm("bob", "dave", "seen"));
    await store.appendPrivate(
      dm("bob", "erin", "for erin", { delivered: false }),
    );
    await store.appendPrivate(
      dm("dave", "bob", "from dave", { delivered: false }),
    );
    assert.deepEqual(await store.takeUndelivered("dave"), []);
    assert.deepEqual(
      (await store.takeUndelivered("erin")).map((m) => m.text),
      ["for erin"],
    );
    assert.deepEqual(
      (await store.takeUndelivered("bob")).map((m) => m.text),
      ["from dave"],
    );
    assert.deepEqual(await store.takeUndelivered("nobody"), []);
  });

  test("returnUndelivered puts taken messages back for the next takeUndelivered, and nothing else", async (store) => {
    const waiting = [];
    for (const text of ["w1", "w2", "w3"]) {
      waiting.push(
        (await store.appendPrivate(
          dm("bob", "dave", text, { delivered: false }),
        ))
          .message,
      );
    }
    const seen = await store.appendPrivate(dm("bob", "dave", "seen"));
    const room = await store.appendMessage(draft("general", "in a room"));
    const taken = await store.takeUndelivered("dave");
    assert.deepEqual(taken, waiting);
    await store.returnUndelivered("dave", [
      ...taken.slice(0, 2).map((m) => m.id),
      room.message.id,
      "no such id",
    ]);
    assert.deepEqual(await store.takeUndelivered("dave"), waiting.slice(0, 2));
    assert.deepEqual(await store.takeUndelivered("dave"), []);
    assert.deepEqual(await store.takeUndelivered("general"), []);
    await store.returnUndelivered("dave", []);
    assert.deepEqual(
      (await store.conversation("dave", "bob", {})).map((m) => m.text),
      ["w1", "w2", "w3", "seen"],
    );
    assert.equal(seen.duplicate, false);
  });

  test("a retried undelivered message is taken once", async (store) => {
    const first = await store.appendPrivate(
      dm("bob", "dave", "once", { delivered: false, clientId: "c1" }),
    );
    await store.appendPrivate(
      dm("bob", "dave", "once", { delivered: false, clientId: "c1" }),
    );
    assert.deepEqual(await store.takeUndelivered("dave"), [first.message]);
    // A retry after it was taken does not make it pending again.
    const late = await store.appendPrivate(
      dm("bob", "dave", "once", { delivered: false, clientId: "c1" }),
    );
    assert.equal(late.duplicate, true);
    assert.deepEqual(await store.takeUndelivered("dave"), []);
  });

  test("undelivered private messages are refused past the waiting limits, retries and delivered ones aside", async (store) => {
    const limits = { perRecipient: 3, perSender: 2 };
    const dm = (from: string, to: string, text: string, more = {}) =>
      store.appendPrivate({
        fromKey: from,
        from,
        toKey: to,
        to,
        text,
        delivered: false,
        waitingLimits: limits,
        ...more,
      });
    assert.ok("message" in await dm("a", "bob", "a1", { clientId: "k" }));
    assert.ok("message" in await dm("a", "carl", "a2"));
    assert.deepEqual(await dm("a", "dan", "a3"), { full: "sender" });
    const retry = await dm("a", "bob", "a1 again", { clientId: "k" });
    assert.ok("duplicate" in retry && retry.duplicate);
    assert.ok("message" in await dm("b", "bob", "b1"));
    assert.ok("message" in await dm("c", "bob", "c1"));
    assert.deepEqual(await dm("d", "bob", "d1"), { full: "recipient" });
    // Delivered messages do not wait, so they are never refused.
    assert.ok("message" in await dm("d", "bob", "d2", { delivered: true }));
    assert.equal((await store.takeUndelivered("bob")).length, 3);
    assert.ok("message" in await dm("d", "bob", "d3"));
  });

  test("a private message refused for a full mailbox notes no mention, even committed beside a stored one", async (store) => {
    const limits = { perRecipient: 1, perSender: 5 };
    // d's three earlier messages to bob, none mentioning him: seqs 1 to 3.
    for (const text of ["one", "two", "three"]) {
      await store.appendPrivate(dm("d", "bob", text));
    }
    const waiting = await store.appendPrivate({
      ...dm("c", "bob", "waiting"),
      delivered: false,
      waitingLimits: limits,
    });
    assert.ok("message" in waiting);
    // One commit: a new conversation's first message (seq 1; its stream,
    // "@a:b", goes first in the commit), then d's mention of bob, refused
    // since bob's mailbox is full.
    const [refused, stored] = await Promise.all([
      store.appendPrivate({
        ...dm("d", "bob", "@bob look"),
        delivered: false,
        waitingLimits: limits,
      }),
      store.appendPrivate(dm("a", "b", "first")),
    ]);
    assert.deepEqual(refused, { full: "recipient" });
    assert.equal(stored.message.seq, 1);
    const state = await store.readState("bob", conversationKey("bob", "d"));
    assert.equal(state.mentions, 0);
    assert.equal(state.lastSeq, 3);
  });

  test("listConversations lists an account's conversations, the newest message first, with the other side's name, seq, id and time", async (store) => {
    await append(store, "general", ["a room message lists nothing"]);
    await store.appendPrivate(dm("alice", "bob", "1"));
    await store.appendPrivate(dm("carol", "alice", "2"));
    await store.appendPrivate(dm("alice", "alice", "a note to self"));
    const newest = (await store.appendPrivate(dm("bob", "alice", "3")))
      .message;
    const list = await store.listConversations("alice", {
      since: 0,
      limit: 10,
    });
    assert.deepEqual(
      list.map((c) => [c.withKey, c.with, c.lastSeq]),
      [["bob", "BOB", 2], ["alice", "ALICE", 1], ["carol", "CAROL", 1]],
    );
    assert.equal(list[0].lastId, newest.id);
    assert.equal(list[0].lastAt, Date.parse(newest.ts));
    assert.deepEqual(
      (await store.listConversations("bob", { since: 0, limit: 10 }))
        .map((c) => [c.with, c.lastSeq]),
      [["ALICE", 2]],
    );
    assert.deepEqual(
      (await store.listConversations("carol", { since: 0, limit: 10 }))
        .map((c) => c.with),
      ["ALICE"],
    );
    assert.deepEqual(
      await store.listConversations("dave", { since: 0, limit: 10 }),
      [],
    );
  });

  test(
    "listConversations pages by the newest message's id, and leaves out conversations older than since",
    async (store, reopen) => {
      for (const other of ["b", "c", "d"]) {
        await store.appendPrivate(dm("a", other, "hi"));
      }
      // e's message a millisecond after d's at least, so that `since` (e's
      // time) leaves d out: in the same millisecond it did not (flaky).
      await after(
        Date.parse((await store.conversation("a", "d", {}))[0].ts),
      );
      await store.appendPrivate(dm("a", "e", "hi"));
      const since = Date.parse(
        (await store.conversation("a", "e", {}))[0].ts,
      );
      await after(since);
      store = await reopen();
      const first = await store.listConversations("a", { since: 0, limit: 2 });
      assert.deepEqual(first.map((c) => c.withKey), ["e", "d"]);
      const second = await store.listConversations("a", {
        since: 0,
        before: first[1].lastId,
        limit: 2,
      });
      assert.deepEqual(second.map((c) => c.withKey), ["c", "b"]);
      assert.deepEqual(
        await store.listConversations("a", {
          since: 0,
          before: second[1].lastId,
          limit: 2,
        }),
        [],
      );
      // A former holder's conversations (before the account's creation) are
      // not the account's; a new message brings one back, at the top.
      assert.deepEqual(
        (await store.listConversations("a", { since, limit: 10 }))
          .map((c) => c.withKey),
        ["e"],
      );
      await store.appendPrivate(dm("b", "a", "again"));
      assert.deepEqual(
        (await store.listConversations("a", { since, limit: 10 }))
          .map((c) => c.withKey),
        ["b", "e"],
      );
    },
  );

  test("deleteAccount forgets the account's own conversations; the other side keeps its", async (store) => {
    await store.createAccount({
      key: "ann",
      username: "ann",
      passwordHash: "h",
      role: "user",
    });
    await store.appendPrivate(dm("ann", "bob", "hi bob"));
    await store.appendPrivate(dm("carol", "ann", "hi ann"));
    await store.appendPrivate(dm("ann", "ann", "a note to self"));
    assert.equal(
      (await store.listConversations("ann", { since: 0, limit: 10 })).length,
      3,
    );
    assert.ok(await store.deleteAccount("ann", "keep"));
    // Even read without the creation-time floor: the rows are gone.
    assert.deepEqual(
      await store.listConversations("ann", { since: 0, limit: 10 }),
      [],
    );
    assert.deepEqual(
      (await store.listConversations("bob", { since: 0, limit: 10 }))
        .map((c) => c.withKey),
      ["ann"],
    );
    assert.deepEqual(
      (await store.listConversations("carol", { since: 0, limit: 10 }))
        .map((c) => c.withKey),
      ["ann"],
    );
  });

  test("deleteAccount marks the other sides' conversations with it deleted, until a message comes in them again", async (store) => {
    for (const key of ["ann", "bob", "carol"]) {
      await store.createAccount({
        key,
        username: key,
        passwordHash: "h",
        role: "user",
      });
    }
    await store.appendPrivate(dm("ann", "bob", "hi bob"));
    await store.appendPrivate(dm("carol", "ann", "hi ann"));
    await store.appendPrivate(dm("ann", "ann", "a note to self"));
    await store.appendPrivate(dm("bob", "carol", "hi carol"));
    const list = async (key: string) =>
      (await store.listConversations(key, { since: 0, limit: 10 }))
        .map((c) => [c.withKey, c.withDeleted ?? false]);
    assert.deepEqual(await list("bob"), [["carol", false], ["ann", false]]);
    await after(Date.now() + 1);
    assert.ok(await store.deleteAccount("ann", "anonymise"));
    assert.deepEqual(await list("bob"), [["carol", false], ["ann", true]]);
    assert.deepEqual(await list("carol"), [["bob", false], ["ann", true]]);
    // A new account under the name: what is said now is with it.
    await after(Date.now() + 1);
    await store.createAccount({
      key: "ann",
      username: "Ann",
      passwordHash: "h",
      role: "user",
    });
    await store.appendPrivate(dm("ann", "bob", "I am the new ann"));
    assert.deepEqual(await list("bob"), [["ann", false], ["carol", false]]);
    assert.deepEqual(await list("carol"), [["bob", false], ["ann", true]]);
  });

  test("deleteAccount with its messages anonymised: the other sides' messages to it since it was made name 'deleted user' as their to, and so does its note to itself; one to a former holder of the name, and its own to others, keep theirs; with its messages kept, every to stays", async (store) => {
    for (const key of ["bob", "carol", "dan"]) {
      await store.createAccount({
        key,
        username: key,
        passwordHash: "h",
        role: "user",
      });
    }
    await store.appendPrivate(dm("bob", "ann", "to the former ann"));
    await after(Date.now() + 1);
    for (const key of ["ann", "eve"]) {
      await store.createAccount({
        key,
        username: key,
        passwordHash: "h",
        role: "user",
      });
    }
    await store.appendPrivate(dm("bob", "ann", "hi ann"));
    await store.appendPrivate(dm("ann", "bob", "hi bob"));
    await store.appendPrivate(dm("carol", "ann", "hello ann"));
    await store.appendPrivate(dm("ann", "ann", "a note"));
    await store.appendPrivate(dm("dan", "eve", "hi eve"));
    assert.ok(await store.deleteAccount("ann", "anonymise"));
    assert.ok(await store.deleteAccount("eve", "keep"));
    const seen = async (a: string, b: string) =>
      (await store.conversation(a, b, {})).map((m) => [m.text, m.user, m.to]);
    assert.deepEqual(await seen("bob", "ann"), [
      ["to the former ann", "BOB", "ANN"],
      ["hi ann", "BOB", "deleted user"],
      ["hi bob", "deleted user", "BOB"],
    ]);
    assert.deepEqual(await seen("carol", "ann"), [
      ["hello ann", "CAROL", "deleted user"],
    ]);
    assert.deepEqual(await seen("ann", "ann"), [
      ["a note", "deleted user", "deleted user"],
    ]);
    assert.deepEqual(await seen("dan", "eve"), [["hi eve", "DAN", "EVE"]]);
  });

  test("a conversation whose messages all expired leaves both sides' lists; one with messages left stays", async (store) => {
    await store.appendPrivate(dm("alice", "bob", "old"));
    await store.appendPrivate(dm("bob", "alice", "old reply"));
    await store.appendPrivate(dm("alice", "carol", "old too"));
    await store.appendPrivate(dm("alice", "alice", "old note"));
    const cutoff = Date.now() + 1;
    await after(cutoff);
    await store.appendPrivate(dm("carol", "alice", "new"));
    // Batches of one: the pass that deletes a conversation's newest
    // message may come before or after the one deleting its older ones.
    while (await store.expireMessages(cutoff, 1) > 0);
    assert.deepEqual(await store.conversation("alice", "bob", {}), []);
    assert.deepEqual(
      (await store.listConversations("alice", { since: 0, limit: 10 }))
        .map((c) => [c.withKey, c.lastSeq]),
      [["carol", 2]],
    );
    assert.deepEqual(
      await store.listConversations("bob", { since: 0, limit: 10 }),
      [],
    );
    // A new message brings it back, its seq going on.
    await store.appendPrivate(dm("bob", "alice", "again"));
    assert.deepEqual(
      (await store.listConversations("alice", { since: 0, limit: 10 }))
        .map((c) => [c.withKey, c.lastSeq]),
      [["bob", 3], ["carol", 2]],
    );
  });

  test("a retried or refused private message moves no conversation", async (store) => {
    const limits = { perRecipient: 1, perSender: 5 };
    await store.appendPrivate({
      ...dm("eve", "alice", "waiting"),
      delivered: false,
      waitingLimits: limits,
    });
    await store.appendPrivate(dm("alice", "bob", "first", { clientId: "k" }));
    await store.appendPrivate(dm("alice", "carol", "later"));
    const retry = await store.appendPrivate(
      dm("alice", "bob", "first again", { clientId: "k" }),
    );
    assert.equal(retry.duplicate, true);
    const refused = await store.appendPrivate({
      ...dm("dan", "alice", "refused"),
      delivered: false,
      waitingLimits: limits,
    });
    assert.deepEqual(refused, { full: "recipient" });
    assert.deepEqual(
      (await store.listConversations("alice", { since: 0, limit: 10 }))
        .map((c) => [c.withKey, c.lastSeq]),
      [["carol", 1], ["bob", 1], ["eve", 1]],
    );
  });
}
