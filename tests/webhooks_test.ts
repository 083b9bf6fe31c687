/**
 * Outgoing webhooks: registered by a room's owner, each new message POSTed
 * signed to a receiver on loopback (allowed with --webhook-allow), retried,
 * a few at a time, failures shown to the owner; and the URLs the server
 * refuses to call.
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { OutboundGuard } from "../server/outbound.ts";
import type { StartParts } from "../server/mod.ts";
import { WEBHOOK_MAX_IN_FLIGHT } from "../server/webhooks.ts";
import {
  ClientPool,
  eventually,
  startSilentListener,
  startTestServer,
  TEST_PASSWORD,
  type TestClient,
  type TestServer,
} from "./harness.ts";
import { startRebinding } from "./rebinding.ts";
import { holdsExactly, silentLanes, silentNames } from "./silent_lanes.ts";
import { startReceiver } from "./webhook_receiver.ts";

async function api(
  server: TestServer,
  path: string,
  options: { method?: string; token?: string; body?: unknown } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = {
    "content-type": "application/json",
  };
  // A bot sends its token; without one the request comes as the page's
  // would, from the server's own Origin (else the CSRF rule answers 403).
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  else headers.origin = server.url;
  const response = await fetch(`${server.url}${path}`, {
    method: options.method ?? "GET",
    headers,
    body: options.body === undefined
      ? undefined
      : typeof options.body === "string"
      ? options.body
      : JSON.stringify(options.body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : {} };
}

/** Makes an outgoing hook in `room` to `url`; it must be made (201). */
async function addHook(
  server: TestServer,
  token: string | undefined,
  room: string,
  url: string,
): Promise<void> {
  const made = await api(server, `/api/rooms/${room}/outgoing-hooks`, {
    method: "POST",
    token,
    body: { url },
  });
  assert.equal(made.status, 201);
}

/**
 * The admin's hook on general to `receiver`, which has answered one
 * delivery ("before"): its lane is proven.
 */
async function provenHook(
  server: TestServer,
  admin: TestClient,
  receiver: ReturnType<typeof startReceiver>,
): Promise<void> {
  await addHook(server, admin.token, "general", receiver.url);
  await admin.ok("send_message", { room: "general", text: "before" });
  await eventually(() => assert.equal(receiver.received.length, 1));
}

/** A server allowing loopback, with an admin, and bob owning private room "team". */
async function setUp(allow = ["127.0.0.1"], parts: StartParts = {}) {
  const server = await startTestServer({ webhookAllow: allow }, parts);
  const pool = new ClientPool(server.wsUrl);
  const admin = await pool.register("root");
  const bob = await pool.register("bob");
  await bob.ok("create_room", { room: "team", private: true });
  async function close() {
    await pool.closeAll();
    await server.close();
  }
  return { server, pool, admin, bob, close };
}

Deno.test("outgoing webhooks: each new message of the room arrives signed with the hook's secret", async () => {
  const receiver = startReceiver();
  const { server, admin, bob, close } = await setUp();
  try {
    const created = await api(server, "/api/rooms/team/outgoing-hooks", {
      method: "POST",
      token: bob.token,
      body: { url: receiver.url },
    });
    assert.equal(created.status, 201);
    assert.equal(created.body.url, receiver.url);
    assert.equal(created.body.room, "team");
    assert.equal(created.body.failures, 0);
    const secret = created.body.secret as string;
    assert.ok(secret.length >= 32);

    const sent = await bob.ok("send_message", {
      room: "team",
      text: "build is green",
    });
    await admin.ok("send_message", { text: "not for team" });
    await eventually(() => assert.equal(receiver.received.length, 1));
    const [delivery] = receiver.received;
    const payload = JSON.parse(delivery.body);
    assert.equal(payload.event, "message");
    assert.equal(payload.room, "team");
    assert.equal(payload.hook, created.body.id);
    assert.deepEqual(payload.message, (sent as { message: unknown }).message);
    assert.equal(delivery.headers.get("content-type"), "application/json");
    assert.equal(delivery.headers.get("x-chat-event"), "message");
    assert.equal(delivery.headers.get("x-chat-delivery"), payload.delivery);
    const expected = createHmac("sha256", secret).update(delivery.body)
      .digest("hex");
    assert.equal(
      delivery.headers.get("x-chat-signature-256"),
      `sha256=${expected}`,
    );

    // Listed without its secret; removed, it gets nothing more.
    const listed = await api(server, "/api/rooms/team/outgoing-hooks", {
      token: bob.token,
    });
    const hooks = listed.body.hooks as Record<string, unknown>[];
    assert.equal(hooks.length, 1);
    assert.equal(hooks[0].secret, undefined);
    assert.equal(hooks[0].id, created.body.id);
    const removed = await api(server, `/api/outgoing-hooks/${hooks[0].id}`, {
      method: "DELETE",
      token: bob.token,
    });
    assert.equal(removed.status, 204);
    await bob.ok("send_message", { room: "team", text: "after removal" });
    await bob.ok("send_message", { room: "team", text: "and again" });
    assert.equal(receiver.received.length, 1);
  } finally {
    await close();
    await receiver.close();
  }
});

