/**
 * Editing and deleting messages (extension; server/handlers/
 * message_updates.ts) against a real server: in rooms and in private
 * conversations, by authors and by moderators.
 */
import assert from "node:assert/strict";
import { expectError, withClients } from "./harness.ts";

type Message = {
  id: string;
  seq: number;
  text: string;
  edited_at?: string;
  deleted?: boolean;
};

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
