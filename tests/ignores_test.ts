/**
 * Ignoring: an account stops another from reaching it. The ignored
 * account's private messages and invites are refused with `not_accepted`,
 * the rooms it added the ignorer to are left at once, and the list is the
 * same over the WebSocket and over HTTP. Real server, real sockets, SQLite.
 */
import assert from "node:assert/strict";
import { call } from "./api_helpers.ts";
import { expectError, ISO_MS, roundTrip, withClients } from "./harness.ts";

Deno.test("ignore_user: the ignored account's private messages are refused with not_accepted; the others' and the ignorer's own still go", () =>
  withClients(async (pool) => {
    const alice = await pool.register("alice");
    const mallory = await pool.register("mallory");
    const bob = await pool.register("bob");
    await mallory.ok("private_message", { to: "alice", text: "before" });
    const ignored = await alice.ok("ignore_user", { user: "MALLORY" });
    assert.deepEqual(ignored, {
      request: "ignore_user",
      user: "mallory",
      left: [],
    });
    const refused = await expectError(
      mallory,
      "private_message",
      { to: "alice", text: "you there?", client_id: "m1" },
      "not_accepted",
    );
    // Says no more than that: not that she ignored him, nor since when.
    assert.equal(
      refused.data.message,
      "alice does not accept private messages from you.",
    );
    await bob.ok("private_message", { to: "alice", text: "hi" });
    // One way only: she may still write to him, and he to others.
    await alice.ok("private_message", { to: "mallory", text: "stop" });
    await mallory.ok("private_message", { to: "bob", text: "hey" });
    await roundTrip(alice);
    const texts = alice.events("private_message").map((f) => f.data.text);
    assert.deepEqual(texts, ["before", "hi", "stop"]);
    // Nothing was stored for her: her history with him has no refused one.
    const page = await alice.ok("history", { with: "mallory" });
    assert.deepEqual(
      (page.messages as { text: string }[]).map((m) => m.text),
      ["before", "stop"],
    );
  }));

Deno.test("ignore_user: the ignored account's invites are refused with not_accepted, and the rooms it added the ignorer to are left at once", () =>
  withClients(async (pool) => {
    const alice = await pool.register("alice");
    const mallory = await pool.register("mallory");
    const bob = await pool.register("bob");
    for (const room of ["trap1", "trap2"]) {
      await mallory.ok("create_room", { room, private: true });
      await mallory.ok("invite", { room, user: "alice" });
    }
    await bob.ok("create_room", { room: "friends", private: true });
    await bob.ok("invite", { room: "friends", user: "alice" });
    // A room she joined herself stays, though he is in it.
    await mallory.ok("create_room", { room: "open" });
    await alice.ok("join_room", { room: "open" });
    await alice.ok("join_room", { room: "trap1" });
    const reply = await alice.ok("ignore_user", { user: "mallory" });
    assert.deepEqual(reply.left, ["trap1", "trap2"]);
    for (const room of ["trap1", "trap2"]) {
      await alice.event("membership", (d) => d.room === room && !d.member);
      await mallory.event(
        "system",
        (d) => d.kind === "left" && d.room === room && d.user === "alice",
      );
    }
    const list = await alice.ok("list_rooms");
    const names = (list.rooms as { name: string }[]).map((r) => r.name);
    assert.ok(names.includes("friends") && names.includes("open"));
    assert.ok(!names.includes("trap1") && !names.includes("trap2"));
    await mallory.ok("create_room", { room: "trap3", private: true });
    const refused = await expectError(
      mallory,
      "invite",
      { room: "trap3", user: "alice" },
      "not_accepted",
    );
    assert.equal(
      refused.data.message,
      "alice does not accept invitations from you.",
    );
    // Bob's invites still come.
    await bob.ok("create_room", { room: "more", private: true });
    await bob.ok("invite", { room: "more", user: "alice" });
    // Unignored, his invites come again.
    await alice.ok("unignore_user", { user: "mallory" });
    await mallory.ok("invite", { room: "trap3", user: "alice" });
  }));

Deno.test("ignore_user: the unread and mention counts of a login leave out the ignored account's messages; unignored, they count again", () =>
  withClients(async (pool) => {
    const alice = await pool.register("alice");
    const mallory = await pool.register("mallory");
    const bob = await pool.register("bob");
    const token = alice.token!;
    await alice.ok("ignore_user", { user: "mallory" });
    await alice.close();
    await mallory.ok("send_message", { text: "@alice look" });
    await mallory.ok("send_message", { text: "spam" });
    await bob.ok("send_message", { text: "hi @alice" });
    const general = async () => {
      const client = await pool.login({ token });
      const reply = client.received.find((f) =>
        f.action === "success" && f.data.request === "login"
      )!;
      const memberships = reply.data.memberships as {
        room: string;
        unread: number;
        mentions: number;
      }[];
      return [client, memberships.find((m) => m.room === "general")] as const;
    };
    const [again, counted] = await general();
    assert.equal(counted?.unread, 1);
    assert.equal(counted?.mentions, 1);
    await again.ok("unignore_user", { user: "mallory" });
    const [, recounted] = await general();
    assert.equal(recounted?.unread, 3);
    assert.equal(recounted?.mentions, 2);
  }));

