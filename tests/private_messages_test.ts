/**
 * Private messages (PROTOCOL.md, Private messages): delivery to every
 * connection of both sides, per-conversation seq, offline accounts, retries
 * and the conversation history.
 */
import assert from "node:assert/strict";
import {
  type ClientPool,
  delay,
  expectError,
  type Frame,
  roundTrip,
  TEST_PASSWORD,
  type TestClient,
  withClients,
} from "./harness.ts";

/** A private message as the contract defines it: `to` set, no `room`. */
interface PrivateMessage {
  id: string;
  seq: number;
  user: string;
  to: string;
  text: string;
  ts: string;
  client_id?: string;
}

function messageOf(data: Frame["data"]): PrivateMessage {
  return data.message as PrivateMessage;
}

function privateEvents(client: TestClient): PrivateMessage[] {
  return client.events("private_message").map((f) =>
    f.data as unknown as PrivateMessage
  );
}

async function send(
  client: TestClient,
  to: string,
  text: string,
  extra: Record<string, unknown> = {},
): Promise<PrivateMessage> {
  return messageOf(
    await client.ok("private_message", { to, text, ...extra }),
  );
}

async function conversation(
  client: TestClient,
  query: Record<string, unknown>,
): Promise<PrivateMessage[]> {
  const data = await client.ok("history", query);
  return data.messages as PrivateMessage[];
}

Deno.test("private_message: the reply and both sides' events carry the message with to and no room", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    const bob = await pool.guest("Bob");
    const carol = await pool.guest("carol");
    const reply = await alice.ok("private_message", {
      to: "bob",
      text: "  psst  ",
      client_id: "k1",
    });
    const message = messageOf(reply);
    assert.equal("room" in message, false, JSON.stringify(message));
    assert.equal(message.to, "Bob");
    assert.equal(message.user, "alice");
    assert.equal(message.text, "psst");
    assert.equal(message.seq, 1);
    assert.equal(message.client_id, "k1");
    assert.equal(typeof message.id, "string");
    assert.match(message.ts, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    const toBob = await bob.event("private_message");
    const toAlice = await alice.event("private_message");
    assert.deepEqual(toBob.data, message);
    assert.deepEqual(toAlice.data, message);
    await roundTrip(carol);
    assert.deepEqual(privateEvents(carol), []);
    assert.equal(carol.events("receive_message").length, 0);
  }));

Deno.test("private_message: every connection of both sides gets it once, the sender's other tabs too", () =>
  withClients(async (pool) => {
    const [alice1, bob1] = await Promise.all([
      pool.register("alice"),
      pool.register("bob"),
    ]);
    const [alice2, bob2] = await Promise.all([
      pool.login({ token: alice1.token }),
      pool.login({ token: bob1.token }),
    ]);
    const message = await send(alice1, "bob", "hi bob");
    for (const client of [alice1, alice2, bob1, bob2]) {
      await client.event("private_message");
      await roundTrip(client);
      assert.deepEqual(privateEvents(client), [message]);
    }
  }));

Deno.test("private_message: seq counts from 1 in each conversation, both directions sharing it", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    const bob = await pool.guest("bob");
    await pool.guest("carol");
    const seqs = [
      (await send(alice, "bob", "1")).seq,
      (await send(bob, "alice", "2")).seq,
      (await send(alice, "carol", "other")).seq,
      (await send(alice, "bob", "3")).seq,
    ];
    assert.deepEqual(seqs, [1, 2, 1, 3]);
  }));

Deno.test("private_message: messages sent at once arrive in the order sent, seq 1..50", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    const bob = await pool.guest("bob");
    const count = 50;
    for (let i = 0; i < count; i++) {
      alice.send({
        action: "private_message",
        data: { to: "bob", text: `p${i}` },
        id: `p${i}`,
      });
    }
    await bob.waitFor(
      () => privateEvents(bob).length >= count,
      "every private message",
    );
    const expected = Array.from({ length: count }, (_, i) => `p${i}`);
    const received = privateEvents(bob);
    assert.deepEqual(received.map((m) => m.text), expected);
    assert.deepEqual(
      received.map((m) => m.seq),
      expected.map((_, i) => i + 1),
    );
    const replies = alice.received.filter((f) => f.id?.startsWith("p"));
    assert.deepEqual(replies.map((f) => f.id), expected);
  }));

