/**
 * The REST API for programs: personal access tokens, bot accounts, and
 * sending with the WebSocket's rules and codes (docs/api.md).
 */
import assert from "node:assert/strict";
import { accountWithToken, assertCapped, call } from "./api_helpers.ts";
import { DEFAULT_RATE_LIMITS } from "../server/rate_limit.ts";
import { TEST_PASSWORD, TestClient, within, withServer } from "./harness.ts";

Deno.test("tokens are shown once, listed without their secret, and stop working when revoked", () =>
  withServer(async (server) => {
    const alice = await accountWithToken(server, "alice");
    assert.match(alice.token, /^chat_[A-Za-z0-9_-]{43}$/);
    const me = await call(server, "GET", "/api/me", { token: alice.token });
    assert.deepEqual(me.status, 200);
    assert.deepEqual(me.body, {
      username: "alice",
      role: "admin",
      bot: false,
      limits: { max_file_bytes: 10 * 1024 * 1024 },
    });
    const listed = await call(server, "GET", "/api/tokens", {
      token: alice.token,
    });
    assert.deepEqual(listed.status, 200);
    assert.deepEqual(listed.body.tokens.length, 1);
    assert.deepEqual(Object.keys(listed.body.tokens[0]).sort(), [
      "created_at",
      "id",
      "name",
    ]);
    assert.ok(!JSON.stringify(listed.body).includes(alice.token));
    const id = listed.body.tokens[0].id;
    const gone = await call(server, "DELETE", `/api/tokens/${id}`, {
      token: alice.token,
    });
    assert.deepEqual(gone.status, 204);
    const after = await call(server, "GET", "/api/me", { token: alice.token });
    assert.deepEqual(after.status, 401);
    assert.deepEqual(after.body.error, "bad_credentials");
    // The session still works, and the id is unknown now.
    const again = await call(server, "DELETE", `/api/tokens/${id}`, {
      headers: { cookie: alice.cookie, origin: server.url },
    });
    assert.deepEqual(again.status, 404);
    assert.deepEqual(again.body.error, "not_found");
  }));

Deno.test("GET /api/me carries --max-file-bytes as limits.max_file_bytes, as the login reply does, so a bot refuses a larger file before sending it", () =>
  withServer(async (server) => {
    const alice = await accountWithToken(server, "alice");
    await call(server, "POST", "/api/bots", {
      body: { name: "ci" },
      token: alice.token,
    });
    const bot = await call(server, "POST", "/api/bots/ci/tokens", {
      body: { name: "pipeline" },
      token: alice.token,
    });
    for (const token of [alice.token, bot.body.token]) {
      const me = await call(server, "GET", "/api/me", { token });
      assert.deepEqual(me.body.limits, { max_file_bytes: 1536 });
    }
  }, { maxFileBytes: 1536 }));

Deno.test("a token revokes only its own account's tokens", () =>
  withServer(async (server) => {
    const alice = await accountWithToken(server, "alice");
    const bob = await accountWithToken(server, "bob");
    const [token] = (await call(server, "GET", "/api/tokens", {
      token: alice.token,
    })).body.tokens;
    const refused = await call(server, "DELETE", `/api/tokens/${token.id}`, {
      token: bob.token,
    });
    assert.deepEqual(refused.status, 404);
    assert.deepEqual(
      (await call(server, "GET", "/api/me", { token: alice.token })).status,
      200,
    );
  }));

Deno.test("the session cookie cannot write from another site or without an Origin; a bearer token needs none", () =>
  withServer(async (server) => {
    const alice = await accountWithToken(server, "alice");
    const sites: Record<string, string>[] = [
      { cookie: alice.cookie, origin: "https://evil.example" },
      { cookie: alice.cookie },
    ];
    for (const headers of sites) {
      const refused = await call(server, "POST", "/api/tokens", {
        body: { name: "stolen" },
        headers,
      });
      assert.deepEqual(refused.status, 403);
      assert.deepEqual(refused.body.error, "forbidden");
    }
    const sent = await call(server, "POST", "/api/rooms/general/messages", {
      body: { text: "from a script" },
      token: alice.token,
    });
    assert.deepEqual(sent.status, 201);
    // Reads with the cookie are fine (SameSite=Strict keeps other sites out).
    const me = await call(server, "GET", "/api/me", {
      headers: { cookie: alice.cookie },
    });
    assert.deepEqual(me.status, 200);
    const anonymous = await call(server, "GET", "/api/me");
    assert.deepEqual(anonymous.status, 401);
    assert.deepEqual(anonymous.body.error, "not_logged_in");
    const wrong = await call(server, "GET", "/api/me", { token: "chat_nope" });
    assert.deepEqual(wrong.status, 401);
    assert.deepEqual(wrong.body.error, "bad_credentials");
  }));

