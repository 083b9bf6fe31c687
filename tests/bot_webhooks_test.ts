/**
 * A bot's outgoing webhooks: an admin registers a URL for a bot, and every
 * private message sent to the bot is POSTed there, signed and retried as a
 * room's hooks are, so a bot people write to privately needs no socket.
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { call } from "./api_helpers.ts";
import {
  ClientPool,
  eventually,
  startTestServer,
  type TestServer,
} from "./harness.ts";
import { startReceiver } from "./webhook_receiver.ts";

/** Makes a bot and a token for it, as its admin (`adminToken`). */
async function makeBot(
  server: TestServer,
  adminToken: string,
  name: string,
): Promise<string> {
  const made = await call(server, "POST", "/api/bots", {
    token: adminToken,
    body: { name },
  });
  assert.equal(made.status, 201);
  const token = await call(server, "POST", `/api/bots/${name}/tokens`, {
    token: adminToken,
    body: { name: "main" },
  });
  assert.equal(token.status, 201);
  return token.body.token as string;
}

/** A server allowing loopback, with an admin, bob, and the bot "echo". */
async function setUp() {
  const server = await startTestServer({ webhookAllow: ["127.0.0.1"] });
  const pool = new ClientPool(server.wsUrl);
  const admin = await pool.register("root");
  const bob = await pool.register("bob");
  const echo = await makeBot(server, admin.token!, "echo");
  async function close() {
    await pool.closeAll();
    await server.close();
  }
  return { server, pool, admin, bob, echo, close };
}

Deno.test("bot outgoing webhooks: a private message to the bot arrives signed with the hook's secret, and nothing else does", async () => {
  const receiver = startReceiver();
  const { server, admin, bob, echo, close } = await setUp();
  try {
    const created = await call(
      server,
      "POST",
      "/api/bots/echo/outgoing-hooks",
      {
        token: admin.token,
        body: { url: receiver.url },
      },
    );
    assert.equal(created.status, 201);
    assert.equal(created.body.bot, "echo");
    assert.equal(created.body.url, receiver.url);
    assert.equal(created.body.failures, 0);
    const secret = created.body.secret as string;
    assert.ok(secret.length >= 32);

    // Not for the bot's hook: a conversation without it, the bot's own
    // answer, and another bot's message to it (two bots answering each
    // other would call each other forever).
    await bob.ok("private_message", { to: "root", text: "not for echo" });
    const answer = await call(server, "POST", "/api/private/bob/messages", {
      token: echo,
      body: { text: "echo: hello" },
    });
    assert.equal(answer.status, 201);
    const lint = await makeBot(server, admin.token!, "lint");
    const byBot = await call(server, "POST", "/api/private/echo/messages", {
      token: lint,
      body: { text: "lint: hello" },
    });
    assert.equal(byBot.status, 201);
    // For it: bob's, over the WebSocket and over REST.
    const sent = await bob.ok("private_message", {
      to: "echo",
      text: "deploy staging",
    });
    await eventually(() => assert.equal(receiver.received.length, 1));
    const overRest = await call(server, "POST", "/api/private/echo/messages", {
      token: bob.token,
      body: { text: "and prod" },
    });
    assert.equal(overRest.status, 201);
    await eventually(() => assert.equal(receiver.received.length, 2));

    const [delivery] = receiver.received;
    const payload = JSON.parse(delivery.body);
    assert.equal(payload.event, "private_message");
    assert.equal(payload.to, "echo");
    assert.equal(payload.hook, created.body.id);
    assert.deepEqual(payload.message, (sent as { message: unknown }).message);
    assert.equal(payload.message.user, "bob");
    assert.equal(delivery.headers.get("content-type"), "application/json");
    assert.equal(delivery.headers.get("x-chat-event"), "private_message");
    assert.equal(delivery.headers.get("x-chat-delivery"), payload.delivery);
    const expected = createHmac("sha256", secret).update(delivery.body)
      .digest("hex");
    assert.equal(
      delivery.headers.get("x-chat-signature-256"),
      `sha256=${expected}`,
    );
    assert.equal(
      JSON.parse(receiver.received[1].body).message.text,
      "and prod",
    );

    // Listed without its secret; removed, it gets nothing more.
    const listed = await call(server, "GET", "/api/bots/echo/outgoing-hooks", {
      token: admin.token,
    });
    assert.equal(listed.status, 200);
    const hooks = listed.body.hooks as Record<string, unknown>[];
    assert.equal(hooks.length, 1);
    assert.equal(hooks[0].id, created.body.id);
    assert.equal(hooks[0].secret, undefined);
    const removed = await call(
      server,
      "DELETE",
      `/api/bots/echo/outgoing-hooks/${created.body.id}`,
      { token: admin.token },
    );
    assert.equal(removed.status, 204);
    await bob.ok("private_message", { to: "echo", text: "after removal" });
    await bob.ok("private_message", { to: "echo", text: "and again" });
    assert.equal(receiver.received.length, 2);
  } finally {
    await close();
    await receiver.close();
  }
});