Deno.test("private_message: a name neither online nor an account gets user_not_found", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    const bob = await pool.guest("bob");
    await expectError(
      alice,
      "private_message",
      { to: "nobody", text: "hello?" },
      "user_not_found",
    );
    await bob.close();
    await alice.event("system", (d) => d.kind === "left" && d.user === "bob");
    await expectError(
      alice,
      "private_message",
      { to: "bob", text: "still there?" },
      "user_not_found",
    );
    await roundTrip(alice);
    assert.deepEqual(privateEvents(alice), []);
  }));

Deno.test("private_message: blank text gets empty_message, over 4000 characters message_too_long", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    const bob = await pool.guest("bob");
    for (const text of ["", "   ", "\n\t"]) {
      await expectError(
        alice,
        "private_message",
        { to: "bob", text },
        "empty_message",
      );
    }
    await expectError(
      alice,
      "private_message",
      { to: "bob", text: "x".repeat(4001) },
      "message_too_long",
    );
    const longest = await send(alice, "bob", "y".repeat(4000));
    assert.equal(longest.seq, 1);
    await roundTrip(bob);
    assert.equal(privateEvents(bob).length, 1);
  }));

Deno.test("private_message: a retry with the same client_id returns the first message and delivers nothing new", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    const bob = await pool.guest("bob");
    const first = await send(alice, "bob", "once", { client_id: "k1" });
    const again = await send(alice, "bob", "once", { client_id: "k1" });
    assert.deepEqual(again, first);
    await roundTrip(alice);
    await roundTrip(bob);
    assert.deepEqual(privateEvents(bob), [first]);
    assert.deepEqual(privateEvents(alice), [first]);
    assert.deepEqual(await conversation(bob, { with: "alice" }), [first]);
  }));

Deno.test("private_message: to an offline account it waits, then arrives right after the next login reply, once", () =>
  withClients(async (pool) => {
    const bob = await pool.register("bob");
    const token = bob.token;
    await bob.close();
    const alice = await pool.guest("alice");
    const sent = [
      await send(alice, "BOB", "are you there?"),
      await send(alice, "bob", "call me"),
    ];
    assert.equal(sent[0].to, "bob");
    const back = await pool.login({ token });
    const reply = back.received.findIndex((f) => f.data.request === "login");
    const after = await roundTrip(back);
    const arrived = back.received.slice(reply + 1, after)
      .filter((f) => f.action === "private_message")
      .map((f) => f.data);
    assert.deepEqual(arrived, sent);
    await back.close();
    const later = await pool.login({ token });
    await roundTrip(later);
    assert.deepEqual(privateEvents(later), []);
    assert.deepEqual(await conversation(later, { with: "alice" }), sent);
  }));

Deno.test("history: a conversation comes oldest first and pages like a room", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    const bob = await pool.guest("bob");
    const sent: PrivateMessage[] = [];
    for (let i = 1; i <= 5; i++) {
      sent.push(
        await send(i % 2 ? alice : bob, i % 2 ? "bob" : "alice", `${i}`),
      );
    }
    const seqs = (messages: PrivateMessage[]) => messages.map((m) => m.seq);
    assert.deepEqual(await conversation(alice, { with: "bob" }), sent);
    assert.deepEqual(await conversation(bob, { with: "ALICE" }), sent);
    assert.deepEqual(
      seqs(await conversation(alice, { with: "bob", limit: 2 })),
      [4, 5],
    );
    assert.deepEqual(
      seqs(await conversation(alice, { with: "bob", before_seq: 4, limit: 2 })),
      [2, 3],
    );
    assert.deepEqual(
      seqs(await conversation(bob, { with: "alice", after_seq: 3 })),
      [4, 5],
    );
  }));

