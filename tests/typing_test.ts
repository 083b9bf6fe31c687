/**
 * Typing notices (extension; server/handlers/typing.ts) against a real
 * server: heard by the room or the other side of a conversation, never by
 * the typist, at most one per 2 s.
 */
import assert from "node:assert/strict";
import { expectError, roundTrip, withClients } from "./harness.ts";

Deno.test("typing: the others in the room hear it, throttled to one per 2 s", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    const bob = await pool.guest("bob");
    // Both sent at once: with a round trip between them, a busy machine
    // could let the 2 s pass and the second one would rightly be heard.
    const started = performance.now();
    await Promise.all([alice.ok("typing"), alice.ok("typing")]);
    const elapsed = performance.now() - started;
    const heard = await bob.event("typing");
    assert.deepEqual(heard.data, { room: "general", user: "alice" });
    await alice.ok("send_message", { text: "marker" });
    await bob.event("receive_message");
    // The server handled both between the sends and the replies: only a
    // machine that held it up 2 s between them may let the second through.
    const count = bob.events("typing").length;
    assert.ok(
      count === 1 || (count === 2 && elapsed >= 2000),
      `${count} heard, sent within ${Math.round(elapsed)} ms`,
    );
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
    // Barrier: a typing event to carol would have come before this reply.
    await roundTrip(carol);
    assert.equal(carol.events("typing").length, 0);
  }));

Deno.test("typing: to oneself is heard by none of one's connections", () =>
  withClients(async (pool) => {
    const alice = await pool.register("alice");
    const phone = await pool.login({ token: alice.token });
    const bob = await pool.register("bob");
    await alice.ok("typing", { to: "ALICE" });
    await phone.ok("typing", { to: "alice" });
    // A message after them: once it is heard, their notices would have been.
    await alice.ok("send_message", { text: "marker" });
    await phone.event("receive_message");
    await bob.event("receive_message");
    await roundTrip(alice);
    assert.equal(alice.events("typing").length, 0);
    assert.equal(phone.events("typing").length, 0);
    assert.equal(bob.events("typing").length, 0);
  }));

Deno.test("typing: in an archived room nobody hears it, and the typist is answered as usual", () =>
  withClients(async (pool) => {
    const root = await pool.register("root");
    const ann = await pool.register("ann");
    await root.ok("create_room", { room: "dev" });
    await ann.ok("join_room", { room: "dev" });
    await root.ok("archive_room", { room: "dev" });
    await ann.event("system", (d) => d.kind === "archived");
    assert.deepEqual((await ann.ok("typing")).request, "typing");
    // Barrier: a typing event would have come to root before this notice.
    await root.ok("unarchive_room", { room: "dev" });
    await root.event("system", (d) => d.kind === "unarchived");
    assert.equal(root.events("typing").length, 0);
  }));
