/**
 * Replies, reactions and pins (docs/protocol.md): `reply_to` on
 * `send_message` and `private_message`, `react`, `pin` and `list_pins`,
 * on SQLite and on PostgreSQL.
 */
import assert from "node:assert/strict";
import { DEFAULT_RATE_LIMITS } from "../server/mod.ts";
import type { RateCategory, RateLimitConfig } from "../server/rate_limit.ts";
import { REACTION_NAMES } from "../server/protocol/emoji.ts";
import { expectError, roundTrip, type TestClient } from "./harness.ts";
import { bothStores } from "./both_stores.ts";

interface Message {
  id: string;
  seq: number;
  room?: string;
  to?: string;
  user: string;
  text: string;
  deleted?: boolean;
  pinned?: boolean;
  reply_to?: {
    id: string;
    seq: number;
    user: string;
    text: string;
    deleted?: boolean;
  };
  reactions?: { emoji: string; count: number; users: string[] }[];
}

const stores = await bothStores();

/**
 * The default limits, but this category's connection bucket gives its
 * burst and then no token back for an hour: checked against the default
 * refill, the count of a flood depended on how fast a busy machine read
 * its 1,000 frames (the reactions' "fewer than 150" within 20 s, the pins'
 * "some refused" within 10 s).
 */
function burstOnly(category: RateCategory): RateLimitConfig {
  const { burst } = DEFAULT_RATE_LIMITS.perConnection[category];
  return {
    ...DEFAULT_RATE_LIMITS,
    perConnection: {
      ...DEFAULT_RATE_LIMITS.perConnection,
      [category]: { burst, perSecond: 1 / 3600 },
    },
    strikesBeforeDisconnect: 0,
  };
}

async function say(
  client: TestClient,
  text: string,
  more: Record<string, unknown> = {},
): Promise<Message> {
  return (await client.ok("send_message", { text, ...more }))
    .message as Message;
}

async function whisper(
  client: TestClient,
  to: string,
  text: string,
  more: Record<string, unknown> = {},
): Promise<Message> {
  return (await client.ok("private_message", { to, text, ...more }))
    .message as Message;
}

/** The `message_updated` events of one message a client got, in order. */
function updatesOf(client: TestClient, id: string): Message[] {
  return client.events("message_updated")
    .map((f) => f.data as unknown as Message)
    .filter((m) => m.id === id);
}

async function latest(client: TestClient, id: string): Promise<Message> {
  await roundTrip(client);
  const updates = updatesOf(client, id);
  assert.ok(updates.length > 0, `no message_updated for ${id}`);
  return updates[updates.length - 1];
}

async function historyOf(
  client: TestClient,
  query: Record<string, unknown> = {},
): Promise<Message[]> {
  return (await client.ok("history", query)).messages as Message[];
}

stores.clients(
  "reply_to: the reply and its broadcast quote the message answered",
  async (pool) => {
    const alice = await pool.guest("alice");
    const bob = await pool.guest("bob");
    const question = await say(alice, "Who has the keys? " + "x".repeat(300));
    const answer = await say(bob, "I do", { reply_to: question.id });
    const quote = {
      id: question.id,
      seq: question.seq,
      user: "alice",
      text: question.text.slice(0, 200),
    };
    assert.deepEqual(answer.reply_to, quote);
    const heard = await alice.event(
      "receive_message",
      (m) => m.id === answer.id,
    );
    assert.deepEqual(heard.data, answer);
    assert.deepEqual((await historyOf(alice))[1], answer);
  },
);

stores.clients(
  "reply_to: a private reply quotes its conversation; guests cannot reply in one",
  async (pool) => {
    const alice = await pool.register("alice");
    const bob = await pool.register("bob");
    const guest = await pool.guest("carol");
    const question = await whisper(alice, "bob", "lunch?");
    const asked = await whisper(alice, "carol", "and you?");
    await expectError(
      guest,
      "private_message",
      { to: "alice", text: "sure", reply_to: asked.id },
      "message_not_found",
    );
    const answer = await whisper(bob, "alice", "yes!", {
      reply_to: question.id,
    });
    assert.deepEqual(answer.reply_to, {
      id: question.id,
      seq: 1,
      user: "alice",
      text: "lunch?",
    });
    const heard = await alice.event(
      "private_message",
      (m) => m.id === answer.id,
    );
    assert.deepEqual(heard.data, answer);
  },
);