Deno.test("outgoing webhooks: messages of bots and incoming hooks are not delivered, so a bot cannot loop", async () => {
  const receiver = startReceiver();
  const { server, admin, bob, close } = await setUp();
  try {
    const outgoing = await api(server, "/api/rooms/general/outgoing-hooks", {
      method: "POST",
      token: admin.token,
      body: { url: receiver.url },
    });
    assert.equal(outgoing.status, 201);
    const bot = await api(server, "/api/bots", {
      method: "POST",
      token: admin.token,
      body: { name: "echo" },
    });
    assert.equal(bot.status, 201);
    const botToken = await api(server, "/api/bots/echo/tokens", {
      method: "POST",
      token: admin.token,
      body: { name: "loop" },
    });
    assert.equal(botToken.status, 201);
    const incoming = await api(server, "/api/rooms/general/hooks", {
      method: "POST",
      token: admin.token,
      body: { name: "alerts" },
    });
    assert.equal(incoming.status, 201);

    const byBot = await api(server, "/api/rooms/general/messages", {
      method: "POST",
      token: botToken.body.token as string,
      body: { text: "echo: build is green" },
    });
    assert.equal(byBot.status, 201);
    assert.equal(
      (byBot.body.message as Record<string, unknown>).badge,
      "bot",
    );
    const byHook = await fetch(incoming.body.url as string, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: "disk full on db-2" }),
    });
    await byHook.body?.cancel();
    assert.equal(byHook.status, 200);
    // People's messages still go out; the bot's and the hook's, stored
    // first, were not queued at all.
    await bob.ok("join_room", { room: "general" });
    await bob.ok("send_message", { text: "on it" });
    await bob.ok("send_message", { text: "fixed" });
    await eventually(() => assert.equal(receiver.received.length, 2));
    const texts = receiver.received.map((r) => JSON.parse(r.body).message);
    assert.deepEqual(texts.map((m) => m.text).sort(), ["fixed", "on it"]);
    assert.ok(texts.every((m) => m.badge === undefined && m.user === "bob"));
  } finally {
    await close();
    await receiver.close();
  }
});

