/**
 * The store contract for threads and search: replies and their quotes
 * (appendMessage/appendPrivate with replyTo, findReplies), reactions
 * (react), pins (pin, listPins) and search over rooms and conversations.
 */
import assert from "node:assert/strict";
import type {
  ChatMessage,
  MessageBase,
  PrivateMessage,
} from "../../server/protocol/types.ts";
import type {
  PrivateDraft,
  SearchQuery,
  Store,
} from "../../server/store/mod.ts";
import { searchWords } from "../../server/store/search_text.ts";
import {
  after,
  append,
  draft,
  range,
  seqs,
  type StoreTest,
} from "./support.ts";

/** The contract of replies, reactions, pins and search. */
export function threads(test: StoreTest): void {
  // ------------------------------------------- replies, reactions, pins

  function aliceToBob(
    text: string,
    more: Partial<PrivateDraft> & { waitingLimits?: undefined } = {},
  ): PrivateDraft & { waitingLimits?: undefined } {
    return {
      fromKey: "alice",
      from: "Alice",
      toKey: "bob",
      to: "Bob",
      text,
      delivered: true,
      ...more,
    };
  }

  function react(
    store: Store,
    id: string,
    user: string,
    emoji: string,
    on = true,
  ) {
    return store.react({ id, userKey: user.toLowerCase(), user, emoji, on });
  }

  async function current(store: Store, id: string): Promise<MessageBase> {
    const record = await store.findMessage(id);
    assert.ok(record, `message ${id} is gone`);
    return record.message;
  }

  test("a reply carries the quote of the message it answers, cut to 200 characters", async (store) => {
    const long = "é".repeat(150) + "😀".repeat(100);
    const [original] = await append(store, "general", [long]);
    const { message: reply } = await store.appendMessage(
      draft("general", "agreed", { replyTo: original.id, user: "bob" }),
    );
    assert.deepEqual(reply.reply_to, {
      id: original.id,
      seq: 1,
      user: "Alice",
      text: "é".repeat(150) + "😀".repeat(50),
    });
    assert.deepEqual((await store.history("general", {}))[1], reply);
    assert.deepEqual(await current(store, reply.id), reply);
    assert.equal("reply_to" in original, false);
  });

  test("a reply's quote follows the original's edit, then shows it deleted", async (store) => {
    const [original] = await append(store, "general", ["first draft"]);
    const { message: reply } = await store.appendMessage(
      draft("general", "+1", { replyTo: original.id }),
    );
    await store.updateMessage(original.id, { text: "final text" });
    assert.equal((await current(store, reply.id)).reply_to?.text, "final text");
    await store.updateMessage(original.id, { deleted: true });
    const quote = {
      id: original.id,
      seq: original.seq,
      user: "Alice",
      text: "",
      deleted: true,
    };
    assert.deepEqual((await current(store, reply.id)).reply_to, quote);
    assert.deepEqual((await store.history("general", {}))[1].reply_to, quote);
    assert.deepEqual(
      (await store.findReplies(original.id, 10)).map((m) => m.reply_to),
      [quote],
    );
    // A retry of the reply answers with the quote as it now is.
    const { message: again } = await store.appendMessage(
      draft("general", "+1", { replyTo: original.id, clientId: "k1" }),
    );
    assert.deepEqual(again.reply_to, quote);
  });

  test("findReplies lists the newest replies first, at most the limit", async (store) => {
    const [original, other] = await append(store, "general", ["q", "r"]);
    const replies: ChatMessage[] = [];
    for (const text of ["a", "b", "c"]) {
      replies.push(
        (await store.appendMessage(
          draft("general", text, { replyTo: original.id }),
        )).message,
      );
    }
    await store.appendMessage(draft("general", "d", { replyTo: other.id }));
    assert.deepEqual(
      (await store.findReplies(original.id, 2)).map((m) => m.text),
      ["c", "b"],
    );
    assert.deepEqual(
      await store.findReplies("01NOSUCHMESSAGE0000000000", 5),
      [],
    );
  });

  test("a message counts its live replies and names the newest, wherever it is read", async (store) => {
    const [root, other] = await append(store, "general", ["q", "r"]);
    assert.equal("reply_count" in root, false);
    const replies: ChatMessage[] = [];
    for (const text of ["a", "b", "c"]) {
      replies.push(
        (await store.appendMessage(
          draft("general", text, { replyTo: root.id }),
        )).message,
      );
    }
    await store.appendMessage(draft("general", "d", { replyTo: other.id }));
    const thread = { reply_count: 3, last_reply_seq: replies[2].seq };
    const counted = (m: MessageBase) => ({
      reply_count: m.reply_count,
      last_reply_seq: m.last_reply_seq,
    });
    assert.deepEqual(counted((await store.history("general", {}))[0]), thread);
    assert.deepEqual(counted(await current(store, root.id)), thread);
    assert.deepEqual(counted(await current(store, other.id)), {
      reply_count: 1,
      last_reply_seq: replies[2].seq + 1,
    });
    // A reply deleted is a reply no more: the count and the newest follow.
    await store.updateMessage(replies[2].id, { deleted: true });
    assert.deepEqual(counted(await current(store, root.id)), {
      reply_count: 2,
      last_reply_seq: replies[1].seq,
    });
    // The root's own delete keeps its thread.
    await store.updateMessage(root.id, { deleted: true });
    assert.deepEqual(counted(await current(store, root.id)), {
      reply_count: 2,
      last_reply_seq: replies[1].seq,
    });
    for (const id of [replies[0].id, replies[1].id]) {
      await store.updateMessage(id, { deleted: true });
    }
    const gone = await current(store, root.id);
    assert.equal("reply_count" in gone, false);
    assert.equal("last_reply_seq" in gone, false);
  });

  test("a message's thread_version counts each reply stored and each reply deleted, so a later state of its thread always has a higher one", async (store) => {
    const [root, other] = await append(store, "general", ["q", "r"]);
    assert.equal("thread_version" in root, false);
    const version = async () => (await current(store, root.id)).thread_version;
    const reply = async (text: string, to = root.id) =>
      (await store.appendMessage(draft("general", text, { replyTo: to })))
        .message;
    const a = await reply("a");
    const b = await reply("b");
    assert.equal(await version(), 2);
    // Another message's replies, an edit of a reply, a reaction: not this
    // thread's changes.
    await reply("elsewhere", other.id);
    await store.updateMessage(a.id, { text: "a, edited" });
    await react(store, a.id, "bob", "👍");
    assert.equal(await version(), 2);
    // Deleting the newest reply lowers both the count and last_reply_seq;
    // the version still grows.
    await store.updateMessage(b.id, { deleted: true });
    const afterDelete = await current(store, root.id);
    assert.deepEqual(
      [
        afterDelete.reply_count,
        afterDelete.last_reply_seq,
        afterDelete.thread_version,
      ],
      [1, a.seq, 3],
    );
    // The root's own version counts changes to it, not to its replies.
    assert.equal(afterDelete.version, undefined);
    // Deleting a deleted reply again changes nothing.
    await store.updateMessage(b.id, { deleted: true });
    assert.equal(await version(), 3);
    await reply("c");
    assert.equal(await version(), 4);
    // The root's own delete keeps its thread and its version.
    await store.updateMessage(root.id, { deleted: true });
    assert.equal(await version(), 4);
    await store.updateMessage(a.id, { deleted: true });
    const emptied = await current(store, root.id);
    assert.equal(emptied.reply_count, 1);
    assert.equal(emptied.thread_version, 5);
    // As every read serves it: history, a page of replies' root.
    const page = await store.history("general", {});
    assert.equal(page.find((m) => m.id === root.id)?.thread_version, 5);
    assert.equal(page.find((m) => m.id === other.id)?.thread_version, 1);
  });

  test("listReplies pages a thread oldest first, after a seq or before one", async (store) => {
    const [root] = await append(store, "general", ["q"]);
    const texts = ["a", "b", "c", "d", "e"];
    for (const text of texts) {
      await store.appendMessage(draft("general", text, { replyTo: root.id }));
      await append(store, "general", ["between"]);
    }
    const page = (query: { after?: number; before?: number; limit: number }) =>
      store.listReplies(root.id, query).then((ms) => ms.map((m) => m.text));
    assert.deepEqual(await page({ limit: 2 }), ["a", "b"]);
    const first = await store.listReplies(root.id, { limit: 2 });
    assert.deepEqual(await page({ after: first[1].seq, limit: 2 }), [
      "c",
      "d",
    ]);
    assert.deepEqual(await page({ after: first[1].seq, limit: 50 }), [
      "c",
      "d",
      "e",
    ]);
    const all = await store.listReplies(root.id, { limit: 50 });
    assert.deepEqual(all.map((m) => m.reply_to?.id), texts.map(() => root.id));
    assert.deepEqual(await page({ before: all[4].seq, limit: 2 }), ["c", "d"]);
    assert.deepEqual(await page({ before: all[1].seq, limit: 2 }), ["a"]);
    assert.deepEqual(await page({ after: all[4].seq, limit: 2 }), []);
    await store.updateMessage(all[2].id, { deleted: true });
    assert.deepEqual(await page({ limit: 50 }), ["a", "b", "d", "e"]);
    assert.deepEqual(
      await store.listReplies("01NOSUCHMESSAGE0000000000", { limit: 5 }),
      [],
    );
  });

  test("a private message counts its replies as a room's does", async (store) => {
    const { message: question } = await store.appendPrivate(
      aliceToBob("lunch?"),
    );
    const { message: answer } = await store.appendPrivate({
      ...aliceToBob("yes"),
      fromKey: "bob",
      from: "Bob",
      toKey: "alice",
      to: "Alice",
      replyTo: question.id,
    });
    const root = await current(store, question.id);
    assert.equal(root.reply_count, 1);
    assert.equal(root.last_reply_seq, answer.seq);
    assert.deepEqual(
      (await store.listReplies(question.id, { limit: 5 })).map((m) => m.id),
      [answer.id],
    );
  });

  test("a private reply quotes the conversation's message", async (store) => {
    const { message: question } = await store.appendPrivate(
      aliceToBob("lunch?"),
    );
    const { message: answer } = await store.appendPrivate(aliceToBob("yes", {
      fromKey: "bob",
      from: "Bob",
      toKey: "alice",
      to: "Alice",
      replyTo: question.id,
    }));
    assert.deepEqual(answer.reply_to, {
      id: question.id,
      seq: 1,
      user: "Alice",
      text: "lunch?",
    });
    const [, read] = await store.conversation("alice", "bob", {});
    assert.deepEqual(read, answer);
  });

  test("react counts one reaction per user and emoji, emoji in the order first used", async (store) => {
    const [message] = await append(store, "general", ["ship it"]);
    const first = await react(store, message.id, "Alice", "👍");
    assert.equal(first.status, "done");
    assert.ok(first.status === "done" && first.changed);
    await react(store, message.id, "bob", "👍");
    await react(store, message.id, "Alice", "🎉");
    const twice = await react(store, message.id, "Alice", "👍");
    assert.ok(twice.status === "done" && !twice.changed);
    const expected = [
      { emoji: "👍", count: 2, users: ["Alice", "bob"] },
      { emoji: "🎉", count: 1, users: ["Alice"] },
    ];
    assert.ok(twice.status === "done");
    assert.deepEqual(twice.message.reactions, expected);
    assert.deepEqual(
      (await store.history("general", {}))[0].reactions,
      expected,
    );
    assert.deepEqual(
      Object.keys((await current(store, message.id)).reactions![0]),
      ["emoji", "count", "users"],
    );
    const off = await react(store, message.id, "Alice", "👍", false);
    assert.ok(off.status === "done" && off.changed);
    assert.deepEqual(off.message.reactions, [
      { emoji: "👍", count: 1, users: ["bob"] },
      { emoji: "🎉", count: 1, users: ["Alice"] },
    ]);
    const offAgain = await react(store, message.id, "Alice", "👍", false);
    assert.ok(offAgain.status === "done" && !offAgain.changed);
    await react(store, message.id, "bob", "👍", false);
    await react(store, message.id, "Alice", "🎉", false);
    const none = await current(store, message.id);
    assert.equal("reactions" in none, false, JSON.stringify(none));
    // Edits keep reactions.
    await react(store, message.id, "bob", "👀");
    const edited = await store.updateMessage(message.id, { text: "shipped" });
    assert.deepEqual(edited?.reactions, [
      { emoji: "👀", count: 1, users: ["bob"] },
    ]);
  });

  test("react takes 20 different emoji on a message, then only those", async (store) => {
    const [message] = await append(store, "general", ["vote"]);
    const emoji = Array.from(
      { length: 20 },
      (_, i) => String.fromCodePoint(0x1f600 + i),
    );
    for (const e of emoji) {
      assert.equal((await react(store, message.id, "Alice", e)).status, "done");
    }
    assert.deepEqual(await react(store, message.id, "Alice", "🚀"), {
      status: "full",
    });
    assert.equal(
      (await react(store, message.id, "bob", emoji[3])).status,
      "done",
    );
    await react(store, message.id, "Alice", emoji[0], false);
    assert.equal((await react(store, message.id, "bob", "🚀")).status, "done");
    const reactions = (await current(store, message.id)).reactions!;
    assert.equal(reactions.length, 20);
    assert.equal(reactions.at(-1)?.emoji, "🚀");
  });

  test("react lists the first 50 users of an emoji and counts them all", async (store) => {
    const [message] = await append(store, "general", ["popular"]);
    const users = Array.from({ length: 60 }, (_, i) => `user${i}`);
    for (const user of users) await react(store, message.id, user, "❤️");
    const [reaction] = (await current(store, message.id)).reactions!;
    assert.equal(reaction.count, 60);
    assert.deepEqual(reaction.users, users.slice(0, 50));
  });

  test("react and pin answer not_found for an unknown or deleted message", async (store) => {
    const [message] = await append(store, "general", ["gone soon"]);
    await store.updateMessage(message.id, { deleted: true });
    for (const id of [message.id, "01NOSUCHMESSAGE0000000000"]) {
      assert.deepEqual(await react(store, id, "Alice", "👍"), {
        status: "not_found",
      });
      assert.deepEqual(await store.pin(id, true), { status: "not_found" });
    }
  });

  test("pin marks a message pinned and listPins lists the latest pinned first", async (store) => {
    await store.createRoom("dev", "dev");
    const [a, b, c] = await append(store, "general", ["a", "b", "c"]);
    await append(store, "dev", ["elsewhere"]);
    const pinned = await store.pin(b.id, true);
    assert.ok(pinned.status === "done" && pinned.changed);
    assert.equal(pinned.message.pinned, true);
    await store.pin(c.id, true);
    await store.pin(a.id, true);
    const again = await store.pin(a.id, true);
    assert.ok(again.status === "done" && !again.changed);
    assert.deepEqual(
      (await store.listPins("general")).map((m) => m.text),
      ["a", "c", "b"],
    );
    assert.deepEqual(await store.listPins("dev"), []);
    assert.equal((await store.history("general", {}))[1].pinned, true);
    const unpinned = await store.pin(c.id, false);
    assert.ok(unpinned.status === "done" && unpinned.changed);
    assert.equal("pinned" in unpinned.message, false);
    const twice = await store.pin(c.id, false);
    assert.ok(twice.status === "done" && !twice.changed);
    assert.deepEqual(
      (await store.listPins("general")).map((m) => m.text),
      ["a", "b"],
    );
    // Edits keep the pin.
    assert.equal(
      (await store.updateMessage(a.id, { text: "a2" }))?.pinned,
      true,
    );
  });

  test("pin takes 100 pinned messages in a room, then none until one is unpinned", async (store) => {
    const messages = await append(
      store,
      "general",
      range(1, 101).map((n) => `m${n}`),
    );
    for (const m of messages.slice(0, 100)) {
      assert.equal((await store.pin(m.id, true)).status, "done");
    }
    assert.deepEqual(await store.pin(messages[100].id, true), {
      status: "full",
    });
    await store.pin(messages[0].id, false);
    assert.equal((await store.pin(messages[100].id, true)).status, "done");
    assert.equal((await store.listPins("general")).length, 100);
  });

  test("a deleted message loses its reactions, its pin and its quote", async (store) => {
    const [original] = await append(store, "general", ["q"]);
    const { message: reply } = await store.appendMessage(
      draft("general", "a", { replyTo: original.id }),
    );
    await react(store, reply.id, "bob", "👍");
    await store.pin(reply.id, true);
    const deleted = await store.updateMessage(reply.id, { deleted: true });
    assert.deepEqual(Object.keys(deleted!).sort(), [
      "deleted",
      "id",
      "room",
      "seq",
      "text",
      "ts",
      "user",
      "version",
    ]);
    // Reacted, pinned, deleted.
    assert.equal(deleted?.version, 3);
    assert.deepEqual(await store.listPins("general"), []);
    assert.deepEqual(await current(store, reply.id), deleted);
  });

  test(
    "a pinned, reacted reply keeps all of it through a close and reopen",
    async (store, reopen) => {
      const [original] = await append(store, "general", ["q"]);
      const { message: reply } = await store.appendMessage(
        draft("general", "a", { replyTo: original.id }),
      );
      await react(store, reply.id, "bob", "👍");
      await store.pin(reply.id, true);
      const before = await current(store, reply.id);
      const again = await reopen();
      assert.deepEqual((await again.findMessage(reply.id))?.message, before);
      assert.deepEqual(await again.listPins("general"), [before]);
    },
  );

  test("history aroundSeq returns half the limit before the seq, the rest from it", async (store) => {
    await append(store, "general", range(1, 30).map((n) => `m${n}`));
    const page = async (query: Parameters<Store["history"]>[1]) =>
      seqs(await store.history("general", query));
    assert.deepEqual(await page({ aroundSeq: 15, limit: 6 }), range(12, 17));
    assert.deepEqual(await page({ aroundSeq: 15, limit: 5 }), range(13, 17));
    assert.deepEqual(await page({ aroundSeq: 2, limit: 10 }), range(1, 6));
    assert.deepEqual(await page({ aroundSeq: 29, limit: 10 }), range(24, 30));
    assert.deepEqual(await page({ aroundSeq: 1, limit: 1 }), [1]);
    assert.deepEqual(await page({ aroundSeq: 40, limit: 4 }), [29, 30]);
    assert.deepEqual(await page({ aroundSeq: 20 }), range(1, 30));
    const { message } = await store.appendPrivate(aliceToBob("hi"));
    assert.deepEqual(
      await store.conversation("bob", "alice", { aroundSeq: 1 }),
      [message],
    );
  });

  // ------------------------------------------------------------ search

  const EVERYWHERE = (userKey = "alice"): SearchQuery["scope"] => ({
    roomKeys: ["general", "dev"],
    conversations: { userKey, since: 0 },
  });

  // The first `limit` (50) results, through pages a store's work budget
  // cut short.
  async function find(
    store: Store,
    text: string,
    more: Partial<SearchQuery> = {},
  ): Promise<string[]> {
    const query = {
      words: searchWords(text),
      scope: EVERYWHERE(),
      limit: 50,
      ...more,
    };
    const found: string[] = [];
    for (;;) {
      const { records, next } = await store.search({
        ...query,
        limit: query.limit - found.length,
      });
      found.push(...records.map((r) => r.message.text));
      if (next === undefined || found.length >= query.limit) return found;
      query.before = next;
    }
  }

  test("search folds accents, case and compatibility forms", async (store) => {
    await append(store, "general", [
      "L'École est fermée",
      "ECOLE primaire",
      "Ｆｕｌｌ width and the ﬁnal ligature",
      "Ἀθῆναι and ΣΟΦΟΣ",
      "nothing here",
    ]);
    assert.deepEqual(await find(store, "ecole"), [
      "ECOLE primaire",
      "L'École est fermée",
    ]);
    assert.deepEqual(await find(store, "école FERMÉE"), ["L'École est fermée"]);
    assert.deepEqual(await find(store, "full final"), [
      "Ｆｕｌｌ width and the ﬁnal ligature",
    ]);
    assert.deepEqual(await find(store, "αθηναι σοφος"), ["Ἀθῆναι and ΣΟΦΟΣ"]);
  });

  test("search takes the last word as a prefix and requires every word", async (store) => {
    await append(store, "general", [
      "deploy the release",
      "release notes",
      "deployment failed",
      "redeploy",
    ]);
    assert.deepEqual(await find(store, "depl"), [
      "deployment failed",
      "deploy the release",
    ]);
    assert.deepEqual(await find(store, "release depl"), ["deploy the release"]);
    assert.deepEqual(await find(store, "deploy rel"), ["deploy the release"]);
    assert.deepEqual(await find(store, "depl release"), []);
    assert.deepEqual(await find(store, "nothing"), []);
  });

  test("search finds every word a prefix starts, however many there are", async (store) => {
    // Stores may look a prefix's words up rather than scan: past 64 of
    // them, or 3 letters and fewer, they must find the same. One letter is
    // a word, not a prefix (as a prefix it stands for nearly every word).
    await append(
      store,
      "general",
      range(1, 70).map((n) => `prefix${n} common${n % 8}`),
    );
    const count = async (text: string) =>
      (await store.search({
        words: searchWords(text),
        scope: EVERYWHERE(),
        limit: 100,
      })).records.length;
    assert.equal(await count("prefix"), 51, "at most the limit asked, 50 + 1");
    assert.equal(await count("pref"), 51);
    assert.equal(await count("pre"), 51);
    assert.equal(await count("pr"), 51);
    assert.equal(await count("p"), 0);
    assert.equal(await count("prefix1"), 11);
    assert.equal(await count("common3 prefix"), 9);
    assert.equal(await count("com"), 51);
    assert.equal(await count("prefix70"), 1);
    assert.equal(await count("prefix71"), 0);
    assert.equal(await count("zz"), 0);
  });

  test("search reads query syntax as plain words", async (store) => {
    await append(store, "general", [
      'say "NEAR" OR not',
      "a-b: c*d (e)",
      "plain",
    ]);
    assert.deepEqual(await find(store, '"near"'), ['say "NEAR" OR not']);
    assert.deepEqual(await find(store, "NEAR OR"), ['say "NEAR" OR not']);
    assert.deepEqual(await find(store, "a-b:"), ["a-b: c*d (e)"]);
    assert.deepEqual(await find(store, "-b c*"), ["a-b: c*d (e)"]);
    assert.deepEqual(await find(store, "(e) d"), ["a-b: c*d (e)"]);
    assert.deepEqual(await find(store, "e AND d"), []);
    assert.deepEqual(await find(store, "NOT plain"), []);
    // No words at all: a search without words lists every message (the
    // handler finds nothing for such a query unless a filter is given).
    assert.deepEqual(searchWords("' ^ {}"), []);
  });

  test("search never finds a deleted message and finds an edited one by its new text", async (store) => {
    const [gone, edited] = await append(store, "general", [
      "secret plan",
      "old words",
    ]);
    await store.updateMessage(gone.id, { deleted: true });
    await store.updateMessage(edited.id, { text: "new wording" });
    assert.deepEqual(await find(store, "secret"), []);
    assert.deepEqual(await find(store, "old"), []);
    assert.deepEqual(await find(store, "new wor"), ["new wording"]);
  });

  test("search covers the scope's rooms and the reader's conversations since `since`", async (store) => {
    await store.createRoom("dev", "dev");
    await store.createRoom("ops", "ops");
    await store.appendMessage(draft("general", "word in general"));
    await store.appendMessage(draft("dev", "word in dev"));
    await store.appendMessage(draft("ops", "word in ops"));
    await store.appendPrivate(aliceToBob("word to bob"));
    await store.appendPrivate(
      aliceToBob("word from carol", {
        fromKey: "carol",
        from: "Carol",
        toKey: "alice",
        to: "Alice",
      }),
    );
    await store.appendPrivate(
      aliceToBob("word between others", {
        fromKey: "bob",
        from: "Bob",
        toKey: "carol",
        to: "Carol",
      }),
    );
    // Keys that contain another's key: no conversation of alice's.
    await store.appendPrivate(
      aliceToBob("word for malice", {
        fromKey: "malice",
        from: "Malice",
        toKey: "alicea",
        to: "Alicea",
      }),
    );
    assert.deepEqual(await find(store, "word"), [
      "word from carol",
      "word to bob",
      "word in dev",
      "word in general",
    ]);
    const records = (await store.search({
      words: ["word"],
      scope: EVERYWHERE("bob"),
      limit: 10,
    })).records;
    assert.deepEqual(
      records.map((r) => [r.message.text, r.stream, r.userKey]),
      [
        ["word between others", "@bob:carol", "bob"],
        ["word to bob", "@alice:bob", "alice"],
        ["word in dev", "dev", "alice"],
        ["word in general", "general", "alice"],
      ],
    );
    assert.deepEqual(
      await find(store, "word", {
        scope: { roomKeys: ["ops"], conversations: undefined },
      }),
      ["word in ops"],
    );
    assert.deepEqual(
      await find(store, "word", {
        scope: {
          roomKeys: [],
          conversations: { userKey: "alice", since: 0, withKey: "carol" },
        },
      }),
      ["word from carol"],
    );
    assert.deepEqual(
      await find(store, "word", {
        scope: {
          roomKeys: [],
          conversations: { userKey: "alice", since: Date.now() + 60_000 },
        },
      }),
      [],
    );
    assert.deepEqual(
      await find(store, "word", { scope: { roomKeys: [] } }),
      [],
    );
    // Keys of letters outside the BMP: counted in characters, not units.
    for (const key of ["𐐨𐐩", "zz𐐨"]) {
      await store.appendPrivate(
        aliceToBob(`word for ${key}`, { toKey: key, to: key }),
      );
      assert.deepEqual(
        await find(store, "word", {
          scope: { roomKeys: [], conversations: { userKey: key, since: 0 } },
        }),
        [`word for ${key}`],
      );
    }
  });

  test("search pages newest first with before", async (store) => {
    const sent = await append(
      store,
      "general",
      range(1, 7).map((n) => `page word ${n}`),
    );
    const page1 = (await store.search({
      words: ["word"],
      scope: EVERYWHERE(),
      limit: 3,
    })).records;
    assert.deepEqual(page1.map((r) => r.message.seq), [7, 6, 5]);
    const page2 = (await store.search({
      words: ["word"],
      scope: EVERYWHERE(),
      limit: 3,
      before: page1[2].message.id,
    })).records;
    assert.deepEqual(page2.map((r) => r.message.seq), [4, 3, 2]);
    assert.deepEqual(
      await find(store, "word", { before: sent[0].id }),
      [],
    );
    // Any string serves as a bound: ids sort by time.
    assert.deepEqual(
      await find(store, "word", { before: "00000000000000000000000000" }),
      [],
    );
    assert.deepEqual(
      await find(store, "word", { before: "ZZZZZZZZZZZZZZZZZZZZZZZZZZ" }),
      sent.map((m) => m.text).reverse(),
    );
  });

  test("search filters by author, by what a message holds and by time, with words or without", async (store) => {
    await store.createRoom("dev", "dev");
    const file = {
      url: "/elsewhere/notes.txt",
      name: "notes.txt",
      size: 3,
      type: "text/plain",
    };
    const image = { ...file, name: "cat.png", type: "image/png" };
    const bob = { userKey: "bob", user: "Bob" };
    const early = (await store.appendMessage(
      draft("general", "words by bob as a guest", bob),
    )).message;
    await new Promise((resolve) => setTimeout(resolve, 5));
    const bobSince = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const later = (await append(store, "general", ["plain words"]))[0];
    await store.appendMessage(
      draft("general", "see HTTPS://example.com words", bob),
    );
    await store.appendMessage(
      draft("dev", "a file, words", { attachments: [file] }),
    );
    await store.appendMessage(
      draft("dev", "a picture http://x.example", {
        ...bob,
        attachments: [file, image],
      }),
    );
    await store.appendPrivate(aliceToBob("words to bob, https://y.example"));
    const [gone] = await append(store, "general", ["gone https://z.example"]);
    await store.updateMessage(gone.id, { deleted: true });
    const from = { userKey: "bob", since: bobSince };
    assert.deepEqual(await find(store, "", { from }), [
      "a picture http://x.example",
      "see HTTPS://example.com words",
    ]);
    assert.deepEqual(await find(store, "word", { from }), [
      "see HTTPS://example.com words",
    ]);
    assert.deepEqual(
      await find(store, "", { from: { userKey: "bob", since: 0 } }),
      [
        "a picture http://x.example",
        "see HTTPS://example.com words",
        "words by bob as a guest",
      ],
    );
    assert.deepEqual(await find(store, "", { has: ["file"] }), [
      "a picture http://x.example",
      "a file, words",
    ]);
    assert.deepEqual(await find(store, "", { has: ["image"] }), [
      "a picture http://x.example",
    ]);
    assert.deepEqual(await find(store, "", { has: ["link"] }), [
      "words to bob, https://y.example",
      "a picture http://x.example",
      "see HTTPS://example.com words",
    ]);
    assert.deepEqual(await find(store, "words", { has: ["link", "link"] }), [
      "words to bob, https://y.example",
      "see HTTPS://example.com words",
    ]);
    assert.deepEqual(await find(store, "", { has: ["file", "link"] }), [
      "a picture http://x.example",
    ]);
    assert.deepEqual(await find(store, "words", { has: ["file"] }), [
      "a file, words",
    ]);
    // A reaction: one there still, not one taken back.
    assert.deepEqual(await find(store, "", { has: ["reaction"] }), []);
    await react(store, later.id, "Carol", "👍");
    await react(store, early.id, "Carol", "🎉");
    await react(store, early.id, "Carol", "🎉", false);
    assert.deepEqual(await find(store, "", { has: ["reaction"] }), [
      "plain words",
    ]);
    assert.deepEqual(
      await find(store, "words", { has: ["reaction", "link"] }),
      [],
    );
    // `after` is an id bound, as `before` is: from `later` on.
    assert.deepEqual(await find(store, "words", { after: later.id }), [
      "words to bob, https://y.example",
      "a file, words",
      "see HTTPS://example.com words",
      "plain words",
    ]);
    assert.deepEqual(
      await find(store, "", { after: early.id, before: later.id }),
      ["words by bob as a guest"],
    );
    assert.deepEqual(await find(store, "", { after: "ZZZZZZZZZZ" }), []);
    // The scope still decides: bob's conversation is not carol's.
    assert.deepEqual(
      await find(store, "", { has: ["link"], scope: EVERYWHERE("carol") }),
      ["a picture http://x.example", "see HTTPS://example.com words"],
    );
    // Without words, every message of the scope, newest first; a page
    // may end short of its limit where the work budget ran out, with
    // `next`, and the pages followed find the same.
    const everything = await find(store, "");
    assert.deepEqual(everything, [
      "words to bob, https://y.example",
      "a picture http://x.example",
      "a file, words",
      "see HTTPS://example.com words",
      "plain words",
      "words by bob as a guest",
    ]);
    assert.deepEqual(await find(store, "", { budget: 4 }), everything);
    const first = await store.search({
      words: [],
      scope: EVERYWHERE(),
      limit: 50,
      budget: 4,
    });
    assert.ok(first.records.length < everything.length);
    assert.ok(first.next !== undefined, "a next page");
  });

  test("search by author alone finds a rare author's few messages among many in one page, within its scope, cursor and days", async (store) => {
    // A budget of 128 list entries: 32 rows a page by filters alone,
    // 4 messages of one author read through the author's index.
    const budget = 128;
    const bob = { userKey: "bob", user: "Bob" };
    const guest = (await store.appendMessage(
      draft("general", "bob as a guest", bob),
    )).message;
    await new Promise((resolve) => setTimeout(resolve, 5));
    const since = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const first = (await store.appendMessage(
      draft("general", "bob 1", bob),
    )).message;
    await store.appendPrivate({
      ...aliceToBob("bob to alice"),
      fromKey: "bob",
      from: "Bob",
      toKey: "alice",
      to: "Alice",
    });
    await append(store, "general", range(1, 60).map((n) => `alice ${n}`));
    const from = { userKey: "bob", since };
    const page = await store.search({
      words: [],
      scope: EVERYWHERE(),
      from,
      limit: 21,
      budget,
    });
    assert.deepEqual(page.records.map((r) => r.message.text), [
      "bob to alice",
      "bob 1",
    ]);
    assert.equal(page.next, undefined, "one page, no next");
    // The scope, the account's creation, the cursor and the days still
    // decide.
    assert.deepEqual(
      await find(store, "", { from, budget, scope: EVERYWHERE("carol") }),
      ["bob 1"],
    );
    assert.deepEqual(
      await find(store, "", { from: { ...from, since: 0 }, budget }),
      ["bob to alice", "bob 1", "bob as a guest"],
    );
    assert.deepEqual(
      await find(store, "", {
        from: { ...from, since: 0 },
        budget,
        before: first.id,
      }),
      ["bob as a guest"],
    );
    assert.deepEqual(
      await find(store, "", {
        from: { ...from, since: 0 },
        budget,
        after: first.id,
      }),
      ["bob to alice", "bob 1"],
    );
    assert.deepEqual(
      await find(store, "", { from: { userKey: "nobody", since: 0 }, budget }),
      [],
    );
    // An author of more than a page's reads: pages of rows as before,
    // followed to the same messages.
    const alice = { userKey: "alice", since: 0 };
    const pages = await store.search({
      words: [],
      scope: EVERYWHERE(),
      from: alice,
      limit: 50,
      budget,
    });
    assert.ok(pages.next !== undefined, "a next page");
    assert.deepEqual(
      await find(store, "", { from: alice, budget }),
      range(11, 60).reverse().map((n) => `alice ${n}`),
    );
    assert.ok(guest.id < first.id);
  });

  test("search of many words finds only the messages holding every one, page by page", async (store) => {
    // Stores may intersect some words' lists and check the others on each
    // candidate (a search of many common words would otherwise walk every
    // list): whatever the split, the same messages in the same order.
    // 40 messages miss each word, with filler between, and three
    // hold all twenty: at the start, in the middle and at the end. Every
    // message says "chatter".
    const words = ("alpha bravo charlie delta echo foxtrot golf hotel " +
      "india juliet kilo lima mike november oscar papa quebec romeo sierra " +
      "tango").split(" ");
    const texts: string[] = [];
    const all = (n: number) => `all ${n} ${words.join(" ")}`;
    for (let i = 0; i < 800; i++) {
      if (i % 400 === 0) texts.push(all(i / 400 + 1));
      const missing = i % words.length;
      texts.push(words.filter((_, j) => j !== missing).join(" "));
      texts.push(`filler ${i}`, `more filler ${i}`);
    }
    texts.push(all(3));
    const sent: ChatMessage[] = [];
    for (let at = 0; at < texts.length; at += 100) {
      sent.push(
        ...(await Promise.all(
          texts.slice(at, at + 100).map((text) =>
            store.appendMessage(draft("general", `${text} chatter`))
          ),
        )).map((appended) => appended.message),
      );
    }
    const allThree = ["all 3", "all 2", "all 1"];
    const heads = (found: string[]) => found.map((t) => t.slice(0, 5));
    assert.deepEqual(heads(await find(store, words.join(" "))), allThree);
    const shuffled = [...words.slice(10), ...words.slice(0, 10)];
    assert.deepEqual(heads(await find(store, shuffled.join(" "))), allThree);
    // The last word as a prefix: three letters, and more.
    for (const last of ["tan", "tang"]) {
      const query = [...words.slice(0, -1), last].join(" ");
      assert.deepEqual(heads(await find(store, query)), allThree);
    }
    // A last word every message starts: a prefix checked, not walked.
    for (const last of ["ch", "chatt"]) {
      const query = [...words, last].join(" ");
      assert.deepEqual(heads(await find(store, query)), allThree);
    }
    // 19 of the 20: the messages missing the twentieth too, newest first.
    const nineteen = await find(store, words.slice(0, -1).join(" "));
    assert.deepEqual(
      nineteen,
      sent.filter(({ text }) =>
        text.startsWith("all ") ||
        text.startsWith("alpha") && !text.includes("tango")
      ).sort((a, b) => a.id < b.id ? 1 : -1).map((m) => m.text),
    );
    assert.equal(nineteen.length, 43);
    assert.deepEqual(
      await find(store, words.slice(0, -1).join(" "), { limit: 5 }),
      nineteen.slice(0, 5),
      "no more than the limit asked",
    );
    // Page by page: one result a page, each after the last one's id.
    // A page may also end empty with a `next`, its work budget spent
    // (SearchPage): the next page goes on from there, as a client does.
    const pages: string[] = [];
    let before: string | undefined;
    for (let page = 0; page < 40; page++) {
      const { records, next } = await store.search({
        words,
        scope: EVERYWHERE(),
        limit: 1,
        before,
      });
      if (records.length === 0) {
        if (next === undefined) break;
        before = next;
        continue;
      }
      assert.equal(records.length, 1, "no more than the limit asked");
      pages.push(records[0].message.text.slice(0, 5));
      before = records[0].message.id;
    }
    assert.deepEqual(pages, allThree);
  });

  test("search of many words finds what holds every word among what the reader may read, whatever the words", async (store) => {
    // Random texts of a small vocabulary with the edges of word folding
    // (accents typed or not, letters with no decomposition, digits,
    // apostrophes, CJK, emoji, letters newer than SQLite's Unicode 6.1, a
    // word past MAX_WORD_LENGTH), some deleted, some edited, in a room and
    // a conversation the reader cannot read too: every many-word search,
    // page by page, equals a plain filter of the texts by searchWords.
    const vocabulary = [
      "école",
      "ECOLE",
      "søren",
      "soren",
      "l'été",
      "don't",
      "dont",
      "42",
      "x42",
      "日本語",
      "日本",
      "🎉",
      "Łódź",
      "lodz",
      "straße",
      "strasse",
      "ﬁnal",
      "final",
      "İstanbul",
      "istanbul",
      "ǆ",
      "ⅷ",
      "①",
      "𞤢𞤣",
      "ꭰꭱ",
      "ᏸᏹ",
      "đ",
      "æther",
      "w".repeat(120),
      "w".repeat(100) + "z",
    ];
    // mulberry32: the same texts and searches every run.
    let seed = 42;
    const random = (n: number) => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) % n;
    };
    // Each edge word is in most texts, each of ten rare words in a few:
    // a search of a rare word and edge words has the edge words checked
    // on the rare word's candidates (SqliteStore), not intersected.
    const rare = range(0, 9).map((n) => `rare${n}`);
    const text = () => {
      const words = vocabulary.filter(() => random(16) !== 0);
      if (random(40) === 0) {
        words.splice(random(words.length), 0, rare[random(10)]);
      }
      return words.join(random(2) ? " " : ", ");
    };
    await store.createRoom("secret", "secret");
    const readable: { id: string; text: string }[] = [];
    for (let i = 0; i < 3000; i++) {
      const kind = random(8);
      if (kind === 0) {
        await store.appendMessage(draft("secret", text()));
      } else if (kind === 1) {
        await store.appendPrivate(
          aliceToBob(text(), { fromKey: "carol", toKey: "dave", to: "Dave" }),
        );
      } else {
        const appended = kind === 2
          ? await store.appendPrivate(aliceToBob(text()))
          : await store.appendMessage(draft("general", text()));
        readable.push({ id: appended.message.id, text: appended.message.text });
      }
    }
    for (const message of readable) {
      const change = random(10);
      if (change === 0) {
        await store.updateMessage(message.id, { deleted: true });
        message.text = "";
      } else if (change === 1) {
        message.text = text();
        await store.updateMessage(message.id, { text: message.text });
      }
    }
    const holds = (text: string, words: string[]) => {
      const own = searchWords(text);
      const last = words[words.length - 1];
      return words.slice(0, -1).every((word) => own.includes(word)) &&
        ([...last].length === 1
          ? own.includes(last)
          : own.some((word) => word.startsWith(last)));
    };
    const newestFirst = [...readable].reverse();
    for (let q = 0; q < 80; q++) {
      const picked = range(1, 3 + random(4)).map(() =>
        vocabulary[random(vocabulary.length)]
      );
      if (q % 3 === 0) picked[picked.length - 1] = picked[0].slice(0, 3);
      picked.splice(random(picked.length + 1), 0, rare[q % 10]);
      const words = searchWords(picked.join(" "));
      const expected = newestFirst.filter((m) => holds(m.text, words))
        .map((m) => m.id);
      const found: string[] = [];
      let before: string | undefined;
      for (let page = 0; page < 100; page++) {
        const records = (await store.search({
          words,
          scope: EVERYWHERE(),
          limit: 2,
          before,
        })).records;
        found.push(...records.map((r) => r.message.id));
        if (records.length < 2) break;
        before = records[records.length - 1].message.id;
      }
      assert.deepEqual(found, expected, `searching ${words.join(" ")}`);
    }
  });

  test("a search whose work budget runs out ends its page short, and its next pages, followed to the end, give exactly what holds the words, newest first", async (store) => {
    await store.createRoom("secret", "secret");
    // "left" and "right" each in about half the texts, together in few:
    // the words' lists are long and rarely meet.
    const readable: { id: string; text: string }[] = [];
    for (let i = 0; i < 400; i++) {
      const words = [i % 2 ? "left" : "right", "filler", `n${i % 7}`];
      if (i % 19 === 0) words.push(i % 2 ? "right" : "left");
      if (i % 3 === 0) words.push("extra", "more", "words");
      const text = words.join(" ");
      if (i % 13 === 0) {
        await store.appendMessage(draft("secret", text));
        continue;
      }
      const appended = i % 5 === 0
        ? await store.appendPrivate(aliceToBob(text))
        : await store.appendMessage(draft("general", text));
      readable.push({ id: appended.message.id, text });
      if (i % 17 === 0) {
        await store.updateMessage(appended.message.id, { deleted: true });
        readable.pop();
      }
    }
    const newestFirst = [...readable].reverse();
    // Two words (intersected), more than three (the rest checked), the
    // last as a prefix, one word alone (its list read down to a bound).
    for (
      const query of [
        "left right",
        "right left extra more words",
        "right lef",
        "right",
        "lef",
      ]
    ) {
      const words = searchWords(query);
      const expected = newestFirst.filter((m) => {
        const own = searchWords(m.text);
        const last = words[words.length - 1];
        return words.slice(0, -1).every((w) => own.includes(w)) &&
          own.some((w) => w.startsWith(last));
      }).map((m) => m.id);
      assert.ok(expected.length >= 3, query);
      // The last budget is past every list: FTS5's own AND walks them.
      for (const budget of [1, 6, 50, 100_000]) {
        const found: string[] = [];
        let before: string | undefined;
        for (let page = 0; page < 1000; page++) {
          const { records, next } = await store.search({
            words,
            scope: EVERYWHERE(),
            limit: 3,
            before,
            budget,
          });
          found.push(...records.map((r) => r.message.id));
          if (records.length === 3) {
            before = records[2].message.id;
          } else if (next !== undefined) {
            assert.ok(before === undefined || next < before, "it moves on");
            before = next;
          } else break;
        }
        assert.deepEqual(found, expected, `${query}, budget ${budget}`);
      }
    }
  });

  // Both stores list each message under its audiences (SQLite's index,
  // search_index_file.ts; PostgreSQL's search_audiences), and a page's
  // windows end at rows of its reader's audiences alone.
  test(
    "a search's pages, next included, are the same whatever messages outside its reader's scope the store holds",
    async (store) => {
      // What alice gets: every page followed to the end, each page's results
      // and `next`.
      async function pages(words: string[], budget: number) {
        const seen: { ids: string[]; next?: string }[] = [];
        let before: string | undefined;
        for (let page = 0; page < 200; page++) {
          const { records, next } = await store.search({
            words,
            scope: EVERYWHERE(),
            limit: 3,
            before,
            budget,
          });
          const ids = records.map((r) => r.message.id);
          seen.push({ ids, next });
          if (ids.length === 3) before = ids[2];
          else if (next !== undefined) before = next;
          else return seen;
        }
        throw new Error("no end");
      }
      await append(
        store,
        "general",
        range(1, 40).map((n) => n % 4 ? `filler n${n}` : `zebra n${n}`),
      );
      const queries: [string[], number][] = [
        [["zebra"], 64],
        [["zebra", "n4"], 64],
        [[], 64],
      ];
      const alone = [];
      for (const [words, budget] of queries) {
        alone.push(await pages(words, budget));
      }
      // bob and carol write each other 300 messages holding the word, newer
      // than general's: alice reads none of them.
      for (let i = 0; i < 300; i++) {
        await store.appendPrivate({
          fromKey: "bob",
          from: "Bob",
          toKey: "carol",
          to: "Carol",
          text: `zebra n4 private ${i}`,
          delivered: true,
        });
      }
      for (const [i, [words, budget]] of queries.entries()) {
        assert.deepEqual(
          await pages(words, budget),
          alone[i],
          `searching ${JSON.stringify(words)}`,
        );
      }
    },
  );

  test("a search of a room alone finds its messages after it turned private, and again after it turned public", async (store) => {
    await store.createRoom("dev", "dev");
    const texts = range(1, 12).map((n) => `zebra n${n}`);
    const ids = (await append(store, "dev", texts)).map((m) => m.id)
      .reverse();
    async function found() {
      const { records } = await store.search({
        words: ["zebra"],
        scope: { roomKeys: ["dev"] },
        limit: 50,
      });
      return records.map((r) => r.message.id);
    }
    assert.deepEqual(await found(), ids);
    await store.updateRoom("dev", { private: true, owner: "alice" });
    assert.deepEqual(await found(), ids, "private");
    await store.updateRoom("dev", { private: false, owner: null });
    assert.deepEqual(await found(), ids, "public again");
  });

  // Security round 20: SQLite listed a private room's words under its key
  // and renameRoom moved its messages without telling the index, so the
  // renamed room's history was found by no search, and the members of a
  // private room made again under the old name had their pages bounded
  // over it (`next` named the millisecond of one of its messages).
  test("a private room renamed is searched under its new name, its earlier messages too; a private room made again under the old name neither finds them nor pages over them", async (store) => {
    await store.createRoom("dev", "dev");
    await store.updateRoom("dev", { private: true, owner: "alice" });
    const texts = range(1, 12).map((n) => `zebra n${n}`);
    const ids = (await append(store, "dev", texts)).map((m) => m.id)
      .reverse();
    const inRoom = (roomKey: string, budget?: number) =>
      store.search({
        words: ["zebra"],
        scope: { roomKeys: [roomKey] },
        limit: 50,
        budget,
      });
    // Found once, so indexed under the room's first key.
    assert.deepEqual(
      (await inRoom("dev")).records.map((r) => r.message.id),
      ids,
    );
    assert.ok(await store.renameRoom("dev", "vault", "vault"));
    assert.deepEqual(
      (await inRoom("vault")).records.map((r) => r.message.id),
      ids,
    );
    await store.createRoom("dev", "dev");
    await store.updateRoom("dev", { private: true, owner: "bob" });
    const own = (await append(store, "dev", ["zebra a", "zebra b", "zebra c"]))
      .map((m) => m.id).reverse();
    // A budget that reads 8 entries of the word's list: the new room's 3
    // whole, no next.
    assert.deepEqual(
      { ...await inRoom("dev", 8 * 32) },
      { records: (await inRoom("dev")).records },
    );
    assert.deepEqual(
      (await inRoom("dev", 8 * 32)).records.map((r) => r.message.id),
      own,
    );
  });

  // Security round 20: SQLite kept an anonymised message under its
  // author's marker, so `from` the deleted name (or its next holder)
  // walked them: a page with no result and a `next` naming the
  // millisecond of one of them told whose an anonymised message was.
  test(
    "a search from a name whose account was deleted with its messages anonymised pages over none of them",
    async (store) => {
      await store.createAccount({
        key: "dora",
        username: "dora",
        passwordHash: "h",
        role: "user",
      });
      await append(
        store,
        "general",
        range(1, 40).map((n) => `alice says n${n}`),
      );
      for (let n = 1; n <= 40; n++) {
        await store.appendMessage(
          draft("general", `dora writes n${n}`, {
            userKey: "dora",
            user: "dora",
          }),
        );
      }
      const fromDora = () =>
        store.search({
          words: [],
          scope: EVERYWHERE(),
          from: { userKey: "dora", since: 0 },
          limit: 5,
          budget: 64,
        });
      // Found once, so indexed under dora's marker.
      assert.equal((await fromDora()).records.length, 5);
      assert.ok(await store.deleteAccount("dora", "anonymise"));
      assert.deepEqual(await fromDora(), { records: [] });
    },
  );

  // Found failing on SQLite by pgsearch56 (s56) before security round 20's
  // fix above was merged: a rename now moves the room's words to its new
  // audience in the rename's commit.
  test(
    "a search of a private room finds its messages after it was renamed, and none of them under its old name",
    async (store) => {
      await store.createRoom("dev", "dev");
      await store.updateRoom("dev", { private: true, owner: "alice" });
      const texts = range(1, 12).map((n) => `zebra n${n}`);
      await append(store, "dev", texts);
      await store.renameRoom("dev", "devops", "DevOps");
      // Pages of a small budget followed to the end: the windows read the
      // room's audience.
      const found = (roomKey: string) =>
        find(store, "zebra", { scope: { roomKeys: [roomKey] }, budget: 16 });
      const newest = [...texts].reverse();
      assert.deepEqual(await found("devops"), newest);
      assert.deepEqual(await found("general"), [], "not a public room's now");
      await store.updateRoom("devops", { private: false, owner: null });
      assert.deepEqual(await found("devops"), newest, "public");
    },
  );

  test("a search with a word in no message ends at once, without next, whatever its work budget", async (store) => {
    const texts = range(1, 40).map((n) => `${n % 2 ? "left" : "right"} n${n}`);
    await append(store, "general", texts);
    const [gone] = await append(store, "general", ["left vanished"]);
    await store.updateMessage(gone.id, { deleted: true });
    // The missing word first, in the middle, last (whole, and as a prefix
    // of two letters that starts no word), and a word only a deleted
    // message held.
    for (
      const query of [
        "nowhere left",
        "left nowhere right",
        "left nowhere",
        "left zq",
        "left vanished",
      ]
    ) {
      for (const budget of [1, 100_000]) {
        const page = await store.search({
          words: searchWords(query),
          scope: EVERYWHERE(),
          limit: 5,
          budget,
        });
        assert.deepEqual(page, { records: [] }, `${query}, budget ${budget}`);
      }
    }
  });

  test("search results are whole messages: quotes, reactions, pins, private ones with to", async (store) => {
    const [original] = await append(store, "general", ["the question"]);
    const { message: reply } = await store.appendMessage(
      draft("general", "the answer", { replyTo: original.id }),
    );
    await react(store, reply.id, "bob", "👍");
    await store.pin(reply.id, true);
    const { message: secret } = await store.appendPrivate(
      aliceToBob("the whisper"),
    );
    const records = (await store.search({
      words: ["the"],
      scope: EVERYWHERE(),
      limit: 10,
    })).records;
    assert.deepEqual(records.map((r) => r.message), [
      secret,
      await current(store, reply.id),
      {
        ...original,
        reply_count: 1,
        last_reply_seq: reply.seq,
        thread_version: 1,
      },
    ]);
    assert.equal((records[0].message as PrivateMessage).to, "Bob");
  });

  test("deleting a room takes its messages out of search", async (store) => {
    await store.createRoom("dev", "dev");
    await store.appendMessage(draft("dev", "doomed words"));
    await store.deleteRoom("dev");
    await store.createRoom("dev", "dev");
    assert.deepEqual(await find(store, "doomed"), []);
    await store.appendMessage(draft("dev", "doomed again"));
    assert.deepEqual(await find(store, "doomed"), ["doomed again"]);
  });

  test("expired messages leave search; one stored after all expired is found by its own words", async (store) => {
    const [old] = await append(store, "general", ["expired words"]);
    await react(store, old.id, "Bob", "👍");
    const cutoff = Date.now() + 1;
    await after(cutoff);
    assert.equal(await store.expireMessages(cutoff, 100), 1);
    assert.deepEqual(await find(store, "expired"), []);
    // The table is empty: SQLite may give the next message the same rowid.
    await append(store, "general", ["fresh words"]);
    assert.deepEqual(await find(store, "expired"), []);
    assert.deepEqual(await find(store, "fresh"), ["fresh words"]);
  });

  test(
    "search finds what was stored before a close and reopen",
    async (store, reopen) => {
      await append(store, "general", ["durable words"]);
      const again = await reopen();
      const records = (await again.search({
        words: ["durable"],
        scope: EVERYWHERE(),
        limit: 5,
      })).records;
      assert.deepEqual(records.map((r) => r.message.text), ["durable words"]);
    },
  );
}
