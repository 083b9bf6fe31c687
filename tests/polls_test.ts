/**
 * Polls (docs/protocol.md, Polls): `create_poll`, `vote` and `close_poll`
 * through a real server, on SQLite and on PostgreSQL.
 */
import assert from "node:assert/strict";
import type { Poll } from "../server/protocol/types.ts";
import { DEFAULT_RATE_LIMITS } from "../server/mod.ts";
import {
  type ClientPool,
  clusterSkipReason,
  delay,
  expectError,
  roundTrip,
  type TestClient,
  withCluster,
} from "./harness.ts";
import { bothStores } from "./both_stores.ts";

interface PollMessage {
  id: string;
  room: string;
  user: string;
  text: string;
  version?: number;
  poll?: Poll;
}

const stores = await bothStores();

// The first account is the server's admin: a bystander, so that the
// scenario's own accounts are plain users.
async function people(pool: ClientPool): Promise<TestClient[]> {
  await pool.register("root");
  return [await pool.register("alice"), await pool.register("bob")];
}

async function createPoll(
  client: TestClient,
  more: Record<string, unknown> = {},
): Promise<PollMessage> {
  return (await client.ok("create_poll", {
    room: "general",
    question: "Lunch?",
    options: ["Pizza", "Sushi", "Salad"],
    ...more,
  })).message as PollMessage;
}

/** The last `message_updated` of message `id` a client got. */
async function latest(client: TestClient, id: string): Promise<PollMessage> {
  await roundTrip(client);
  const updates = client.events("message_updated")
    .map((f) => f.data as unknown as PollMessage)
    .filter((m) => m.id === id);
  assert.ok(updates.length > 0, `no message_updated for ${id}`);
  return updates[updates.length - 1];
}

function counts(poll: Poll | undefined): [number, string[]][] {
  return (poll?.options ?? []).map((o) => [o.votes, o.voters]);
}

stores.clients(
  "create_poll: the room gets a message whose text is the question and which carries the poll, kept in history and found by search",
  async (pool) => {
    const [alice, bob] = await people(pool);
    const message = await createPoll(alice, { question: "  Lunch today? " });
    assert.equal(message.text, "Lunch today?");
    assert.deepEqual(message.poll, {
      question: "Lunch today?",
      options: [
        { text: "Pizza", votes: 0, voters: [] },
        { text: "Sushi", votes: 0, voters: [] },
        { text: "Salad", votes: 0, voters: [] },
      ],
      multiple: false,
      closed: false,
    });
    const delivered = await bob.event(
      "receive_message",
      (m) => m.id === message.id,
    );
    assert.deepEqual(delivered.data.poll, message.poll);
    const page = (await bob.ok("history", {})).messages as PollMessage[];
    assert.deepEqual(page.find((m) => m.id === message.id)?.poll, message.poll);
    const found = (await bob.ok("search", { query: "lunch" }))
      .results as PollMessage[];
    assert.deepEqual(found.map((m) => m.id), [message.id]);
  },
);

stores.clients(
  "vote: each account's choice is counted once, replaced by its next one and taken back with none; every reader gets the counts in order",
  async (pool) => {
    const [alice, bob] = await people(pool);
    const { id } = await createPoll(alice);
    assert.deepEqual(await alice.ok("vote", { id, options: [0] }), {
      request: "vote",
      options: [0],
    });
    await bob.ok("vote", { id, options: [0] });
    await alice.ok("vote", { id, options: [1] });
    let seen = await latest(bob, id);
    assert.deepEqual(counts(seen.poll), [[1, ["bob"]], [1, ["alice"]], [
      0,
      [],
    ]]);
    const before = seen.version ?? 0;
    await bob.ok("vote", { id, options: [] });
    seen = await latest(alice, id);
    assert.deepEqual(counts(seen.poll), [[0, []], [1, ["alice"]], [0, []]]);
    assert.ok((seen.version ?? 0) > before, "the version went up");
    // The same choice again changes nothing and sends nothing.
    const sent = alice.events("message_updated").length;
    await alice.ok("vote", { id, options: [1] });
    await roundTrip(alice);
    assert.equal(alice.events("message_updated").length, sent);
  },
);