Deno.test("outgoing webhooks: only the room's owner or an admin manages them", async () => {
  const receiver = startReceiver();
  const { server, pool, admin, bob, close } = await setUp();
  const carol = await pool.register("carol");
  try {
    const path = "/api/rooms/team/outgoing-hooks";
    const body = { url: receiver.url };
    assert.equal(
      (await api(server, path, { method: "POST", body })).body.error,
      "bad_credentials",
    );
    assert.equal(
      (await api(server, path, { method: "POST", body, token: "wrong" }))
        .status,
      401,
    );
    // A private room carol is not in does not exist for her.
    const hidden = await api(server, path, {
      method: "POST",
      body,
      token: carol.token,
    });
    assert.equal(hidden.status, 404);
    assert.equal(hidden.body.error, "room_not_found");
    const general = await api(server, "/api/rooms/general/outgoing-hooks", {
      method: "POST",
      body,
      token: carol.token,
    });
    assert.equal(general.status, 403);
    assert.equal(general.body.error, "forbidden");
    // The admin may, in any room.
    const byAdmin = await api(server, "/api/rooms/general/outgoing-hooks", {
      method: "POST",
      body,
      token: admin.token,
    });
    assert.equal(byAdmin.status, 201);
    const mine = await api(server, path, {
      method: "POST",
      body,
      token: bob.token,
    });
    const gone = await api(server, `/api/outgoing-hooks/${mine.body.id}`, {
      method: "DELETE",
      token: carol.token,
    });
    assert.equal(gone.status, 404);
    assert.equal(
      (await api(server, "/api/rooms/nowhere/outgoing-hooks", {
        token: bob.token,
      })).body.error,
      "room_not_found",
    );
    const bad = await api(server, path, {
      method: "POST",
      body: "{not json",
      token: bob.token,
    });
    assert.deepEqual([bad.status, bad.body.error], [400, "invalid_json"]);
    const wrong = await api(server, path, {
      method: "POST",
      body: { url: 42 },
      token: bob.token,
    });
    assert.deepEqual([wrong.status, wrong.body.error], [
      400,
      "invalid_message",
    ]);
    const huge = await api(server, path, {
      method: "POST",
      body: { url: receiver.url, pad: "x".repeat(70_000) },
      token: bob.token,
    });
    assert.equal(huge.status, 413);
    // From another site with the cookie: refused.
    const login = await fetch(`${server.url}/api/login`, {
      method: "POST",
      headers: { origin: server.url, "content-type": "application/json" },
      body: JSON.stringify({ username: "bob", password: TEST_PASSWORD }),
    });
    await login.body?.cancel();
    const cookie = login.headers.get("set-cookie")!.split(";")[0];
    const foreign = await fetch(`${server.url}${path}`, {
      method: "POST",
      headers: { cookie, origin: "https://evil.example" },
      body: JSON.stringify(body),
    });
    assert.equal(foreign.status, 403);
    await foreign.body?.cancel();
    const own = await fetch(`${server.url}${path}`, {
      method: "POST",
      headers: {
        cookie,
        origin: server.url,
        "content-type": "application/json",
      },
      body: JSON.stringify(body),
    });
    assert.equal(own.status, 201);
    await own.body?.cancel();
  } finally {
    await close();
    await receiver.close();
  }
});

Deno.test("outgoing webhooks: hosts --webhook-allow does not name, and private addresses, are refused", async () => {
  const { server, bob, close } = await setUp(["localhost", "*"]);
  try {
    const refused = async (url: string) => {
      const answer = await api(server, "/api/rooms/team/outgoing-hooks", {
        method: "POST",
        token: bob.token,
        body: { url },
      });
      assert.equal(answer.status, 400, url);
      assert.equal(answer.body.error, "url_not_allowed", url);
      return answer.body.message as string;
    };
    // Named, but loopback: only an address entry opens that.
    assert.match(await refused("http://localhost:9/hook"), /private/);
    assert.match(await refused("http://127.0.0.1:9/hook"), /private/);
    await refused("http://[::1]:9/hook");
    await refused("http://169.254.169.254/latest/meta-data");
    await refused("http://10.1.2.3/hook");
    await refused("http://[::ffff:192.168.0.1]/hook");
    // IPv4-compatible IPv6 (::/96, deprecated) holds an IPv4 address as
    // much as an IPv4-mapped one does: judged by that address.
    assert.match(await refused("http://[::7f00:1]:9/hook"), /127\.0\.0\.1/);
    await refused("http://[::a9fe:a9fe]/latest/meta-data");
    await refused("http://[::10.1.2.3]/hook");
    // Other spellings of loopback and the unspecified address: decimal,
    // hexadecimal, octal, shortened, percent-encoded, full-width, with a
    // trailing dot; IPv6 ones that reach IPv4 through a translator.
    for (
      const spelling of [
        "2130706433",
        "0x7f000001",
        "0177.0.0.1",
        "127.1",
        "%31%32%37.0.0.1",
        "１２７.０.０.１",
        "127.0.0.1.",
        "0",
        "0.0.0.0",
        "[::]",
        "[0:0:0:0:0:ffff:7f00:1]",
        "[64:ff9b::7f00:1]",
        "[2002:7f00:1::]",
        "[fec0::1]",
      ]
    ) {
      assert.match(
        await refused(`http://${spelling}:9/hook`),
        /private or reserved/,
        spelling,
      );
    }
    await refused("ftp://ci.example/hook");
    await refused("http://user:pw@ci.example/hook");
    await refused("not a url");
  } finally {
    await close();
  }
});