Deno.test("a message sent over REST reaches WebSocket members, and a repeated client_id answers the first one", () =>
  withServer(async (server) => {
    const alice = await accountWithToken(server, "alice");
    const bob = await TestClient.login(server.wsUrl, "bob");
    try {
      const body = { text: "deploy done", client_id: "ci-1" };
      const first = await call(server, "POST", "/api/rooms/general/messages", {
        body,
        token: alice.token,
      });
      assert.deepEqual(first.status, 201);
      assert.deepEqual(first.body.message.text, "deploy done");
      assert.deepEqual(first.body.message.user, "alice");
      assert.deepEqual(first.body.message.room, "general");
      const seen = await bob.event("receive_message");
      assert.deepEqual(seen.data.id, first.body.message.id);
      const retry = await call(server, "POST", "/api/rooms/general/messages", {
        body,
        token: alice.token,
      });
      assert.deepEqual(retry.status, 200);
      assert.deepEqual(retry.body.message, first.body.message);
      const history = await call(server, "GET", "/api/rooms/general/messages");
      assert.deepEqual(history.body.messages.length, 1);
    } finally {
      await bob.close();
    }
  }));

Deno.test("a REST reply quotes the message it answers, and GET /api/search finds it with a personal access token", () =>
  withServer(async (server) => {
    const alice = await accountWithToken(server, "alice");
    const bob = await accountWithToken(server, "bob");
    const carol = await TestClient.login(server.wsUrl, "carol");
    try {
      const asked = await carol.ok("send_message", { text: "is prod down?" });
      const question = asked.message as { id: string; seq: number };
      const answer = await call(server, "POST", "/api/rooms/general/messages", {
        body: { text: "prod is fine", reply_to: question.id },
        token: alice.token,
      });
      assert.equal(answer.status, 201);
      assert.deepEqual(answer.body.message.reply_to, {
        id: question.id,
        seq: question.seq,
        user: "carol",
        text: "is prod down?",
      });
      const live = await carol.waitFor((f) =>
        f.action === "receive_message" && f.data.id === answer.body.message.id
      );
      assert.deepEqual(live.data.reply_to, answer.body.message.reply_to);

      const dm = await call(server, "POST", "/api/private/bob/messages", {
        body: { text: "deploy window tonight" },
        token: alice.token,
      });
      const reply = await call(server, "POST", "/api/private/alice/messages", {
        body: { text: "window confirmed", reply_to: dm.body.message.id },
        token: bob.token,
      });
      assert.equal(reply.status, 201);
      assert.equal(reply.body.message.reply_to.text, "deploy window tonight");
      // A message of another conversation is not one to answer here.
      const elsewhere = await call(
        server,
        "POST",
        "/api/private/bob/messages",
        {
          body: { text: "?", reply_to: question.id },
          token: alice.token,
        },
      );
      assert.equal(elsewhere.status, 404);
      assert.equal(elsewhere.body.error, "message_not_found");

      const found = await call(server, "GET", "/api/search?q=prod", {
        token: alice.token,
      });
      assert.equal(found.status, 200);
      assert.deepEqual(
        found.body.results.map((m: { text: string }) => m.text),
        ["prod is fine", "is prod down?"],
      );
      const window = await call(
        server,
        "GET",
        "/api/search?q=window&with=bob",
        {
          token: alice.token,
        },
      );
      assert.deepEqual(
        window.body.results.map((m: { text: string; with: string }) => [
          m.text,
          m.with,
        ]),
        [["window confirmed", "bob"], ["deploy window tonight", "bob"]],
      );
      const revoked = await call(server, "GET", "/api/search?q=prod", {
        token: "chat_not_a_token",
      });
      assert.equal(revoked.status, 401);
    } finally {
      await carol.close();
    }
  }));

