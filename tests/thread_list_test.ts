/**
 * The threads an account takes part in: `list_threads`,
 * `mark_thread_read` and the `thread_read` event, through a real server,
 * on SQLite and, when PostgreSQL is installed, on a fresh PostgreSQL
 * database of its own.
 */
import assert from "node:assert/strict";
import { call } from "./api_helpers.ts";
import { bothStores } from "./both_stores.ts";
import { expectError, roundTrip, type TestClient } from "./harness.ts";
import { THREAD_FOLLOWS_MIGRATION } from "./store_contract/support.ts";
import { withUpgradedServer } from "./upgraded_server.ts";

const stores = await bothStores();

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

type Message = { id: string; seq: number; text: string };
type Thread = {
  root: Message & { reply_count?: number };
  replies: number;
  last_reply_ts: string;
  unread: boolean;
};

/**
 * Sends a reply to `root` and waits for its thread's `replies_updated`,
 * which the server publishes once it noted who takes part in the thread.
 */
async function reply(
  client: TestClient,
  root: Message,
  text: string,
  data: Record<string, unknown> = {},
): Promise<Message> {
  const { message } = await client.ok(
    data.to === undefined ? "send_message" : "private_message",
    { text, reply_to: root.id, ...data },
  );
  const sent = message as Message;
  await client.event(
    "replies_updated",
    (d) => d.id === root.id && d.last_reply_seq === sent.seq,
  );
  return sent;
}

/** The account's threads, as `[root text, replies, unread]`. */
async function threads(
  client: TestClient,
): Promise<[string, number, boolean][]> {
  const page = await client.ok("list_threads");
  return (page.threads as Thread[]).map((
    t,
  ) => [t.root.text, t.replies, t.unread]);
}

stores.clients(
  "list_threads lists the threads whose root the account wrote, where it replied or where a reply named it, newest activity first, with unread replies marked; mark_thread_read reads one on every device",
  async (pool) => {
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    const cat = await pool.register("cat");
    const phone = await pool.login({ token: ann.token });
    const mine = (await ann.ok("send_message", { text: "ann's root" }))
      .message as Message;
    const bens = (await ben.ok("send_message", { text: "ben's root" }))
      .message as Message;
    const cats = (await cat.ok("send_message", { text: "cat's root" }))
      .message as Message;
    const quiet = (await cat.ok("send_message", { text: "no part" }))
      .message as Message;
    // No reply yet: no thread.
    assert.deepEqual(await threads(ann), []);

    await reply(ben, mine, "to ann's");
    await reply(ann, bens, "ann answers");
    await reply(cat, cats, "ask @ann here");
    await reply(cat, quiet, "ann is not named");

    const page = await ann.ok("list_threads");
    assert.equal(page.request, "list_threads");
    assert.equal(page.next, null);
    const listed = page.threads as Thread[];
    assert.deepEqual(
      listed.map((t) => [t.root.text, t.replies, t.unread]),
      [
        ["cat's root", 1, true],
        ["ben's root", 1, false], // its reply is ann's own
        ["ann's root", 1, true],
      ],
    );
    for (const thread of listed) assert.match(thread.last_reply_ts, ISO);
    // The root as history gives it.
    const history = (await ann.ok("history", { room: "general" }))
      .messages as Message[];
    assert.deepEqual(listed[2].root, history.find((m) => m.id === mine.id));
    // Ben's list: his root and the thread he replied in.
    assert.deepEqual(await threads(ben), [
      ["ben's root", 1, true],
      ["ann's root", 1, false],
    ]);

    // A newer reply moves a thread to the top, unread again for the others.
    const again = await reply(ben, bens, "ben again");
    assert.deepEqual((await threads(ann))[0], ["ben's root", 2, true]);

    const read = await phone.ok("mark_thread_read", { id: bens.id });
    assert.deepEqual(
      { id: read.id, last_read_seq: read.last_read_seq },
      { id: bens.id, last_read_seq: again.seq },
    );
    const told = await ann.event("thread_read", (d) => d.id === bens.id);
    assert.deepEqual(told.data, {
      id: bens.id,
      last_read_seq: read.last_read_seq,
    });
    assert.deepEqual((await threads(ann))[0], ["ben's root", 2, false]);
    // Read already: the same answer, no event; others hear nothing.
    await phone.ok("mark_thread_read", { id: bens.id });
    await roundTrip(ann);
    assert.equal(ann.events("thread_read").length, 1);
    assert.deepEqual(phone.events("thread_read"), []);
    await roundTrip(ben);
    assert.deepEqual(ben.events("thread_read"), []);
    // A thread the account takes no part in: answered, nothing listed.
    await ann.ok("mark_thread_read", { id: quiet.id });
    assert.equal((await threads(ann)).length, 3);
  },
);