Deno.test("outgoing webhooks: a host name that resolves elsewhere after the check is still called at the checked address (DNS rebinding)", async () => {
  const received: string[] = [];
  const dns = await startRebinding(async (request) => {
    received.push(await request.text());
    return new Response(null, { status: 200 });
  });
  // localhost is named, 127.0.0.2 allowed by address; 127.0.0.1 and ::1,
  // what the name becomes after the check, are not.
  const { server, bob, close } = await setUp(["localhost", "127.0.0.2"], {
    resolve: dns.resolve,
  });
  try {
    const created = await api(server, "/api/rooms/team/outgoing-hooks", {
      method: "POST",
      token: bob.token,
      body: { url: `http://localhost:${dns.port}/hook` },
    });
    assert.equal(created.status, 201);
    dns.rebind();
    await bob.ok("send_message", { room: "team", text: "checked, then sent" });
    assert.equal(await dns.reached, "allowed");
    await eventually(() => assert.equal(received.length, 1));
    assert.equal(JSON.parse(received[0]).message.text, "checked, then sent");
    assert.deepEqual(dns.forbidden, []);
  } finally {
    await close();
    await dns.close();
  }
});

Deno.test("outgoing webhooks: an address written as IPv6 is called at the address that was checked", async () => {
  // [::127.0.0.2], IPv4-compatible, is checked as 127.0.0.2 (allowed): the
  // call must go there, not to the IPv6 address ::7f00:2, never checked.
  const received: string[] = [];
  const receiver = Deno.serve(
    { hostname: "127.0.0.2", port: 0, onListen() {} },
    async (request) => {
      received.push(`${request.headers.get("host")} ${await request.text()}`);
      return new Response(null, { status: 204 });
    },
  );
  const { server, bob, close } = await setUp(["127.0.0.2"]);
  try {
    const port = receiver.addr.port;
    for (const host of ["[::127.0.0.2]", "[::ffff:127.0.0.2]"]) {
      const created = await api(server, "/api/rooms/team/outgoing-hooks", {
        method: "POST",
        token: bob.token,
        body: { url: `http://${host}:${port}/hook` },
      });
      assert.equal(created.status, 201);
    }
    await bob.ok("send_message", { room: "team", text: "to both" });
    await eventually(() => assert.equal(received.length, 2));
    assert.deepEqual(
      received.map((r) => r.split(" ")[0]).sort(),
      [`[::7f00:2]:${port}`, `[::ffff:7f00:2]:${port}`],
      "each call keeps its URL's Host",
    );
  } finally {
    await close();
    await receiver.shutdown();
  }
});

Deno.test("outbound guard: names, addresses and ranges as --webhook-allow gives them", async () => {
  const dns: Record<string, string[]> = {
    "ci.example": ["93.184.216.34"],
    "sneaky.example": ["93.184.216.34", "10.0.0.5"],
    "intranet.example": ["10.0.0.7"],
  };
  const resolve = (host: string) =>
    dns[host] ? Promise.resolve(dns[host]) : Promise.reject(new Error("NX"));
  const named = new OutboundGuard(["ci.example", "sneaky.example"], resolve);
  assert.deepEqual(
    await named.check("https://ci.example/x", "webhook"),
    { ok: true, addresses: ["93.184.216.34"] },
  );
  assert.equal(
    (await named.check("https://other.example/x", "webhook")).ok,
    false,
  );
  // One private address among public ones is enough to refuse.
  assert.equal(
    (await named.check("https://sneaky.example/x", "webhook")).ok,
    false,
  );
  // Push endpoints need no name entry, but the address rule holds.
  assert.equal((await named.check("https://ci.example/p", "push")).ok, true);
  assert.equal(
    (await named.check("https://intranet.example/p", "push")).ok,
    false,
  );
  assert.equal((await named.check("https://nx.example/p", "push")).ok, false);
  const ranged = new OutboundGuard(["intranet.example", "10.0.0.0/8"], resolve);
  assert.equal(
    (await ranged.check("http://intranet.example/x", "webhook")).ok,
    true,
  );
  assert.equal((await ranged.check("http://10.9.9.9/x", "webhook")).ok, true);
  assert.equal(
    (await ranged.check("http://192.168.1.1/x", "webhook")).ok,
    false,
  );
  assert.equal(new OutboundGuard([], resolve).closed, true);
  assert.equal(
    (await new OutboundGuard([], resolve).check(
      "https://ci.example",
      "webhook",
    ))
      .ok,
    false,
  );
});