stores.clients(
  "reply_to: an unknown id, or one from another room or conversation, is message_not_found and leaks nothing",
  async (pool) => {
    const alice = await pool.guest("alice");
    const bob = await pool.guest("bob");
    const carol = await pool.guest("carol");
    const secret = await whisper(alice, "bob", "the safe code is 1234");
    await carol.ok("create_room", { room: "dev" });
    const inDev = await say(carol, "dev talk");
    await carol.ok("join_room", { room: "general" });
    const deleted = await say(carol, "oops");
    await carol.ok("delete_message", { id: deleted.id });
    for (
      const [client, action, data] of [
        [carol, "send_message", { text: "x", reply_to: secret.id }],
        [carol, "private_message", {
          to: "alice",
          text: "x",
          reply_to: secret.id,
        }],
        [carol, "send_message", {
          text: "x",
          reply_to: "01NOSUCHMESSAGE0000000000",
        }],
        [carol, "send_message", { text: "x", reply_to: inDev.id }],
        [carol, "send_message", { text: "x", reply_to: deleted.id }],
        [bob, "send_message", { text: "x", reply_to: secret.id }],
        [alice, "private_message", {
          to: "carol",
          text: "x",
          reply_to: secret.id,
        }],
      ] as const
    ) {
      const reply = await expectError(
        client,
        action,
        data,
        "message_not_found",
      );
      assert.ok(!JSON.stringify(reply).includes("1234"));
    }
    await expectError(
      carol,
      "send_message",
      { text: "x", reply_to: "" },
      "invalid_message",
    );
    // Nothing was stored.
    assert.deepEqual((await historyOf(alice)).map((m) => m.text), [""]);
  },
);

stores.clients(
  "reply_to: an edit or delete of the original updates the quotes live and in history",
  async (pool) => {
    const alice = await pool.guest("alice");
    const bob = await pool.guest("bob");
    const original = await say(alice, "meet at 5");
    const reply = await say(bob, "ok", { reply_to: original.id });
    await alice.ok("edit_message", { id: original.id, text: "meet at 6" });
    assert.equal((await latest(bob, reply.id)).reply_to?.text, "meet at 6");
    await alice.ok("delete_message", { id: original.id });
    const quote = {
      id: original.id,
      seq: original.seq,
      user: "alice",
      text: "",
      deleted: true,
    };
    assert.deepEqual((await latest(bob, reply.id)).reply_to, quote);
    assert.deepEqual((await latest(alice, reply.id)).reply_to, quote);
    assert.deepEqual((await historyOf(bob))[1].reply_to, quote);
    // The reply itself, once deleted, quotes nothing.
    const gone = (await bob.ok("delete_message", { id: reply.id }))
      .message as Message;
    assert.equal("reply_to" in gone, false);
  },
);

stores.clients(
  "react: everyone in the room sees the reactions; twice counts once; on: false takes it back",
  async (pool) => {
    const alice = await pool.guest("alice");
    const bob = await pool.guest("bob");
    const message = await say(alice, "ship it?");
    const first = (await bob.ok("react", { id: message.id, emoji: "👍" }))
      .message as Message;
    assert.deepEqual(first.reactions, [
      { emoji: "👍", count: 1, users: ["bob"] },
    ]);
    assert.deepEqual(
      (await latest(alice, message.id)).reactions,
      first.reactions,
    );
    await alice.ok("react", { id: message.id, emoji: ":+1:", on: true });
    await alice.ok("react", { id: message.id, emoji: "❤" });
    const again = await bob.ok("react", {
      id: message.id,
      emoji: ":thumbsup:",
    });
    const expected = [
      { emoji: "👍", count: 2, users: ["bob", "alice"] },
      { emoji: "❤️", count: 1, users: ["alice"] },
    ];
    assert.deepEqual((again.message as Message).reactions, expected);
    // Reacting twice changed nothing and sent nothing.
    await roundTrip(alice);
    assert.equal(updatesOf(alice, message.id).length, 3);
    assert.deepEqual((await historyOf(alice))[0].reactions, expected);
    const taken = (await bob.ok("react", {
      id: message.id,
      emoji: "👍",
      on: false,
    })).message as Message;
    assert.deepEqual(taken.reactions, [
      { emoji: "👍", count: 1, users: ["alice"] },
      { emoji: "❤️", count: 1, users: ["alice"] },
    ]);
    assert.deepEqual(
      (await latest(alice, message.id)).reactions,
      taken.reactions,
    );
    const search = await alice.ok("search", { query: "ship" });
    assert.deepEqual(
      (search.results as Message[])[0].reactions,
      taken.reactions,
    );
  },
);