stores.clients(
  "vote answers the account's choice now, in order (voters names only the first 100, where a client cannot always find it)",
  async (pool) => {
    const [alice] = await people(pool);
    const { id } = await createPoll(alice, { multiple: true });
    const choice = async (options: number[]) =>
      (await alice.ok("vote", { id, options })).options;
    assert.deepEqual(await choice([2, 0]), [0, 2]);
    assert.deepEqual(await choice([1]), [1]);
    assert.deepEqual(await choice([]), []);
  },
);

stores.clients(
  "vote: the account's other connections get poll_choice with its choice now, not the voting one nor another account; the same choice again sends none",
  async (pool) => {
    const [alice, bob] = await people(pool);
    const phone = await pool.login({ token: alice.token });
    const { id } = await createPoll(alice, { multiple: true });
    await alice.ok("vote", { id, options: [2, 0] });
    const seen = await phone.event("poll_choice");
    assert.deepEqual(seen.data, { id, options: [0, 2] });
    await phone.ok("vote", { id, options: [] });
    const taken = await alice.event(
      "poll_choice",
      (d) => (d.options as number[]).length === 0,
    );
    assert.deepEqual(taken.data, { id, options: [] });
    await phone.ok("vote", { id, options: [] });
    await bob.ok("vote", { id, options: [1] });
    for (const client of [alice, phone, bob]) await roundTrip(client);
    assert.equal(phone.events("poll_choice").length, 1);
    assert.equal(alice.events("poll_choice").length, 1);
    assert.deepEqual(bob.events("poll_choice"), []);
  },
);

stores.clients(
  "poll_choices: the reader's own choice in each poll asked, past the 100 voters a poll names too, [] where it has none; no message, a plain one or a deleted poll left out",
  async (pool, server) => {
    const [alice, bob] = await people(pool);
    const big = await createPoll(bob, { multiple: true });
    // 101 voters before alice, straight into the store: `voters` is full.
    for (let i = 0; i < 101; i++) {
      await server.node.store.changePoll(big.id, {
        kind: "vote",
        userKey: `voter${i}`,
        user: `voter${i}`,
        options: [0, 2],
      });
    }
    await alice.ok("vote", { id: big.id, options: [2, 0] });
    const seen = (await alice.ok("history", {})).messages as PollMessage[];
    assert.ok(
      !seen.find((m) => m.id === big.id)?.poll?.options[0].voters.includes(
        "alice",
      ),
      "voters stops before alice",
    );
    const none = await createPoll(bob);
    const gone = await createPoll(bob);
    await alice.ok("vote", { id: gone.id, options: [1] });
    await bob.ok("delete_message", { id: gone.id });
    const plain = (await bob.ok("send_message", { text: "hi" }))
      .message as PollMessage;
    const reply = await alice.ok("poll_choices", {
      ids: [
        big.id,
        none.id,
        gone.id,
        plain.id,
        "01ARZ3NDEKTSV4RRFFQ69G5FAV",
        big.id,
      ],
    });
    assert.deepEqual(reply, {
      request: "poll_choices",
      choices: { [big.id]: [0, 2], [none.id]: [] },
    });
    assert.deepEqual(
      (await bob.ok("poll_choices", { ids: [big.id] })).choices,
      { [big.id]: [] },
    );
  },
);

stores.clients(
  "poll_choices leaves out, unrefused, the polls of a private room the reader is not in and of a room it is banned from",
  async (pool) => {
    const root = await pool.register("root");
    const alice = await pool.register("alice");
    await root.ok("create_room", { room: "club", private: true });
    await root.ok("create_room", { room: "dev" });
    await alice.ok("join_room", { room: "dev" });
    const club = await createPoll(root, { room: "club" });
    const dev = await createPoll(root, { room: "dev" });
    const open = await createPoll(root);
    await alice.ok("vote", { id: dev.id, options: [1] });
    await alice.ok("vote", { id: open.id, options: [0] });
    const ids = [club.id, dev.id, open.id];
    assert.deepEqual(
      (await alice.ok("poll_choices", { ids })).choices,
      { [dev.id]: [1], [open.id]: [0] },
    );
    await root.ok("ban", { user: "alice", room: "dev", reason: "spam" });
    assert.deepEqual(
      (await alice.ok("poll_choices", { ids })).choices,
      { [open.id]: [0] },
    );
  },
);