Deno.test("REST sends get the WebSocket's error codes for bad input", () =>
  withServer(async (server) => {
    const alice = await accountWithToken(server, "alice");
    const bob = await accountWithToken(server, "bob");
    const owner = await TestClient.loginWith(server.wsUrl, {
      token: alice.token,
    });
    try {
      await owner.ok("create_room", { room: "secret", private: true });
    } finally {
      await owner.close();
    }
    const send = (path: string, body: unknown, token = bob.token) =>
      call(server, "POST", path, { body, token });
    const cases: [string, unknown, number, string][] = [
      ["/api/rooms/general/messages", { text: "   " }, 400, "empty_message"],
      [
        "/api/rooms/general/messages",
        { text: "x".repeat(5000) },
        400,
        "message_too_long",
      ],
      ["/api/rooms/general/messages", { text: 5 }, 400, "invalid_message"],
      ["/api/rooms/general/messages", "{nope", 400, "invalid_json"],
      ["/api/rooms/nowhere/messages", { text: "hi" }, 404, "room_not_found"],
      // A private room one is not in does not exist, as over the WebSocket.
      ["/api/rooms/secret/messages", { text: "hi" }, 404, "room_not_found"],
      ["/api/private/nobody/messages", { text: "hi" }, 404, "user_not_found"],
      [
        "/api/rooms/general/messages",
        { text: "x".repeat(70 * 1024) },
        413,
        "invalid_message",
      ],
    ];
    for (const [path, body, status, code] of cases) {
      const answer = await send(path, body);
      assert.deepEqual(
        [answer.status, answer.body?.error],
        [status, code],
        `${path} ${JSON.stringify(body).slice(0, 40)}`,
      );
    }
    const plain = await call(server, "POST", "/api/rooms/general/messages", {
      body: "hi",
      token: bob.token,
      headers: { "content-type": "text/plain" },
    });
    assert.deepEqual(plain.status, 415);
    assert.deepEqual(plain.body.error, "invalid_message");
    const mine = await send(
      "/api/rooms/secret/messages",
      { text: "hi" },
      alice.token,
    );
    assert.deepEqual(mine.status, 201);
  }));

Deno.test("a private message sent over REST waits for an offline account and reaches it at login", () =>
  withServer(async (server) => {
    const alice = await accountWithToken(server, "alice");
    await accountWithToken(server, "bob");
    const sent = await call(server, "POST", "/api/private/bob/messages", {
      body: { text: "psst", client_id: "p1" },
      token: alice.token,
    });
    assert.deepEqual(sent.status, 201);
    assert.deepEqual(sent.body.message.to, "bob");
    const bob = await TestClient.loginWith(server.wsUrl, {
      username: "bob",
      password: TEST_PASSWORD,
    });
    try {
      const waiting = await bob.event("private_message");
      assert.deepEqual(waiting.data.text, "psst");
    } finally {
      await bob.close();
    }
  }));

Deno.test("a banned account's token is refused with banned", () =>
  withServer(async (server) => {
    const alice = await accountWithToken(server, "alice");
    const bob = await accountWithToken(server, "bob");
    const admin = await TestClient.loginWith(server.wsUrl, {
      token: alice.token,
    });
    try {
      await admin.ok("ban", { user: "bob", reason: "spam" });
    } finally {
      await admin.close();
    }
    const refused = await call(server, "POST", "/api/rooms/general/messages", {
      body: { text: "more spam" },
      token: bob.token,
    });
    assert.deepEqual(refused.status, 403);
    assert.deepEqual(refused.body.error, "banned");
  }));

Deno.test("a sender banned from a room gets 200 and the first copy for a retry of a message stored before the ban, without what others did after the ban; a new message gets banned", () =>
  withServer(async (server) => {
    const alice = await accountWithToken(server, "alice");
    const bob = await accountWithToken(server, "bob");
    const admin = await TestClient.loginWith(server.wsUrl, {
      token: alice.token,
    });
    try {
      await admin.ok("create_room", { room: "dev" });
      const asked = (await admin.ok("send_message", { text: "deploy?" }))
        .message as { id: string };
      const send = (body: Record<string, unknown>) =>
        call(server, "POST", "/api/rooms/dev/messages", {
          body,
          token: bob.token,
        });
      // The first answer is lost on its way back: bob will send it again.
      const sent = {
        text: "deploy done",
        client_id: "ci-1",
        reply_to: asked.id,
      };
      const first = await send(sent);
      assert.deepEqual(first.status, 201);
      const { id } = first.body.message;
      await admin.ok("ban", { user: "bob", room: "dev", reason: "spam" });
      // After the ban, bob reads nothing of the room: not who reacts to his
      // message, nor its pin, nor what the message it answers now says.
      await admin.ok("react", { id, emoji: "👍" });
      await admin.ok("pin", { id });
      await admin.ok("edit_message", { id: asked.id, text: "said after" });
      // Sent again without its reply_to, which is checked like a new one's
      // (and bob may no longer read the message it names).
      const retry = await send({ text: sent.text, client_id: sent.client_id });
      assert.deepEqual([retry.status, retry.body], [200, {
        message: {
          ...first.body.message,
          reply_to: { ...first.body.message.reply_to, text: "" },
        },
      }]);
      for (
        const body of [{ text: "more", client_id: "ci-2" }, { text: "more" }]
      ) {
        const refused = await send(body);
        assert.deepEqual([refused.status, refused.body], [403, {
          error: "banned",
          message: "You are banned from this room: spam",
        }]);
      }
      const history = await call(server, "GET", "/api/rooms/dev/messages", {
        token: alice.token,
      });
      assert.deepEqual(
        history.body.messages.map((m: { id: string }) => m.id),
        [asked.id, id],
      );
    } finally {
      await admin.close();
    }
  }));