stores.clients(
  "react: in a private conversation only its two sides hear of it",
  async (pool) => {
    const alice = await pool.register("alice");
    const bob = await pool.register("bob");
    const carol = await pool.register("carol");
    const message = await whisper(alice, "bob", "psst");
    await bob.ok("react", { id: message.id, emoji: "👀" });
    assert.deepEqual((await latest(alice, message.id)).reactions, [
      { emoji: "👀", count: 1, users: ["bob"] },
    ]);
    await roundTrip(carol);
    assert.deepEqual(carol.events("message_updated"), []);
    const refused = await expectError(
      carol,
      "react",
      { id: message.id, emoji: "👀" },
      "message_not_found",
    );
    assert.ok(!JSON.stringify(refused).includes("psst"));
  },
);

stores.clients(
  "react: anything but one emoji or a known :name: is invalid_message; a 21st emoji too",
  async (pool) => {
    const alice = await pool.guest("alice");
    const message = await say(alice, "vote");
    for (
      const emoji of [
        "",
        "a",
        "👍👍",
        "👍 ",
        ":nope:",
        ":constructor:",
        "ok",
        "x".repeat(65),
      ]
    ) {
      await expectError(
        alice,
        "react",
        { id: message.id, emoji },
        "invalid_message",
      );
    }
    await expectError(alice, "react", { id: message.id }, "invalid_message");
    await expectError(
      alice,
      "react",
      { id: message.id, emoji: "👍", on: "yes" },
      "invalid_message",
    );
    for (const emoji of ["👍🏽", "🇫🇷", "1️⃣", "👨‍👩‍👧‍👦", "🏴󠁧󠁢󠁥󠁮󠁧󠁿"]) {
      await alice.ok("react", { id: message.id, emoji });
    }
    const names = [...new Set(Object.values(REACTION_NAMES))];
    for (const emoji of names.slice(0, 15)) {
      await alice.ok("react", { id: message.id, emoji });
    }
    await expectError(
      alice,
      "react",
      { id: message.id, emoji: names[15] },
      "invalid_message",
    );
    await expectError(
      alice,
      "react",
      { id: "01NOSUCHMESSAGE0000000000", emoji: "👍" },
      "message_not_found",
    );
    await alice.ok("delete_message", { id: message.id });
    await expectError(
      alice,
      "react",
      { id: message.id, emoji: "👍" },
      "message_not_found",
    );
  },
);

stores.clients(
  "react: a toned emoji is one key of its own, counted once per person; a skin tone not right after an emoji that takes one is invalid_message",
  async (pool) => {
    const alice = await pool.guest("alice");
    const bob = await pool.guest("bob");
    const message = await say(alice, "new laptops are in");
    const coder = "\u{1f9d1}\u{1f3ff}\u200d\u{1f4bb}"; // 🧑🏿‍💻
    await alice.ok("react", { id: message.id, emoji: "\u{1f44d}\u{1f3fd}" });
    await bob.ok("react", { id: message.id, emoji: "👍🏽" });
    await bob.ok("react", { id: message.id, emoji: "👍" });
    const last = (await alice.ok("react", { id: message.id, emoji: coder }))
      .message as Message;
    assert.deepEqual(last.reactions, [
      { emoji: "👍🏽", count: 2, users: ["alice", "bob"] },
      { emoji: "👍", count: 1, users: ["bob"] },
      { emoji: coder, count: 1, users: ["alice"] },
    ]);
    assert.deepEqual((await historyOf(bob))[0].reactions, last.reactions);
    for (
      const emoji of [
        "🏽", // a tone alone
        "🏽🏽",
        "👍🏽🏽", // two tones in a row
        "👍🏽🏿",
        "✌️🏿", // a tone after the variation selector, not after ✌
        "\u200d🏿",
      ]
    ) {
      await expectError(
        alice,
        "react",
        { id: message.id, emoji },
        "invalid_message",
      );
    }
    assert.equal((await latest(bob, message.id)).reactions?.length, 3);
  },
);