Deno.test("bot outgoing webhooks: only an admin manages them, as the bot's tokens", async () => {
  const receiver = startReceiver();
  const { server, admin, bob, echo, close } = await setUp();
  try {
    const path = "/api/bots/echo/outgoing-hooks";
    const body = { url: receiver.url };
    // Neither a person nor the bot itself: a leaked bot token must not
    // send the bot's messages somewhere that outlives its revocation.
    for (const token of [bob.token, echo]) {
      const refused = await call(server, "POST", path, { token, body });
      assert.equal(refused.status, 403);
      assert.equal(refused.body.error, "forbidden");
      const unlisted = await call(server, "GET", path, { token });
      assert.equal(unlisted.status, 403);
    }
    const person = await call(server, "POST", "/api/bots/bob/outgoing-hooks", {
      token: admin.token,
      body,
    });
    assert.equal(person.status, 404);
    assert.equal(person.body.error, "user_not_found");
    const unallowed = await call(server, "POST", path, {
      token: admin.token,
      body: { url: "http://10.0.0.5/hook" },
    });
    assert.equal(unallowed.status, 400);
    assert.equal(unallowed.body.error, "url_not_allowed");
    const shapeless = await call(server, "POST", path, {
      token: admin.token,
      body: { link: receiver.url },
    });
    assert.equal(shapeless.status, 400);
    assert.equal(shapeless.body.error, "invalid_message");

    const made = await call(server, "POST", path, { token: admin.token, body });
    assert.equal(made.status, 201);
    const id = made.body.id as string;
    // A bot's hook is no room's, and no other bot's.
    await makeBot(server, admin.token!, "lint");
    for (
      const other of [
        `/api/bots/lint/outgoing-hooks/${id}`,
        `/api/outgoing-hooks/${id}`,
      ]
    ) {
      const missed = await call(server, "DELETE", other, {
        token: admin.token,
      });
      assert.equal(missed.status, 404);
      assert.equal(missed.body.error, "not_found");
    }
    const byBot = await call(server, "DELETE", `${path}/${id}`, {
      token: echo,
    });
    assert.equal(byBot.status, 403);
    const listed = await call(server, "GET", path, { token: admin.token });
    assert.deepEqual(
      (listed.body.hooks as { id: string }[]).map((h) => h.id),
      [id],
    );
    const entries = await admin.ok("audit_log", {}) as {
      entries: { action: string; target?: string; details?: unknown }[];
    };
    const entry = entries.entries.find((e) =>
      e.action === "create_outgoing_webhook"
    );
    assert.equal(entry?.target, "echo");
    assert.deepEqual(entry?.details, { hook: id, url: receiver.url });
  } finally {
    await close();
    await receiver.close();
  }
});

Deno.test("bot outgoing webhooks: a failing receiver is retried with the same delivery, and the admin sees how it went", async () => {
  // Fails twice, then takes it.
  const receiver = startReceiver((_, index) => index < 2 ? 503 : 200);
  const { server, admin, bob, close } = await setUp();
  server.node.webhooks.timing.retryDelaysMs = [50, 100];
  try {
    const made = await call(server, "POST", "/api/bots/echo/outgoing-hooks", {
      token: admin.token,
      body: { url: receiver.url },
    });
    assert.equal(made.status, 201);
    await bob.ok("private_message", { to: "echo", text: "status?" });
    await eventually(() => assert.equal(receiver.received.length, 3));
    const deliveries = receiver.received.map((r) => JSON.parse(r.body));
    assert.equal(new Set(deliveries.map((d) => d.delivery)).size, 1);
    const hook = await eventually(async () => {
      const listed = await call(
        server,
        "GET",
        "/api/bots/echo/outgoing-hooks",
        { token: admin.token },
      );
      const [hook] = listed.body.hooks as Record<string, unknown>[];
      assert.equal(hook.failures, 0);
      assert.notEqual(hook.last_success_at, null);
      return hook;
    });
    assert.equal(hook.last_status, 503);
    assert.equal(hook.last_error, "HTTP 503");
  } finally {
    await close();
    await receiver.close();
  }
});

Deno.test("bot outgoing webhooks: a bot banned from the server gets no private message through its hook until the ban is lifted", async () => {
  // The delivery asks whether the bot is banned after the send's reply:
  // the ban is lifted once it has been found (or, were it not asked, once
  // the message has arrived, which the test then refuses).
  const decided = Promise.withResolvers<void>();
  const receiver = startReceiver(() => {
    decided.resolve();
    return 200;
  });
  const { server, admin, bob, close } = await setUp();
  try {
    const made = await call(server, "POST", "/api/bots/echo/outgoing-hooks", {
      token: admin.token,
      body: { url: receiver.url },
    });
    assert.equal(made.status, 201);
    const store = server.node.store;
    const findBan = store.findBan.bind(store);
    store.findBan = async (who, roomKey) => {
      const ban = await findBan(who, roomKey);
      if (who.userKey === "echo" && ban) decided.resolve();
      return ban;
    };
    await admin.ok("ban", { user: "echo" });
    await bob.ok("private_message", { to: "echo", text: "while banned" });
    await decided.promise;
    await admin.ok("unban", { user: "echo" });
    await bob.ok("private_message", { to: "echo", text: "after the ban" });
    await eventually(() => assert.equal(receiver.received.length, 1));
    assert.equal(
      JSON.parse(receiver.received[0].body).message.text,
      "after the ban",
    );
    // The bot's deletion takes its hooks with it.
    await admin.ok("delete_account", { user: "echo", messages: "keep" });
    assert.deepEqual(await store.listPrivateWebhooks(), []);
  } finally {
    await close();
    await receiver.close();
  }
});