Deno.test("an admin's bot posts with a BOT badge through its token and never logs in with a password", () =>
  withServer(async (server) => {
    const alice = await accountWithToken(server, "alice");
    const bob = await accountWithToken(server, "bob");
    const refused = await call(server, "POST", "/api/bots", {
      body: { name: "ci" },
      token: bob.token,
    });
    assert.deepEqual(refused.status, 403);
    const made = await call(server, "POST", "/api/bots", {
      body: { name: "ci" },
      token: alice.token,
    });
    assert.deepEqual(made.status, 201);
    assert.deepEqual(made.body.username, "ci");
    assert.deepEqual(made.body.bot, true);
    const taken = await call(server, "POST", "/api/bots", {
      body: { name: "CI" },
      token: alice.token,
    });
    assert.deepEqual([taken.status, taken.body.error], [409, "username_taken"]);
    const token = await call(server, "POST", "/api/bots/ci/tokens", {
      body: { name: "pipeline" },
      token: alice.token,
    });
    assert.deepEqual(token.status, 201);
    const me = await call(server, "GET", "/api/me", {
      token: token.body.token,
    });
    assert.deepEqual(me.body, {
      username: "ci",
      role: "user",
      bot: true,
      limits: { max_file_bytes: 10 * 1024 * 1024 },
    });
    const sent = await call(server, "POST", "/api/rooms/general/messages", {
      body: { text: "build green" },
      token: token.body.token,
    });
    assert.deepEqual(sent.status, 201);
    assert.deepEqual(sent.body.message.badge, "bot");
    const history = await call(server, "GET", "/api/rooms/general/messages");
    assert.deepEqual(history.body.messages[0].badge, "bot");
    // Over the WebSocket, with its token: the same badge.
    const ws = await TestClient.loginWith(server.wsUrl, {
      token: token.body.token,
    });
    try {
      const reply = await ws.ok("send_message", { text: "and live" });
      assert.deepEqual((reply.message as { badge?: string }).badge, "bot");
    } finally {
      await ws.close();
    }
    for (const password of ["", TEST_PASSWORD, "!bot"]) {
      const login = await call(server, "POST", "/api/login", {
        body: { username: "ci", password },
        headers: { origin: server.url },
      });
      assert.deepEqual(login.status, 401);
    }
    const bots = await call(server, "GET", "/api/bots", { token: alice.token });
    assert.deepEqual(
      bots.body.bots.map((b: { username: string }) => b.username),
      [
        "ci",
      ],
    );
    const listed = await call(server, "GET", "/api/bots/ci/tokens", {
      token: alice.token,
    });
    assert.deepEqual(listed.body.tokens.length, 1);
    const revoked = await call(
      server,
      "DELETE",
      `/api/bots/ci/tokens/${listed.body.tokens[0].id}`,
      { token: alice.token },
    );
    assert.deepEqual(revoked.status, 204);
    const after = await call(server, "GET", "/api/me", {
      token: token.body.token,
    });
    assert.deepEqual(after.status, 401);
    const notBot = await call(server, "GET", "/api/bots/bob/tokens", {
      token: alice.token,
    });
    assert.deepEqual([notBot.status, notBot.body.error], [
      404,
      "user_not_found",
    ]);
  }));

Deno.test("a bot's token cannot make, list or revoke tokens: they are its admin's", () =>
  withServer(async (server) => {
    const alice = await accountWithToken(server, "alice");
    await call(server, "POST", "/api/bots", {
      body: { name: "ci" },
      token: alice.token,
    });
    for (const name of ["pipeline", "deploy"]) {
      const made = await call(server, "POST", "/api/bots/ci/tokens", {
        body: { name },
        token: alice.token,
      });
      assert.deepEqual(made.status, 201);
    }
    const listed = await call(server, "GET", "/api/bots/ci/tokens", {
      token: alice.token,
    });
    const [pipeline, deploy] = listed.body.tokens;
    const leaked = (await call(server, "POST", "/api/bots/ci/tokens", {
      body: { name: "leaked" },
      token: alice.token,
    })).body.token;
    // A leaked bot token could mint itself a spare, or revoke the
    // pipeline's own: neither is the bot's to do.
    const attempts = [
      ["POST", "/api/tokens", { name: "spare" }],
      ["GET", "/api/tokens", undefined],
      ["DELETE", `/api/tokens/${deploy.id}`, undefined],
    ] as const;
    for (const [method, path, body] of attempts) {
      const refused = await call(server, method, path, { body, token: leaked });
      assert.deepEqual(
        [refused.status, refused.body.error, refused.body.message],
        [
          403,
          "forbidden",
          "A bot's tokens are made and revoked by an admin, under /api/bots.",
        ],
        `${method} ${path}`,
      );
    }
    const after = await call(server, "GET", "/api/bots/ci/tokens", {
      token: alice.token,
    });
    assert.deepEqual(
      after.body.tokens.map((t: { name: string }) => t.name),
      [pipeline.name, deploy.name, "leaked"],
    );
  }));