stores.clients(
  "react: a flood of 1,000 reactions is rate limited",
  async (pool) => {
    const alice = await pool.guest("alice");
    const bob = await pool.guest("bob");
    const message = await say(alice, "flood me");
    for (let i = 0; i < 1000; i++) {
      bob.send({
        action: "react",
        data: { id: message.id, emoji: "🔥", on: i % 2 === 0 },
        id: `f${i}`,
      });
    }
    // A thousand answers: seconds on a busy machine, and more with
    // PostgreSQL.
    await bob.waitFor((f) => f.id === "f999", "the last reply", {
      timeoutMs: 120_000,
    });
    const replies = bob.received.filter((f) => f.id?.startsWith("f"));
    assert.equal(replies.length, 1000);
    const done = replies.filter((f) => f.action === "success").length;
    const limited = replies.filter((f) => f.data.code === "rate_limited");
    // The burst of 50 goes through, then none, however slowly the machine
    // answers.
    assert.equal(done, 50);
    assert.equal(done + limited.length, 1000);
    assert.ok(typeof limited[0].data.retry_after_ms === "number");
    await roundTrip(alice);
    assert.ok(updatesOf(alice, message.id).length <= done);
    // The connection stays open (the close after 100 refusals is off here).
    await bob.ok("list_rooms");
  },
  { rateLimits: burstOnly("reaction") },
);

stores.clients(
  "pin: toggles count as messages, so a flood of 1,000 in a private conversation is rate limited after the burst of 500",
  async (pool) => {
    const alice = await pool.register("alice");
    const bob = await pool.register("bob");
    const message = (await alice.ok("private_message", {
      to: "bob",
      text: "pin me",
    })).message as Message;
    for (let i = 0; i < 1000; i++) {
      bob.send({
        action: "pin",
        data: { id: message.id, on: i % 2 === 0 },
        id: `p${i}`,
      });
    }
    // Each toggle done is a commit: 500 took PostgreSQL 18 s of the 30 s
    // this waited on a busy machine.
    await bob.waitFor((f) => f.id === "p999", "the last reply", {
      timeoutMs: 120_000,
    });
    const replies = bob.received.filter((f) => f.id?.startsWith("p"));
    const done = replies.filter((f) => f.action === "success").length;
    const limited = replies.filter((f) => f.data.code === "rate_limited");
    // The burst of 500 goes through, then none (as requests, all 1,000
    // would have).
    assert.equal(done, 500);
    assert.equal(done + limited.length, 1000);
    await roundTrip(alice);
    assert.ok(updatesOf(alice, message.id).length <= done);
  },
  { rateLimits: burstOnly("message") },
);

stores.clients(
  "pin: the notice of one's own message says 'their own message', not 'a message by' oneself",
  async (pool) => {
    const admin = await pool.register("boss");
    const alice = await pool.guest("alice");
    const own = await say(admin, "rules: be nice");
    await admin.ok("pin", { id: own.id });
    const on = await alice.event("system", (d) => d.kind === "pinned");
    assert.equal(on.data.text, "boss pinned their own message");
    await admin.ok("pin", { id: own.id, on: false });
    const off = await alice.event("system", (d) => d.kind === "unpinned");
    assert.equal(off.data.text, "boss unpinned their own message");
  },
);

stores.clients(
  "pin: a guest's message under a name an account took after it is no one's own: the notice names its author and has no `own`",
  async (pool) => {
    const admin = await pool.register("boss");
    const guest = await pool.guest("vera");
    const theirs = await say(guest, "rules: be nice");
    await guest.close();
    // The name is free again; the guest's message is not this account's
    // (it may not edit it: findOwn), nor its pin notice's own.
    const vera = await pool.register("vera");
    await admin.ok("set_role", { user: "vera", role: "moderator" });
    await vera.ok("pin", { id: theirs.id });
    const on = await admin.event("system", (d) => d.kind === "pinned");
    assert.equal(on.data.text, "vera pinned a message by vera");
    assert.equal(on.data.own, undefined);
  },
);