stores.clients(
  "poll_choices: a hundred ids at most, accounts only",
  async (pool) => {
    const [alice] = await people(pool);
    const { id } = await createPoll(alice);
    const ids = Array.from({ length: 100 }, () => id);
    assert.deepEqual((await alice.ok("poll_choices", { ids })).choices, {
      [id]: [],
    });
    await expectError(
      alice,
      "poll_choices",
      { ids: [...ids, id] },
      "invalid_message",
    );
    const guest = await pool.guest("visitor");
    await expectError(guest, "poll_choices", { ids: [id] }, "forbidden");
  },
);

stores.clients(
  "vote: several options only in a poll that allows them, each a valid index once",
  async (pool) => {
    const [alice, bob] = await people(pool);
    const single = await createPoll(alice);
    await expectError(
      bob,
      "vote",
      { id: single.id, options: [0, 1] },
      "invalid_message",
    );
    await expectError(
      bob,
      "vote",
      { id: single.id, options: [3] },
      "invalid_message",
    );
    const multiple = await createPoll(alice, { multiple: true });
    assert.equal(multiple.poll?.multiple, true);
    await bob.ok("vote", { id: multiple.id, options: [0, 2] });
    await expectError(
      bob,
      "vote",
      { id: multiple.id, options: [1, 1] },
      "invalid_message",
    );
    const seen = await latest(alice, multiple.id);
    assert.deepEqual(counts(seen.poll), [[1, ["bob"]], [0, []], [1, [
      "bob",
    ]]]);
  },
);

stores.clients(
  "create_poll: a question and 2 to 10 different options within their lengths, or a clear error",
  async (pool) => {
    const [alice] = await people(pool);
    const refused: Record<string, unknown>[] = [
      { question: " ", options: ["A", "B"] },
      { question: "x".repeat(301), options: ["A", "B"] },
      { question: "Q", options: ["A"] },
      { question: "Q", options: Array.from({ length: 11 }, (_, i) => `${i}`) },
      { question: "Q", options: ["A", " "] },
      { question: "Q", options: ["A", "y".repeat(101)] },
      { question: "Q", options: ["Yes", " yes "] },
    ];
    for (const data of refused) {
      await expectError(
        alice,
        "create_poll",
        { room: "general", ...data },
        "invalid_message",
      );
    }
    const most = await createPoll(alice, {
      question: "é".repeat(300),
      options: Array.from({ length: 10 }, (_, i) => `${i}`.repeat(100)),
    });
    assert.equal(most.poll?.options.length, 10);
    await expectError(
      alice,
      "create_poll",
      { room: "nowhere", question: "Q", options: ["A", "B"] },
      "room_not_found",
    );
  },
);

stores.clients(
  "polls: guests may neither create a poll nor vote",
  async (pool) => {
    const [alice] = await people(pool);
    const { id } = await createPoll(alice);
    const guest = await pool.guest("visitor");
    await expectError(
      guest,
      "create_poll",
      { room: "general", question: "Q", options: ["A", "B"] },
      "forbidden",
    );
    await expectError(guest, "vote", { id, options: [0] }, "forbidden");
  },
);

stores.clients(
  "vote: a message that is no poll is not_a_poll; an unknown one message_not_found",
  async (pool) => {
    const [alice] = await people(pool);
    const plain = (await alice.ok("send_message", { text: "hello" }))
      .message as PollMessage;
    await expectError(
      alice,
      "vote",
      { id: plain.id, options: [0] },
      "not_a_poll",
    );
    await expectError(alice, "close_poll", { id: plain.id }, "not_a_poll");
    await expectError(
      alice,
      "vote",
      { id: "01ARZ3NDEKTSV4RRFFQ69G5FAV", options: [0] },
      "message_not_found",
    );
  },
);