stores.clients(
  "list_threads leaves out a thread the account may no longer read and lists it again once it may; mark_thread_read of it is message_not_found",
  async (pool) => {
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    const cat = await pool.register("cat");
    await ann.ok("create_room", { room: "den", private: true });
    await ann.ok("invite", { room: "den", user: "ben" });
    const plans = (await ann.ok("send_message", { room: "den", text: "plans" }))
      .message as Message;
    // Messages go to the sender's current room: den, then hall.
    await ben.ok("join_room", { room: "den" });
    await reply(ben, plans, "ok");
    await ann.ok("create_room", { room: "hall" });
    await ben.ok("join_room", { room: "hall" });
    const open = (await ann.ok("send_message", { text: "open" }))
      .message as Message;
    await reply(ben, open, "yes");
    assert.deepEqual(await threads(ben), [["open", 1, false], [
      "plans",
      1,
      false,
    ]]);

    await ben.ok("leave_room", { room: "den" });
    assert.deepEqual(await threads(ben), [["open", 1, false]]);
    await expectError(
      ben,
      "mark_thread_read",
      { id: plans.id },
      "message_not_found",
    );
    await ann.ok("invite", { room: "den", user: "ben" });
    assert.deepEqual(await threads(ben), [["open", 1, false], [
      "plans",
      1,
      false,
    ]]);

    // Named in a private room's reply, cat may not read it: not listed.
    await ann.ok("join_room", { room: "den" });
    await reply(ann, plans, "@cat would like this");
    assert.deepEqual(await threads(cat), []);
    // A ban hides the room's threads too.
    await ann.ok("ban", { user: "ben", room: "hall" });
    assert.deepEqual(await threads(ben), [["plans", 2, true]]);
  },
);

stores.clients(
  "a private conversation's thread is in both sides' lists, whoever wrote its root and replies, and not in a third party's",
  async (pool) => {
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    const cat = await pool.register("cat");
    const hello = (await ann.ok("private_message", { to: "ben", text: "hi" }))
      .message as Message;
    await reply(ben, hello, "hello @cat", { to: "ann" });
    assert.deepEqual(await threads(ann), [["hi", 1, true]]);
    assert.deepEqual(await threads(ben), [["hi", 1, false]]);
    assert.deepEqual(await threads(cat), []);
    await expectError(
      cat,
      "mark_thread_read",
      { id: hello.id },
      "message_not_found",
    );
    await ann.ok("mark_thread_read", { id: hello.id });
    assert.deepEqual(await threads(ann), [["hi", 1, false]]);
    // Ben's root, ben's reply: ann, the other side, takes part all the same.
    const plan = (await ben.ok("private_message", { to: "ann", text: "plan" }))
      .message as Message;
    await reply(ben, plan, "step one", { to: "ann" });
    assert.deepEqual(await threads(ann), [["plan", 1, true], ["hi", 1, false]]);
    assert.deepEqual(await threads(cat), []);
  },
);

stores.clients(
  "list_threads pages by the root id in next; guests have no threads; a bad limit or id is invalid_message",
  async (pool) => {
    const ann = await pool.register("ann");
    const roots: Message[] = [];
    for (let i = 0; i < 5; i++) {
      const root = (await ann.ok("send_message", { text: `t${i}` }))
        .message as Message;
      await reply(ann, root, `r${i}`);
      roots.push(root);
    }
    const page1 = await ann.ok("list_threads", { limit: 2 });
    const got = (page1.threads as Thread[]).map((t) => t.root.id);
    assert.equal(got.length, 2);
    assert.equal(page1.next, got[1]);
    const page2 = await ann.ok("list_threads", {
      before: page1.next,
      limit: 3,
    });
    const rest = (page2.threads as Thread[]).map((t) => t.root.id);
    assert.equal(page2.next, rest[2]);
    assert.deepEqual(
      [...got, ...rest],
      roots.map((r) => r.id).reverse(),
    );
    const page3 = await ann.ok("list_threads", {
      before: page2.next,
      limit: 3,
    });
    assert.deepEqual(page3.threads, []);
    assert.equal(page3.next, null);
    await expectError(ann, "list_threads", { limit: 101 }, "invalid_message");
    await expectError(ann, "mark_thread_read", {}, "invalid_message");
    const guest = await pool.guest("gus");
    await expectError(guest, "list_threads", {}, "forbidden");
    await expectError(
      guest,
      "mark_thread_read",
      { id: roots[0].id },
      "forbidden",
    );
  },
);

stores.clients(
  "over HTTP, GET /api/threads lists the account's threads and PUT /api/threads/:id/read reads one, which every socket of the account hears",
  async (pool, server) => {
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    const root = (await ann.ok("send_message", { text: "lunch?" }))
      .message as Message;
    const answer = await reply(ben, root, "yes");
    const token = ann.token!;
    const listed = await call(server, "GET", "/api/threads?limit=5", {
      token,
    });
    assert.equal(listed.status, 200);
    const body = listed.body as { threads: Thread[]; next: string | null };
    assert.deepEqual(
      body.threads.map((t) => [t.root.id, t.replies, t.unread]),
      [[root.id, 1, true]],
    );
    assert.equal(body.next, null);
    const read = await call(server, "PUT", `/api/threads/${root.id}/read`, {
      token,
    });
    assert.equal(read.status, 200);
    assert.deepEqual(read.body, { id: root.id, last_read_seq: answer.seq });
    await ann.event("thread_read", (d) => d.id === root.id);
    const hidden = await call(server, "PUT", "/api/threads/nope/read", {
      token,
    });
    assert.equal(hidden.status, 404);
    assert.equal(hidden.body.error, "message_not_found");
  },
);