Deno.test("outgoing webhooks: a failing receiver is retried with backoff and the owner sees how it went", async () => {
  // Fails twice, then takes it.
  const receiver = startReceiver((_, index) => index < 2 ? 503 : 200);
  const { server, bob, close } = await setUp();
  server.node.webhooks.timing.retryDelaysMs = [50, 100];
  try {
    await api(server, "/api/rooms/team/outgoing-hooks", {
      method: "POST",
      token: bob.token,
      body: { url: receiver.url },
    });
    await bob.ok("send_message", { room: "team", text: "deploy done" });
    await eventually(() => assert.equal(receiver.received.length, 3));
    const deliveries = receiver.received.map((r) => JSON.parse(r.body));
    // The same delivery each time, so a receiver can drop repeats.
    assert.equal(new Set(deliveries.map((d) => d.delivery)).size, 1);
    const hook = await eventually(async () => {
      const listed = await api(server, "/api/rooms/team/outgoing-hooks", {
        token: bob.token,
      });
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

Deno.test("outgoing webhooks: a hook deleted while a delivery to it fails is not retried after the 204", async () => {
  // The first attempt is answered 503 only once the hook is deleted.
  const deleted = Promise.withResolvers<void>();
  const arrived = Promise.withResolvers<void>();
  const receiver = startReceiver(async (_, index) => {
    if (index === 0) {
      arrived.resolve();
      await deleted.promise;
    }
    return 503;
  });
  const { server, bob, close } = await setUp();
  server.node.webhooks.timing.retryDelaysMs = [0, 0];
  // What the server does after the 503: retry (a second outcome recorded)
  // or find the hook gone (the server's own look-up): the first of them.
  const store = server.node.store;
  const record = store.recordWebhookOutcome.bind(store);
  const find = store.findWebhook.bind(store);
  const decided = Promise.withResolvers<string>();
  let outcomes = 0;
  store.recordWebhookOutcome = async (id, outcome) => {
    await record(id, outcome);
    if (++outcomes === 2) decided.resolve("retried");
  };
  try {
    const made = await api(server, "/api/rooms/team/outgoing-hooks", {
      method: "POST",
      token: bob.token,
      body: { url: receiver.url },
    });
    await bob.ok("send_message", { room: "team", text: "deploy done" });
    await arrived.promise;
    const gone = await api(server, `/api/outgoing-hooks/${made.body.id}`, {
      method: "DELETE",
      token: bob.token,
    });
    assert.equal(gone.status, 204);
    store.findWebhook = async (id) => {
      const found = await find(id);
      if (id === made.body.id && !found) decided.resolve("stopped");
      return found;
    };
    deleted.resolve();
    assert.equal(await decided.promise, "stopped");
    assert.equal(receiver.received.length, 1);
  } finally {
    await close();
    await receiver.close();
  }
});

Deno.test("outgoing webhooks: a receiver that refuses is not retried; one that never answers times out", async () => {
  let release!: () => void;
  const released = new Promise<void>((resolve) => release = resolve);
  const refusing = startReceiver(() => 400);
  const slow = startReceiver(async () => {
    await released;
    return 200;
  });
  const { server, bob, close } = await setUp();
  server.node.webhooks.timing.retryDelaysMs = [50];
  // Long enough for the refusing receiver's answer on a busy machine.
  server.node.webhooks.timing.timeoutMs = 3000;
  try {
    for (const url of [refusing.url, slow.url]) {
      await api(server, "/api/rooms/team/outgoing-hooks", {
        method: "POST",
        token: bob.token,
        body: { url },
      });
    }
    await bob.ok("send_message", { room: "team", text: "anyone there?" });
    const hooks = await eventually(async () => {
      const listed = await api(server, "/api/rooms/team/outgoing-hooks", {
        token: bob.token,
      });
      // By URL: two hooks made in one millisecond may list in either order.
      const hooks = [refusing.url, slow.url].map((url) =>
        (listed.body.hooks as Record<string, unknown>[]).find((h) =>
          h.url === url
        )!
      );
      assert.equal(hooks[0].failures, 1);
      assert.equal(hooks[1].failures, 2);
      return hooks;
    }, { timeoutMs: 60_000 });
    assert.equal(hooks[0].last_status, 400);
    assert.match(hooks[1].last_error as string, /no answer within 3 s/);
    assert.equal(hooks[1].last_status, null);
    assert.equal(refusing.received.length, 1);
    assert.equal(slow.received.length, 2);
  } finally {
    release();
    await close();
    await refusing.close();
    await slow.close();
  }
});

Deno.test("outgoing webhooks: a receiver whose name stops resolving fails at the timeout and is retried, as one that never answers", async () => {
  // The name answers the check at registration, then its name server
  // falls silent: the look-up before each call waited for ever.
  const names = silentNames("127.0.0.1");
  const receiver = startReceiver();
  const { server, bob, close } = await setUp(
    ["silent.example", "127.0.0.1"],
    { resolve: names.resolve },
  );
  server.node.webhooks.timing.retryDelaysMs = [50];
  // Short only while no delivery may succeed: the silent name's look-ups.
  server.node.webhooks.timing.timeoutMs = 1000;
  try {
    const url = `http://silent.example:${new URL(receiver.url).port}/hook`;
    await addHook(server, bob.token, "team", url);
    names.silence();
    await bob.ok("send_message", { room: "team", text: "anyone there?" });
    const [hook] = await eventually(async () => {
      const listed = await api(server, "/api/rooms/team/outgoing-hooks", {
        token: bob.token,
      });
      const hooks = listed.body.hooks as Record<string, unknown>[];
      assert.equal(hooks[0].failures, 2);
      return hooks;
    }, { timeoutMs: 60_000 });
    assert.match(hook.last_error as string, /no answer within 1 s/);
    assert.equal(names.ended(), 2);
    assert.equal(receiver.received.length, 0);
  } finally {
    names.release();
    await close();
    await receiver.close();
  }
});

Deno.test("outgoing webhooks: registering one whose name server never answers gets url_not_allowed at the timeout, for a room's hook and a bot's, and saves none", async () => {
  // The look-up at registration had no deadline: the request waited for
  // the system resolver's time-outs (here, for ever).
  const names = silentNames("127.0.0.1");
  const { server, admin, bob, close } = await setUp(["silent.example"], {
    resolve: names.resolve,
  });
  // Short only while no registration may succeed: the name never answers.
  server.node.webhooks.timing.timeoutMs = 1000;
  try {
    names.silence();
    const url = "http://silent.example/hook";
    const roomHook = await api(server, "/api/rooms/team/outgoing-hooks", {
      method: "POST",
      token: bob.token,
      body: { url },
    });
    const bot = await api(server, "/api/bots", {
      method: "POST",
      token: admin.token,
      body: { name: "echo" },
    });
    assert.equal(bot.status, 201);
    const botHook = await api(server, "/api/bots/echo/outgoing-hooks", {
      method: "POST",
      token: admin.token,
      body: { url },
    });
    for (const refused of [roomHook, botHook]) {
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error, "url_not_allowed");
      assert.equal(
        refused.body.message,
        "silent.example did not resolve within 1 s: its name server did not answer; try again later.",
      );
    }
    assert.equal(names.ended(), 2);
    for (const path of ["rooms/team", "bots/echo"]) {
      const listed = await api(server, `/api/${path}/outgoing-hooks`, {
        token: path === "rooms/team" ? bob.token : admin.token,
      });
      assert.deepEqual(listed.body.hooks, []);
    }
  } finally {
    names.release();
    await close();
  }
});

Deno.test("outgoing webhooks: at most a few deliveries are in flight at once, one per hook", async () => {
  let inFlight = 0;
  let most = 0;
  let hold = false;
  let release!: () => void;
  const released = new Promise<void>((resolve) => release = resolve);
  const receiver = startReceiver(async () => {
    if (!hold) return 200;
    inFlight++;
    most = Math.max(most, inFlight);
    await released;
    inFlight--;
    return 200;
  });
  const { server, bob, close } = await setUp();
  try {
    // A room's most hooks, all to one receiver: more lanes than slots.
    const hooks = 10;
    for (let i = 0; i < hooks; i++) {
      await api(server, "/api/rooms/team/outgoing-hooks", {
        method: "POST",
        token: bob.token,
        body: { url: receiver.url },
      });
    }
    // Each receiver answers once first: new lanes share half the calls
    // (see the test of eight new receivers), proven ones all of them.
    await bob.ok("send_message", { room: "team", text: "first" });
    await eventually(() => assert.equal(receiver.received.length, hooks));
    receiver.received.length = 0;
    hold = true;
    const count = 3;
    for (let i = 0; i < count; i++) {
      await bob.ok("send_message", { room: "team", text: `m${i}` });
    }
    await eventually(() => assert.equal(inFlight, WEBHOOK_MAX_IN_FLIGHT));
    // Held: no more start while these wait.
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(receiver.received.length, WEBHOOK_MAX_IN_FLIGHT);
    const held = receiver.received.map((r) => JSON.parse(r.body).hook);
    assert.equal(new Set(held).size, WEBHOOK_MAX_IN_FLIGHT, "one per hook");
    release();
    await eventually(() =>
      assert.equal(receiver.received.length, count * hooks)
    );
    assert.equal(most, WEBHOOK_MAX_IN_FLIGHT);
    const deliveries = receiver.received.map((r) => JSON.parse(r.body))
      .map((d) => `${d.hook} ${d.message.text}`);
    assert.equal(new Set(deliveries).size, count * hooks);
  } finally {
    release();
    await close();
    await receiver.close();
  }
});

Deno.test("outgoing webhooks: a receiver that never answers gets one delivery at a time, and another room's hook gets its messages meanwhile", async () => {
  const silent = startSilentListener();
  const receiver = startReceiver();
  const { server, admin, bob, close } = await setUp();
  // No attempt times out during the test: in one queue, the other hook's
  // delivery would wait for that.
  server.node.webhooks.timing.timeoutMs = 600_000;
  try {
    await addHook(server, bob.token, "team", `${silent.url}/hook`);
    await addHook(server, admin.token, "general", receiver.url);
    for (let i = 0; i < 20; i++) {
      await bob.ok("send_message", { room: "team", text: `m${i}` });
    }
    await admin.ok("send_message", { room: "general", text: "meanwhile" });
    await eventually(() => assert.equal(receiver.received.length, 1));
    const [delivery] = receiver.received;
    assert.equal(JSON.parse(delivery.body).message.text, "meanwhile");
    assert.equal(silent.ended(), 0);
    assert.equal(silent.mostOpen(), 1);
  } finally {
    await silent.close();
    await close();
    await receiver.close();
  }
});

Deno.test("outgoing webhooks: ten receivers that never answer, once they have timed out, are cooled down and hold at most half the calls, and the hook of another room whose receiver has answered before gets its message at once", async () => {
  const silent = startSilentListener();
  const receiver = startReceiver();
  const { server, admin, bob, close } = await setUp();
  const timing = server.node.webhooks.timing;
  timing.retryDelaysMs.length = 0;
  try {
    await silentLanes(
      silent,
      10,
      (url) => addHook(server, bob.token, "team", url),
    );
    await provenHook(server, admin, receiver);
    // Short only once the proven receiver has answered: under 200 ms its
    // answer, in this busy process, could time out, and its lane would be
    // one cooled down too, held behind the silent ones.
    timing.timeoutMs = 200;
    await bob.ok("send_message", { room: "team", text: "first" });
    await eventually(() => assert.equal(silent.ended(), 10));
    // From now on no attempt times out during the test: without the
    // cool-down, the next message's ten attempts hold all eight calls.
    timing.timeoutMs = 600_000;
    await bob.ok("send_message", { room: "team", text: "second" });
    // Their cool-down (1 s) over, four go, and no more while they wait.
    await holdsExactly(silent, 4);
    await admin.ok("send_message", { room: "general", text: "meanwhile" });
    await eventually(() => assert.equal(receiver.received.length, 2));
    assert.equal(
      JSON.parse(receiver.received[1].body).message.text,
      "meanwhile",
    );
  } finally {
    await silent.close();
    await close();
    await receiver.close();
  }
});

Deno.test("outgoing webhooks: eight new receivers that never answer hold at most half the calls from their first delivery, and the hook of another room whose receiver has answered before gets its message at once", async () => {
  const silent = startSilentListener();
  const receiver = startReceiver();
  const { server, admin, bob, close } = await setUp();
  // No attempt times out during the test: before the first failure, only
  // being new keeps them to half the calls.
  server.node.webhooks.timing.timeoutMs = 600_000;
  try {
    await silentLanes(
      silent,
      8,
      (url) => addHook(server, bob.token, "team", url),
    );
    await provenHook(server, admin, receiver);
    await bob.ok("send_message", { room: "team", text: "first" });
    await holdsExactly(silent, 4);
    await admin.ok("send_message", { room: "general", text: "meanwhile" });
    await eventually(() => assert.equal(receiver.received.length, 2));
    assert.equal(
      JSON.parse(receiver.received[1].body).message.text,
      "meanwhile",
    );
    assert.equal(silent.mostOpen(), 4);
  } finally {
    await silent.close();
    await close();
    await receiver.close();
  }
});

Deno.test("outgoing webhooks: a deleted account's hook gets none of the room's new messages, also after someone registers the name again", async () => {
  const receiver = startReceiver();
  const other = startReceiver();
  const { server, pool, admin, bob, close } = await setUp();
  const carol = await pool.register("carol");
  try {
    await bob.ok("create_room", { room: "lobby" });
    await addHook(server, bob.token, "lobby", receiver.url);
    await carol.ok("join_room", { room: "lobby" });
    await carol.ok("send_message", { text: "before the deletion" });
    await eventually(() => assert.equal(receiver.received.length, 1));
    // The admin's hook on general, fed after each of carol's messages,
    // tells when that message's deliveries have run.
    await addHook(server, admin.token, "general", other.url);
    const delivered = async (marks: number) => {
      await admin.ok("send_message", { room: "general", text: "marker" });
      await eventually(() => assert.equal(other.received.length, marks));
    };
    await admin.ok("delete_account", { user: "bob", messages: "keep" });
    await carol.ok("send_message", { text: "after the deletion" });
    await delivered(1);
    // The next bob is another account: the hook was not its making.
    await pool.register("bob");
    await carol.ok("send_message", { text: "after the name came back" });
    await delivered(2);
    assert.deepEqual(
      receiver.received.map((r) => JSON.parse(r.body).message.text),
      ["before the deletion"],
    );
  } finally {
    await close();
    await receiver.close();
    await other.close();
  }
});

Deno.test("outgoing webhooks: an owner banned from the room gets none of its new messages through the hook, and neither it nor an admin outside the room can make one", async () => {
  const receiver = startReceiver();
  const { server, pool, admin, bob, close } = await setUp();
  const carol = await pool.register("carol");
  try {
    const path = "/api/rooms/team/outgoing-hooks";
    const made = await api(server, path, {
      method: "POST",
      token: bob.token,
      body: { url: receiver.url },
    });
    assert.equal(made.status, 201);
    await bob.ok("invite", { room: "team", user: "carol" });
    await carol.ok("join_room", { room: "team" });
    await carol.ok("send_message", { text: "before the ban" });
    await eventually(() => assert.equal(receiver.received.length, 1));

    await admin.ok("ban", { user: "bob", room: "team", reason: "leaks" });
    await carol.ok("send_message", { text: "after the ban" });
    // The admin's hook on general, fed after carol's message, tells when
    // the deliveries of that message have run.
    const other = startReceiver();
    try {
      const marker = await api(server, "/api/rooms/general/outgoing-hooks", {
        method: "POST",
        token: admin.token,
        body: { url: other.url },
      });
      assert.equal(marker.status, 201);
      await admin.ok("send_message", { room: "general", text: "marker" });
      await eventually(() => assert.equal(other.received.length, 1));
      // The owner of a public room banned from it: 403 banned.
      await bob.ok("create_room", { room: "lobby" });
      await admin.ok("ban", { user: "bob", room: "lobby", reason: "leaks" });
      const lobby = await api(server, "/api/rooms/lobby/outgoing-hooks", {
        method: "POST",
        token: bob.token,
        body: { url: receiver.url },
      });
      assert.deepEqual([lobby.status, lobby.body.error], [403, "banned"]);
    } finally {
      await other.close();
    }
    assert.deepEqual(
      receiver.received.map((r) => JSON.parse(r.body).message.text),
      ["before the ban"],
    );
    // Nor the admin, who is not in the private room: the WebSocket shows
    // it nothing of it either.
    for (
      const [method, token] of [["POST", bob.token], ["GET", bob.token], [
        "POST",
        admin.token,
      ]]
    ) {
      const again = await api(server, path, {
        method,
        token,
        body: method === "POST" ? { url: receiver.url } : undefined,
      });
      assert.deepEqual([again.status, again.body.error], [
        404,
        "room_not_found",
      ]);
    }
  } finally {
    await close();
    await receiver.close();
  }
});
