/**
 * A message's thread: `list_replies`, `reply_count` and `last_reply_seq`
 * wherever a message is read, and the `replies_updated` event, through a
 * real server, on SQLite and, when PostgreSQL is installed, on a fresh
 * PostgreSQL database of its own.
 */
import assert from "node:assert/strict";
import { call } from "./api_helpers.ts";
import { bothStores } from "./both_stores.ts";
import { expectError, type TestServer } from "./harness.ts";
import {
  REPLIES_GONE_MIGRATION,
  THREADS_MIGRATION,
} from "./store_contract/support.ts";
import { withUpgradedServer } from "./upgraded_server.ts";

const stores = await bothStores();

type Message = {
  id: string;
  seq: number;
  text: string;
  reply_count?: number;
  last_reply_seq?: number;
  thread_version?: number;
  reply_to?: { id: string };
};

stores.clients(
  "a thread: list_replies answers the root with its count and the replies oldest first, and the room hears replies_updated as a reply comes and is deleted",
  async (pool) => {
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    const cat = await pool.register("cat");
    const root = (await ann.ok("send_message", { text: "lunch at noon?" }))
      .message as Message;
    const first = (await ben.ok("send_message", {
      text: "yes",
      reply_to: root.id,
    })).message as Message;
    const counted = await cat.event(
      "replies_updated",
      (d) => d.id === root.id && d.reply_count === 1,
    );
    assert.deepEqual(counted.data, {
      room: "general",
      id: root.id,
      seq: root.seq,
      reply_count: 1,
      last_reply_seq: first.seq,
      thread_version: 1,
    });
    await ann.ok("send_message", { text: "something else" });
    const second = (await cat.ok("send_message", {
      text: "me too",
      reply_to: root.id,
    })).message as Message;
    await ann.event("replies_updated", (d) => d.reply_count === 2);

    const thread = await ben.ok("list_replies", { id: root.id });
    assert.equal(thread.request, "list_replies");
    const listedRoot = thread.root as Message;
    assert.equal(listedRoot.reply_count, 2);
    assert.equal(listedRoot.last_reply_seq, second.seq);
    assert.deepEqual(
      (thread.replies as Message[]).map((m) => m.text),
      ["yes", "me too"],
    );
    assert.equal(thread.more, false);
    // history, search and the reply's own copy agree.
    const history = (await cat.ok("history", { room: "general" }))
      .messages as Message[];
    assert.deepEqual(history.find((m) => m.id === root.id), listedRoot);
    assert.equal(
      "reply_count" in history.find((m) => m.id === second.id)!,
      false,
    );

    await ben.ok("delete_message", { id: first.id });
    // The newest is still the second: only the count went down.
    await cat.event(
      "replies_updated",
      (d) =>
        d.id === root.id && d.reply_count === 1 &&
        d.last_reply_seq === second.seq,
    );
    await cat.ok("delete_message", { id: second.id });
    const none = await ann.event(
      "replies_updated",
      (d) => d.id === root.id && d.reply_count === 0,
    );
    assert.equal("last_reply_seq" in none.data, false);
    const emptied = await ben.ok("list_replies", { id: root.id });
    assert.deepEqual(emptied.replies, []);
    assert.equal("reply_count" in (emptied.root as Message), false);
  },
);

stores.clients(
  "replies_updated numbers the thread's states: thread_version grows with every reply stored and deleted, also when a delete lowers the count and last_reply_seq",
  async (pool) => {
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    const root = (await ann.ok("send_message", { text: "who's in?" }))
      .message as Message;
    const heard: Record<string, unknown>[] = [];
    const next = async () => {
      const from = ben.received.length;
      return (await ben.event("replies_updated", (d) => d.id === root.id, {
        from,
      })).data;
    };
    const reply = async (text: string) => {
      const waiting = next();
      const sent = (await ann.ok("send_message", { text, reply_to: root.id }))
        .message as Message;
      heard.push(await waiting);
      return sent;
    };
    const remove = async (id: string) => {
      const waiting = next();
      await ann.ok("delete_message", { id });
      heard.push(await waiting);
    };
    const a = await reply("me");
    const b = await reply("me too");
    await remove(b.id);
    await remove(a.id);
    const c = await reply("count me in");
    assert.deepEqual(
      heard.map((d) => [d.reply_count, d.last_reply_seq, d.thread_version]),
      [
        [1, a.seq, 1],
        [2, b.seq, 2],
        [1, a.seq, 3],
        [0, undefined, 4],
        [1, c.seq, 5],
      ],
    );
    // The root as served carries the same state.
    const listed = (await ben.ok("list_replies", { id: root.id }))
      .root as Message;
    assert.deepEqual(
      [listed.reply_count, listed.last_reply_seq, listed.thread_version],
      [1, c.seq, 5],
    );
  },
);

