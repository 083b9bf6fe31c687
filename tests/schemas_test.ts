/**
 * Request schemas (server/protocol/schemas.ts) against a real server: a
 * field of the wrong type or size gets invalid_message for every action;
 * unknown fields are ignored.
 */
import assert from "node:assert/strict";
import {
  expectError,
  historyOf,
  type Message,
  replyTo,
  withClients,
} from "./harness.ts";

Deno.test("requests: a field of the wrong type or size gets invalid_message for every action", () =>
  withClients(async (pool) => {
    const client = await pool.connect();
    for (
      const data of [
        { username: 5 },
        { username: ["alice"] },
        { username: "alice", password: 12345678 },
        { token: "" },
        { token: 5 },
      ]
    ) {
      await expectError(client, "login", data, "invalid_message");
    }
    await expectError(
      client,
      "register",
      { username: "alice" },
      "invalid_message",
    );
    await client.ok("login", { username: "alice" });
    const cases: [string, Record<string, unknown>][] = [
      ["send_message", {}],
      ["send_message", { text: 5 }],
      ["send_message", { text: null }],
      ["send_message", { text: { toString: "hi" } }],
      ["send_message", { text: "hi", client_id: 5 }],
      ["send_message", { text: "hi", client_id: "" }],
      ["send_message", { text: "hi", client_id: "c".repeat(65) }],
      ["create_room", {}],
      ["create_room", { room: 5 }],
      ["create_room", { room: "r".repeat(5000) }],
      ["join_room", { room: null }],
      ["join_room", { room: ["dev"] }],
      ["list_users", { room: 5 }],
      ["history", { room: 5 }],
      ["history", { before_seq: -1 }],
      ["history", { after_seq: 1.5 }],
      ["history", { after_seq: "3" }],
      ["history", { after_seq: 1e300 }],
      ["history", { limit: 0 }],
      ["history", { limit: 201 }],
      ["history", { limit: "10" }],
      ["history", { with: 5 }],
      ["private_message", { to: "bob" }],
      ["private_message", { to: {}, text: "hi" }],
      ["private_message", { to: "bob", text: 5 }],
    ];
    for (const [action, data] of cases) {
      await expectError(client, action, data, "invalid_message");
    }
    // Moderation, as an admin, so that the role is not what is refused.
    const admin = await pool.register("boss");
    const moderation: [string, Record<string, unknown>][] = [
      ["kick", {}],
      ["kick", { user: 5 }],
      ["ban", { user: "bob", reason: "r".repeat(501) }],
      ["ban", { user: "bob", room: 5 }],
      ["unban", { user: null }],
      ["delete_room", { room: 5 }],
      ["set_role", { user: "bob", role: "god" }],
      ["set_role", { user: "bob" }],
    ];
    for (const [action, data] of moderation) {
      await expectError(admin, action, data, "invalid_message");
    }
    // Nothing of it reached the room.
    assert.deepEqual(await historyOf<Message>(client, "general"), []);
  }));

Deno.test("requests: unknown fields ('extra' in the envelope, 'color' and 'nested' in data) are ignored", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    const bob = await pool.guest("bob");
    const reply = await replyTo(alice, {
      action: "send_message",
      id: "x1",
      extra: { deep: [1, 2, 3] },
      data: { text: "hello", color: "red", nested: { a: { b: 1 } } },
    });
    assert.equal(reply.action, "success");
    const message = reply.data.message as Record<string, unknown>;
    assert.deepEqual(Object.keys(message).sort(), [
      "id",
      "room",
      "seq",
      "text",
      "ts",
      "user",
    ]);
    const event = await bob.event("receive_message", (d) => d.text === "hello");
    assert.deepEqual(event.data, message);
    const joined = await replyTo(alice, {
      action: "create_room",
      data: { room: "dev", topic: "ops" },
      id: "x2",
    });
    assert.equal(joined.action, "success");
    assert.equal(joined.data.room, "dev");
  }));
