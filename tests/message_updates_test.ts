/**
 * Extensions: typing notices, editing and deleting messages.
 */
import assert from "node:assert/strict";
import { delay, expectError, withClients } from "./harness.ts";

type Message = {
  id: string;
  seq: number;
  text: string;
  edited_at?: string;
  deleted?: boolean;
};

Deno.test("typing: the others in the room hear it, throttled to one per 2 s", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    const bob = await pool.guest("bob");
    await alice.ok("typing");
    const heard = await bob.event("typing");
    assert.deepEqual(heard.data, { room: "general", user: "alice" });
    await alice.ok("typing");
    await alice.ok("send_message", { text: "marker" });
    await bob.event("receive_message");
    assert.equal(bob.events("typing").length, 1, "the second one was dropped");
    assert.equal(alice.events("typing").length, 0, "not to the typist");
  }));

Deno.test("typing: in a private conversation only the other side hears it", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    const bob = await pool.guest("bob");
    const carol = await pool.guest("carol");
    await alice.ok("typing", { to: "Bob" });
    const heard = await bob.event("typing");
    assert.deepEqual(heard.data, { to: "bob", user: "alice" });
    await expectError(alice, "typing", { to: "nobody" }, "user_not_found");
    await delay(50);
    assert.equal(carol.events("typing").length, 0);
  }));

Deno.test("edit_message: the author edits, everyone in the room sees it, history keeps it", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    const bob = await pool.guest("bob");
    const sent = (await alice.ok("send_message", { text: "helo" }))
      .message as Message;
    const edited = (await alice.ok("edit_message", {
      id: sent.id,
      text: " hello ",
    })).message as Message;
    assert.equal(edited.text, "hello");
    assert.equal(edited.seq, sent.seq);
    assert.ok(edited.edited_at);
    const update = await bob.event("message_updated");
    assert.deepEqual(update.data, edited);
    const history = await bob.ok("history", { room: "general" });
    assert.deepEqual((history.messages as Message[])[0], edited);
    await expectError(
      bob,
      "edit_message",
      { id: sent.id, text: "mine now" },
      "forbidden",
    );
    await expectError(
      alice,
      "edit_message",
      { id: "nope", text: "x" },
      "invalid_message",
    );
    await expectError(
      alice,
      "edit_message",
      { id: sent.id, text: "  " },
      "empty_message",
    );
  }));

Deno.test("delete_message: authors delete their own, moderators anyone's, the text is gone", () =>
  withClients(async (pool) => {
    const root = await pool.register("root");
    const bob = await pool.guest("bob");
    const first = (await bob.ok("send_message", { text: "oops" }))
      .message as Message;
    const second = (await bob.ok("send_message", { text: "spam" }))
      .message as Message;
    const deleted = (await bob.ok("delete_message", { id: first.id }))
      .message as Message;
    assert.equal(deleted.deleted, true);
    assert.equal(deleted.text, "");
    const seen = await root.event(
      "message_updated",
      (d) => d.id === first.id,
    );
    assert.equal(seen.data.deleted, true);
    // An admin removes someone else's message.
    await root.ok("delete_message", { id: second.id });
    const history = await bob.ok("history", { room: "general" });
    assert.deepEqual(
      (history.messages as Message[]).map((m) => [m.seq, m.text, m.deleted]),
      [[first.seq, "", true], [second.seq, "", true]],
    );
    // A plain user cannot delete someone else's, nor edit a deleted one.
    const mine = (await root.ok("send_message", { text: "admin" }))
      .message as Message;
    await expectError(bob, "delete_message", { id: mine.id }, "forbidden");
    await expectError(
      bob,
      "edit_message",
      { id: first.id, text: "back" },
      "invalid_message",
    );
  }));

Deno.test("edit_message: private messages are edited for both sides", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    const bob = await pool.guest("bob");
    const sent = (await alice.ok("private_message", { to: "bob", text: "hi" }))
      .message as Message;
    await alice.ok("edit_message", { id: sent.id, text: "hi bob" });
    const a = await alice.event("message_updated");
    const b = await bob.event("message_updated");
    assert.equal(a.data.text, "hi bob");
    assert.deepEqual(a.data, b.data);
  }));