stores.clients(
  "a reply that names made-up accounts notes no thread for them, only for the accounts it names",
  async (pool, server) => {
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    await pool.register("cat");
    const root = (await ann.ok("send_message", { text: "root" }))
      .message as Message;
    const ghosts = Array.from({ length: 49 }, (_, i) => `@ghost${i}`);
    await reply(ben, root, `${ghosts.join(" ")} @cat`);
    const store = server.node.store;
    assert.deepEqual(await store.listThreads("ghost0", { limit: 10 }), []);
    assert.deepEqual(await store.listThreads("ghost48", { limit: 10 }), []);
    assert.deepEqual(
      (await store.listThreads("cat", { limit: 10 })).map((t) => t.id),
      [root.id],
    );
  },
);

stores.clients(
  "a thread whose root a deleted account wrote is not the thread of the name's next holder, whatever replies come after",
  async (pool, server) => {
    const ann = await pool.register("ann"); // the first: an admin
    const ben = await pool.register("ben");
    const root = (await ben.ok("send_message", { text: "ben's root" }))
      .message as Message;
    await ann.ok("delete_account", { user: "ben", messages: "keep" });
    await reply(ann, root, "too late, ben");
    // Nobody holds the name: no row waits for its next holder.
    assert.deepEqual(
      await server.node.store.listThreads("ben", { limit: 10 }),
      [],
    );
    const newBen = await pool.register("ben");
    await reply(ann, root, "still here?");
    assert.deepEqual(await threads(newBen), []);
    assert.deepEqual(await threads(ann), [["ben's root", 2, false]]);
  },
);

stores.clients(
  "a guest's reply notes no thread for its name, which an account of that name takes later; the root's author still hears of it",
  async (pool, server) => {
    const ann = await pool.register("ann");
    const root = (await ann.ok("send_message", { text: "ann's root" }))
      .message as Message;
    const gus = await pool.guest("gus");
    await reply(gus, root, "a guest answers");
    assert.deepEqual(
      await server.node.store.listThreads("gus", { limit: 10 }),
      [],
    );
    assert.deepEqual(await threads(ann), [["ann's root", 1, true]]);
    await gus.close();
    const account = await pool.register("gus");
    assert.deepEqual(await threads(account), []);
  },
);

stores.clients(
  "list_threads pages on past a page whose last thread's root went with its room: its row, forgotten as it is met, does not end the list",
  async (pool) => {
    const ann = await pool.register("ann");
    const oldest = (await ann.ok("send_message", { text: "oldest" }))
      .message as Message;
    await reply(ann, oldest, "r1");
    await ann.ok("create_room", { room: "tmp" });
    const doomed = (await ann.ok("send_message", { text: "doomed" }))
      .message as Message;
    await reply(ann, doomed, "r2");
    await ann.ok("join_room", { room: "general" });
    const newest = (await ann.ok("send_message", { text: "newest" }))
      .message as Message;
    await reply(ann, newest, "r3");
    await ann.ok("delete_room", { room: "tmp" });
    const first = await ann.ok("list_threads", { limit: 2 });
    const texts = (page: Record<string, unknown>) =>
      (page.threads as Thread[]).map((t) => t.root.text);
    assert.deepEqual(texts(first), ["newest"]);
    assert.equal(first.next, doomed.id);
    const second = await ann.ok("list_threads", {
      before: first.next,
      limit: 2,
    });
    assert.deepEqual(texts(second), ["oldest"]);
    assert.deepEqual(await threads(ann), [
      ["newest", 1, false],
      ["oldest", 1, false],
    ]);
  },
);

stores.database(
  "upgrading: a server of before, whose store has no list of threads, notes and lists them after its first start",
  (options) =>
    withUpgradedServer({
      options,
      async setUp(pool) {
        await pool.register("ann");
      },
      old: {
        marker: THREAD_FOLLOWS_MIGRATION,
        postgres: () => Promise.resolve(),
        sqlite: () => {},
      },
    }, async (server) => {
      // The rewind dropped the table: the migration made it again.
      await server.node.store.followThread({
        rootId: "r1",
        followers: [],
        authorKey: "ann",
        seq: 2,
        at: 1,
      });
      assert.deepEqual(
        await server.node.store.listThreads("ann", { limit: 10 }),
        [{ id: "r1", lastAt: 1, lastReadSeq: 2 }],
      );
    }),
);

stores.finish();