Deno.test("an account keeps at most 100 tokens, a bot too; revoking one makes room for another", () =>
  withServer(async (server) => {
    const alice = await accountWithToken(server, "alice");
    await call(server, "POST", "/api/bots", {
      body: { name: "ci" },
      token: alice.token,
    });
    // Each token is a row kept until it is revoked: 100 per account, the
    // one accountWithToken made (which these requests use) included.
    const make = (path: string) => () =>
      call(server, "POST", path, { body: { name: "t" }, token: alice.token });
    const message = "An account has at most 100 tokens: revoke one first.";
    for (let i = 1; i < 100; i++) {
      assert.equal((await make("/api/tokens")()).status, 201);
    }
    const [, spare] = (await call(server, "GET", "/api/tokens", {
      token: alice.token,
    })).body.tokens;
    await assertCapped(
      make("/api/tokens"),
      () => call(server, "DELETE", `/api/tokens/${spare.id}`, alice),
      message,
    );
    const first = await make("/api/bots/ci/tokens")();
    for (let i = 1; i < 100; i++) await make("/api/bots/ci/tokens")();
    await assertCapped(
      make("/api/bots/ci/tokens"),
      () =>
        call(server, "DELETE", `/api/bots/ci/tokens/${first.body.id}`, alice),
      message,
    );
  }, {
    // 200 tokens made in a row: past the pace of setups (its own test).
    rateLimits: { ...DEFAULT_RATE_LIMITS, perIntegrationSetup: undefined },
  }));

Deno.test("an account making and revoking tokens in a loop gets 429 rate_limited past 30 at once, its incoming webhooks sharing the pace; another account is not held up", () =>
  withServer(async (server) => {
    await accountWithToken(server, "alice");
    // Its first token, made as the web client does, is one of the 30.
    const bob = await accountWithToken(server, "bob");
    const room = await TestClient.loginWith(server.wsUrl, {
      token: bob.token,
    });
    try {
      await room.ok("create_room", { room: "bobs" });
    } finally {
      await room.close();
    }
    // Each one a commit of its own (an fsync on the server's thread).
    let setups = 1;
    let refused: Awaited<ReturnType<typeof call>> | undefined;
    while (setups < 100 && !refused) {
      const made = await call(server, "POST", "/api/tokens", {
        body: { name: "loop" },
        token: bob.token,
      });
      if (made.status !== 201) {
        refused = made;
        break;
      }
      setups++;
      const gone = await call(
        server,
        "DELETE",
        `/api/tokens/${made.body.id}`,
        bob,
      );
      if (gone.status !== 204) refused = gone;
      else setups++;
    }
    assert.equal(refused?.status, 429, JSON.stringify(refused?.body));
    assert.equal(refused?.body.error, "rate_limited");
    assert.ok(Number(refused?.headers.get("retry-after")) > 0);
    // 30 at once, and one more every 10 s a slow machine may have taken.
    assert.ok(setups >= 30 && setups <= 40, `setups ${setups}`);
    const hook = await call(server, "POST", "/api/rooms/bobs/hooks", {
      body: { name: "ci" },
      token: bob.token,
    });
    assert.deepEqual([hook.status, hook.body.error], [429, "rate_limited"]);
    const carol = await accountWithToken(server, "carol");
    const hers = await call(server, "POST", "/api/tokens", {
      body: { name: "ci" },
      token: carol.token,
    });
    assert.equal(hers.status, 201);
  }));

Deno.test("a bot gets no password reset link: reset_password answers forbidden, so no session outlives the revocation of its tokens", () =>
  withServer(async (server) => {
    const alice = await accountWithToken(server, "alice");
    assert.equal(
      (await call(server, "POST", "/api/bots", {
        body: { name: "ci" },
        token: alice.token,
      })).status,
      201,
    );
    // A link gave the bot a password and whoever opened it a session (a
    // cookie for the web client as the bot), listed nowhere: revoking
    // every one of the bot's tokens left it working.
    const reset = await call(server, "POST", "/api/admin/reset_password", {
      body: { user: "ci" },
      token: alice.token,
    });
    assert.deepEqual([reset.status, reset.body.error], [403, "forbidden"]);
    assert.match(reset.body.message, /bot/);
    // A person's link is still made.
    await accountWithToken(server, "bob");
    const person = await call(server, "POST", "/api/admin/reset_password", {
      body: { user: "bob" },
      token: alice.token,
    });
    assert.equal(person.status, 200);
  }));

