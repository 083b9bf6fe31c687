/**
 * Web Push: a push service stand-in on loopback checks the VAPID JWT
 * (RFC 8292) and decrypts the payload (RFC 8291) with the subscription's
 * keys, as a browser would; subscriptions over HTTP, the offline and
 * mention rules, and removal on 410.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createECDH, randomBytes } from "node:crypto";
import ece from "http_ece";
import {
  ClientPool,
  eventually,
  expectError,
  spawnServer,
  startSilentListener,
  startTestServer,
  TEST_PASSWORD,
  type TestServer,
  wentOffline,
} from "./harness.ts";
import { type Config, NO_RATE_LIMITS, type StartParts } from "../server/mod.ts";
import { verifyAddress } from "./mail_support.ts";
import { startSmtpReceiver } from "./smtp_receiver.ts";
import { startRebinding } from "./rebinding.ts";
import {
  holdsExactly,
  silentLanes,
  type SilentListener,
  silentNames,
} from "./silent_lanes.ts";

interface Pushed {
  path: string;
  headers: Headers;
  payload?: Record<string, unknown>;
  error?: string;
}

/** The browsers subscribed at a push service stand-in, by endpoint path. */
type Browsers = Map<string, ReturnType<typeof browserKeys>>;

/** A browser's push subscription: its keys, kept to decrypt. */
function browserKeys() {
  const ecdh = createECDH("prime256v1");
  ecdh.generateKeys();
  const auth = randomBytes(16);
  return {
    ecdh,
    auth,
    keys: {
      p256dh: ecdh.getPublicKey().toString("base64url"),
      auth: auth.toString("base64url"),
    },
  };
}

/** The push service stand-in: verifies, decrypts, records; answers `status`. */
function pushService(
  vapidKey: () => string,
  browsers: Browsers,
  status: () => number = () => 201,
) {
  const pushed: Pushed[] = [];
  async function handle(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    const body = Buffer.from(await request.arrayBuffer());
    const entry: Pushed = { path, headers: request.headers };
    try {
      await checkVapid(request, vapidKey());
      const browser = browsers.get(path);
      if (!browser) throw new Error(`no browser at ${path}`);
      assert.equal(request.headers.get("content-encoding"), "aes128gcm");
      const plain = ece.decrypt(body, {
        version: "aes128gcm",
        privateKey: browser.ecdh,
        authSecret: browser.auth.toString("base64url"),
      });
      entry.payload = JSON.parse(plain.toString("utf8"));
    } catch (error) {
      entry.error = String(error);
    }
    pushed.push(entry);
    return new Response(null, { status: status() });
  }
  return { pushed, handle };
}

/** The push service stand-in on 127.0.0.1. */
function startPushService(
  vapidKey: () => string,
  browsers: Browsers,
  status?: () => number,
) {
  const service = pushService(vapidKey, browsers, status);
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    service.handle,
  );
  return {
    base: `http://127.0.0.1:${server.addr.port}`,
    pushed: service.pushed,
    close: () => server.shutdown(),
  };
}

// RFC 8292: `vapid t=<ES256 JWT for the endpoint's origin>, k=<public key>`.
async function checkVapid(request: Request, key: string): Promise<void> {
  const match = /^vapid t=([^,]+), k=(\S+)$/.exec(
    request.headers.get("authorization") ?? "",
  );
  if (!match) throw new Error("no VAPID authorization");
  const [, jwt, k] = match;
  assert.equal(k, key);
  const [header, claims, signature] = jwt.split(".");
  const publicKey = await crypto.subtle.importKey(
    "raw",
    Buffer.from(k, "base64url"),
    { name: "ECDSA", namedCurve: "P-256" },
    false,
    ["verify"],
  );
  const valid = await crypto.subtle.verify(
    { name: "ECDSA", hash: "SHA-256" },
    publicKey,
    Buffer.from(signature, "base64url"),
    new TextEncoder().encode(`${header}.${claims}`),
  );
  if (!valid) throw new Error("bad VAPID signature");
  const body = JSON.parse(Buffer.from(claims, "base64url").toString());
  assert.equal(body.aud, new URL(request.url).origin);
  assert.ok(body.exp * 1000 > Date.now());
  assert.match(body.sub, /^(mailto:|https:)/);
}

