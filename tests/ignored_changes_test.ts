/**
 * Ignoring reaches past new private messages: the ignored account's edits,
 * reactions and pins in its old conversation with the ignorer, and its
 * typing notices to the ignorer, reached the ignorer after `ignore_user`
 * (an edit a second rewrote an old message there live, at the message
 * rate). Real server, real sockets, SQLite.
 */
import assert from "node:assert/strict";
import {
  expectError,
  roundTrip,
  type TestClient,
  withClients,
} from "./harness.ts";

/** Sends a private message and answers its id. */
async function write(from: TestClient, to: string, text: string) {
  const reply = await from.ok("private_message", { to, text });
  return (reply.message as { id: string }).id;
}

Deno.test("ignore_user: the ignored account's edits, reactions and pins in the old conversation are refused with not_accepted, its typing told to nobody; the ignorer's own still go", () =>
  withClients(async (pool) => {
    const alice = await pool.register("alice");
    const mallory = await pool.register("mallory");
    const his = await write(mallory, "alice", "before");
    const hers = await write(alice, "mallory", "hello");
    await alice.ok("ignore_user", { user: "mallory" });
    await roundTrip(alice);
    const seen = alice.received.length;
    const attempts: [string, Record<string, unknown>][] = [
      ["edit_message", { id: his, text: "rewritten to reach you" }],
      ["react", { id: hers, emoji: "👎" }],
      ["pin", { id: his }],
      ["pin", { id: hers }],
    ];
    for (const [action, data] of attempts) {
      const refused = await expectError(mallory, action, data, "not_accepted");
      assert.equal(
        refused.data.message,
        "alice does not accept private messages from you.",
      );
    }
    // Typing is answered as if told: whether she ignores him, or is
    // online, is not for him to learn from it.
    await mallory.ok("typing", { to: "alice" });
    await roundTrip(alice);
    assert.deepEqual(
      alice.received.slice(seen).filter((f) => f.id === undefined),
      [],
    );
    const history = await alice.ok("history", { with: "mallory" });
    const texts = (history.messages as { text: string }[]).map((m) => m.text);
    assert.deepEqual(texts, ["before", "hello"]);
    // One way: she still edits, reacts and pins there; he deletes his own.
    await alice.ok("edit_message", { id: hers, text: "hello, stop" });
    await alice.ok("react", { id: his, emoji: "👎" });
    await alice.ok("pin", { id: hers });
    await mallory.ok("delete_message", { id: his });
    // Unignored, his changes go again.
    await alice.ok("unignore_user", { user: "mallory" });
    await mallory.ok("react", { id: hers, emoji: "👍" });
  }));