Deno.test("ignore_user: list_ignored lists by name, unignore_user forgets, and every connection of the ignorer hears ignored", () =>
  withClients(async (pool) => {
    const alice = await pool.register("alice");
    const phone = await pool.login({ token: alice.token });
    await pool.register("Zed");
    await pool.register("eve");
    await alice.ok("ignore_user", { user: "zed" });
    await alice.ok("ignore_user", { user: "eve" });
    for (const device of [alice, phone]) {
      await device.event(
        "ignored",
        (d) => d.user === "Zed" && d.ignored === true,
      );
      await device.event(
        "ignored",
        (d) => d.user === "eve" && d.ignored === true,
      );
    }
    const list = await phone.ok("list_ignored");
    assert.deepEqual(
      (list.users as { user: string }[]).map((u) => u.user),
      ["eve", "Zed"],
    );
    for (const entry of list.users as { ignored_at: string }[]) {
      assert.match(entry.ignored_at, ISO_MS);
    }
    // Ignoring again changes nothing and tells nobody again.
    await alice.ok("ignore_user", { user: "eve" });
    assert.deepEqual(await alice.ok("unignore_user", { user: "EVE" }), {
      request: "unignore_user",
      user: "eve",
    });
    await phone.event("ignored", (d) => d.user === "eve" && !d.ignored);
    await roundTrip(phone);
    assert.equal(
      phone.events("ignored").filter((f) => f.data.user === "eve").length,
      2,
    );
    await expectError(
      alice,
      "unignore_user",
      { user: "eve" },
      "user_not_found",
    );
    const after = await alice.ok("list_ignored");
    assert.deepEqual(
      (after.users as { user: string }[]).map((u) => u.user),
      ["Zed"],
    );
  }));

Deno.test("ignore_user: guests, oneself and names no account holds are refused with clear codes", () =>
  withClients(async (pool) => {
    const alice = await pool.register("alice");
    const zoe = await pool.guest("zoe");
    await expectError(zoe, "ignore_user", { user: "alice" }, "forbidden");
    await expectError(zoe, "list_ignored", {}, "forbidden");
    await expectError(alice, "ignore_user", { user: "Alice" }, "forbidden");
    // A guest's name passes to the next guest: only accounts are ignored.
    await expectError(alice, "ignore_user", { user: "zoe" }, "user_not_found");
    await expectError(
      alice,
      "ignore_user",
      { user: "nobody" },
      "user_not_found",
    );
    await expectError(alice, "ignore_user", {}, "invalid_message");
    await expectError(alice, "ignore_user", { user: 5 }, "invalid_message");
  }));

Deno.test("ignore_user: a deleted account's ignores go with it, so whoever registers its name later is not ignored", () =>
  withClients(async (pool) => {
    const admin = await pool.register("root");
    const alice = await pool.register("alice");
    await pool.register("mallory");
    await alice.ok("ignore_user", { user: "mallory" });
    await admin.ok("delete_account", { user: "mallory", messages: "keep" });
    const next = await pool.register("mallory");
    await next.ok("private_message", { to: "alice", text: "new here" });
    assert.deepEqual((await alice.ok("list_ignored")).users, []);
  }));

Deno.test("REST /api/ignores: PUT ignores, GET lists, DELETE unignores, as the WebSocket actions do, with the same codes", () =>
  withClients(async (pool, server) => {
    const alice = await pool.register("alice");
    const mallory = await pool.register("mallory");
    const token = alice.token!;
    const put = await call(server, "PUT", "/api/ignores/Mallory", { token });
    assert.equal(put.status, 200);
    assert.deepEqual(put.body, { user: "mallory", left: [] });
    await alice.event(
      "ignored",
      (d) => d.user === "mallory" && d.ignored === true,
    );
    const got = await call(server, "GET", "/api/ignores", { token });
    assert.equal(got.status, 200);
    assert.deepEqual(
      got.body.users.map((u: { user: string }) => u.user),
      ["mallory"],
    );
    const refused = await call(server, "POST", "/api/private/alice/messages", {
      token: mallory.token,
      body: { text: "hi" },
    });
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    assert.equal(refused.body.error, "not_accepted");
    const missing = await call(server, "PUT", "/api/ignores/nobody", { token });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error, "user_not_found");
    const gone = await call(server, "DELETE", "/api/ignores/mallory", {
      token,
    });
    assert.equal(gone.status, 200);
    assert.deepEqual(gone.body, { user: "mallory" });
    const again = await call(server, "DELETE", "/api/ignores/mallory", {
      token,
    });
    assert.equal(again.status, 404);
    const none = await call(server, "GET", "/api/ignores");
    assert.equal(none.status, 401);
    await alice.event("ignored", (d) => d.user === "mallory" && !d.ignored);
  }));