async function api(
  server: TestServer,
  path: string,
  options: { method?: string; token?: string; body?: unknown } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = {};
  // A bot sends its token; without one the request comes as the page's
  // would, from the server's own Origin (else the CSRF rule answers 403).
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  else headers.origin = server.url;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${server.url}${path}`, {
    method: options.method ?? "GET",
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : {} };
}

/**
 * A server that may call push services on 127.0.0.1 (resolving names with
 * `parts.resolve` if given), a push service stand-in there that checks the
 * server's VAPID key and answers `status`, and a pool for its clients.
 */
async function startPushed(
  parts: {
    status?: () => number;
    resolve?: StartParts["resolve"];
    config?: Partial<Config>;
  } = {},
) {
  const server = await startTestServer(
    // Reminders due are fired within 100 ms (reminders.ts).
    { webhookAllow: ["127.0.0.1"], reminderSweepMs: 100, ...parts.config },
    parts.resolve === undefined ? {} : { resolve: parts.resolve },
  );
  const { body } = await api(server, "/api/push/vapid-public-key");
  const vapidKey = body.key as string;
  const browsers: Browsers = new Map();
  const service = startPushService(() => vapidKey, browsers, parts.status);
  const pool = new ClientPool(server.wsUrl);
  return {
    server,
    service,
    browsers,
    pool,
    vapidKey,
    async close() {
      await pool.closeAll();
      await server.close();
      await service.close();
    },
  };
}

/**
 * Saves a subscription of `token`'s account at `endpoint` (201), with a
 * new browser's keys, sent as a browser's PushSubscription.toJSON() says
 * them; the keys are kept in `browsers`, under the endpoint's path, for
 * the push service to decrypt what it gets there.
 */
async function subscribe(
  server: TestServer,
  token: string,
  endpoint: string,
  browsers?: Browsers,
): Promise<void> {
  const browser = browserKeys();
  browsers?.set(new URL(endpoint).pathname, browser);
  const subscribed = await api(server, "/api/push/subscriptions", {
    method: "POST",
    token,
    body: { endpoint, expirationTime: null, keys: browser.keys },
  });
  assert.equal(subscribed.status, 201);
}

/** alice and bob registered on {@linkcode startPushed}'s server, bob subscribed at /push/bob. */
async function setUp(status?: () => number, config?: Partial<Config>) {
  const pushed = await startPushed({ status, config });
  const alice = await pushed.pool.register("alice");
  const bob = await pushed.pool.register("bob");
  const token = bob.token!;
  await subscribe(
    pushed.server,
    token,
    `${pushed.service.base}/push/bob`,
    pushed.browsers,
  );
  return { ...pushed, alice, bob, token };
}

/**
 * bob goes offline and gets a push ("before"), which his push service
 * answers: his lane is proven.
 */
async function provenBob(t: Awaited<ReturnType<typeof setUp>>) {
  await t.bob.close();
  await wentOffline(t.alice, "bob");
  await t.alice.ok("private_message", { to: "bob", text: "before" });
  await eventually(() => assert.equal(t.service.pushed.length, 1));
}

/**
 * `n` accounts (mute0, mute1, ...) each subscribed to an endpoint of its
 * own on `silent`, which never answers, and offline: pushes go to them.
 */
function muteAccounts(
  t: Awaited<ReturnType<typeof setUp>>,
  silent: SilentListener,
  n: number,
): Promise<string[]> {
  return silentLanes(silent, n, async (endpoint, i) => {
    const name = `mute${i}`;
    const client = await t.pool.register(name);
    await subscribe(t.server, client.token!, endpoint);
    await client.close();
    await wentOffline(t.alice, name);
    return name;
  });
}

Deno.test("web push: the VAPID public key is an uncompressed P-256 point, the same after a restart", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const keys: string[] = [];
    for (let i = 0; i < 2; i++) {
      const server = await startTestServer({ db: `${dir}/chat.db` });
      try {
        const { status, body } = await api(
          server,
          "/api/push/vapid-public-key",
        );
        assert.equal(status, 200);
        keys.push(body.key as string);
      } finally {
        await server.close();
      }
    }
    const point = Buffer.from(keys[0], "base64url");
    assert.equal(point.length, 65);
    assert.equal(point[0], 4);
    assert.equal(keys[1], keys[0]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("web push: a private message to an offline account arrives encrypted and signed", async () => {
  const t = await setUp();
  try {
    // Online: no push.
    await t.alice.ok("private_message", { to: "bob", text: "you there?" });
    await t.bob.close();
    await wentOffline(t.alice, "bob");
    await t.alice.ok("private_message", { to: "bob", text: "call me back" });
    await eventually(() => assert.equal(t.service.pushed.length, 1));
    const [push] = t.service.pushed;
    assert.equal(push.error, undefined);
    assert.deepEqual(push.payload, {
      kind: "private",
      sender: "alice",
      text: "call me back",
      tag: "dm:alice",
    });
    assert.match(push.headers.get("topic") ?? "", /^[A-Za-z0-9_-]{1,32}$/);
    assert.ok(Number(push.headers.get("ttl")) > 0);
  } finally {
    await t.close();
  }
});

Deno.test("web push: a long message is cut to 140 characters between two, never inside an emoji", async () => {
  const t = await setUp();
  try {
    await t.bob.close();
    await wentOffline(t.alice, "bob");
    // 138 letters, then emoji (two UTF-16 units each): the 139th
    // character is the first emoji, whose halves the cut fell between.
    const text = `${"a".repeat(138)}${"😀".repeat(10)}`;
    await t.alice.ok("private_message", { to: "bob", text });
    await eventually(() => assert.equal(t.service.pushed.length, 1));
    const shown = t.service.pushed[0].payload?.text as string;
    assert.ok(shown.isWellFormed(), JSON.stringify(shown.slice(-3)));
    assert.equal(shown, `${"a".repeat(138)}😀…`);
  } finally {
    await t.close();
  }
});

Deno.test("web push: a mention pushes to an offline member, not to one online nor outside the room", async () => {
  const t = await setUp();
  try {
    await t.alice.ok("create_room", { room: "ops" });
    await t.bob.ok("join_room", { room: "ops" });
    await t.alice.ok("send_message", { text: "@bob online now" });
    await t.bob.close();
    await wentOffline(t.alice, "bob");
    await t.alice.ok("send_message", { text: "plain message" });
    await t.alice.ok("send_message", { text: "@bob the disk is full" });
    await eventually(() => assert.equal(t.service.pushed.length, 1));
    assert.deepEqual(t.service.pushed[0].payload, {
      kind: "mention",
      room: "ops",
      sender: "alice",
      text: "@bob the disk is full",
      tag: "room:ops",
    });
    // bob never joined "side": a mention there is no way to page him.
    await t.alice.ok("create_room", { room: "side" });
    await t.alice.ok("send_message", { text: "@bob hello from side" });
    await t.alice.ok("private_message", { to: "bob", text: "marker" });
    await eventually(() => assert.equal(t.service.pushed.length, 2));
    assert.equal(t.service.pushed[1].payload?.text, "marker");
  } finally {
    await t.close();
  }
});

Deno.test("web push: an @group pushes a mention to its offline member in the room, as a name does", async () => {
  const t = await setUp();
  try {
    await t.alice.ok("create_room", { room: "ops" });
    await t.bob.ok("join_room", { room: "ops" });
    await t.alice.ok("create_group", { name: "oncall", members: ["bob"] });
    await t.bob.close();
    await wentOffline(t.alice, "bob");
    await t.alice.ok("send_message", { text: "@oncall the disk is full" });
    await eventually(() => assert.equal(t.service.pushed.length, 1));
    assert.deepEqual(t.service.pushed[0].payload, {
      kind: "mention",
      room: "ops",
      sender: "alice",
      text: "@oncall the disk is full",
      tag: "room:ops",
    });
  } finally {
    await t.close();
  }
});

Deno.test("web push: an @room that notified its room pushes one mention to each offline member, at 'mentions' and at 'all'", async () => {
  const t = await setUp();
  try {
    const carol = await subscribedCarol(t);
    await t.alice.ok("create_room", { room: "ops" });
    for (const member of [t.bob, carol]) {
      await member.ok("join_room", { room: "ops" });
    }
    // bob at `all` gets it once, as a mention; carol at `mentions` too.
    await t.bob.ok("set_notify_level", { room: "ops", level: "all" });
    await t.bob.close();
    await carol.close();
    await wentOffline(t.alice, "bob");
    await wentOffline(t.alice, "carol");
    const sent = await t.alice.ok("send_message", { text: "@room standup" });
    assert.equal(
      (sent.message as { room_mention?: boolean }).room_mention,
      true,
    );
    await t.alice.ok("private_message", { to: "bob", text: "marker" });
    await t.alice.ok("private_message", { to: "carol", text: "marker" });
    await eventually(() => assert.equal(t.service.pushed.length, 4));
    const mention = {
      kind: "mention",
      room: "ops",
      sender: "alice",
      text: "@room standup",
      tag: "room:ops",
    };
    const marker = {
      kind: "private",
      sender: "alice",
      text: "marker",
      tag: "dm:alice",
    };
    for (const path of ["/push/bob", "/push/carol"]) {
      assert.deepEqual(
        // Either first: the @room's reads its members before it pushes.
        t.service.pushed.filter((p) => p.path === path).map((p) => p.payload)
          .sort((a, b) => String(a?.kind).localeCompare(String(b?.kind))),
        [mention, marker],
        path,
      );
    }
  } finally {
    await t.close();
  }
});

Deno.test("web push: an @room that names a member too pushes it one mention, as the other members", async () => {
  const t = await setUp();
  try {
    const carol = await subscribedCarol(t);
    await t.alice.ok("create_room", { room: "ops" });
    for (const member of [t.bob, carol]) {
      await member.ok("join_room", { room: "ops" });
    }
    await t.bob.close();
    await carol.close();
    await wentOffline(t.alice, "bob");
    await wentOffline(t.alice, "carol");
    await t.alice.ok("send_message", { text: "@room standup, @carol" });
    await t.alice.ok("private_message", { to: "bob", text: "marker" });
    await eventually(() => assert.equal(t.service.pushed.length, 3));
    // Once every push of the @room is out, a marker of carol's comes last.
    await markerToCarol(t, "after", 4);
    const texts = (path: string) =>
      t.service.pushed.filter((p) => p.path === path)
        .map((p) => `${p.payload?.kind}: ${p.payload?.text}`).sort();
    assert.deepEqual(texts("/push/carol"), [
      "mention: @room standup, @carol",
      "private: after",
    ]);
    assert.deepEqual(texts("/push/bob"), [
      "mention: @room standup, @carol",
      "private: marker",
    ]);
  } finally {
    await t.close();
  }
});

Deno.test("web push: an @here pushes to a member online with every page hidden, not at level none, and to no one offline when it was sent", async () => {
  const t = await setUp();
  try {
    const carol = await t.pool.register("carol");
    const erin = await t.pool.register("erin");
    for (const [member, name] of [[carol, "carol"], [erin, "erin"]] as const) {
      await subscribe(
        t.server,
        member.token!,
        `${t.service.base}/push/${name}`,
        t.browsers,
      );
    }
    await t.alice.ok("create_room", { room: "ops" });
    for (const member of [t.bob, carol, erin]) {
      await member.ok("join_room", { room: "ops" });
    }
    // bob is online on a phone whose page is hidden, erin too but she set
    // ops to none; carol is offline.
    await t.bob.ok("visibility", { hidden: true });
    await erin.ok("set_notify_level", { room: "ops", level: "none" });
    await erin.ok("visibility", { hidden: true });
    await carol.close();
    await wentOffline(t.alice, "carol");
    const watching = presenceReads(t.server);
    const sent = await t.alice.ok("send_message", { text: "@here standup" });
    assert.equal(
      (sent.message as { here_mention?: boolean }).here_mention,
      true,
    );
    await t.alice.ok("private_message", { to: "bob", text: "marker" });
    await t.alice.ok("private_message", { to: "carol", text: "marker" });
    await t.alice.ok("private_message", { to: "erin", text: "marker" });
    await eventually(() => assert.equal(t.service.pushed.length, 4));
    const texts = (path: string) =>
      t.service.pushed.filter((p) => p.path === path)
        .map((p) => `${p.payload?.kind}: ${p.payload?.text}`).sort();
    assert.deepEqual(texts("/push/bob"), [
      "mention: @here standup",
      "private: marker",
    ]);
    assert.deepEqual(texts("/push/carol"), ["private: marker"]);
    assert.deepEqual(texts("/push/erin"), ["private: marker"]);
    // Presence is read once for the members the @here named, then once
    // for each private message.
    assert.deepEqual(
      watching.filter((keys) => keys.length > 1),
      [["bob", "erin"]],
    );
    assert.equal(watching.length, 4);
  } finally {
    await t.close();
  }
});

Deno.test("web push: an @room in a room larger than one read of members pushes to every offline member, page after page, once each", async () => {
  const t = await setUp();
  try {
    // Pages of 2 members: alice (the author), bob | carol, dave | erin,
    // fay | nobody after; read one page only, the room stopped at bob.
    t.server.node.push.paging.roomMembers = 2;
    await t.alice.ok("create_room", { room: "ops" });
    await t.bob.ok("join_room", { room: "ops" });
    const others = ["carol", "dave", "erin", "fay"];
    for (const name of others) {
      const member = await t.pool.register(name);
      await subscribe(
        t.server,
        member.token!,
        `${t.service.base}/push/${name}`,
        t.browsers,
      );
      await member.ok("join_room", { room: "ops" });
      await member.close();
      await wentOffline(t.alice, name);
    }
    await t.bob.close();
    await wentOffline(t.alice, "bob");
    const sent = await t.alice.ok("send_message", { text: "@room deploy" });
    assert.equal(
      (sent.message as { room_mention?: boolean }).room_mention,
      true,
    );
    const members = ["bob", ...others];
    for (const name of members) {
      await t.alice.ok("private_message", { to: name, text: "marker" });
    }
    await eventually(() =>
      assert.equal(t.service.pushed.length, 2 * members.length)
    );
    for (const name of members) {
      assert.deepEqual(
        // Either first: the @room's reads its members before it pushes.
        t.service.pushed.filter((p) => p.path === `/push/${name}`)
          .map((p) => p.payload?.kind).sort(),
        ["mention", "private"],
        name,
      );
    }
  } finally {
    await t.close();
  }
});

/**
 * Counts the calls of `methods` on the server's store from now on, each
 * under its method's name and, for the one-account probes, the account
 * (their first argument, or its `userKey`).
 */
function countStoreCalls(
  server: TestServer,
  methods: string[],
): Map<string, number> {
  const counts = new Map<string, number>();
  const store = server.node.store as unknown as Record<
    string,
    (...args: unknown[]) => unknown
  >;
  for (const method of methods) {
    const real = store[method].bind(store);
    const counted = (...args: unknown[]) => {
      const [first] = args;
      const who = typeof first === "string"
        ? first
        : (first as { userKey?: string } | undefined)?.userKey;
      for (const key of [method, `${method} ${who}`]) {
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      return real(...args);
    };
    store[method] = counted;
    // A store whose methods cannot be replaced would count nothing.
    assert.equal(store[method], counted, method);
  }
  return counts;
}

/**
 * The users of each presence read of who is watching on the server from
 * now on, a list a read, each sorted.
 */
function presenceReads(server: TestServer): string[][] {
  const reads: string[][] = [];
  const presence = server.node.presence;
  const real = presence.watchingAmong.bind(presence);
  presence.watchingAmong = (keys) => {
    reads.push([...keys].sort());
    return real(keys);
  };
  return reads;
}

Deno.test("web push: an @room skips members who ignore its author, set the room to 'none', are paused or banned, page after page, with one store read of theirs a page", async () => {
  const t = await setUp();
  try {
    // Pages of 2 members: bob, carol (the author) | dave, erin | fay, gus
    // | hank.
    t.server.node.push.paging.roomMembers = 2;
    const carol = await t.pool.register("carol");
    await carol.ok("create_room", { room: "ops" });
    await t.bob.ok("join_room", { room: "ops" });
    const others = ["dave", "erin", "fay", "gus", "hank"];
    for (const name of others) {
      const member = await t.pool.register(name);
      await subscribe(
        t.server,
        member.token!,
        `${t.service.base}/push/${name}`,
        t.browsers,
      );
      await member.ok("join_room", { room: "ops" });
      if (name === "dave") await member.ok("ignore_user", { user: "carol" });
      if (name === "erin") {
        await member.ok("set_notify_level", { room: "ops", level: "none" });
      }
      if (name === "fay") {
        await member.ok("set_do_not_disturb", {
          until: Date.now() + 3_600_000,
        });
      }
      await member.close();
      await wentOffline(t.alice, name);
    }
    // alice registered first: she is the admin.
    await t.alice.ok("ban", { user: "gus", reason: "spam" });
    await t.bob.close();
    await wentOffline(t.alice, "bob");

    const members = ["bob", ...others];
    const probes = [
      "pushSubscriptions",
      "findBan",
      "isIgnoring",
      "notifyLevel",
      "doNotDisturb",
    ];
    const calls = countStoreCalls(t.server, [
      ...probes,
      "mentionSubscriptions",
    ]);
    const watching = presenceReads(t.server);
    await carol.ok("send_message", { text: "@room deploy" });
    // hank is on the last page: once his push is in, every page was read.
    await eventually(() => assert.equal(t.service.pushed.length, 2));
    const read = new Map(calls);
    assert.deepEqual(
      t.service.pushed.map((p) => `${p.path} ${p.payload?.text}`).sort(),
      ["/push/bob @room deploy", "/push/hank @room deploy"],
    );
    // One read a page with someone offline in it, none a member; presence
    // likewise, one read a page (the word `room` is asked alone, taken as
    // a name: no such account).
    assert.equal(read.get("mentionSubscriptions"), 4);
    assert.deepEqual(
      watching.filter((keys) => keys.some((key) => members.includes(key))),
      [["bob"], ["dave", "erin"], ["fay", "gus"], ["hank"]],
    );
    for (const probe of probes) {
      for (const name of members) {
        assert.equal(read.get(`${probe} ${name}`), undefined, probe);
      }
    }

    // dave and erin take alice's private messages: a push of the @room
    // decided for them would come before these (one lane an account).
    for (const name of ["dave", "erin", "bob"]) {
      await t.alice.ok("private_message", { to: name, text: "marker" });
    }
    await eventually(() => assert.equal(t.service.pushed.length, 5));
    assert.deepEqual(
      t.service.pushed.map((p) => `${p.path} ${p.payload?.text}`).sort(),
      [
        "/push/bob @room deploy",
        "/push/bob marker",
        "/push/dave marker",
        "/push/erin marker",
        "/push/hank @room deploy",
      ],
    );
  } finally {
    await t.close();
  }
});

Deno.test("web push: a mention by an account the member ignores pushes nothing; others' still do", async () => {
  const t = await setUp();
  try {
    const mallory = await t.pool.register("mallory");
    await t.bob.ok("ignore_user", { user: "mallory" });
    await t.alice.ok("create_room", { room: "ops" });
    await t.bob.ok("join_room", { room: "ops" });
    await mallory.ok("join_room", { room: "ops" });
    await t.bob.close();
    await wentOffline(t.alice, "bob");
    // Started before the others: its push would come first.
    await mallory.ok("send_message", { text: "@bob answer me" });
    await t.alice.ok("send_message", { text: "@bob the disk is full" });
    await t.alice.ok("private_message", { to: "bob", text: "marker" });
    await eventually(() => assert.equal(t.service.pushed.length, 2));
    assert.deepEqual(t.service.pushed.map((p) => p.payload?.text), [
      "@bob the disk is full",
      "marker",
    ]);
  } finally {
    await t.close();
  }
});

Deno.test("web push: a room or conversation set to 'none' pushes nothing, on every device of the account; 'mentions' pushes again", async () => {
  const t = await setUp();
  try {
    const carol = await t.pool.register("carol");
    await t.alice.ok("create_room", { room: "ops" });
    await t.bob.ok("join_room", { room: "ops" });
    await t.bob.ok("set_notify_level", { room: "ops", level: "none" });
    await t.bob.ok("set_notify_level", { with: "Carol", level: "none" });
    await t.bob.close();
    await wentOffline(t.alice, "bob");
    // Sent before the marker: their pushes would come first.
    await t.alice.ok("send_message", { text: "@bob the disk is full" });
    await carol.ok("private_message", { to: "bob", text: "psst" });
    await t.alice.ok("private_message", { to: "bob", text: "marker" });
    await eventually(() => assert.equal(t.service.pushed.length, 1));
    assert.equal(t.service.pushed[0].payload?.text, "marker");

    // Back to the default, set over HTTP as a phone might: pushes again.
    const back = await api(t.server, "/api/notify-levels", {
      method: "PUT",
      token: t.token,
      body: { room: "ops", level: "mentions" },
    });
    assert.equal(back.status, 200);
    assert.deepEqual(back.body, { room: "ops", level: "mentions" });
    await t.alice.ok("send_message", { text: "@bob still full" });
    await eventually(() => assert.equal(t.service.pushed.length, 2));
    assert.equal(t.service.pushed[1].payload?.text, "@bob still full");
  } finally {
    await t.close();
  }
});

/**
 * carol, offline and subscribed, gets `text` privately, pushed: pushes
 * decided before it were started before it (the store answers in order).
 */
/** carol, registered and subscribed at the push service's /push/carol. */
async function subscribedCarol(t: Awaited<ReturnType<typeof setUp>>) {
  const carol = await t.pool.register("carol");
  await subscribe(
    t.server,
    carol.token!,
    `${t.service.base}/push/carol`,
    t.browsers,
  );
  return carol;
}

async function markerToCarol(
  t: Awaited<ReturnType<typeof setUp>>,
  text: string,
  count: number,
): Promise<void> {
  await t.alice.ok("private_message", { to: "carol", text });
  await eventually(() => assert.equal(t.service.pushed.length, count));
  assert.equal(t.service.pushed.at(-1)?.payload?.text, text);
}

Deno.test("web push: do not disturb pushes nothing to the account, mentions and private messages included, until it ends", async () => {
  const t = await setUp();
  try {
    const carol = await subscribedCarol(t);
    await t.alice.ok("create_room", { room: "ops" });
    await t.bob.ok("join_room", { room: "ops" });
    await t.bob.ok("set_do_not_disturb", { until: Date.now() + 3_600_000 });
    await t.bob.close();
    await carol.close();
    await wentOffline(t.alice, "bob");
    await wentOffline(t.alice, "carol");
    await t.alice.ok("send_message", { text: "@bob the disk is full" });
    await t.alice.ok("private_message", { to: "bob", text: "psst" });
    // Two markers, the second sent once the first arrived: bob's pushes,
    // decided before them, would be among them.
    await markerToCarol(t, "marker 1", 1);
    await markerToCarol(t, "marker 2", 2);

    // Resumed over HTTP, as a phone might: pushes again.
    const back = await api(t.server, "/api/do-not-disturb", {
      method: "PUT",
      token: t.token,
      body: { until: null },
    });
    assert.equal(back.status, 200);
    assert.deepEqual(back.body, { until: null });
    await t.alice.ok("private_message", { to: "bob", text: "after" });
    await eventually(() => assert.equal(t.service.pushed.length, 3));
    assert.equal(t.service.pushed[2].path, "/push/bob");
    assert.equal(t.service.pushed[2].payload?.text, "after");
  } finally {
    await t.close();
  }
});

Deno.test("web push and missed mails: one rule: a mention to an account away is neither pushed nor mailed at 'none' nor while paused, and is both once let through", async () => {
  const smtp = await startSmtpReceiver();
  try {
    const t = await setUp(undefined, {
      smtpUrl: smtp.url,
      mailFrom: "Chat <chat@example.org>",
      publicUrl: "https://chat.example.org/",
      missedMailDelaySeconds: 1,
      rateLimits: NO_RATE_LIMITS,
    });
    try {
      await verifyAddress(t.server, smtp, t.bob, "bob@example.org");
      await t.alice.ok("create_room", { room: "ops" });
      await t.bob.ok("join_room", { room: "ops" });
      // Every page hidden: away, for pushes and mails alike, and bob can
      // still change his choices.
      await t.bob.ok("visibility", { hidden: true });
      await t.bob.ok("set_notify_level", { room: "ops", level: "none" });
      await t.alice.ok("send_message", { text: "@bob at none" });
      await t.bob.ok("set_notify_level", { room: "ops", level: "mentions" });
      await t.bob.ok("set_do_not_disturb", { until: Date.now() + 3_600_000 });
      await t.alice.ok("send_message", { text: "@bob while paused" });
      await t.bob.ok("set_do_not_disturb", { until: null });
      await t.alice.ok("send_message", { text: "@bob let through" });
      // Pushes decided before it went out before it, in bob's lane; the
      // mail holds whatever was queued within its delay.
      await eventually(() => assert.equal(t.service.pushed.length, 1));
      assert.equal(t.service.pushed[0].payload?.text, "@bob let through");
      const mail = await smtp.next((m) =>
        m.to === "bob@example.org" && m.subject.includes("missed")
      );
      assert.match(mail.subject, /^Messages you missed in #/);
      assert.match(mail.text, /@bob let through/);
      assert.doesNotMatch(mail.text, /at none|while paused/);
      assert.deepEqual(t.service.pushed.map((p) => p.payload?.text), [
        "@bob let through",
      ]);
    } finally {
      await t.close();
    }
  } finally {
    await smtp.close();
  }
});

Deno.test("web push: an edit that names a member pushes it a mention once: not again for an edit that keeps the name, nor for a name taken out and put back", async () => {
  const t = await setUp();
  try {
    const carol = await subscribedCarol(t);
    await t.alice.ok("create_room", { room: "ops" });
    await t.bob.ok("join_room", { room: "ops" });
    await carol.ok("join_room", { room: "ops" });
    await t.bob.close();
    await carol.close();
    await wentOffline(t.alice, "bob");
    await wentOffline(t.alice, "carol");
    const sent = await t.alice.ok("send_message", { text: "deploy? @bbo" });
    const id = (sent.message as { id: string }).id;
    await t.alice.ok("edit_message", { id, text: "deploy? @bob" });
    await eventually(() => assert.equal(t.service.pushed.length, 1));
    assert.deepEqual(t.service.pushed[0].payload, {
      kind: "mention",
      room: "ops",
      sender: "alice",
      text: "deploy? @bob",
      tag: "room:ops",
    });
    for (
      const text of [
        "deploy?? @bob",
        "deploy??",
        "deploy?? @Bob",
        "deploy?? @bob and @carol",
      ]
    ) {
      await t.alice.ok("edit_message", { id, text });
    }
    // bob's marker after every edit: a push of his decided by one of them
    // would be in his lane before it.
    await t.alice.ok("private_message", { to: "bob", text: "marker" });
    const texts = (path: string) =>
      t.service.pushed.filter((p) => p.path === path)
        .map((p) => p.payload?.text);
    await eventually(() => {
      assert.equal(texts("/push/bob").at(-1), "marker");
      assert.equal(texts("/push/carol").length, 1);
    });
    assert.deepEqual(texts("/push/bob"), ["deploy? @bob", "marker"]);
    assert.deepEqual(texts("/push/carol"), ["deploy?? @bob and @carol"]);
  } finally {
    await t.close();
  }
});

Deno.test("web push: a saved message's reminder pushes to its offline account as a mention does, and nothing while it is paused", async () => {
  const t = await setUp();
  try {
    const carol = await subscribedCarol(t);
    const first = (await t.alice.ok("send_message", {
      text: "water the plants",
    })).message as { id: string };
    const second = (await t.alice.ok("send_message", { text: "and the cat" }))
      .message as { id: string };
    const later = new Date(Date.now() + 3_600_000).toISOString();
    for (const { id } of [first, second]) {
      await t.bob.ok("save_message", { id, remind_at: later });
    }
    await t.bob.close();
    await carol.close();
    await wentOffline(t.alice, "bob");
    await wentOffline(t.alice, "carol");
    const { store } = t.server.node;
    await store.setReminder("bob", first.id, Date.now() - 1);
    await eventually(() => assert.equal(t.service.pushed.length, 1));
    const [push] = t.service.pushed;
    assert.equal(push.path, "/push/bob");
    assert.deepEqual(push.payload, {
      kind: "reminder",
      room: "general",
      sender: "alice",
      text: "water the plants",
      tag: `reminder:${first.id}`,
    });

    // Paused: the reminder is claimed, and pushes nothing.
    await store.setDoNotDisturb("bob", Date.now() + 3_600_000);
    await store.setReminder("bob", second.id, Date.now() - 1);
    await eventually(async () => {
      const rows = await store.listSaved("bob", { limit: 10 });
      assert.ok(rows.every((row) => row.remindAt === undefined));
    });
    await markerToCarol(t, "marker 1", 2);
    await markerToCarol(t, "marker 2", 3);
    assert.deepEqual(
      t.service.pushed.map((p) => p.path),
      ["/push/bob", "/push/carol", "/push/carol"],
    );
  } finally {
    await t.close();
  }
});

Deno.test("web push: a scheduled message refused at its time pushes to its offline author as a reminder does, and nothing while it watches", async () => {
  const t = await setUp();
  try {
    await t.bob.ok("create_room", { room: "plans" });
    const later = new Date(Date.now() + 3_600_000).toISOString();
    const watched = (await t.bob.ok("schedule_message", {
      room: "plans",
      text: "while watching",
      send_at: later,
    })).scheduled as { id: string };
    const away = (await t.bob.ok("schedule_message", {
      room: "plans",
      text: "standup notes",
      send_at: later,
    })).scheduled as { id: string };
    // Out of the room, both are refused at their time (room_not_found).
    await t.bob.ok("leave_room");
    const { store } = t.server.node;
    await store.updateScheduled(
      "bob",
      watched.id,
      { sendAt: Date.now() - 1 },
      Date.now(),
    );
    await t.bob.event("scheduled_failed", (d) => d.id === watched.id);
    await t.bob.close();
    await wentOffline(t.alice, "bob");
    await store.updateScheduled(
      "bob",
      away.id,
      { sendAt: Date.now() - 1 },
      Date.now(),
    );
    // One lane per account, in order: a push of the first would come
    // before the second's.
    await eventually(() => assert.equal(t.service.pushed.length, 1));
    const [push] = t.service.pushed;
    assert.equal(push.path, "/push/bob");
    assert.deepEqual(push.payload, {
      kind: "scheduled_failed",
      room: "plans",
      sender: "bob",
      text: "standup notes",
      code: "room_not_found",
      tag: `scheduled:${away.id}`,
    });
  } finally {
    await t.close();
  }
});

Deno.test("web push: a room set to 'all' pushes its every message to an offline member, once; other rooms push only mentions", async () => {
  const t = await setUp();
  try {
    const carol = await subscribedCarol(t);
    await t.alice.ok("create_room", { room: "ops" });
    await t.bob.ok("join_room", { room: "ops" });
    await t.alice.ok("create_room", { room: "side" });
    await t.bob.ok("join_room", { room: "side" });
    await t.bob.ok("set_notify_level", { room: "ops", level: "all" });
    await t.bob.close();
    await carol.close();
    await wentOffline(t.alice, "bob");
    await wentOffline(t.alice, "carol");
    await t.alice.ok("send_message", { text: "plain in side" });
    await t.alice.ok("join_room", { room: "ops" });
    await t.alice.ok("send_message", { text: "plain in ops" });
    await t.alice.ok("send_message", { text: "@bob in ops" });
    await eventually(() => assert.equal(t.service.pushed.length, 2));
    await markerToCarol(t, "marker 1", 3);
    await markerToCarol(t, "marker 2", 4);
    const toBob = t.service.pushed.filter((p) => p.path === "/push/bob")
      .map((p) => p.payload)
      .sort((a, b) => String(a?.text).localeCompare(String(b?.text)));
    assert.deepEqual(toBob, [
      {
        kind: "mention",
        room: "ops",
        sender: "alice",
        text: "@bob in ops",
        tag: "room:ops",
      },
      {
        kind: "room",
        room: "ops",
        sender: "alice",
        text: "plain in ops",
        tag: "room:ops",
      },
    ]);
  } finally {
    await t.close();
  }
});

Deno.test("web push: a room's message asks presence once for all its members at 'all', and pushes each offline one", async () => {
  const t = await setUp();
  try {
    await t.alice.ok("create_room", { room: "ops" });
    const members = [t.bob];
    for (const name of ["carol", "dave"]) {
      const member = await t.pool.register(name);
      await subscribe(
        t.server,
        member.token!,
        `${t.service.base}/push/${name}`,
        t.browsers,
      );
      members.push(member);
    }
    for (const member of members) {
      await member.ok("join_room", { room: "ops" });
      await member.ok("set_notify_level", { room: "ops", level: "all" });
      await member.close();
    }
    for (const name of ["bob", "carol", "dave"]) {
      await wentOffline(t.alice, name);
    }
    const watching = presenceReads(t.server);
    await t.alice.ok("send_message", { text: "plain in ops" });
    await eventually(() => assert.equal(t.service.pushed.length, 3));
    assert.deepEqual(
      t.service.pushed.map((p) => `${p.path} ${p.payload?.kind}`).sort(),
      ["/push/bob room", "/push/carol room", "/push/dave room"],
    );
    assert.deepEqual(watching, [["bob", "carol", "dave"]]);
  } finally {
    await t.close();
  }
});

Deno.test("web push: a room's members at 'all' are read once a second, not for every message", async () => {
  const t = await setUp();
  try {
    const store = t.server.node.store;
    const read = store.membersAtAll.bind(store);
    let reads = 0;
    store.membersAtAll = (roomKey: string) => {
      reads++;
      return read(roomKey);
    };
    // 20 messages one after another: read per message, 20 reads; once a
    // second, one or two unless each took half a second.
    for (let i = 0; i < 20; i++) {
      await t.alice.ok("send_message", { text: `message ${i}` });
    }
    assert.ok(reads >= 1 && reads < 10, `${reads} reads for 20 messages`);
  } finally {
    await t.close();
  }
});

Deno.test("web push: an account whose every tab says it is hidden gets pushes, as if offline", async () => {
  const t = await setUp();
  try {
    const texts = () => t.service.pushed.map((p) => p.payload?.text);
    await t.bob.ok("visibility", { hidden: true });
    await t.alice.ok("private_message", { to: "bob", text: "one tab hidden" });
    await eventually(() => assert.deepEqual(texts(), ["one tab hidden"]));

    // A second tab, shown: someone is looking, no push.
    const second = await t.pool.login({ token: t.token });
    await t.alice.ok("private_message", { to: "bob", text: "seen in tab 2" });
    await second.ok("visibility", { hidden: true });
    await t.alice.ok("private_message", { to: "bob", text: "both hidden" });
    await eventually(() =>
      assert.deepEqual(texts(), ["one tab hidden", "both hidden"])
    );

    // Shown again: mentions too wait for the tab.
    await t.bob.ok("visibility", { hidden: false });
    await t.alice.ok("send_message", { text: "@bob seen in tab 1" });
    await second.close();
    await t.bob.ok("visibility", { hidden: true });
    await t.alice.ok("send_message", { text: "@bob hidden again" });
    await eventually(() =>
      assert.deepEqual(texts(), [
        "one tab hidden",
        "both hidden",
        "@bob hidden again",
      ])
    );

    for (const data of [{}, { hidden: "yes" }, { hidden: null }]) {
      await expectError(t.bob, "visibility", data, "invalid_message");
    }
  } finally {
    await t.close();
  }
});

Deno.test("web push: an endpoint whose name resolves elsewhere after the check is still called at the checked address (DNS rebinding)", async () => {
  let vapidKey = "";
  const browsers: Browsers = new Map();
  const service = pushService(() => vapidKey, browsers);
  const dns = await startRebinding(service.handle);
  // 127.0.0.2 is allowed by address; 127.0.0.1 and ::1, what the name
  // becomes after the check, are not.
  const server = await startTestServer({ webhookAllow: ["127.0.0.2"] }, {
    resolve: dns.resolve,
  });
  const pool = new ClientPool(server.wsUrl);
  try {
    vapidKey = (await api(server, "/api/push/vapid-public-key")).body
      .key as string;
    const alice = await pool.register("alice");
    const bob = await pool.register("bob");
    await subscribe(
      server,
      bob.token!,
      `http://localhost:${dns.port}/push/bob`,
      browsers,
    );
    await bob.close();
    await wentOffline(alice, "bob");
    dns.rebind();
    await alice.ok("private_message", {
      to: "bob",
      text: "checked, then sent",
    });
    assert.equal(await dns.reached, "allowed");
    await eventually(() => assert.equal(service.pushed.length, 1));
    assert.equal(service.pushed[0].error, undefined);
    assert.equal(service.pushed[0].payload?.text, "checked, then sent");
    assert.deepEqual(dns.forbidden, []);
  } finally {
    await pool.closeAll();
    await server.close();
    await dns.close();
  }
});