stores.clients(
  "list_replies pages a long thread after or before a seq, more says whether it goes on, and refuses both cursors at once",
  async (pool) => {
    const ann = await pool.register("ann");
    const root = (await ann.ok("send_message", { text: "q" }))
      .message as Message;
    for (let i = 1; i <= 5; i++) {
      await ann.ok("send_message", { text: `r${i}`, reply_to: root.id });
    }
    const texts = (page: Record<string, unknown>) =>
      (page.replies as Message[]).map((m) => m.text);
    const page1 = await ann.ok("list_replies", { id: root.id, limit: 2 });
    assert.deepEqual(texts(page1), ["r1", "r2"]);
    assert.equal(page1.more, true);
    const last = (page1.replies as Message[])[1].seq;
    const page2 = await ann.ok("list_replies", {
      id: root.id,
      after_seq: last,
      limit: 3,
    });
    assert.deepEqual(texts(page2), ["r3", "r4", "r5"]);
    assert.equal(page2.more, false);
    const newest = (page2.replies as Message[])[2].seq;
    const before = await ann.ok("list_replies", {
      id: root.id,
      before_seq: newest,
      limit: 2,
    });
    assert.deepEqual(texts(before), ["r3", "r4"]);
    assert.equal(before.more, true);
    await expectError(
      ann,
      "list_replies",
      { id: root.id, after_seq: 1, before_seq: 9 },
      "invalid_message",
    );
    await expectError(
      ann,
      "list_replies",
      { id: root.id, limit: 201 },
      "invalid_message",
    );
    await expectError(ann, "list_replies", {}, "invalid_message");
  },
);

stores.clients(
  "list_replies is message_not_found to whoever may not read the root: an unknown id, a private room's outsider, one banned from the room, a third party to a conversation",
  async (pool) => {
    const ann = await pool.register("ann"); // the first account: an admin
    const ben = await pool.register("ben");
    const cat = await pool.register("cat");
    await expectError(ben, "list_replies", { id: "nope" }, "message_not_found");
    await ann.ok("create_room", { room: "den", private: true });
    const secret = (await ann.ok("send_message", { text: "plans" }))
      .message as Message;
    await ann.ok("send_message", { text: "ok", reply_to: secret.id });
    await expectError(
      ben,
      "list_replies",
      { id: secret.id },
      "message_not_found",
    );
    await ann.ok("create_room", { room: "hall" });
    const open = (await ann.ok("send_message", { text: "open" }))
      .message as Message;
    assert.equal(
      ((await cat.ok("list_replies", { id: open.id })).root as Message).id,
      open.id,
    );
    await ann.ok("ban", { user: "cat", room: "hall" });
    await expectError(
      cat,
      "list_replies",
      { id: open.id },
      "message_not_found",
    );
    const hello = (await ann.ok("private_message", { to: "ben", text: "hi" }))
      .message as Message;
    await expectError(
      cat,
      "list_replies",
      { id: hello.id },
      "message_not_found",
    );
  },
);