Deno.test("history: an account registered under a former guest's name does not read that guest's private messages", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    const bob = await pool.guest("bob");
    await send(alice, "bob", "for the guest bob only");
    await bob.close();
    await alice.event("system", (d) => d.kind === "left" && d.user === "bob");
    await delay(5);
    const account = await pool.register("bob");
    assert.deepEqual(await conversation(account, { with: "alice" }), []);
  }));

Deno.test("history: a new guest reusing a name does not read the previous holder's private messages", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    const bob = await pool.guest("bob");
    await send(alice, "bob", "the secret is 42");
    await bob.close();
    await alice.event("system", (d) => d.kind === "left" && d.user === "bob");
    // Timestamps have millisecond resolution: let the clock move on so the
    // old message is unambiguously from before the new login.
    await delay(5);
    const newBob = await pool.guest("bob");
    assert.deepEqual(await conversation(newBob, { with: "alice" }), []);
    const hello = await send(alice, "bob", "hello, new bob");
    assert.deepEqual(await conversation(newBob, { with: "alice" }), [hello]);
    assert.equal(
      (await conversation(alice, { with: "bob" })).length,
      2,
      "the sender still has both",
    );
  }));

/**
 * The guest bob gets `text` from `from`, leaves, and another guest takes
 * the name: the old message and the new bob.
 */
async function guestNameTaken(
  pool: ClientPool,
  from: TestClient,
  text: string,
) {
  const bob = await pool.guest("bob");
  const old = await send(from, "bob", text);
  await bob.close();
  await from.event("system", (d) => d.kind === "left" && d.user === "bob");
  // Timestamps have millisecond resolution: the new login comes later.
  await delay(5);
  return { old, newBob: await pool.guest("bob") };
}

/**
 * The account dave gets `text` from `from`, `admin` deletes dave's account
 * and the name is registered again: the old message and the new dave.
 */
async function accountNameTaken(
  pool: ClientPool,
  admin: TestClient,
  from: TestClient,
  text: string,
) {
  const dave = await pool.register("dave");
  const old = await send(from, "dave", text);
  await dave.close();
  await admin.ok("delete_account", { user: "dave", messages: "keep" });
  await delay(5);
  return { old, newDave: await pool.register("dave") };
}

Deno.test("message_updated: an edit, reaction or pin of a private message never reaches a later holder of the name", () =>
  withClients(async (pool) => {
    // Guests: the name is free once its holder leaves.
    const alice = await pool.guest("alice");
    const { old, newBob } = await guestNameTaken(
      pool,
      alice,
      "the code is 1234",
    );
    await alice.ok("edit_message", { id: old.id, text: "the code is 5678" });
    // Accounts: a deleted account's name registered again.
    const root = await pool.register("root");
    const carol = await pool.register("carol");
    const { old: said, newDave } = await accountNameTaken(
      pool,
      root,
      carol,
      "meet at the north gate",
    );
    await carol.ok("react", { id: said.id, emoji: "👍" });
    await carol.ok("pin", { id: said.id });
    // What was sent after the updates reaches them: the updates had their
    // chance, and the old side still got them.
    const hello = await send(alice, "bob", "hello, new bob");
    const hi = await send(carol, "dave", "hello, new dave");
    await newBob.event("private_message", (d) => d.id === hello.id);
    await newDave.event("private_message", (d) => d.id === hi.id);
    assert.deepEqual(newBob.events("message_updated"), []);
    assert.deepEqual(newDave.events("message_updated"), []);
    assert.equal(carol.events("message_updated").length, 2);
  }));