Deno.test("web push: a 410 from the push service removes the subscription", async () => {
  const t = await setUp(() => 410);
  try {
    await t.bob.close();
    await wentOffline(t.alice, "bob");
    await t.alice.ok("private_message", { to: "bob", text: "hello" });
    await eventually(async () =>
      assert.deepEqual(await t.server.node.store.pushSubscriptions("bob"), [])
    );
    assert.equal(t.service.pushed.length, 1);
  } finally {
    await t.close();
  }
});

Deno.test("web push: a subscription stored with keys off the curve (before the route checked them) is removed at its first push, and the account's other device still gets it", async () => {
  const t = await setUp();
  try {
    // As a server from before the check stored it, beside bob's real one.
    const offCurve = `${t.service.base}/push/bob-old`;
    await t.server.node.store.savePushSubscription({
      endpoint: offCurve,
      userKey: "bob",
      p256dh: Buffer.from([4, ...new Array(64).fill(7)]).toString("base64url"),
      auth: randomBytes(16).toString("base64url"),
      createdAt: Date.now(),
    });
    await t.bob.close();
    await wentOffline(t.alice, "bob");
    await t.alice.ok("private_message", { to: "bob", text: "hello" });
    await eventually(async () => {
      const left = await t.server.node.store.pushSubscriptions("bob");
      assert.deepEqual(left.map((s) => s.endpoint), [
        `${t.service.base}/push/bob`,
      ]);
    });
    await eventually(() => assert.equal(t.service.pushed.length, 1));
    assert.equal(t.service.pushed[0].path, "/push/bob");
    assert.equal(t.service.pushed[0].payload?.text, "hello");
  } finally {
    await t.close();
  }
});

