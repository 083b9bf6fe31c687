/**
 * Changing a message over the REST API, by its id (docs/api.md): a bot
 * edits and deletes what it posted, reacts and pins, with the WebSocket's
 * rules and codes, and everyone watching sees `message_updated`.
 */
import assert from "node:assert/strict";
import { accountWithToken, call } from "./api_helpers.ts";
import { TestClient, type TestServer, withServer } from "./harness.ts";

// An admin (the first account) with a token, and a bot it made with one.
async function adminAndBot(
  server: TestServer,
): Promise<{ admin: string; bot: string }> {
  const alice = await accountWithToken(server, "alice");
  await call(server, "POST", "/api/bots", {
    body: { name: "ci" },
    token: alice.token,
  });
  const made = await call(server, "POST", "/api/bots/ci/tokens", {
    body: { name: "pipeline" },
    token: alice.token,
  });
  assert.equal(made.status, 201);
  return { admin: alice.token, bot: made.body.token };
}

Deno.test("a bot edits its status message in place and deletes it, and a room member's WebSocket sees each change; another account may do neither", () =>
  withServer(async (server) => {
    const { bot } = await adminAndBot(server);
    const carol = await accountWithToken(server, "carol");
    const bob = await TestClient.login(server.wsUrl, "bob");
    try {
      const posted = await call(server, "POST", "/api/rooms/general/messages", {
        body: { text: "build 12 running" },
        token: bot,
      });
      assert.equal(posted.status, 201);
      const { id } = posted.body.message;
      await bob.event("receive_message", (d) => d.id === id);

      const edited = await call(server, "PATCH", `/api/messages/${id}`, {
        body: { text: "build 12 passed" },
        token: bot,
      });
      assert.equal(edited.status, 200, JSON.stringify(edited.body));
      assert.equal(edited.body.message.text, "build 12 passed");
      assert.equal(edited.body.message.badge, "bot");
      assert.ok(edited.body.message.edited_at);
      const update = await bob.event("message_updated", (d) => !!d.edited_at);
      assert.deepEqual(update.data, edited.body.message);

      for (const [method, body] of [["PATCH", { text: "mine" }], ["DELETE"]]) {
        const refused = await call(
          server,
          method as string,
          `/api/messages/${id}`,
          {
            body,
            token: carol.token,
          },
        );
        assert.equal(refused.status, 403, `${method}: ${refused.body}`);
        assert.equal(refused.body.error, "forbidden");
      }
      const empty = await call(server, "PATCH", `/api/messages/${id}`, {
        body: { text: "  " },
        token: bot,
      });
      assert.equal(empty.status, 400);
      assert.equal(empty.body.error, "empty_message");

      const deleted = await call(server, "DELETE", `/api/messages/${id}`, {
        token: bot,
      });
      assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
      assert.equal(deleted.body.message.deleted, true);
      assert.equal(deleted.body.message.text, "");
      const gone = await bob.event("message_updated", (d) => !!d.deleted);
      assert.deepEqual(gone.data, deleted.body.message);
      const history = await call(server, "GET", "/api/rooms/general/messages", {
        token: bot,
      });
      assert.deepEqual(history.body.messages, [deleted.body.message]);
      const again = await call(server, "DELETE", `/api/messages/${id}`, {
        token: bot,
      });
      assert.equal(again.status, 400);
      assert.equal(again.body.error, "invalid_message");
    } finally {
      await bob.close();
    }
  }));

Deno.test("a bot reacts to a message and an admin pins it over REST, and a room member's WebSocket sees both; a plain account's pin in a room is forbidden", () =>
  withServer(async (server) => {
    const { admin, bot } = await adminAndBot(server);
    const carol = await accountWithToken(server, "carol");
    const bob = await TestClient.login(server.wsUrl, "bob");
    try {
      const asked = await bob.ok("send_message", { text: "deploy?" });
      const { id } = asked.message as { id: string };

      const reacted = await call(
        server,
        "POST",
        `/api/messages/${id}/reactions`,
        {
          body: { emoji: ":tada:" },
          token: bot,
        },
      );
      assert.equal(reacted.status, 200, JSON.stringify(reacted.body));
      assert.deepEqual(reacted.body.message.reactions, [
        { emoji: "🎉", count: 1, users: ["ci"] },
      ]);
      const seen = await bob.event("message_updated", (d) => !!d.reactions);
      assert.deepEqual(seen.data, reacted.body.message);

      const pinned = await call(server, "POST", `/api/messages/${id}/pin`, {
        body: {},
        token: admin,
      });
      assert.equal(pinned.status, 200, JSON.stringify(pinned.body));
      assert.equal(pinned.body.message.pinned, true);
      await bob.event("message_updated", (d) => d.pinned === true);

      const refused = await call(server, "POST", `/api/messages/${id}/pin`, {
        body: { on: false },
        token: carol.token,
      });
      assert.equal(refused.status, 403);
      assert.equal(refused.body.error, "forbidden");

      const taken = await call(
        server,
        "POST",
        `/api/messages/${id}/reactions`,
        {
          body: { emoji: "🎉", on: false },
          token: bot,
        },
      );
      assert.equal(taken.status, 200);
      assert.equal(taken.body.message.reactions, undefined);
      assert.equal(taken.body.message.pinned, true);

      const unknown = await call(
        server,
        "POST",
        "/api/messages/nope/reactions",
        {
          body: { emoji: "👍" },
          token: bot,
        },
      );
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.error, "message_not_found");
    } finally {
      await bob.close();
    }
  }));

Deno.test("an unknown or deleted message id: an edit or a delete answers 400 invalid_message, a reaction or a pin 404 message_not_found, as documented", () =>
  withServer(async (server) => {
    const { admin, bot } = await adminAndBot(server);
    const posted = await call(server, "POST", "/api/rooms/general/messages", {
      body: { text: "gone soon" },
      token: bot,
    });
    assert.equal(posted.status, 201);
    const deleted = await call(
      server,
      "DELETE",
      `/api/messages/${posted.body.message.id}`,
      { token: bot },
    );
    assert.equal(deleted.status, 200);
    // edit_message and delete_message kept the code they had before
    // message_not_found existed; react and pin came with it. Codes are a
    // contract, so both stay, documented in docs/protocol.md.
    for (const id of ["nope", posted.body.message.id]) {
      const changes: [string, string, unknown, number, string][] = [
        ["PATCH", "", { text: "x" }, 400, "invalid_message"],
        ["DELETE", "", undefined, 400, "invalid_message"],
        ["POST", "/reactions", { emoji: "👍" }, 404, "message_not_found"],
        ["POST", "/pin", {}, 404, "message_not_found"],
      ];
      for (const [method, tail, body, status, error] of changes) {
        const answer = await call(
          server,
          method,
          `/api/messages/${id}${tail}`,
          {
            body,
            token: tail === "/pin" ? admin : bot,
          },
        );
        assert.equal(answer.status, status, `${method} ${tail} ${id}`);
        assert.equal(answer.body.error, error, `${method} ${tail} ${id}`);
      }
    }
  }));