Deno.test("POST /api/logout with an access token revokes that token, as with a session's", () =>
  withServer(async (server) => {
    const alice = await accountWithToken(server, "alice");
    const cli = await call(server, "POST", "/api/tokens", {
      body: { name: "cli" },
      token: alice.token,
    });
    // It answered 204 and the token went on working: a program that
    // logged out to drop its credential still held a live one.
    const out = await call(server, "POST", "/api/logout", {
      token: cli.body.token,
    });
    assert.equal(out.status, 204);
    const after = await call(server, "GET", "/api/me", {
      token: cli.body.token,
    });
    assert.equal(after.status, 401);
    const kept = await call(server, "GET", "/api/me", { token: alice.token });
    assert.equal(kept.status, 200);
  }));

Deno.test("logout on a socket that logged in with an access token revokes the token and closes its other sockets (4004)", () =>
  withServer(async (server) => {
    const alice = await accountWithToken(server, "alice");
    const cli = await call(server, "POST", "/api/tokens", {
      body: { name: "cli" },
      token: alice.token,
    });
    const first = await TestClient.loginWith(server.wsUrl, {
      token: cli.body.token,
    });
    const second = await TestClient.loginWith(server.wsUrl, {
      token: cli.body.token,
    });
    const other = await TestClient.loginWith(server.wsUrl, {
      token: alice.token,
    });
    try {
      // It closed only the socket that asked, and the token went on.
      await first.ok("logout");
      const closing = (socket: TestClient) =>
        within(60_000, socket.closed, "the close of a revoked token's socket");
      for (const socket of [first, second]) {
        const closed = await closing(socket);
        assert.deepEqual([closed.code, closed.reason], [4004, "Token revoked"]);
      }
      const after = await call(server, "GET", "/api/me", {
        token: cli.body.token,
      });
      assert.equal(after.status, 401);
      await other.ok("send_message", { text: "another token, still here" });
    } finally {
      for (const socket of [first, second, other]) await socket.close();
    }
  }));

Deno.test("the WebSocket takes a token in the Authorization header: login with no data", () =>
  withServer(async (server) => {
    const alice = await accountWithToken(server, "alice");
    const client = await TestClient.connect(server.wsUrl, {
      headers: { authorization: `Bearer ${alice.token}` },
    });
    try {
      const reply = await client.ok("login", {});
      assert.deepEqual(reply.username, "alice");
      // The header's token is not echoed back.
      assert.deepEqual(reply.token, undefined);
    } finally {
      await client.close();
    }
  }));

Deno.test("a bot reads its private conversation with a user over REST, page by page after a seq, and sees no one else's", () =>
  withServer(async (server) => {
    const alice = await accountWithToken(server, "alice");
    const carol = await accountWithToken(server, "carol");
    await call(server, "POST", "/api/bots", {
      body: { name: "ci" },
      token: alice.token,
    });
    const bot = (await call(server, "POST", "/api/bots/ci/tokens", {
      body: { name: "pipeline" },
      token: alice.token,
    })).body.token as string;
    const sent = [];
    for (const text of ["deploy prod", "status?", "thanks"]) {
      const answer = await call(server, "POST", "/api/private/ci/messages", {
        body: { text },
        token: alice.token,
      });
      assert.equal(answer.status, 201);
      sent.push(answer.body.message);
    }
    await call(server, "POST", "/api/private/ci/messages", {
      body: { text: "not for alice" },
      token: carol.token,
    });

    const whole = await call(server, "GET", "/api/private/alice/messages", {
      token: bot,
    });
    assert.equal(whole.status, 200, JSON.stringify(whole.body));
    assert.deepEqual(whole.body, { with: "alice", messages: sent });
    const after = await call(
      server,
      "GET",
      `/api/private/alice/messages?after_seq=${sent[0].seq}&limit=1`,
      { token: bot },
    );
    assert.equal(after.status, 200);
    assert.deepEqual(after.body.messages, [sent[1]]);
    // Carol's own conversation with alice is empty: she reads no other's.
    const other = await call(server, "GET", "/api/private/alice/messages", {
      token: carol.token,
    });
    assert.deepEqual(other.body, { with: "alice", messages: [] });
    const anonymous = await call(server, "GET", "/api/private/alice/messages");
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.body.error, "not_logged_in");
    const bad = await call(
      server,
      "GET",
      "/api/private/alice/messages?after_seq=1&around_seq=2",
      { token: bot },
    );
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error, "invalid_message");
  }));