Deno.test("web push: subscriptions need an account, real keys and an allowed endpoint; DELETE removes one", async () => {
  const t = await setUp();
  const other = await startTestServer();
  try {
    const path = "/api/push/subscriptions";
    const good = {
      endpoint: `${t.service.base}/push/2`,
      keys: browserKeys().keys,
    };
    assert.equal(
      (await api(t.server, path, { method: "POST", body: good })).status,
      401,
    );
    const badKeys = await api(t.server, path, {
      method: "POST",
      token: t.token,
      body: { ...good, keys: { p256dh: "AAAA", auth: "AAAA" } },
    });
    assert.deepEqual([badKeys.status, badKeys.body.error], [
      400,
      "invalid_message",
    ]);
    // The shape of a P-256 point (65 bytes, 0x04 first) off the curve:
    // every push to it would fail as it is encrypted.
    const offCurve = await api(t.server, path, {
      method: "POST",
      token: t.token,
      body: {
        ...good,
        keys: {
          ...good.keys,
          p256dh: Buffer.from([4, ...new Array(64).fill(7)]).toString(
            "base64url",
          ),
        },
      },
    });
    assert.deepEqual([offCurve.status, offCurve.body.error], [
      400,
      "invalid_message",
    ]);
    const noKeys = await api(t.server, path, {
      method: "POST",
      token: t.token,
      body: { endpoint: good.endpoint },
    });
    assert.equal(noKeys.status, 400);
    // A server that does not allow loopback will not push there.
    const otherPool = new ClientPool(other.wsUrl);
    const elsewhere = await otherPool.register("carol");
    const refused = await api(other, path, {
      method: "POST",
      token: elsewhere.token,
      body: good,
    });
    await otherPool.closeAll();
    assert.deepEqual([refused.status, refused.body.error], [
      400,
      "url_not_allowed",
    ]);
    const removed = await api(t.server, path, {
      method: "DELETE",
      token: t.token,
      body: { endpoint: `${t.service.base}/push/bob` },
    });
    assert.equal(removed.status, 204);
    const again = await api(t.server, path, {
      method: "DELETE",
      token: t.token,
      body: { endpoint: `${t.service.base}/push/bob` },
    });
    assert.equal(again.status, 404);
    assert.deepEqual(await t.server.node.store.pushSubscriptions("bob"), []);
  } finally {
    await other.close();
    await t.close();
  }
});

