/**
 * The contract every Store implementation keeps for rooms and their
 * messages. Each implementation's test file calls {@link storeContract}
 * with a way to open it; the same scenarios then run against each.
 */
import assert from "node:assert/strict";
import { StoreUnavailableError } from "../server/protocol/errors.ts";
import type { ChatMessage } from "../server/protocol/types.ts";
import {
  conversationKey,
  MAX_UNREAD,
  type MessageDraft,
  type Store,
} from "../server/store/mod.ts";

/** How the contract opens one implementation on fresh storage. */
export interface StoreFixture {
  /**
   * Opens the store, or opens it again on the same data after a close. The
   * store must have the permanent room `general` (key and name "general").
   */
  open(): Promise<Store>;
  /** Removes the storage; called once per test, after every store closed. */
  dispose(): Promise<void>;
}

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Registers the store contract tests for one implementation. */
export function storeContract(
  name: string,
  makeStore: () => Promise<StoreFixture>,
): void {
  /** Runs a body with a fresh store; `reopen` closes it and opens it again. */
  function test(
    title: string,
    body: (store: Store, reopen: () => Promise<Store>) => Promise<void>,
  ): void {
    Deno.test(`${name}: ${title}`, async () => {
      const fixture = await makeStore();
      const opened: Store[] = [];
      try {
        opened.push(await fixture.open());
        await body(opened[0], async () => {
          await opened.at(-1)!.close();
          const store = await fixture.open();
          opened.push(store);
          return store;
        });
      } finally {
        for (const store of opened) await store.close();
        await fixture.dispose();
      }
    });
  }

  function draft(
    roomKey: string,
    text: string,
    more: Partial<MessageDraft> = {},
  ): MessageDraft {
    return { roomKey, userKey: "alice", user: "Alice", text, ...more };
  }

  async function append(
    store: Store,
    roomKey: string,
    texts: string[],
  ): Promise<ChatMessage[]> {
    const messages: ChatMessage[] = [];
    for (const text of texts) {
      messages.push((await store.appendMessage(draft(roomKey, text))).message);
    }
    return messages;
  }

  function seqs(messages: ChatMessage[]): number[] {
    return messages.map((m) => m.seq);
  }

  function range(from: number, to: number): number[] {
    return Array.from({ length: to - from + 1 }, (_, i) => from + i);
  }

  test("a fresh store has the permanent room general", async (store) => {
    const rooms = await store.listRooms();
    assert.equal(rooms.length, 1);
    assert.equal(rooms[0].key, "general");
    assert.equal(rooms[0].name, "general");
    assert.equal(typeof rooms[0].createdAt, "number");
  });

  test("createRoom returns the room and listRooms lists it", async (store) => {
    const before = Date.now();
    const room = await store.createRoom("DevOps", "devops");
    assert.ok(room);
    assert.equal(room.key, "devops");
    assert.equal(room.name, "DevOps");
    assert.ok(room.createdAt >= before - 1000 && room.createdAt <= Date.now());
    const rooms = await store.listRooms();
    assert.deepEqual(rooms.map((r) => [r.key, r.name]), [
      ["general", "general"],
      ["devops", "DevOps"],
    ]);
  });

  test("listRooms lists rooms oldest first", async (store) => {
    // Created within the same millisecond more often than not: the order
    // must still be the order of creation, not of the keys.
    for (const key of ["zeta", "alpha", "mid", "beta"]) {
      await store.createRoom(key, key);
    }
    const rooms = await store.listRooms();
    assert.deepEqual(rooms.map((r) => r.key), [
      "general",
      "zeta",
      "alpha",
      "mid",
      "beta",
    ]);
  });

  test("createRoom with a taken key returns null and keeps the first name", async (store) => {
    assert.ok(await store.createRoom("Dev", "dev"));
    assert.equal(await store.createRoom("DEV", "dev"), null);
    assert.equal(await store.createRoom("General", "general"), null);
    const rooms = await store.listRooms();
    assert.deepEqual(rooms.map((r) => r.name), ["general", "Dev"]);
  });

  test("appendMessage stores a message with id, seq, room name, user, text and ts", async (store) => {
    await store.createRoom("Dev", "dev");
    const before = Date.now();
    const { message, duplicate } = await store.appendMessage(
      draft("dev", "hello"),
    );
    assert.equal(duplicate, false);
    assert.deepEqual(Object.keys(message).sort(), [
      "id",
      "room",
      "seq",
      "text",
      "ts",
      "user",
    ]);
    assert.equal(typeof message.id, "string");
    assert.ok(message.id.length > 0);
    assert.equal(message.seq, 1);
    assert.equal(message.room, "Dev");
    assert.equal(message.user, "Alice");
    assert.equal(message.text, "hello");
    assert.match(message.ts, ISO_MS);
    const ts = Date.parse(message.ts);
    assert.ok(ts >= before - 1000 && ts <= Date.now() + 1000);
    assert.deepEqual(await store.history("dev", {}), [message]);
  });

  test("seq counts from 1 in each room, independently", async (store) => {
    await store.createRoom("dev", "dev");
    const got: Record<string, number[]> = { general: [], dev: [] };
    for (const room of ["general", "dev", "general", "general", "dev"]) {
      const { message } = await store.appendMessage(draft(room, room));
      got[room].push(message.seq);
    }
    assert.deepEqual(got, { general: [1, 2, 3], dev: [1, 2] });
  });

  test("ids are unique and sort in the order messages were stored", async (store) => {
    await store.createRoom("dev", "dev");
    const messages: ChatMessage[] = [];
    for (let i = 0; i < 30; i++) {
      const room = i % 3 === 0 ? "dev" : "general";
      messages.push((await store.appendMessage(draft(room, `m${i}`))).message);
    }
    const ids = messages.map((m) => m.id);
    assert.equal(new Set(ids).size, ids.length);
    assert.deepEqual([...ids].sort(), ids);
  });

  test("concurrent appends get distinct seqs with no gaps", async (store) => {
    const results = await Promise.all(
      range(1, 50).map((n) =>
        store.appendMessage(draft("general", `m${n}`, { userKey: `u${n % 5}` }))
      ),
    );
    const got = results.map((r) => r.message.seq).sort((a, b) => a - b);
    assert.deepEqual(got, range(1, 50));
    assert.deepEqual(
      seqs(await store.history("general", { limit: 200 })),
      range(1, 50),
    );
  });

  test("the same clientId from the same user in the same room returns the first message", async (store) => {
    const first = await store.appendMessage(
      draft("general", "hi", { clientId: "k1" }),
    );
    assert.equal(first.duplicate, false);
    assert.equal(first.message.client_id, "k1");
    const again = await store.appendMessage(
      draft("general", "hi, edited", { clientId: "k1" }),
    );
    assert.equal(again.duplicate, true);
    assert.deepEqual(again.message, first.message);
    // The retry took no seq: the next message follows the first.
    const next = await store.appendMessage(draft("general", "next"));
    assert.equal(next.message.seq, 2);
    const history = await store.history("general", {});
    assert.deepEqual(history.map((m) => m.text), ["hi", "next"]);
  });

  test("the same clientId from another holder of the same name is a new message, in rooms and conversations", async (store) => {
    const first = await store.appendMessage(
      draft("general", "old holder", { clientId: "1", sender: "g:old" }),
    );
    const later = await store.appendMessage(
      draft("general", "new holder", { clientId: "1", sender: "g:new" }),
    );
    assert.equal(later.duplicate, false);
    assert.equal(later.message.text, "new holder");
    assert.equal(later.message.seq, first.message.seq + 1);
    const again = await store.appendMessage(
      draft("general", "retry", { clientId: "1", sender: "g:old" }),
    );
    assert.equal(again.duplicate, true);
    assert.equal(again.message.id, first.message.id);
    const pm = (sender: string, text: string) =>
      store.appendPrivate({
        fromKey: "carol",
        from: "carol",
        toKey: "bob",
        to: "bob",
        text,
        clientId: "1",
        sender,
        delivered: true,
      });
    const secret = await pm("g:old", "for bob only");
    const other = await pm("g:new", "hello");
    assert.equal(other.duplicate, false);
    assert.equal(other.message.text, "hello");
    assert.equal((await pm("g:old", "retry")).message.id, secret.message.id);
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

  test("an upload is live while a message carries it, and swept with its bytes' hash after", async (store) => {
    const upload = (id: string, hash: string, createdAt = Date.now()) => ({
      id,
      hash,
      name: `${id}.png`,
      size: 3,
      type: "image/png",
      uploader: "alice",
      width: 2,
      height: 1,
      frames: 4,
      createdAt,
    });
    const a = upload("a".repeat(32), "1".repeat(64));
    const b = upload("b".repeat(32), "1".repeat(64));
    const old = upload("c".repeat(32), "2".repeat(64), 1000);
    for (const u of [a, b, old]) await store.saveUpload(u);
    assert.deepEqual(await store.findUpload(a.id), a);
    assert.equal(await store.findUpload("d".repeat(32)), undefined);
    const url = (id: string) => ({
      url: `/files/${id}/x.png`,
      name: "x.png",
      size: 3,
      type: "image/png",
    });
    await store.createRoom("dev", "dev");
    const inRoom = await store.appendMessage(
      draft("dev", "", { attachments: [url(a.id)] }),
    );
    await store.appendPrivate({
      fromKey: "alice",
      from: "alice",
      toKey: "bob",
      to: "bob",
      text: "",
      attachments: [url(a.id), url(b.id)],
      delivered: true,
    });
    const streams = (await store.uploadStreams(a.id)).map((u) => u.stream)
      .sort();
    assert.deepEqual(streams, ["@alice:bob", "dev"]);
    // Nothing to sweep yet but the old upload nobody attached.
    assert.deepEqual(await store.sweepUploads(Date.now() - 60_000), [
      old.hash,
    ]);
    assert.equal(await store.findUpload(old.id), undefined);
    assert.equal(await store.hashInUse(old.hash), false);
    await store.updateMessage(inRoom.message.id, { deleted: true });
    assert.deepEqual(
      (await store.uploadStreams(a.id)).map((u) => u.stream),
      ["@alice:bob"],
    );
    await store.deleteRoom("dev");
    assert.deepEqual(await store.sweepUploads(0), []);
    assert.equal(await store.hashInUse(a.hash), true);
    assert.equal(await store.secret("files"), await store.secret("files"));
    assert.notEqual(await store.secret("files"), await store.secret("other"));
  });

  test("the same clientId from another user or in another room is a new message", async (store) => {
    await store.createRoom("dev", "dev");
    const first = await store.appendMessage(
      draft("general", "one", { clientId: "k1" }),
    );
    const otherUser = await store.appendMessage(
      draft("general", "two", { clientId: "k1", userKey: "bob", user: "bob" }),
    );
    const otherRoom = await store.appendMessage(
      draft("dev", "three", { clientId: "k1" }),
    );
    assert.equal(otherUser.duplicate, false);
    assert.equal(otherRoom.duplicate, false);
    assert.equal(otherUser.message.seq, 2);
    assert.equal(otherRoom.message.seq, 1);
    assert.equal(
      new Set([first, otherUser, otherRoom].map((r) => r.message.id)).size,
      3,
    );
  });

  test("history returns the latest page oldest first, 50 by default", async (store) => {
    await append(store, "general", range(1, 60).map((n) => `m${n}`));
    const page = await store.history("general", {});
    assert.deepEqual(seqs(page), range(11, 60));
    assert.deepEqual(
      page.map((m) => m.text),
      range(11, 60).map((n) => `m${n}`),
    );
    assert.ok(page.every((m) => m.room === "general"));
  });

  test("history pages with beforeSeq, afterSeq and limit", async (store) => {
    await append(store, "general", range(1, 20).map((n) => `m${n}`));
    const page = async (query: Parameters<Store["history"]>[1]) =>
      seqs(await store.history("general", query));
    assert.deepEqual(await page({ limit: 3 }), [18, 19, 20]);
    assert.deepEqual(await page({ beforeSeq: 5 }), [1, 2, 3, 4]);
    assert.deepEqual(await page({ beforeSeq: 10, limit: 3 }), [7, 8, 9]);
    assert.deepEqual(await page({ afterSeq: 17 }), [18, 19, 20]);
    assert.deepEqual(await page({ afterSeq: 5, limit: 3 }), [6, 7, 8]);
    assert.deepEqual(await page({ afterSeq: 0, limit: 2 }), [1, 2]);
    assert.deepEqual(await page({ afterSeq: 3, beforeSeq: 7 }), [4, 5, 6]);
    assert.deepEqual(await page({ afterSeq: 20 }), []);
    assert.deepEqual(await page({ beforeSeq: 1 }), []);
    assert.deepEqual(await page({ limit: 1 }), [20]);
  });

  test("history returns at most 200 messages", async (store) => {
    await append(store, "general", range(1, 230).map((n) => `m${n}`));
    assert.deepEqual(
      seqs(await store.history("general", { limit: 1000 })),
      range(31, 230),
    );
    assert.deepEqual(
      seqs(await store.history("general", { afterSeq: 0, limit: 1000 })),
      range(1, 200),
    );
  });

  test("history of a room without messages is empty", async (store) => {
    await store.createRoom("dev", "dev");
    await append(store, "general", ["elsewhere"]);
    assert.deepEqual(await store.history("dev", {}), []);
    assert.deepEqual(await store.history("dev", { afterSeq: 0 }), []);
  });

  test("history keeps client_id on the messages that had one", async (store) => {
    await store.appendMessage(draft("general", "a", { clientId: "k1" }));
    await store.appendMessage(draft("general", "b"));
    const history = await store.history("general", {});
    assert.equal(history[0].client_id, "k1");
    assert.equal("client_id" in history[1], false);
  });

  test(
    "rooms and messages survive a close and reopen",
    async (store, reopen) => {
      await store.createRoom("DevOps", "devops");
      const sent = [
        ...(await append(store, "general", ["g1", "g2"])),
        (await store.appendMessage(draft("devops", "d1", { clientId: "k1" })))
          .message,
      ];
      const again = await reopen();
      const rooms = await again.listRooms();
      assert.deepEqual(rooms.map((r) => [r.key, r.name]), [
        ["general", "general"],
        ["devops", "DevOps"],
      ]);
      assert.deepEqual(await again.history("general", {}), sent.slice(0, 2));
      assert.deepEqual(await again.history("devops", {}), sent.slice(2));
      // Numbering goes on where it stopped, and retries are still known.
      const next = await again.appendMessage(draft("general", "g3"));
      assert.equal(next.message.seq, 3);
      const retry = await again.appendMessage(
        draft("devops", "d1", { clientId: "k1" }),
      );
      assert.equal(retry.duplicate, true);
      assert.deepEqual(retry.message, sent[2]);
    },
  );

  test("createAccount refuses a name that looks like an account's, which findAccountLookingLike finds", async (store) => {
    const account = (key: string, username: string) => ({
      key,
      username,
      passwordHash: "hash",
      role: "user" as const,
    });
    const cope = await store.createAccount(account("cope", "cope"));
    assert.equal(cope?.username, "cope");
    // Wholly Cyrillic с о р е, and Latin with Devanagari zeros: the
    // skeletons of cope and of root.
    const cyrillic = "\u0441\u043e\u0440\u0435";
    assert.equal(await store.createAccount(account(cyrillic, cyrillic)), null);
    assert.equal((await store.findAccountLookingLike(cyrillic))?.key, "cope");
    assert.equal((await store.findAccountLookingLike("COPE"))?.key, "cope");
    assert.equal(await store.findAccount(cyrillic), undefined);
    assert.ok(await store.createAccount(account("root", "root")));
    assert.equal(
      await store.createAccount(account("r\u0966\u0966t", "r\u0966\u0966t")),
      null,
    );
    assert.equal(await store.findAccountLookingLike("boot"), undefined);
    assert.ok(await store.createAccount(account("boot", "boot")));
  });

  test("ping resolves while the store is open", async (store) => {
    await store.ping();
  });

  test("a closed store fails with StoreUnavailableError", async (store) => {
    await store.close();
    await assert.rejects(store.ping(), StoreUnavailableError);
    await assert.rejects(store.listRooms(), StoreUnavailableError);
    await assert.rejects(store.createRoom("dev", "dev"), StoreUnavailableError);
    await assert.rejects(
      store.appendMessage(draft("general", "x")),
      StoreUnavailableError,
    );
    await assert.rejects(store.history("general", {}), StoreUnavailableError);
    // Closing twice is harmless.
    await store.close();
  });

  // ----------------------------------------------------------- team chat

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
    assert.deepEqual(await store.memberships("bob"), [
      { roomKey: "dev", lastReadSeq: 2, unread: 0, mentions: 0, lastSeq: 2 },
    ]);
    assert.equal(await store.removeMember("bob", "dev"), true);
    assert.equal(await store.removeMember("bob", "dev"), false);
    assert.deepEqual(await store.memberships("bob"), []);
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
    const rooms = await store.memberships("bob");
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

  test(
    "markRead only moves forward, is capped at the stream's end, and survives a reopen",
    async (store, reopen) => {
      await store.addMember("bob", "general");
      const sent = await append(store, "general", ["@bob 1", "2", "3"]);
      assert.deepEqual(await store.markRead("bob", "general", 2), {
        lastReadSeq: 2,
        unread: 1,
        mentions: 0,
        lastSeq: 3,
      });
      assert.equal((await store.markRead("bob", "general", 1)).lastReadSeq, 2);
      assert.equal((await store.markRead("bob", "general", 99)).lastReadSeq, 3);
      const again = await reopen();
      assert.deepEqual(await again.memberships("bob"), [
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
    assert.deepEqual(await store.markRead("bob", stream, 1), {
      lastReadSeq: 1,
      unread: 1,
      mentions: 0,
      lastSeq: 3,
    });
    assert.equal((await store.readState("alice", stream)).unread, 0);
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

  test("unread counts stop at MAX_UNREAD", async (store) => {
    await store.addMember("bob", "general");
    await Promise.all(
      Array.from(
        { length: MAX_UNREAD + 5 },
        (_, i) => store.appendMessage(draft("general", `m${i}`)),
      ),
    );
    const [general] = await store.memberships("bob");
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
    assert.equal(await store.deleteRoom("dev"), true);
    assert.deepEqual(await store.memberships("bob"), []);
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
}