stores.clients(
  "a private conversation's thread: both sides hear replies_updated without a room, and list_replies lists it",
  async (pool) => {
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    const hello = (await ann.ok("private_message", { to: "ben", text: "hi" }))
      .message as Message;
    const answer = (await ben.ok("private_message", {
      to: "ann",
      text: "hello!",
      reply_to: hello.id,
    })).message as Message;
    for (const side of [ann, ben]) {
      const seen = await side.event(
        "replies_updated",
        (d) => d.id === hello.id,
      );
      assert.deepEqual(seen.data, {
        id: hello.id,
        seq: hello.seq,
        reply_count: 1,
        last_reply_seq: answer.seq,
        thread_version: 1,
      });
    }
    const thread = await ann.ok("list_replies", { id: hello.id });
    assert.deepEqual(
      (thread.replies as Message[]).map((m) => m.id),
      [answer.id],
    );
    const conversation = (await ben.ok("history", { with: "ann" }))
      .messages as Message[];
    assert.equal(conversation[0].reply_count, 1);
  },
);

stores.clients(
  "GET /api/messages/:id/replies answers as list_replies, and 404 message_not_found for a message the caller may not read",
  async (pool, server) => {
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    const root = (await ann.ok("send_message", { text: "q" }))
      .message as Message;
    await ben.ok("send_message", { text: "a", reply_to: root.id });
    const answer = await call(
      server,
      "GET",
      `/api/messages/${root.id}/replies?limit=5`,
      { token: ben.token! },
    );
    assert.equal(answer.status, 200);
    const body = answer.body as Record<string, unknown>;
    assert.equal((body.root as Message).reply_count, 1);
    assert.deepEqual((body.replies as Message[]).map((m) => m.text), ["a"]);
    assert.equal(body.more, false);
    await ann.ok("create_room", { room: "den", private: true });
    const secret = (await ann.ok("send_message", { text: "s" }))
      .message as Message;
    const hidden = await call(
      server,
      "GET",
      `/api/messages/${secret.id}/replies`,
      { token: ben.token! },
    );
    assert.equal(hidden.status, 404);
    assert.equal(hidden.body.error, "message_not_found");
  },
);

/**
 * A server of before the migration with `marker`, in which ann's "q" got
 * the replies `texts` (the last one deleted when `deleteLast`), upgraded;
 * `check` runs on the upgraded server with the root's id.
 */
function upgradedThread(
  options: Parameters<typeof withUpgradedServer>[0]["options"],
  before: { marker: string; texts: string[]; deleteLast?: boolean },
  check: (server: TestServer, rootId: string) => Promise<void>,
): Promise<void> {
  let rootId = "";
  return withUpgradedServer({
    options,
    async setUp(pool) {
      const ann = await pool.register("ann");
      const root = (await ann.ok("send_message", { text: "q" }))
        .message as Message;
      rootId = root.id;
      let last = "";
      for (const text of before.texts) {
        last = ((await ann.ok("send_message", { text, reply_to: root.id }))
          .message as Message).id;
      }
      if (before.deleteLast) await ann.ok("delete_message", { id: last });
    },
    // Nothing to change in the rows: only the schema goes back.
    old: {
      marker: before.marker,
      postgres: () => Promise.resolve(),
      sqlite: () => {},
    },
  }, (server) => check(server, rootId));
}

stores.database(
  "upgrading: a server of before, whose replies were indexed by reply_to alone, counts and lists them after its first start",
  (options) =>
    upgradedThread(
      options,
      { marker: THREADS_MIGRATION, texts: ["a", "b"] },
      async (server, rootId) => {
        const root = await server.node.store.findMessage(rootId);
        assert.equal(root?.message.reply_count, 2);
        assert.deepEqual(
          (await server.node.store.listReplies(rootId, { limit: 5 })).map((
            m,
          ) => m.text),
          ["a", "b"],
        );
      },
    ),
);

stores.database(
  "upgrading: a server of before thread_version serves its threads with one counted from the upgrade on, and it grows with the next delete",
  (options) =>
    upgradedThread(
      options,
      {
        marker: REPLIES_GONE_MIGRATION,
        texts: ["a", "b", "c"],
        deleteLast: true,
      },
      async (server, rootId) => {
        const version = async () =>
          (await server.node.store.findMessage(rootId))?.message
            .thread_version;
        // The reply deleted before the upgrade was not counted then.
        assert.equal(await version(), 2);
        const [first] = await server.node.store.listReplies(rootId, {
          limit: 1,
        });
        await server.node.store.updateMessage(first.id, { deleted: true });
        assert.equal(await version(), 3);
      },
    ),
);

stores.finish();