Deno.test("web push: an http endpoint is url_not_allowed unless --webhook-allow covers its host; https to any public host is saved", async () => {
  // It was saved, and every push to it went in the clear to a host the
  // account chose: a push service speaks only HTTPS (RFC 8030).
  const server = await startTestServer({ webhookAllow: ["9.9.9.9"] });
  const pool = new ClientPool(server.wsUrl);
  try {
    const alice = await pool.register("alice");
    const refused = await api(server, "/api/push/subscriptions", {
      method: "POST",
      token: alice.token!,
      body: { endpoint: "http://8.8.8.8/push/alice", keys: browserKeys().keys },
    });
    assert.deepEqual(
      [refused.status, refused.body.error, refused.body.message],
      [
        400,
        "url_not_allowed",
        "A push endpoint must be an https URL: push services speak only HTTPS.",
      ],
    );
    assert.deepEqual(await server.node.store.pushSubscriptions("alice"), []);
    // An operator's own push service on an allowed host, and any public
    // https one, as before.
    await subscribe(server, alice.token!, "http://9.9.9.9/push/alice");
    await subscribe(server, alice.token!, "https://8.8.8.8/push/alice");
    assert.equal(
      (await server.node.store.pushSubscriptions("alice")).length,
      2,
    );
  } finally {
    await pool.closeAll();
    await server.close();
  }
});

