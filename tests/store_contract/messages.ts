/**
 * The store contract for stored messages themselves: attachments,
 * findMessage, findFirstSent, updateMessage (edits and deletes),
 * setLinkPreviews and expireMessages (retention).
 */
import assert from "node:assert/strict";
import type {
  ChatMessage,
  PrivateMessage,
} from "../../server/protocol/types.ts";
import { conversationKey, DAY_MS } from "../../server/store/mod.ts";
import {
  after,
  append,
  dm,
  draft,
  ISO_MS,
  PHOTO,
  type StoreTest,
} from "./support.ts";

/** The contract of attachments, findMessage, updateMessage and expireMessages. */
export function messageRecords(test: StoreTest): void {
  test("appendMessage keeps attachments in order; none or an empty list leaves the field out", async (store) => {
    const second = {
      ...PHOTO,
      name: "second.png",
      url: "/files/def/second.png",
    };
    const { message } = await store.appendMessage(
      draft("general", "look", { attachments: [PHOTO, second] }),
    );
    assert.deepEqual(message.attachments, [PHOTO, second]);
    const empty = await store.appendMessage(
      draft("general", "no files", { attachments: [] }),
    );
    assert.equal("attachments" in empty.message, false);
    const plain = await store.appendMessage(draft("general", "plain"));
    assert.equal("attachments" in plain.message, false);
    assert.deepEqual(await store.history("general", {}), [
      message,
      empty.message,
      plain.message,
    ]);
  });

  test("appendMessage into another incarnation of its room (deleted and made again since the sender saw it) is refused, nothing stored; the room's own creation time or none is taken", async (store) => {
    const room = await store.createRoom("dev", "dev");
    assert.ok(room);
    const own = await store.appendMessage(
      draft("dev", "mine", { roomCreatedAt: room.createdAt }),
    );
    assert.equal(own.message.seq, 1);
    await store.appendMessage(draft("dev", "any"));
    const stale = await store.appendMessage(
      draft("dev", "for the old dev", { roomCreatedAt: room.createdAt - 1 }),
    ).then(() => "stored", () => "refused");
    assert.equal(stale, "refused");
    assert.deepEqual(
      (await store.history("dev", {})).map((m) => [m.seq, m.text]),
      [[1, "mine"], [2, "any"]],
    );
  });

  test("findMessage finds a room message with its author's key and its room", async (store) => {
    await store.createRoom("Dev", "dev");
    const { message } = await store.appendMessage(
      draft("dev", "hello", { userKey: "bob", user: "Bob", clientId: "k1" }),
    );
    assert.deepEqual(await store.findMessage(message.id), {
      message,
      userKey: "bob",
      stream: "dev",
    });
  });

  test("findMessage finds a private message under its conversation key", async (store) => {
    const { message } = await store.appendPrivate(
      dm("bob", "alice", "psst", { attachments: [PHOTO] }),
    );
    assert.deepEqual(await store.findMessage(message.id), {
      message,
      userKey: "bob",
      stream: conversationKey("alice", "bob"),
    });
  });

  test("findMessage of an unknown id is undefined", async (store) => {
    await append(store, "general", ["there"]);
    assert.equal(
      await store.findMessage("01NOSUCHMESSAGE0000000000"),
      undefined,
    );
    assert.equal(await store.findMessage(""), undefined);
  });

  test("findFirstSent finds what a retry would get, in a room and in private, and nothing under another sender, name, client_id or stream", async (store) => {
    await store.createRoom("Dev", "dev");
    const bob = { userKey: "bob", user: "Bob", sender: "b1", clientId: "k1" };
    const first = await store.appendMessage(draft("dev", "hello", bob));
    await store.appendMessage(
      draft("dev", "answer", { replyTo: first.message.id }),
    );
    const reply = await store.appendMessage(
      draft("dev", "me too", {
        ...bob,
        clientId: "k2",
        replyTo: first.message.id,
      }),
    );
    const privately = await store.appendPrivate(
      dm("bob", "alice", "psst", { sender: "b1", clientId: "k1" }),
    );
    const key = { userKey: "bob", sender: "b1", clientId: "k1" };
    // As a read finds it now: with its thread of two replies.
    assert.deepEqual(await store.findFirstSent("dev", key), {
      ...first.message,
      reply_count: 2,
      last_reply_seq: reply.message.seq,
      thread_version: 2,
    });
    assert.deepEqual(
      await store.findFirstSent("dev", { ...key, clientId: "k2" }),
      reply.message,
    );
    assert.deepEqual(
      await store.findFirstSent(conversationKey("alice", "bob"), key),
      privately.message,
    );
    for (
      const [stream, other] of [
        ["dev", { ...key, sender: "b2" }],
        ["dev", { ...key, userKey: "alice" }],
        ["dev", { ...key, clientId: "k3" }],
        ["general", key],
      ] as const
    ) {
      assert.equal(await store.findFirstSent(stream, other), undefined);
    }
  });

  test("updateMessage edits the text and sets edited_at wherever the message is read", async (store) => {
    const { message } = await store.appendMessage(
      draft("general", "helo", { clientId: "k1", attachments: [PHOTO] }),
    );
    const before = Date.now();
    const edited = await store.updateMessage(message.id, { text: "hello" });
    assert.ok(edited);
    assert.deepEqual(
      { ...edited, edited_at: undefined },
      { ...message, text: "hello", edited_at: undefined, version: 1 },
    );
    assert.match(edited.edited_at!, ISO_MS);
    const editedAt = Date.parse(edited.edited_at!);
    assert.ok(editedAt >= before - 1000 && editedAt <= Date.now() + 1000);
    assert.deepEqual(await store.history("general", {}), [edited]);
    assert.deepEqual((await store.findMessage(message.id))?.message, edited);
    // A retry of an edited message answers with the message as it is now.
    const retry = await store.appendMessage(
      draft("general", "helo", { clientId: "k1" }),
    );
    assert.equal(retry.duplicate, true);
    assert.deepEqual(retry.message, edited);
  });

  test("setLinkPreviews keeps a message's previews for its text, one change to its version, until a removal, an edit or a delete", async (store) => {
    const { message } = await store.appendMessage(
      draft("general", "see https://example.com/a"),
    );
    const previews = [{
      url: "https://example.com/a",
      title: "A & B",
      description: "Two letters",
      site_name: "Example",
    }];
    // Fetched for a text the message no longer has: not kept.
    assert.equal(
      await store.setLinkPreviews(message.id, { previews, text: "other" }),
      undefined,
    );
    const kept = await store.setLinkPreviews(message.id, {
      previews,
      text: message.text,
    });
    assert.deepEqual(kept?.previews, previews);
    assert.equal(kept?.version, 1);
    assert.deepEqual((await store.history("general", {}))[0], kept);
    assert.deepEqual((await store.findMessage(message.id))?.message, kept);
    // Kept once: a second fetch's answer does not replace them.
    assert.equal(
      await store.setLinkPreviews(message.id, {
        previews: [{ url: "https://example.com/a", title: "later" }],
        text: message.text,
      }),
      undefined,
    );
    const removed = await store.setLinkPreviews(message.id, { removed: true });
    assert.equal(removed?.previews, undefined);
    assert.equal(removed?.version, 2);
    assert.equal(
      await store.setLinkPreviews(message.id, { removed: true }),
      undefined,
    );
    // Removed, they stay away: a fetch that finishes late keeps nothing.
    assert.equal(
      await store.setLinkPreviews(message.id, { previews, text: message.text }),
      undefined,
    );
    // An edit clears the removal: its new text's previews are kept.
    await store.updateMessage(message.id, { text: "now https://example.org" });
    const again = await store.setLinkPreviews(message.id, {
      previews: [{ url: "https://example.org", title: "Org" }],
      text: "now https://example.org",
    });
    assert.deepEqual(again?.previews, [{
      url: "https://example.org",
      title: "Org",
    }]);
    const deleted = await store.updateMessage(message.id, { deleted: true });
    assert.equal(deleted?.previews, undefined);
    assert.equal(
      await store.setLinkPreviews(message.id, { previews, text: "" }),
      undefined,
    );
  });

  test("updateMessage deletes: the text and attachments go, seq, id and author stay", async (store) => {
    const sent = await append(store, "general", ["first"]);
    const { message } = await store.appendMessage(
      draft("general", "oops", { clientId: "k1", attachments: [PHOTO] }),
    );
    const deleted = await store.updateMessage(message.id, { deleted: true });
    const expected: ChatMessage = {
      id: message.id,
      seq: 2,
      room: "general",
      user: "Alice",
      text: "",
      ts: message.ts,
      client_id: "k1",
      deleted: true,
      version: 1,
    };
    assert.deepEqual(deleted, expected);
    assert.deepEqual(await store.history("general", {}), [sent[0], expected]);
    const retry = await store.appendMessage(
      draft("general", "oops", { clientId: "k1" }),
    );
    assert.deepEqual([retry.duplicate, retry.message], [true, expected]);
    // The next message still follows it.
    const [next] = await append(store, "general", ["next"]);
    assert.equal(next.seq, 3);
  });

  test("a deleted message cannot be edited; deleting it again returns it unchanged", async (store) => {
    const { message } = await store.appendMessage(draft("general", "x"));
    await store.updateMessage(message.id, { text: "edited first" });
    const deleted = await store.updateMessage(message.id, { deleted: true });
    assert.equal(
      await store.updateMessage(message.id, { text: "too late" }),
      undefined,
    );
    assert.deepEqual(
      await store.updateMessage(message.id, { deleted: true }),
      deleted,
    );
    assert.deepEqual(await store.history("general", {}), [deleted]);
  });

  test("every change the store commits to a message counts one more version, wherever it is read; what changes nothing counts none", async (store) => {
    const { message } = await store.appendMessage(draft("general", "v0"));
    assert.equal("version" in message, false);
    const react = (emoji: string, on: boolean) =>
      store.react({ id: message.id, userKey: "bob", user: "bob", emoji, on });
    const versions: (number | undefined)[] = [];
    const note = async (result: { version?: number } | undefined) => {
      versions.push(result?.version);
      const now = await store.findMessage(message.id);
      assert.equal(now?.message.version, result?.version);
    };
    await note(await store.updateMessage(message.id, { text: "v1" }));
    const reacted = await react("👍", true);
    assert.ok(reacted.status === "done");
    await note(reacted.message);
    // The same reaction again, or a pin of a pinned message, changes
    // nothing: the version stays.
    const again = await react("👍", true);
    assert.ok(again.status === "done" && !again.changed);
    await note(again.message);
    const pinned = await store.pin(message.id, true);
    assert.ok(pinned.status === "done");
    await note(pinned.message);
    const pinnedAgain = await store.pin(message.id, true);
    assert.ok(pinnedAgain.status === "done" && !pinnedAgain.changed);
    await note(pinnedAgain.message);
    const unreacted = await react("👍", false);
    assert.ok(unreacted.status === "done");
    await note(unreacted.message);
    await note(await store.updateMessage(message.id, { text: "v5" }));
    await note(await store.updateMessage(message.id, { deleted: true }));
    // Deleting again changes nothing.
    await note(await store.updateMessage(message.id, { deleted: true }));
    assert.deepEqual(versions, [1, 2, 2, 3, 3, 4, 5, 6, 6]);
    assert.equal((await store.history("general", {}))[0].version, 6);
    // Other messages count their own.
    const other = await store.appendMessage(draft("general", "other"));
    const otherEdit = await store.updateMessage(other.message.id, {
      text: "other, edited",
    });
    assert.equal(otherEdit?.version, 1);
    // A private message too.
    const { message: secret } = await store.appendPrivate(
      dm("alice", "bob", "psst"),
    );
    const pinnedSecret = await store.pin(secret.id, true);
    assert.ok(pinnedSecret.status === "done");
    assert.equal(pinnedSecret.message.version, 1);
    assert.equal(
      (await store.conversation("alice", "bob", {}))[0].version,
      1,
    );
  });

  test("updateMessage of an unknown id returns undefined and changes nothing", async (store) => {
    const sent = await append(store, "general", ["stays"]);
    const missing = "01NOSUCHMESSAGE0000000000";
    assert.equal(await store.updateMessage(missing, { text: "x" }), undefined);
    assert.equal(
      await store.updateMessage(missing, { deleted: true }),
      undefined,
    );
    assert.deepEqual(await store.history("general", {}), sent);
  });

  test("updateMessage edits and deletes private messages too", async (store) => {
    const { message: first } = await store.appendPrivate(
      dm("alice", "bob", "hi"),
    );
    const { message: second } = await store.appendPrivate(
      dm("alice", "bob", "secret", { attachments: [PHOTO] }),
    );
    const edited = await store.updateMessage(first.id, { text: "hello" });
    assert.equal(edited?.text, "hello");
    assert.equal((edited as PrivateMessage).to, "BOB");
    const deleted = await store.updateMessage(second.id, { deleted: true });
    assert.equal(deleted?.deleted, true);
    assert.equal("attachments" in deleted!, false);
    assert.deepEqual(await store.conversation("bob", "alice", {}), [
      edited,
      deleted,
    ]);
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
  test("expireMessages deletes the oldest of each stream in batches, never a gap, and seqs go on", async (store) => {
    await store.createRoom("dev", "dev");
    await append(store, "general", ["old 1", "old 2 @bob", "old 3"]);
    await append(store, "dev", ["old dev"]);
    await store.appendPrivate(dm("alice", "bob", "old private"));
    const cutoff = Date.now() + 1;
    await after(cutoff);
    await append(store, "general", ["new 4", "new 5 @bob"]);
    assert.equal((await store.readState("bob", "general")).mentions, 2);

    let batches = 0;
    let expired = 0;
    for (let n; (n = await store.expireMessages(cutoff, 2)) > 0; batches++) {
      assert.ok(n <= 2);
      expired += n;
    }
    assert.equal(expired, 5);
    assert.equal(batches, 3);
    const general = await store.history("general", {});
    assert.deepEqual(general.map((m) => [m.seq, m.text]), [
      [4, "new 4"],
      [5, "new 5 @bob"],
    ]);
    assert.deepEqual(await store.history("dev", {}), []);
    assert.deepEqual(await store.conversation("alice", "bob", {}), []);
    assert.deepEqual(await store.readState("bob", "general"), {
      lastReadSeq: 0,
      unread: 2,
      mentions: 1,
      lastSeq: 5,
    });
    const stream = conversationKey("alice", "bob");
    assert.equal((await store.readState("bob", stream)).lastSeq, 1);
    const { message } = await store.appendMessage(draft("dev", "after"));
    assert.equal(message.seq, 2);
    assert.equal(await store.expireMessages(cutoff, 100), 0);
  });

  test("expireMessages keeps a room's own retention_days: fewer days, forever with 0, the server's again with null", async (store) => {
    await store.createRoom("dev", "dev");
    await store.createRoom("keep", "keep");
    await append(store, "general", ["general old"]);
    await append(store, "dev", ["dev old"]);
    await append(store, "keep", ["keep old"]);
    await store.appendPrivate(dm("alice", "bob", "private old"));
    assert.equal(
      (await store.updateRoom("dev", { retentionDays: 1 }))?.retentionDays,
      1,
    );
    await store.updateRoom("keep", { retentionDays: 0 });
    assert.deepEqual(
      (await store.listRooms()).map((r) => [r.key, r.retentionDays]),
      [["general", undefined], ["dev", 1], ["keep", 0]],
    );
    const inTwoDays = Date.now() + 2 * DAY_MS;
    // No server-wide retention: only the room with its own days loses any.
    assert.equal(await store.expireMessages(undefined, 100, inTwoDays), 1);
    assert.deepEqual(await store.history("dev", {}), []);
    assert.equal((await store.history("general", {})).length, 1);
    // A server-wide cutoff: every stream but the room kept forever.
    const cutoff = Date.now() + 1;
    await after(cutoff);
    assert.equal(await store.expireMessages(cutoff, 100, inTwoDays), 2);
    assert.deepEqual(await store.history("general", {}), []);
    assert.deepEqual(await store.conversation("alice", "bob", {}), []);
    assert.deepEqual(
      (await store.history("keep", {})).map((m) => m.text),
      ["keep old"],
    );
    // null: the room follows the server again.
    const back = await store.updateRoom("keep", { retentionDays: null });
    assert.equal(back?.retentionDays, undefined);
    assert.equal(await store.expireMessages(cutoff, 100, inTwoDays), 1);
    assert.deepEqual(await store.history("keep", {}), []);
  });
}