stores.clients(
  "pin: a moderator pins and unpins; the room hears it; list_pins lists the latest first",
  async (pool) => {
    const admin = await pool.register("boss");
    const alice = await pool.guest("alice");
    const first = await say(alice, "rules: be nice");
    const second = await say(alice, "wifi: hunter2");
    const pinned = (await admin.ok("pin", { id: first.id })).message as Message;
    assert.equal(pinned.pinned, true);
    assert.equal((await latest(alice, first.id)).pinned, true);
    const notice = await alice.event("system", (d) => d.kind === "pinned");
    assert.deepEqual(notice.data, {
      room: "general",
      kind: "pinned",
      user: "boss",
      text: "boss pinned a message by alice",
      id: first.id,
    });
    await admin.ok("pin", { id: second.id, on: true });
    await admin.ok("pin", { id: second.id, on: true });
    const pins = await alice.ok("list_pins", { room: "General" });
    assert.equal(pins.room, "general");
    assert.deepEqual(
      (pins.messages as Message[]).map((m) => [m.text, m.pinned]),
      [["wifi: hunter2", true], ["rules: be nice", true]],
    );
    assert.deepEqual(
      (await alice.ok("list_pins")).messages,
      pins.messages,
    );
    const unpinned = (await admin.ok("pin", { id: first.id, on: false }))
      .message as Message;
    assert.equal("pinned" in unpinned, false);
    const off = await alice.event("system", (d) => d.kind === "unpinned");
    assert.equal(off.data.text, "boss unpinned a message by alice");
    assert.equal(
      alice.events("system").filter((f) => f.data.kind === "pinned").length,
      2,
    );
    assert.deepEqual(
      ((await alice.ok("list_pins", { room: "general" })).messages as Message[])
        .map((m) => m.text),
      ["wifi: hunter2"],
    );
    assert.equal((await historyOf(alice))[1].pinned, true);
  },
);

stores.clients(
  "pin: others get forbidden in rooms; a private room's owner pins; either side in a private conversation",
  async (pool) => {
    await pool.register("boss");
    const alice = await pool.register("alice");
    const bob = await pool.register("bob");
    const carol = await pool.register("carol");
    const message = await say(alice, "mine");
    await expectError(alice, "pin", { id: message.id }, "forbidden");
    await expectError(bob, "pin", { id: message.id }, "forbidden");
    await carol.ok("create_room", { room: "ours", private: true });
    await carol.ok("invite", { room: "ours", user: "bob" });
    const owned = await say(carol, "agenda");
    assert.equal(
      ((await carol.ok("pin", { id: owned.id })).message as Message).pinned,
      true,
    );
    await expectError(bob, "pin", { id: owned.id, on: false }, "forbidden");
    await expectError(alice, "pin", { id: owned.id }, "message_not_found");
    await carol.ok("join_room", { room: "general" });
    const secret = await whisper(alice, "bob", "remember this");
    const pinned = (await bob.ok("pin", { id: secret.id })).message as Message;
    assert.equal(pinned.pinned, true);
    assert.equal((await latest(alice, secret.id)).pinned, true);
    const pins = await alice.ok("list_pins", { with: "Bob" });
    assert.equal(pins.with, "Bob");
    assert.deepEqual((pins.messages as Message[]).map((m) => m.id), [
      secret.id,
    ]);
    await expectError(carol, "pin", { id: secret.id }, "message_not_found");
    assert.deepEqual(
      (await carol.ok("list_pins", { with: "bob" })).messages,
      [],
    );
    await expectError(
      carol,
      "list_pins",
      { room: "nowhere" },
      "room_not_found",
    );
    await expectError(
      carol,
      "pin",
      { id: "01NOSUCHMESSAGE0000000000" },
      "message_not_found",
    );
    await expectError(carol, "pin", { id: 42 }, "invalid_message");
    // A private conversation's pin makes no notice; the room's one did.
    await roundTrip(alice);
    assert.deepEqual(
      alice.events("system").filter((f) => f.data.kind === "pinned"),
      [],
    );
    assert.deepEqual(
      carol.events("system").filter((f) => f.data.kind === "pinned")
        .map((f) => f.data.room),
      ["ours"],
    );
  },
);

stores.clients(
  "a deleted message loses its reactions and pin, live and in history",
  async (pool) => {
    const admin = await pool.register("boss");
    const alice = await pool.guest("alice");
    const message = await say(alice, "short-lived");
    await admin.ok("react", { id: message.id, emoji: "🎉" });
    await admin.ok("pin", { id: message.id });
    await alice.ok("delete_message", { id: message.id });
    const gone = await latest(admin, message.id);
    assert.equal(gone.deleted, true);
    assert.equal("reactions" in gone, false);
    assert.equal("pinned" in gone, false);
    assert.deepEqual((await admin.ok("list_pins")).messages, []);
    assert.deepEqual((await historyOf(admin))[0], gone);
  },
);

stores.finish();