Deno.test("a bot lists a room's users over REST, as list_users answers, and a private room it does not belong to is room_not_found", () =>
  withServer(async (server) => {
    const alice = await accountWithToken(server, "alice");
    const bob = await accountWithToken(server, "bob");
    const socket = await TestClient.loginWith(server.wsUrl, {
      username: "bob",
      password: TEST_PASSWORD,
    });
    try {
      const general = await call(server, "GET", "/api/rooms/general/members", {
        token: alice.token,
      });
      assert.equal(general.status, 200, JSON.stringify(general.body));
      assert.deepEqual(general.body, { room: "general", users: ["bob"] });
      await socket.ok("create_room", { room: "ops", private: true });
      const own = await call(server, "GET", "/api/rooms/ops/members", {
        token: bob.token,
      });
      assert.equal(own.status, 200, JSON.stringify(own.body));
      assert.deepEqual(own.body, { room: "ops", users: ["bob"], owner: "bob" });
      const hidden = await call(server, "GET", "/api/rooms/ops/members", {
        token: alice.token,
      });
      assert.equal(hidden.status, 404);
      assert.equal(hidden.body.error, "room_not_found");
      const anonymous = await call(server, "GET", "/api/rooms/general/members");
      assert.equal(anonymous.status, 401);
      assert.equal(anonymous.body.error, "not_logged_in");
    } finally {
      await socket.close();
    }
  }));

Deno.test("GET /api/rooms/{room}/members costs its token's list_users bucket a token per KiB past the first, as list_users does on a socket", async () => {
  // One token a list could read a list of 2,000 names (15 KB) at the
  // bucket's rate, what list_users' cost per KiB stopped on the WebSocket.
  const users = { burst: 10, perSecond: 0.001 };
  await withServer(async (server) => {
    const alice = await accountWithToken(server, "alice");
    const guests: TestClient[] = [];
    try {
      // 60 names of 32 letters: a list of about 2.1 KiB, two tokens more.
      for (let i = 0; i < 60; i++) {
        guests.push(
          await TestClient.login(
            server.wsUrl,
            `g${String(i).padStart(31, "0")}`,
          ),
        );
      }
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const list = await call(server, "GET", "/api/rooms/general/members", {
          token: alice.token,
        });
        if (i === 0) {
          const length = JSON.stringify(list.body).length;
          assert.ok(length >= 2048 && length < 3072, `${length} bytes`);
        }
        statuses.push(list.status);
      }
      // 10 tokens: 3 a list, so the first three lists and a fourth pass.
      assert.deepEqual(statuses, [200, 200, 200, 200, 429]);
    } finally {
      for (const guest of guests) await guest.close();
    }
  }, {
    rateLimits: {
      ...DEFAULT_RATE_LIMITS,
      perConnection: { ...DEFAULT_RATE_LIMITS.perConnection, users },
    },
  });
});

Deno.test("a bot lists a room's accounts over REST, online or not, by prefix, as list_members answers", () =>
  withServer(async (server) => {
    const alice = await accountWithToken(server, "alice");
    const bob = await accountWithToken(server, "bob");
    await accountWithToken(server, "Bea");
    // Nobody has a socket open: every account is offline.
    const all = await call(server, "GET", "/api/rooms/general/accounts", {
      token: alice.token,
    });
    assert.equal(all.status, 200, JSON.stringify(all.body));
    assert.deepEqual(all.body, {
      room: "general",
      members: ["alice", "Bea", "bob"],
    });
    const online = await call(server, "GET", "/api/rooms/general/members", {
      token: alice.token,
    });
    assert.deepEqual(online.body, { room: "general", users: [] });
    const b = await call(
      server,
      "GET",
      "/api/rooms/GENERAL/accounts?prefix=B",
      {
        token: alice.token,
      },
    );
    assert.equal(b.status, 200, JSON.stringify(b.body));
    assert.deepEqual(b.body, { room: "general", members: ["Bea", "bob"] });

    const socket = await TestClient.loginWith(server.wsUrl, {
      username: "bob",
      password: TEST_PASSWORD,
    });
    try {
      await socket.ok("create_room", { room: "ops", private: true });
    } finally {
      await socket.close();
    }
    const own = await call(server, "GET", "/api/rooms/ops/accounts", {
      token: bob.token,
    });
    assert.equal(own.status, 200, JSON.stringify(own.body));
    assert.deepEqual(own.body, { room: "ops", members: ["bob"] });
    const hidden = await call(server, "GET", "/api/rooms/ops/accounts", {
      token: alice.token,
    });
    assert.equal(hidden.status, 404);
    assert.equal(hidden.body.error, "room_not_found");

    const long = await call(
      server,
      "GET",
      `/api/rooms/general/accounts?prefix=${"a".repeat(65)}`,
      { token: alice.token },
    );
    assert.equal(long.status, 400);
    assert.equal(long.body.error, "invalid_message");
    const anonymous = await call(server, "GET", "/api/rooms/general/accounts");
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.body.error, "not_logged_in");
  }));