stores.clients(
  "close_poll: by its author or a moderator, not by another user; no vote after it",
  async (pool) => {
    const root = await pool.register("root");
    const alice = await pool.register("alice");
    const bob = await pool.register("bob");
    const first = await createPoll(alice);
    await bob.ok("vote", { id: first.id, options: [2] });
    await expectError(bob, "close_poll", { id: first.id }, "forbidden");
    const closed = (await alice.ok("close_poll", { id: first.id }))
      .message as PollMessage;
    assert.equal(closed.poll?.closed, true);
    assert.equal((await latest(bob, first.id)).poll?.closed, true);
    await expectError(
      bob,
      "vote",
      { id: first.id, options: [0] },
      "poll_closed",
    );
    await expectError(
      bob,
      "vote",
      { id: first.id, options: [] },
      "poll_closed",
    );
    // The votes stay as they were when it closed.
    assert.deepEqual(counts(closed.poll)[2], [1, ["bob"]]);
    const second = await createPoll(alice);
    const byAdmin = (await root.ok("close_poll", { id: second.id }))
      .message as PollMessage;
    assert.equal(byAdmin.poll?.closed, true);
  },
);

stores.clients(
  "edit_message: a poll's question is not edited under its voters",
  async (pool) => {
    const [alice] = await people(pool);
    const { id } = await createPoll(alice);
    await expectError(
      alice,
      "edit_message",
      { id, text: "Dinner?" },
      "invalid_message",
    );
    const page = (await alice.ok("history", {})).messages as PollMessage[];
    assert.equal(page.find((m) => m.id === id)?.text, "Lunch?");
  },
);

stores.clients(
  "vote: an account's votes draw on one bucket, whatever its connections; past it rate_limited",
  async (pool) => {
    const [alice] = await people(pool);
    const { id } = await createPoll(alice);
    const other = await pool.login({ token: alice.token });
    const codes: string[] = [];
    for (let i = 0; i < 5; i++) {
      for (const socket of [alice, other]) {
        const reply = await socket.request("vote", { id, options: [i % 3] });
        codes.push(reply.action === "success" ? "ok" : String(reply.data.code));
      }
    }
    assert.deepEqual(codes, [
      ...Array(6).fill("ok"),
      ...Array(4).fill("rate_limited"),
    ]);
  },
  {
    rateLimits: {
      ...DEFAULT_RATE_LIMITS,
      perConnection: {
        ...DEFAULT_RATE_LIMITS.perConnection,
        reaction: { burst: 1000, perSecond: 1000 },
      },
      perUser: {
        ...DEFAULT_RATE_LIMITS.perUser,
        reaction: { burst: 6, perSecond: 1 / 3600 },
      },
      strikesBeforeDisconnect: 0,
    },
  },
);

stores.clients(
  "polls: an archived room's polls take no votes and it takes no new poll",
  async (pool) => {
    const root = await pool.register("root");
    const alice = await pool.register("alice");
    await root.ok("create_room", { room: "dev" });
    await alice.ok("join_room", { room: "dev" });
    const { id } = await createPoll(alice, { room: "dev" });
    await root.ok("archive_room", { room: "dev" });
    await expectError(alice, "vote", { id, options: [0] }, "room_archived");
    await expectError(alice, "close_poll", { id }, "room_archived");
    await expectError(
      alice,
      "create_poll",
      { room: "dev", question: "Q", options: ["A", "B"] },
      "room_archived",
    );
  },
);

stores.clients(
  "polls: deleting the message deletes its poll",
  async (pool) => {
    const [alice, bob] = await people(pool);
    const { id } = await createPoll(alice);
    await bob.ok("vote", { id, options: [0] });
    await alice.ok("delete_message", { id });
    const seen = await latest(bob, id);
    assert.equal(seen.poll, undefined);
    await expectError(bob, "vote", { id, options: [1] }, "message_not_found");
  },
);