Deno.test("web push: subscriptions at plain http endpoints kept from before https was required are dropped at start, and their count logged; those --webhook-allow covers, and https ones, stay", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-push-http-" });
  const db = `${dir}/chat.db`;
  const allow = ["--webhook-allow", "push.internal"];
  const endpoints = async (server: TestServer) =>
    (await server.node.store.pushSubscriptions("alice"))
      .map((s) => s.endpoint).sort();
  try {
    // As a server of before the rule stored them: every push to the first
    // two was then refused at its call's check, for ever.
    const before = await startTestServer({ db });
    const pool = new ClientPool(before.wsUrl);
    try {
      await pool.register("alice");
      for (
        const endpoint of [
          "http://8.8.8.8/push/alice",
          "HTTP://push.example/alice",
          "http://push.internal/alice",
          "https://push.example/alice",
        ]
      ) {
        await before.node.store.savePushSubscription({
          endpoint,
          userKey: "alice",
          ...browserKeys().keys,
          createdAt: Date.now(),
        });
      }
    } finally {
      await pool.closeAll();
      // Its own (empty) folder goes too: its database is in `dir`.
      await before.close();
    }
    const server = await spawnServer(["--db", db, ...allow]);
    const status = await server.stop();
    assert.equal(status.code, 0, server.output());
    assert.match(
      server.output(),
      /Dropped 2 push subscriptions at plain http endpoints/,
    );
    const after = await startTestServer({
      db,
      webhookAllow: ["push.internal"],
    });
    try {
      assert.deepEqual(await endpoints(after), [
        "http://push.internal/alice",
        "https://push.example/alice",
      ]);
    } finally {
      await after.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("web push: subscribing an endpoint whose name server never answers gets url_not_allowed at the timeout and saves nothing", async () => {
  // The look-up at registration had no deadline: the request waited for
  // the system resolver's time-outs (here, for ever).
  const names = silentNames("127.0.0.1");
  const server = await startTestServer({}, { resolve: names.resolve });
  const pool = new ClientPool(server.wsUrl);
  // Short only while no subscription may succeed: the name never answers.
  server.node.push.timing.timeoutMs = 1000;
  try {
    const alice = await pool.register("alice");
    names.silence();
    const refused = await api(server, "/api/push/subscriptions", {
      method: "POST",
      token: alice.token!,
      body: {
        endpoint: "https://push.silent.example/push/alice",
        keys: browserKeys().keys,
      },
    });
    assert.deepEqual([refused.status, refused.body.error], [
      400,
      "url_not_allowed",
    ]);
    assert.equal(
      refused.body.message,
      "push.silent.example did not resolve within 1 s: its name server did not answer; try again later.",
    );
    assert.equal(names.ended(), 1);
    assert.deepEqual(await server.node.store.pushSubscriptions("alice"), []);
  } finally {
    names.release();
    await pool.closeAll();
    await server.close();
  }
});

Deno.test("web push: one account saving subscriptions in a loop is refused rate_limited past 30 at once, its outgoing webhooks sharing the pace, while another account's is saved", async () => {
  const t = await setUp();
  try {
    const path = "/api/push/subscriptions";
    const keys = browserKeys().keys;
    // setUp saved bob's first; each is a commit, before which the key is
    // checked and the endpoint looked up.
    let saved = 1;
    let refused: Awaited<ReturnType<typeof api>> | undefined;
    while (saved < 100) {
      const answer = await api(t.server, path, {
        method: "POST",
        token: t.token,
        body: { endpoint: `${t.service.base}/push/loop${saved}`, keys },
      });
      if (answer.status !== 201) {
        refused = answer;
        break;
      }
      saved++;
    }
    assert.equal(refused?.status, 429, JSON.stringify(refused?.body));
    assert.equal(refused?.body.error, "rate_limited");
    assert.ok((refused?.body.retry_after_ms as number) > 0);
    // 30 at once, and one more every 10 s a slow machine may have taken.
    assert.ok(saved >= 30 && saved <= 40, `saved ${saved}`);
    // The same budget: an outgoing webhook of a room bob owns, and a
    // removal, wait too.
    await t.bob.ok("create_room", { room: "bots" });
    const hook = await api(t.server, "/api/rooms/bots/outgoing-hooks", {
      method: "POST",
      token: t.token,
      body: { url: `${t.service.base}/hook` },
    });
    assert.deepEqual([hook.status, hook.body.error], [429, "rate_limited"]);
    const removal = await api(t.server, path, {
      method: "DELETE",
      token: t.token,
      body: { endpoint: `${t.service.base}/push/loop1` },
    });
    assert.equal(removal.status, 429);
    // Another account is not held up by bob's loop.
    const alice = await t.pool.register("alice2");
    const hers = await api(t.server, path, {
      method: "POST",
      token: alice.token!,
      body: { endpoint: `${t.service.base}/push/alice2`, keys },
    });
    assert.equal(hers.status, 201);
  } finally {
    await t.close();
  }
});

Deno.test("web push: a subscription ends with the session that made it: a password changed elsewhere stops its pushes", async () => {
  const t = await setUp();
  try {
    // Someone who once held bob's session subscribed a browser (setUp);
    // bob logs in elsewhere and changes his password to shut them out.
    const elsewhere = await t.pool.login({
      username: "bob",
      password: TEST_PASSWORD,
    });
    await elsewhere.ok("change_password", {
      old_password: TEST_PASSWORD,
      new_password: "a brand new password",
    });
    await subscribe(
      t.server,
      elsewhere.token!,
      `${t.service.base}/push/bob-new`,
      t.browsers,
    );
    await elsewhere.close();
    await wentOffline(t.alice, "bob");
    await t.alice.ok("private_message", { to: "bob", text: "the new code" });
    // The kept session's browser gets it; the ended one's, nothing.
    await eventually(() =>
      assert.ok(t.service.pushed.some((p) => p.path === "/push/bob-new"))
    );
    assert.deepEqual(t.service.pushed.map((p) => p.path), ["/push/bob-new"]);
    assert.deepEqual(
      (await t.server.node.store.pushSubscriptions("bob")).map((s) =>
        s.endpoint
      ),
      [`${t.service.base}/push/bob-new`],
    );
  } finally {
    await t.close();
  }
});

Deno.test("web push: a subscription made with an access token ends when the token is revoked", async () => {
  const t = await setUp();
  try {
    const made = await api(t.server, "/api/tokens", {
      method: "POST",
      token: t.token,
      body: { name: "leaked" },
    });
    assert.equal(made.status, 201);
    await subscribe(
      t.server,
      made.body.token as string,
      `${t.service.base}/push/leaked`,
      t.browsers,
    );
    const revoked = await api(t.server, `/api/tokens/${made.body.id}`, {
      method: "DELETE",
      token: t.token,
    });
    assert.equal(revoked.status, 204);
    await t.bob.close();
    await wentOffline(t.alice, "bob");
    await t.alice.ok("private_message", { to: "bob", text: "still there?" });
    await eventually(() =>
      assert.ok(t.service.pushed.some((p) => p.path === "/push/bob"))
    );
    assert.deepEqual(t.service.pushed.map((p) => p.path), ["/push/bob"]);
  } finally {
    await t.close();
  }
});

Deno.test("web push: an account banned from the server gets no pushes while the ban lasts", async () => {
  const t = await setUp();
  try {
    // alice registered first: she is the admin.
    await t.alice.ok("ban", { user: "bob", reason: "spam" });
    await wentOffline(t.alice, "bob");
    await t.alice.ok("private_message", { to: "bob", text: "while banned" });
    await t.alice.ok("unban", { user: "bob" });
    await t.alice.ok("private_message", { to: "bob", text: "after the ban" });
    await eventually(() =>
      assert.ok(
        t.service.pushed.some((p) => p.payload?.text === "after the ban"),
      )
    );
    assert.deepEqual(t.service.pushed.map((p) => p.payload?.text), [
      "after the ban",
    ]);
  } finally {
    await t.close();
  }
});

Deno.test("web push: a webhook's mention says it came from a hook, whatever name it shows", async () => {
  const t = await setUp();
  try {
    await t.bob.close();
    await wentOffline(t.alice, "bob");
    // alice is the admin: she may add a hook to general.
    const hook = await api(t.server, "/api/rooms/general/hooks", {
      method: "POST",
      token: t.alice.token,
      body: { name: "Alerts" },
    });
    assert.equal(hook.status, 201);
    const posted = await fetch(hook.body.url as string, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "alice", text: "@bob send me the key" }),
    });
    assert.equal(posted.status, 200);
    await posted.body?.cancel();
    await eventually(() => assert.equal(t.service.pushed.length, 1));
    assert.deepEqual(t.service.pushed[0].payload, {
      kind: "mention",
      room: "general",
      sender: "alice",
      badge: "hook",
      text: "@bob send me the key",
      tag: "room:general",
    });
  } finally {
    await t.close();
  }
});