Deno.test("a bot marks a room read over REST: the account's sockets get read_state, and with no socket online the store's membership answers, general's for every account", () =>
  withServer(async (server) => {
    const alice = await accountWithToken(server, "alice");
    const bob = await accountWithToken(server, "bob");
    const socket = await TestClient.loginWith(server.wsUrl, {
      username: "alice",
      password: TEST_PASSWORD,
    });
    const seqs: number[] = [];
    try {
      for (const text of ["one", "two", "three"]) {
        const sent = await call(server, "POST", "/api/rooms/general/messages", {
          body: { text },
          token: bob.token,
        });
        assert.equal(sent.status, 201);
        seqs.push(sent.body.message.seq);
      }
      const read = await call(server, "POST", "/api/rooms/general/read", {
        body: { seq: seqs[1] },
        token: alice.token,
      });
      assert.equal(read.status, 200, JSON.stringify(read.body));
      const state = {
        room: "general",
        last_read_seq: seqs[1],
        unread: 1,
        mentions: 0,
      };
      assert.deepEqual(read.body, state);
      assert.deepEqual((await socket.event("read_state")).data, state);
    } finally {
      await socket.close();
    }
    // Alice has no socket now: her membership of general comes from the store.
    const rest = await call(server, "POST", "/api/rooms/general/read", {
      body: { seq: seqs[2] },
      token: alice.token,
    });
    assert.equal(rest.status, 200, JSON.stringify(rest.body));
    assert.deepEqual(rest.body, {
      room: "general",
      last_read_seq: seqs[2],
      unread: 0,
      mentions: 0,
    });
    // Bob never logged in on a socket: every account belongs to general
    // all the same.
    const bobs = await call(server, "POST", "/api/rooms/general/read", {
      body: { seq: seqs[0] },
      token: bob.token,
    });
    assert.equal(bobs.status, 200, JSON.stringify(bobs.body));
    assert.deepEqual(bobs.body, {
      room: "general",
      last_read_seq: seqs[0],
      unread: 0,
      mentions: 0,
    });
    const nowhere = await call(server, "POST", "/api/rooms/nowhere/read", {
      body: { seq: 1 },
      token: alice.token,
    });
    assert.equal(nowhere.status, 404);
    assert.equal(nowhere.body.error, "room_not_found");
    const bad = await call(server, "POST", "/api/rooms/general/read", {
      body: { seq: -1 },
      token: alice.token,
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error, "invalid_message");
  }));

Deno.test("a bot marks a room unread from a message over REST: the position goes back to just before it, and the account's sockets get read_state", () =>
  withServer(async (server) => {
    const alice = await accountWithToken(server, "alice");
    const bob = await accountWithToken(server, "bob");
    const seqs: number[] = [];
    for (const text of ["one", "two @alice", "three"]) {
      const sent = await call(server, "POST", "/api/rooms/general/messages", {
        body: { text },
        token: bob.token,
      });
      seqs.push(sent.body.message.seq);
    }
    const read = await call(server, "POST", "/api/rooms/general/read", {
      body: { seq: seqs[2] },
      token: alice.token,
    });
    assert.equal(read.body.unread, 0);
    const socket = await TestClient.loginWith(server.wsUrl, {
      username: "alice",
      password: TEST_PASSWORD,
    });
    try {
      const unread = await call(server, "POST", "/api/rooms/general/unread", {
        body: { seq: seqs[1] },
        token: alice.token,
      });
      assert.equal(unread.status, 200, JSON.stringify(unread.body));
      const state = {
        room: "general",
        last_read_seq: seqs[0],
        unread: 2,
        mentions: 1,
      };
      assert.deepEqual(unread.body, state);
      assert.deepEqual((await socket.event("read_state")).data, {
        ...state,
        marked_unread: true,
      });
    } finally {
      await socket.close();
    }
    const nowhere = await call(server, "POST", "/api/rooms/nowhere/unread", {
      body: { seq: 1 },
      token: alice.token,
    });
    assert.equal(nowhere.status, 404);
    assert.equal(nowhere.body.error, "room_not_found");
  }));