stores.clients(
  "polls: a deleted account's votes go from every poll, and its readers get the new counts at once",
  async (pool) => {
    const root = await pool.register("root");
    const alice = await pool.register("alice");
    const bob = await pool.register("bob");
    const { id } = await createPoll(alice, { multiple: true });
    const other = await createPoll(alice);
    await bob.ok("vote", { id, options: [0, 1] });
    await alice.ok("vote", { id, options: [1] });
    const before = await latest(alice, id);
    await root.ok("delete_account", { user: "bob", messages: "keep" });
    const seen = await alice.event(
      "message_updated",
      (m) => m.id === id && (m.poll as Poll).options[0].votes === 0,
    );
    assert.deepEqual(counts(seen.data.poll as Poll), [[0, []], [1, [
      "alice",
    ]], [0, []]]);
    assert.ok(
      (seen.data.version as number) > (before.version ?? 0),
      "a version the client keeps over the copy it holds",
    );
    // A poll bob did not vote in is not sent again.
    await roundTrip(alice);
    assert.equal(
      alice.events("message_updated").filter((f) => f.data.id === other.id)
        .length,
      0,
    );
    const page = (await alice.ok("history", {})).messages as PollMessage[];
    const poll = page.find((m) => m.id === id)?.poll;
    assert.deepEqual(counts(poll), [[0, []], [1, ["alice"]], [0, []]]);
  },
);

stores.clients(
  "close_poll: the next holder of a deleted author's name does not close its poll",
  async (pool) => {
    const root = await pool.register("root");
    const alice = await pool.register("alice");
    const { id } = await createPoll(alice);
    await root.ok("delete_account", { user: "alice", messages: "keep" });
    await alice.closed;
    // The name is free again; its next account is made after the poll.
    await delay(5);
    const next = await pool.register("alice");
    await expectError(next, "close_poll", { id }, "forbidden");
    const page = (await next.ok("history", {})).messages as PollMessage[];
    assert.equal(page.find((m) => m.id === id)?.poll?.closed, false);
    // Its room's owner, moderators and admins still may.
    await root.ok("close_poll", { id });
  },
);

Deno.test({
  name:
    "polls on two nodes: a vote on one node reaches the poll's readers on the other, the last count last",
  ignore: clusterSkipReason() !== undefined,
  fn: () =>
    withCluster(2, async (_cluster, pools) => {
      await pools[0].register("root");
      const alice = await pools[0].register("alice");
      const bob = await pools[1].register("bob");
      const { id } = await createPoll(alice, { multiple: true });
      await bob.event("receive_message", (m) => m.id === id);
      await alice.ok("vote", { id, options: [0] });
      await alice.ok("vote", { id, options: [0, 2] });
      const seen = await bob.event("message_updated", (m) =>
        m.id === id &&
        (m.poll as Poll).options[2].votes === 1);
      assert.deepEqual(counts(seen.data.poll as Poll), [[1, ["alice"]], [
        0,
        [],
      ], [1, ["alice"]]]);
      await expectError(bob, "close_poll", { id }, "forbidden");
    }),
});

Deno.test({
  name:
    "polls on two nodes: an account deleted on one node, the poll's readers on the other get the counts without its votes",
  ignore: clusterSkipReason() !== undefined,
  fn: () =>
    withCluster(2, async (_cluster, pools) => {
      const root = await pools[0].register("root");
      const alice = await pools[1].register("alice");
      const bob = await pools[0].register("bob");
      const { id } = await createPoll(alice);
      await bob.ok("vote", { id, options: [2] });
      await alice.event("message_updated", (m) =>
        m.id === id && (m.poll as Poll).options[2].votes === 1);
      await root.ok("delete_account", { user: "bob", messages: "keep" });
      const seen = await alice.event("message_updated", (m) =>
        m.id === id && (m.poll as Poll).options[2].votes === 0);
      assert.deepEqual(counts(seen.data.poll as Poll), [[0, []], [0, []], [
        0,
        [],
      ]]);
    }),
});

stores.finish();