Deno.test("web push: an account's endpoints that never answer take one call at a time, and another account's push goes out at once", async () => {
  const t = await setUp();
  const silent = startSilentListener();
  const carol = await t.pool.register("carol");
  try {
    for (let i = 0; i < 20; i++) {
      await subscribe(t.server, carol.token!, `${silent.url}/push/carol/${i}`);
    }
    await carol.close();
    await t.bob.close();
    await wentOffline(t.alice, "carol");
    await wentOffline(t.alice, "bob");
    // 800 pushes to carol's endpoints: in one queue, 1,000 s at 8 at a time.
    for (let i = 0; i < 40; i++) {
      await t.alice.ok("private_message", { to: "carol", text: `${i}` });
    }
    await t.alice.ok("private_message", { to: "bob", text: "meanwhile" });
    await eventually(() => assert.equal(t.service.pushed.length, 1));
    assert.equal(t.service.pushed[0].payload?.text, "meanwhile");
    assert.equal(silent.mostOpen(), 1);
  } finally {
    await silent.close();
    await t.close();
  }
});

Deno.test("web push: eight new accounts whose endpoints never answer hold at most half the calls from their first push, and the push of an account whose endpoint has answered before goes out at once", async () => {
  const t = await setUp();
  const silent = startSilentListener();
  // No push times out during the test: before the first failure, only
  // being new keeps them to half the calls.
  t.server.node.push.timing.timeoutMs = 600_000;
  try {
    await provenBob(t);
    const mute = await muteAccounts(t, silent, 8);
    for (const name of mute) {
      await t.alice.ok("private_message", { to: name, text: "first" });
    }
    await holdsExactly(silent, 4);
    await t.alice.ok("private_message", { to: "bob", text: "meanwhile" });
    await eventually(() => assert.equal(t.service.pushed.length, 2));
    assert.equal(t.service.pushed[1].payload?.text, "meanwhile");
    assert.equal(silent.mostOpen(), 4);
  } finally {
    await silent.close();
    await t.close();
  }
});