Deno.test("private_message: a reply cannot quote to a later holder of the name a message sent before the name was theirs", () =>
  withClients(async (pool) => {
    const root = await pool.register("root");
    const alice = await pool.register("alice");
    const carol = await pool.register("carol");
    // A guest's name is free once it leaves (guests themselves quote no
    // private message: they read none); a deleted account's likewise.
    const { old, newBob } = await guestNameTaken(pool, alice, "code 1234");
    const { old: said, newDave } = await accountNameTaken(
      pool,
      root,
      carol,
      "meet at the north gate",
    );
    const quotes: [TestClient, string, string][] = [
      [alice, "bob", old.id],
      [carol, "dave", said.id],
    ];
    for (const [from, to, id] of quotes) {
      await expectError(
        from,
        "private_message",
        { to, text: "as I said", reply_to: id },
        "message_not_found",
      );
    }
    // A message of the new holder's time may be quoted.
    const fresh = await send(alice, "bob", "hello, new bob");
    await send(alice, "bob", "and again", { reply_to: fresh.id });
    await roundTrip(newBob);
    await roundTrip(newDave);
    const seen = JSON.stringify([newBob.received, newDave.received]);
    assert.equal(seen.includes("1234") || seen.includes("north gate"), false);
  }));

Deno.test("mark_read: a later holder of the name counts only the messages sent since the name was theirs", () =>
  withClients(async (pool) => {
    const root = await pool.register("root");
    const alice = await pool.register("alice");
    const carol = await pool.register("carol");
    // A guest's name registered as an account once the guest left (two
    // messages before), and a deleted account's name registered again
    // (one): each old side has a mention of the name.
    const bob = await pool.guest("bob");
    await send(alice, "bob", "@bob the code is 1234");
    await send(alice, "bob", "and 5678");
    await bob.close();
    await alice.event("system", (d) => d.kind === "left" && d.user === "bob");
    await delay(5);
    const newBob = await pool.register("bob");
    const { newDave } = await accountNameTaken(pool, root, carol, "@dave hi");
    await send(alice, "bob", "hello, new bob");
    await send(carol, "dave", "hello, new dave");
    // Nothing read yet (seq 0, or an old message's seq): the counts start
    // where the holder's reading starts, the one new message unread.
    const holders: [TestClient, string, number][] = [
      [newBob, "alice", 2],
      [newDave, "carol", 1],
    ];
    for (const [holder, other, before] of holders) {
      for (const seq of [0, 1]) {
        assert.deepEqual(await holder.ok("mark_read", { with: other, seq }), {
          request: "mark_read",
          with: other,
          last_read_seq: before,
          unread: 1,
          mentions: 0,
        });
      }
    }
  }));

Deno.test("message_updated: an edit in a conversation with an account deleted and anonymised names 'deleted user' as its to, and a reload finds it in the conversation under the name it had (list_conversations, history), none under 'deleted user'", () =>
  withClients(async (pool) => {
    const root = await pool.register("root");
    await pool.register("alice");
    const bob = await pool.register("bob");
    const said = await send(bob, "alice", "hi alice");
    await root.ok("delete_account", { user: "alice", messages: "anonymise" });
    const device = await pool.login({
      username: "bob",
      password: TEST_PASSWORD,
    });
    const from = device.received.length;
    await bob.ok("edit_message", { id: said.id, text: "hi alice, edited" });
    // Live, the names say no more whose conversation it is (the web
    // client files it in the one whose page holds it).
    const event = await device.event(
      "message_updated",
      (d) => d.id === said.id,
      { from },
    );
    assert.equal(event.data.to, "deleted user");
    // The reload: a new connection lists and reads the conversation.
    const reload = await pool.login({
      username: "bob",
      password: TEST_PASSWORD,
    });
    const listed = (await reload.ok("list_conversations", {}))
      .conversations as { with: string; deleted?: boolean }[];
    assert.deepEqual(listed.map((c) => [c.with, c.deleted]), [[
      "alice",
      true,
    ]]);
    const page = (await reload.ok("history", { with: "alice" }))
      .messages as PrivateMessage[];
    assert.deepEqual(page.map((m) => [m.id, m.text, m.to]), [
      [said.id, "hi alice, edited", "deleted user"],
    ]);
    assert.deepEqual(
      (await reload.ok("history", { with: "deleted user" })).messages,
      [],
    );
  }));
