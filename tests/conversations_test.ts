/**
 * The list of an account's private conversations (docs/protocol.md,
 * Private messages, `list_conversations`): the same on every device, the
 * newest first, with read state, paged; guests and bad input refused.
 */
import assert from "node:assert/strict";
import type { ConversationList } from "../server/protocol/types.ts";
import {
  delay,
  expectError,
  TEST_PASSWORD,
  type TestClient,
  withClients,
  withPool,
  withServer,
} from "./harness.ts";
import { call } from "./api_helpers.ts";

/** A `list_conversations` reply's data. */
async function list(
  client: TestClient,
  data: Record<string, unknown> = {},
): Promise<ConversationList & { request?: string }> {
  return await client.ok("list_conversations", data) as unknown as
    & ConversationList
    & { request?: string };
}

/** The names a page lists, in its order. */
async function names(
  client: TestClient,
  data: Record<string, unknown> = {},
): Promise<string[]> {
  return (await list(client, data)).conversations.map((c) => c.with);
}

async function send(from: TestClient, to: string, text: string) {
  const data = await from.ok("private_message", { to, text });
  return data.message as { id: string; seq: number; ts: string };
}

Deno.test("list_conversations: another device of the account lists its conversations, the newest first, with the last message and what is unread", () =>
  withClients(async (pool) => {
    const alice = await pool.register("Alice");
    const bob = await pool.register("Bob");
    const carol = await pool.register("carol");
    await send(bob, "alice", "hi alice");
    await send(alice, "carol", "hi carol");
    await send(bob, "alice", "@alice are you there?");
    const newest = await send(carol, "ALICE", "yes");
    await send(bob, "carol", "not alice's");
    const phone = await pool.login({
      username: "alice",
      password: TEST_PASSWORD,
    });
    const page = await list(phone);
    assert.deepEqual(page, {
      request: "list_conversations",
      conversations: [
        {
          with: "carol",
          last_seq: 2,
          last_id: newest.id,
          last_ts: newest.ts,
          last_read_seq: 0,
          unread: 1,
          mentions: 0,
        },
        {
          with: "Bob",
          last_seq: 2,
          last_id: page.conversations[1].last_id,
          last_ts: page.conversations[1].last_ts,
          last_read_seq: 0,
          unread: 2,
          mentions: 1,
        },
      ],
    });
    await alice.ok("mark_read", { with: "bob", seq: 2 });
    assert.deepEqual(
      (await list(phone)).conversations.map((c) => [c.with, c.unread]),
      [["carol", 1], ["Bob", 0]],
    );
    assert.deepEqual(await names(bob), ["carol", "Alice"]);
  }));

Deno.test("list_conversations: pages of limit, the next one from next as before; next only while older ones follow", () =>
  withClients(async (pool) => {
    const alice = await pool.register("alice");
    for (const name of ["b1", "b2", "b3"]) {
      const other = await pool.guest(name);
      await send(other, "alice", `from ${name}`);
    }
    const first = await list(alice, { limit: 2 });
    assert.deepEqual(first.conversations.map((c) => c.with), ["b3", "b2"]);
    assert.equal(first.next, first.conversations[1].last_id);
    const second = await list(alice, { limit: 2, before: first.next });
    assert.deepEqual(second.conversations.map((c) => c.with), ["b1"]);
    assert.equal("next" in second, false);
    const all = await list(alice, { limit: 3 });
    assert.equal(all.conversations.length, 3);
    assert.equal("next" in all, false);
  }));

Deno.test("list_conversations: a guest gets forbidden, and a limit or before out of its bounds invalid_message", () =>
  withClients(async (pool) => {
    const guest = await pool.guest("visitor");
    const error = await expectError(
      guest,
      "list_conversations",
      {},
      "forbidden",
    );
    assert.match(String(error.data.message), /account/);
    const alice = await pool.register("alice");
    for (
      const data of [
        { limit: 0 },
        { limit: 101 },
        { limit: 1.5 },
        { limit: "2" },
        { before: 7 },
        { before: "" },
        { before: "x".repeat(65) },
      ]
    ) {
      await expectError(alice, "list_conversations", data, "invalid_message");
    }
    assert.deepEqual(await names(alice, { limit: 100 }), []);
  }));

Deno.test("list_conversations: an account registered under a former guest's name lists and counts only what came since the name was its own", () =>
  withClients(async (pool) => {
    const alice = await pool.register("alice");
    const guest = await pool.guest("bob");
    await send(alice, "bob", "@bob the code is 1234");
    await guest.close();
    await alice.event("system", (d) => d.kind === "left" && d.user === "bob");
    await delay(5);
    const bob = await pool.register("bob");
    assert.deepEqual(await names(bob), []);
    const hello = await send(alice, "bob", "hello, new bob");
    assert.deepEqual((await list(bob)).conversations, [
      {
        with: "alice",
        last_seq: 2,
        last_id: hello.id,
        last_ts: hello.ts,
        last_read_seq: 1,
        unread: 1,
        mentions: 0,
      },
    ]);
  }));

Deno.test("list_conversations: a conversation with an account since deleted says deleted, until someone under the name writes again", () =>
  withClients(async (pool) => {
    const boss = await pool.register("boss");
    const alice = await pool.register("alice");
    const bob = await pool.register("bob");
    await send(bob, "alice", "hi alice");
    await send(alice, "boss", "hi boss");
    await boss.ok("delete_account", { user: "bob", messages: "keep" });
    await bob.closed;
    const listed = (await list(alice)).conversations;
    assert.deepEqual(
      listed.map((c) => [c.with, c.deleted]),
      [["boss", undefined], ["bob", true]],
    );
    // The name is free again: a new bob's words are with the new account.
    await delay(5);
    const newBob = await pool.register("bob");
    await send(newBob, "alice", "I am the new bob");
    assert.deepEqual(
      (await list(alice)).conversations.map((c) => [c.with, c.deleted]),
      [["bob", undefined], ["boss", undefined]],
    );
  }));

Deno.test("GET /api/conversations: the same list over HTTP with the account's token; none without one", () =>
  withServer((server) =>
    withPool(server, async (pool) => {
      const alice = await pool.register("alice");
      const bob = await pool.register("bob");
      await send(bob, "alice", "hi");
      const asked = await call(server, "GET", "/api/conversations?limit=5", {
        token: alice.token,
      });
      assert.equal(asked.status, 200);
      const { request: _, ...over } = await list(alice, { limit: 5 });
      assert.deepEqual(asked.body, over);
      assert.deepEqual(
        asked.body.conversations.map((c: { with: string }) => c.with),
        ["bob"],
      );
      const anonymous = await call(server, "GET", "/api/conversations");
      assert.equal(anonymous.status, 401);
      assert.equal(anonymous.body.error, "bad_credentials");
    })
  ));