Deno.test("web push: ten accounts whose endpoints never answer, once they have timed out, are cooled down and hold at most half the calls, and the push of an account whose endpoint has answered before goes out at once", async () => {
  const t = await setUp();
  const silent = startSilentListener();
  const timing = t.server.node.push.timing;
  try {
    await provenBob(t);
    const mute = await muteAccounts(t, silent, 10);
    // Short only once bob's endpoint has answered: under 200 ms its answer
    // (a check and a decryption in this busy process) could time out, and
    // his lane would be one cooled down too, held behind the silent ones.
    timing.timeoutMs = 200;
    for (const name of mute) {
      await t.alice.ok("private_message", { to: name, text: "first" });
    }
    await eventually(() => assert.equal(silent.ended(), 10));
    // From now on no push times out during the test: without the
    // cool-down, the next ten hold all eight calls.
    timing.timeoutMs = 600_000;
    for (const name of mute) {
      await t.alice.ok("private_message", { to: name, text: "second" });
    }
    // Their cool-down (1 s) over, four go, and no more while they wait.
    await holdsExactly(silent, 4);
    await t.alice.ok("private_message", { to: "bob", text: "meanwhile" });
    await eventually(() => assert.equal(t.service.pushed.length, 2));
    assert.equal(t.service.pushed[1].payload?.text, "meanwhile");
  } finally {
    await silent.close();
    await t.close();
  }
});

Deno.test("web push: endpoints whose name server falls silent after they answered hold their calls no longer than the timeout, are then cooled down and hold at most half the calls, and another account's push goes out at once", async () => {
  // Eight accounts whose endpoints answered once (their lanes proven),
  // then their names stop resolving: each look-up waits for ever, as the
  // system resolver waits out a silent name server. Without a deadline on
  // the look-up, they held all eight calls and bob's push waited.
  const names = silentNames("127.0.0.1");
  const t = await startPushed({ resolve: names.resolve });
  const { server, service, pool } = t;
  const timing = server.node.push.timing;
  try {
    const alice = await pool.register("alice");
    const port = new URL(service.base).port;
    const offlineAt = async (name: string, endpoint: string) => {
      const client = await pool.register(name);
      await subscribe(server, client.token!, endpoint, t.browsers);
      await client.close();
      await wentOffline(alice, name);
    };
    await offlineAt("bob", `${service.base}/push/bob`);
    const mute = Array.from({ length: 8 }, (_, i) => `mute${i}`);
    for (const name of mute) {
      await offlineAt(name, `http://${name}.example:${port}/push/${name}`);
    }
    for (const name of ["bob", ...mute]) {
      await alice.ok("private_message", { to: name, text: "first" });
    }
    await eventually(() => assert.equal(service.pushed.length, 9));
    assert.deepEqual(
      service.pushed.map((p) => p.error),
      Array(9).fill(undefined),
    );
    names.silence();
    // Short only while no push may succeed: the silent names' look-ups.
    timing.timeoutMs = 1000;
    for (const name of mute) {
      await alice.ok("private_message", { to: name, text: "second" });
    }
    await eventually(() => assert.equal(names.ended(), 8));
    // From now on no look-up is given up on during the test: without the
    // cool-down, the next eight hold all eight calls.
    timing.timeoutMs = 600_000;
    for (const name of mute) {
      await alice.ok("private_message", { to: name, text: "third" });
    }
    await holdsExactly(names, 4);
    await alice.ok("private_message", { to: "bob", text: "meanwhile" });
    await eventually(() => assert.equal(service.pushed.length, 10));
    assert.equal(service.pushed[9].payload?.text, "meanwhile");
  } finally {
    names.release();
    await t.close();
  }
});
