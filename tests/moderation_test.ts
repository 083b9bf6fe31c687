/**
 * Administration (PROTOCOL.md): kick, ban (server-wide and per room), unban,
 * delete_room and set_role, with the ranks admin > moderator > user.
 *
 * All test clients connect from 127.0.0.1, and a server-wide ban of someone
 * online bans the addresses it is online from: scenarios that need logins
 * after such a ban ban someone offline instead, and the address ban has a
 * server of its own.
 */
import assert from "node:assert/strict";
import { accountWithToken, call } from "./api_helpers.ts";
import {
  ClientPool,
  expectError,
  type Frame,
  notices,
  roomsOf,
  roundTrip,
  spawnServer,
  TEST_PASSWORD,
  type TestClient,
  type TestServer,
  wentOffline,
  withClients,
  within,
} from "./harness.ts";

/** The 4003 close code of a connection ended by a moderator. */
const CLOSE_REMOVED = 4003;

/** Waits for a `system` event of this kind (about `user`, when given). */
function notice(
  client: TestClient,
  kind: string,
  user?: string,
): Promise<Frame> {
  return client.event(
    "system",
    (d) => d.kind === kind && (user === undefined || d.user === user),
  );
}

/** Registers `root`, the first account and so the admin. */
async function admin(pool: ClientPool): Promise<TestClient> {
  const root = await pool.register("root");
  const reply = root.received.find((f) => f.data.request === "register");
  assert.equal(reply?.data.role, "admin");
  return root;
}

/** Has the admin give an account a role, and waits until it is told. */
async function promote(
  root: TestClient,
  account: TestClient,
  username: string,
  role: "moderator" | "admin",
): Promise<void> {
  await root.ok("set_role", { user: username, role });
  await account.event("system", (d) => d.kind === "info");
}

async function currentRoom(client: TestClient): Promise<string> {
  return (await client.ok("list_users")).room as string;
}

/**
 * Holds a read of the real store by a request under way: the first call of
 * `method` whose arguments match resolves `reading` once read, then waits
 * for `letGo` before handing the result back.
 */
function holdRead(
  server: TestServer,
  method: "findMessage" | "findBan",
  matches: (args: unknown[]) => boolean,
) {
  const store = server.node.store as unknown as Record<
    string,
    (...args: unknown[]) => Promise<unknown>
  >;
  const read = store[method].bind(store);
  const reading = Promise.withResolvers<void>();
  const letGo = Promise.withResolvers<void>();
  let held = false;
  store[method] = async (...args) => {
    const found = await read(...args);
    if (!held && matches(args)) {
      held = true;
      reading.resolve();
      await letGo.promise;
    }
    return found;
  };
  return { reading: reading.promise, letGo };
}

/** Holds a request's look-up of `user`'s bans in `room` (see holdRead). */
function holdBanRead(server: TestServer, user: string, room: string) {
  return holdRead(
    server,
    "findBan",
    ([who, key]) =>
      (who as { userKey?: string }).userKey === user &&
      key === room,
  );
}

// -------------------------------------------------------------------- kick

Deno.test("kick: every connection of the user hears kicked, then closes with 4003", () =>
  withClients(async (pool) => {
    const root = await admin(pool);
    const bob1 = await pool.register("bob");
    const bob2 = await pool.login({ token: bob1.token });
    await bob2.ok("create_room", { room: "dev" });
    const reply = await root.ok("kick", { user: "BOB", reason: "spam" });
    assert.equal(reply.user, "bob");
    for (const bob of [bob1, bob2]) {
      const event = await notice(bob, "kicked", "bob");
      assert.equal(typeof event.data.text, "string");
      await bob.closed;
      assert.equal(bob.closeCode, CLOSE_REMOVED);
    }
  }));

Deno.test("kick and ban: a reason piling more than 4 combining marks on one letter is invalid_message, 4 pass", () =>
  withClients(async (pool) => {
    const root = await admin(pool);
    const bob = await pool.register("bob");
    const zalgo = "Z" + "\u0300\u0301\u0302\u0303\u0304".repeat(40);
    for (const action of ["kick", "ban"]) {
      const error = await expectError(
        root,
        action,
        { user: "bob", reason: zalgo },
        "invalid_message",
      );
      assert.equal(
        error.data.message,
        "Invalid field 'reason': at most 4 marks on one letter.",
      );
    }
    await root.ok("kick", { user: "bob", reason: "Vie\u0323\u0302t spam" });
    await bob.closed;
  }));

Deno.test("kick, ban and the admin routes: a reason holding a direction override or an invisible space is invalid_message, as labels are", () =>
  withClients(async (pool, server) => {
    const root = await admin(pool);
    const bob = await pool.register("bob");
    // "\u202Emaps" shows as "spam"; U+200B and U+2066 are invisible.
    for (const reason of ["\u202Emaps", "sp\u200Bam", "\u2066spam\u2069"]) {
      for (const action of ["kick", "ban"]) {
        const error = await expectError(
          root,
          action,
          { user: "bob", reason },
          "invalid_message",
        );
        assert.equal(
          error.data.message,
          "Invalid field 'reason': no direction marks or invisible spaces.",
        );
      }
    }
    // The same schema answers over HTTP: an admin token's reset_password.
    const op = await accountWithToken(server, "op");
    await root.ok("set_role", { user: "op", role: "admin" });
    const reset = await call(server, "POST", "/api/admin/reset_password", {
      body: { user: "bob", reason: "\u202Emaps" },
      token: op.token,
    });
    assert.deepEqual([reset.status, reset.body.error], [
      400,
      "invalid_message",
    ]);
    // Arabic and Hebrew reasons need none of them, and still pass.
    await root.ok("kick", {
      user: "bob",
      reason: "\u05E1\u05E4\u05D0\u05DD spam",
    });
    await bob.closed;
  }));

Deno.test("kick, ban and the admin routes: a reason of more than one line (a line break, a tab, any control character) is invalid_message, over the WebSocket and HTTP", () =>
  withClients(async (pool, server) => {
    const root = await admin(pool);
    const bob = await pool.register("bob");
    // The admin page's bans and audit tables, and the audit export, showed
    // "spam\nadmin: root" as a second line under the first.
    for (const reason of ["spam\nadmin: root", "spam\r\n", "a\tb", "\u0085x"]) {
      for (const action of ["kick", "ban"]) {
        const error = await expectError(
          root,
          action,
          { user: "bob", reason },
          "invalid_message",
        );
        assert.equal(
          error.data.message,
          "Invalid field 'reason': one line, without control characters.",
        );
      }
    }
    const op = await accountWithToken(server, "op");
    await root.ok("set_role", { user: "op", role: "admin" });
    for (
      const [path, body] of [
        ["/api/admin/reset_password", { user: "bob", reason: "a\nb" }],
        ["/api/admin/ban", { user: "bob", reason: "a\nb" }],
        ["/api/admin/delete_account", {
          user: "bob",
          messages: "keep",
          reason: "a\nb",
        }],
      ] as const
    ) {
      const answer = await call(server, "POST", path, {
        body,
        token: op.token,
      });
      assert.deepEqual([answer.status, answer.body.error], [
        400,
        "invalid_message",
      ], path);
    }
    // Nothing was done: bob is no more banned than before, and still here.
    assert.deepEqual((await root.ok("list_bans")).bans, []);
    await root.ok("kick", { user: "bob", reason: "spam, one line" });
    await bob.closed;
  }));

Deno.test("kick and ban: a reason past a close frame's 123 bytes (CJK, a name not ASCII) still closes the connection with 4003, the close reason cut on a character", () =>
  withClients(async (pool) => {
    const root = await admin(pool);
    const bob = await pool.register("bob");
    const yulia = await pool.register("Юлия");
    const reason = "日本語".repeat(30);
    await root.ok("kick", { user: "bob", reason });
    await root.ok("ban", { user: "Юлия", reason });
    for (const [who, kind] of [[bob, "kicked"], [yulia, "banned"]] as const) {
      const told = await notice(who, kind);
      // Without the cut the socket never closed: a wide margin, not forever.
      const closed = await within(60_000, who.closed, `${kind}: the close`);
      assert.equal(closed.code, CLOSE_REMOVED);
      const bytes = new TextEncoder().encode(closed.reason).length;
      assert.ok(bytes <= 123 && bytes > 100, `${bytes} bytes`);
      assert.ok((told.data.text as string).startsWith(closed.reason));
    }
  }));

Deno.test("kick: the room hears kicked, not left, and its count drops", () =>
  withClients(async (pool) => {
    const root = await admin(pool);
    const carol = await pool.guest("carol");
    await carol.ok("create_room", { room: "dev" });
    const bob = await pool.guest("bob");
    await bob.ok("join_room", { room: "dev" });
    await notice(carol, "joined", "bob");
    const from = root.received.length;
    await root.ok("kick", { user: "bob" });
    await root.event("room_list", (d) => {
      const dev = roomsOf(d).find((r) => r.name === "dev");
      return dev?.users === 1;
    }, { from });
    const heard = await notice(carol, "kicked", "bob");
    assert.equal(heard.data.room, "dev");
    await bob.closed;
    await roundTrip(carol);
    assert.deepEqual(notices(carol, "left", "bob"), []);
    const rooms = await root.ok("list_rooms");
    assert.deepEqual(roomsOf(rooms), [
      { name: "general", users: 1 },
      { name: "dev", users: 1 },
    ]);
    const users = await carol.ok("list_users");
    assert.deepEqual(users.users, ["carol"]);
  }));

Deno.test("kick: the kicked user may log in again", () =>
  withClients(async (pool) => {
    const root = await admin(pool);
    const bob = await pool.guest("bob");
    await root.ok("kick", { user: "bob" });
    await bob.closed;
    const again = await pool.guest("bob");
    const users = await again.ok("list_users");
    assert.deepEqual(users.users, ["bob", "root"]);
  }));

Deno.test("kick: someone offline, or nobody at all, gets user_not_found", () =>
  withClients(async (pool) => {
    const root = await admin(pool);
    const bob = await pool.register("bob");
    await bob.close();
    await wentOffline(root, "bob");
    await expectError(root, "kick", { user: "bob" }, "user_not_found");
    await expectError(root, "kick", { user: "nobody" }, "user_not_found");
  }));

// --------------------------------------------------------------------- ban

Deno.test("ban: a banned user hears banned, is closed with 4003, its room hears banned", () =>
  withClients(async (pool) => {
    const root = await admin(pool);
    const bob = await pool.register("bob");
    const reply = await root.ok("ban", { user: "bob", reason: "spam" });
    assert.equal(reply.user, "bob");
    const told = await notice(bob, "banned", "bob");
    assert.equal(typeof told.data.text, "string");
    await bob.closed;
    assert.equal(bob.closeCode, CLOSE_REMOVED);
    await notice(root, "banned", "bob");
    await roundTrip(root);
    assert.deepEqual(notices(root, "left", "bob"), []);
    const again = await pool.connect();
    await expectError(again, "login", { token: bob.token }, "banned");
  }));

Deno.test("ban: an account banned while offline cannot log in by name, others still can", () =>
  withClients(async (pool) => {
    const root = await admin(pool);
    const bob = await pool.register("bob");
    await bob.close();
    await wentOffline(root, "bob");
    await root.ok("ban", { user: "Bob" });
    const client = await pool.connect();
    await expectError(
      client,
      "login",
      { username: "BOB", password: TEST_PASSWORD },
      "banned",
    );
    await expectError(client, "login", { token: bob.token }, "banned");
    // The name alone is banned, not the address it used to come from.
    const carol = await pool.guest("carol");
    const users = await carol.ok("list_users");
    assert.deepEqual(users.users, ["carol", "root"]);
  }));

Deno.test("ban: a banned guest cannot come back under another name from its address, where accounts still log in and read", () =>
  withClients(async (pool) => {
    // Through a trusted proxy, so the guest has an address of its own
    // (loopback addresses are never banned).
    const away = { headers: { "x-forwarded-for": "192.0.2.66" } };
    const root = await admin(pool);
    const mallory = await pool.login({ username: "mallory" }, away);
    await root.ok("ban", { user: "mallory" });
    await notice(mallory, "banned", "mallory");
    await mallory.closed;
    assert.equal(mallory.closeCode, CLOSE_REMOVED);
    const client = await pool.connect(away);
    await expectError(client, "login", { username: "mallory" }, "banned");
    await expectError(client, "login", { username: "mallory2" }, "banned");
    // Address bans stop guests only: staff on the same address still log in.
    const again = await pool.login({
      username: "root",
      password: TEST_PASSWORD,
    }, away);
    assert.equal(again.closeCode, undefined);
    // And read rooms there: history, search, pins (an office's one NAT
    // address banned for a guest keeps its accounts).
    await again.ok("send_message", { text: "still here" });
    const history = await again.ok("history", { room: "general" });
    assert.equal((history.messages as unknown[]).length, 1);
    const found = await again.ok("search", { query: "still" });
    assert.equal((found.results as unknown[]).length, 1);
    await again.ok("list_pins", { room: "general" });
    // And guests from elsewhere are not concerned.
    await pool.guest("carol");
  }, { trustProxy: true }));

Deno.test("ban: a banned IPv6 guest cannot come back from another address of its /64", () =>
  withClients(async (pool) => {
    // One machine picks its IPv6 addresses in its /64 at will.
    const from = (address: string) => ({
      headers: { "x-forwarded-for": address },
    });
    const root = await admin(pool);
    const mallory = await pool.login(
      { username: "mallory" },
      from("2001:db8:1:2::66"),
    );
    await root.ok("ban", { user: "mallory" });
    await mallory.closed;
    const next = await pool.connect(from("2001:db8:1:2:ffff::9"));
    await expectError(next, "login", { username: "mallory2" }, "banned");
    // Another /64 is someone else.
    await pool.login({ username: "carol" }, from("2001:db8:1:3::66"));
    // Its ban names the /64, as the admin page shows it.
    const bans = await root.ok("list_bans");
    assert.ok(
      JSON.stringify(bans).includes("2001:db8:1:2::/64"),
      JSON.stringify(bans),
    );
  }, { trustProxy: true }));

Deno.test("ban: a guest on this machine's own address is banned by name only", () =>
  withClients(async (pool) => {
    const root = await admin(pool);
    const local = await pool.guest("local");
    await root.ok("ban", { user: "local" });
    await local.closed;
    const client = await pool.connect();
    await expectError(client, "login", { username: "local" }, "banned");
    await pool.guest("neighbour");
  }));

Deno.test("ban: a server ban survives a restart", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-ban-" });
  const args = ["--db", `${dir}/chat.db`, "--admin", "root"];
  try {
    let server = await spawnServer(args);
    let pool = new ClientPool(server.wsUrl);
    let rootToken: string | undefined;
    try {
      // `--admin root`: the first account is a plain user, root the admin.
      const bob = await pool.register("bob");
      const root = await pool.register("root");
      assert.equal(
        bob.received.find((f) => f.data.request === "register")?.data.role,
        "user",
      );
      assert.equal(
        root.received.find((f) => f.data.request === "register")?.data.role,
        "admin",
      );
      rootToken = root.token;
      await bob.close();
      await wentOffline(root, "bob");
      await root.ok("ban", { user: "bob", reason: "spam" });
    } finally {
      await pool.closeAll();
      await server.stop();
    }
    server = await spawnServer(args);
    pool = new ClientPool(server.wsUrl);
    try {
      const client = await pool.connect();
      await expectError(
        client,
        "login",
        { username: "bob", password: TEST_PASSWORD },
        "banned",
      );
      const root = await pool.login({ token: rootToken });
      const reply = root.received.find((f) => f.data.request === "login");
      assert.equal(reply?.data.role, "admin");
    } finally {
      await pool.closeAll();
      await server.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--admin: a server ban of the account it names is lifted at start, in the audit log and the log, so a banned operator gets back in", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-ban-" });
  const db = ["--db", `${dir}/chat.db`];
  try {
    let server = await spawnServer(db);
    let pool = new ClientPool(server.wsUrl);
    try {
      const root = await admin(pool);
      const op = await pool.register("Op");
      await op.close();
      await wentOffline(root, "Op");
      await root.ok("ban", { user: "op", reason: "by mistake" });
      const locked = await pool.connect();
      await expectError(
        locked,
        "login",
        { username: "op", password: TEST_PASSWORD },
        "banned",
      );
    } finally {
      await pool.closeAll();
      await server.stop();
    }
    server = await spawnServer([...db, "--admin", "op"]);
    pool = new ClientPool(server.wsUrl);
    try {
      const op = await pool.login({
        username: "op",
        password: TEST_PASSWORD,
      });
      const reply = op.received.find((f) => f.data.request === "login");
      assert.equal(reply?.data.role, "admin");
      const [entry] = (await op.ok("audit_log", { limit: 1 }))
        .entries as Record<string, unknown>[];
      assert.deepEqual(
        [entry.by, entry.action, entry.target, entry.reason],
        ["the operator", "unban", "Op", "named by --admin"],
      );
      assert.match(
        server.output(),
        /Op's server ban lifted: --admin names this account/,
      );
    } finally {
      await pool.closeAll();
      await server.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ban: a room ban sends the user's connections in that room to general, told banned", () =>
  withClients(async (pool) => {
    const root = await admin(pool);
    const carol = await pool.guest("carol");
    await carol.ok("create_room", { room: "dev" });
    const bobInDev = await pool.register("bob");
    const bobInGeneral = await pool.login({ token: bobInDev.token });
    await bobInDev.ok("join_room", { room: "dev" });
    await notice(carol, "joined", "bob");
    const reply = await root.ok("ban", { user: "bob", room: "DEV" });
    assert.equal(reply.room, "dev");
    const told = await notice(bobInDev, "banned", "bob");
    assert.equal(told.data.room, "dev");
    assert.equal(await currentRoom(bobInDev), "general");
    assert.equal(await currentRoom(bobInGeneral), "general");
    const heard = await notice(carol, "banned", "bob");
    assert.equal(heard.data.room, "dev");
    assert.deepEqual((await carol.ok("list_users")).users, ["carol"]);
    await roundTrip(bobInGeneral);
    assert.deepEqual(notices(bobInGeneral, "banned", "bob"), []);
    assert.equal(bobInDev.closeCode, undefined);
  }));

Deno.test("ban: a message the user was still sending when the room ban was acknowledged is refused with banned, not stored in the room", () =>
  withClients(async (pool, server) => {
    const root = await admin(pool);
    await root.ok("create_room", { room: "dev" });
    const bob = await pool.guest("bob");
    await bob.ok("join_room", { room: "dev" });
    const first = (await bob.ok("send_message", { text: "first" }))
      .message as { id: string };
    // Bob's answer to his first message waits, after its check that he
    // may read the message it answers (the last of its checks, a ban
    // look-up), until the ban has been acknowledged: a send under way
    // when the ban came.
    const { reading, letGo } = holdBanRead(server, "bob", "dev");
    const sending = bob.request("send_message", {
      text: "sent as the ban came",
      reply_to: first.id,
    });
    await reading;
    await root.ok("ban", { user: "bob", room: "dev" });
    letGo.resolve();
    const reply = await sending;
    assert.equal(reply.action, "error");
    assert.equal(reply.data.code, "banned");
    const page = await root.ok("history", { room: "dev" });
    assert.deepEqual(
      (page.messages as { text: string }[]).map((m) => m.text),
      ["first"],
    );
  }));

Deno.test("ban: a retry of a message stored before the room ban, still checking the message it answers when the ban was acknowledged, gets the first copy without what others did to it", () =>
  withClients(async (pool, server) => {
    const root = await admin(pool);
    await root.ok("create_room", { room: "dev" });
    await root.ok("join_room", { room: "dev" });
    const bob = await pool.guest("bob");
    await bob.ok("join_room", { room: "dev" });
    const asked = (await root.ok("send_message", { text: "deploy?" }))
      .message as { id: string };
    const sent = { text: "deploy done", client_id: "k1", reply_to: asked.id };
    const first = (await bob.ok("send_message", sent)).message as {
      id: string;
      reply_to: Record<string, unknown>;
    };
    await root.ok("react", { id: first.id, emoji: "👍" });
    await root.ok("pin", { id: first.id });
    // Its answer was lost: bob sends it again, and the retry waits, after
    // its check that he may read the message it answers, until the ban
    // has been acknowledged.
    const { reading, letGo } = holdBanRead(server, "bob", "dev");
    const sending = bob.request("send_message", sent);
    await reading;
    await root.ok("ban", { user: "bob", room: "dev" });
    letGo.resolve();
    const reply = await sending;
    assert.equal(reply.action, "success", JSON.stringify(reply.data));
    assert.deepEqual(reply.data.message, {
      ...first,
      reply_to: { ...first.reply_to, text: "" },
    });
    const page = await root.ok("history", { room: "dev" });
    assert.deepEqual(
      (page.messages as { id: string }[]).map((m) => m.id),
      [asked.id, first.id],
    );
  }));

Deno.test("ban: a private message the user was still sending when the server ban was acknowledged is not stored", () =>
  withClients(async (pool, server) => {
    const root = await admin(pool);
    const alice = await pool.register("alice");
    const bob = await pool.register("bob");
    const first = (await bob.ok("private_message", {
      to: "alice",
      text: "first",
    })).message as { id: string };
    // Bob's answer to his first message waits, after its check of the
    // message it answers, until the ban has been acknowledged.
    const { reading, letGo } = holdRead(
      server,
      "findMessage",
      ([id]) => id === first.id,
    );
    bob.send({
      action: "private_message",
      data: { to: "alice", text: "sent as the ban came", reply_to: first.id },
      id: "late",
    });
    await reading;
    await root.ok("ban", { user: "bob" });
    await bob.closed;
    letGo.resolve();
    // The store answers in order: a send that went on after the ban is
    // stored before this page is read.
    const page = await alice.ok("history", { with: "bob" });
    assert.deepEqual(
      (page.messages as { text: string }[]).map((m) => m.text),
      ["first"],
    );
  }));

/**
 * Bob answers root's first message in `dev` over the REST API, and his
 * request waits, after its check of that message, until `meanwhile` (a
 * ban) has been acknowledged: no socket of his is there to move. Returns
 * the answer and the texts `dev` holds after it.
 */
async function restAnswerOvertaken(
  pool: ClientPool,
  server: TestServer,
  meanwhile: (root: TestClient) => Promise<unknown>,
) {
  const root = await admin(pool);
  await root.ok("create_room", { room: "dev" });
  await root.ok("join_room", { room: "dev" });
  await pool.register("carol");
  const first = (await root.ok("send_message", { text: "first" }))
    .message as { id: string };
  const bob = await accountWithToken(server, "bob");
  const { reading, letGo } = holdRead(
    server,
    "findMessage",
    ([id]) => id === first.id,
  );
  const sending = call(server, "POST", "/api/rooms/dev/messages", {
    body: { text: "an answer", reply_to: first.id },
    token: bob.token,
  });
  await reading;
  await meanwhile(root);
  letGo.resolve();
  const reply = await sending;
  const page = await root.ok("history", { room: "dev" });
  const texts = (page.messages as { text: string }[]).map((m) => m.text);
  return { reply, texts };
}

Deno.test("ban: a REST message still being checked when its sender's room ban was acknowledged is refused with banned, not stored", () =>
  withClients(async (pool, server) => {
    const { reply, texts } = await restAnswerOvertaken(
      pool,
      server,
      (root) => root.ok("ban", { user: "bob", room: "dev" }),
    );
    assert.deepEqual([reply.status, reply.body.error], [403, "banned"]);
    assert.deepEqual(texts, ["first"]);
  }));

Deno.test("ban: a REST message that someone else's ban overtook while it was checked is stored all the same", () =>
  withClients(async (pool, server) => {
    // The request cannot tell whom a ban is about: it checks again.
    const { reply, texts } = await restAnswerOvertaken(
      pool,
      server,
      (root) => root.ok("ban", { user: "carol", room: "dev" }),
    );
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    assert.deepEqual(texts, ["first", "an answer"]);
  }));

Deno.test("ban: a REST private message still being checked when its sender's server ban was acknowledged is refused, not stored", () =>
  withClients(async (pool, server) => {
    const root = await admin(pool);
    const alice = await pool.register("alice");
    const bob = await accountWithToken(server, "bob");
    const first = await call(server, "POST", "/api/private/alice/messages", {
      body: { text: "first" },
      token: bob.token,
    });
    assert.equal(first.status, 201);
    const { reading, letGo } = holdRead(
      server,
      "findMessage",
      ([id]) => id === first.body.message.id,
    );
    const sending = call(server, "POST", "/api/private/alice/messages", {
      body: { text: "sent as the ban came", reply_to: first.body.message.id },
      token: bob.token,
    });
    await reading;
    await root.ok("ban", { user: "bob" });
    letGo.resolve();
    const reply = await sending;
    assert.deepEqual([reply.status, reply.body.error], [403, "banned"]);
    const page = await alice.ok("history", { with: "bob" });
    assert.deepEqual(
      (page.messages as { text: string }[]).map((m) => m.text),
      ["first"],
    );
  }));

Deno.test("ban: a REST private retry of a message stored before the server ban, still being checked when the ban was acknowledged, gets 200 and the first copy", () =>
  withClients(async (pool, server) => {
    const root = await admin(pool);
    const alice = await pool.register("alice");
    const bob = await accountWithToken(server, "bob");
    const asked = (await alice.ok("private_message", {
      to: "bob",
      text: "deploy?",
    })).message as { id: string };
    const sent = { text: "deploy done", client_id: "k1", reply_to: asked.id };
    const send = () =>
      call(server, "POST", "/api/private/alice/messages", {
        body: sent,
        token: bob.token,
      });
    const first = await send();
    assert.equal(first.status, 201);
    const { reading, letGo } = holdRead(
      server,
      "findMessage",
      ([id]) => id === asked.id,
    );
    const sending = send();
    await reading;
    await root.ok("ban", { user: "bob" });
    letGo.resolve();
    const reply = await sending;
    assert.deepEqual([reply.status, reply.body.message?.id], [
      200,
      first.body.message.id,
    ]);
    const page = await alice.ok("history", { with: "bob" });
    assert.deepEqual(
      (page.messages as { text: string }[]).map((m) => m.text),
      ["deploy?", "deploy done"],
    );
  }));

Deno.test("ban: a guest banned from a room gets banned for its history, pins and search there, as an account does", () =>
  withClients(async (pool) => {
    const [root, bob] = [await admin(pool), await pool.guest("bob")];
    await root.ok("create_room", { room: "dev" });
    const sent = await root.ok("send_message", { text: "plans for dev" });
    await root.ok("pin", { id: (sent.message as { id: string }).id });
    await bob.ok("join_room", { room: "dev" });
    const pins = await bob.ok("list_pins", { room: "dev" });
    assert.equal((pins.messages as unknown[]).length, 1);
    await root.ok("ban", { user: "bob", room: "dev" });
    await expectError(bob, "history", { room: "dev" }, "banned");
    await expectError(bob, "list_pins", { room: "dev" }, "banned");
    await expectError(bob, "search", { query: "plans", room: "dev" }, "banned");
    const everywhere = await bob.ok("search", { query: "plans" });
    assert.deepEqual(everywhere.results, []);
  }));

Deno.test("ban: a join_room still under way when the room ban was acknowledged is refused and leaves no membership", () =>
  withClients(async (pool, server) => {
    const root = await admin(pool);
    await root.ok("create_room", { room: "dev" });
    const bob = await pool.register("bob");
    // Bob's join has found no ban, and waits until the ban is acknowledged.
    const { reading, letGo } = holdBanRead(server, "bob", "dev");
    const joining = bob.request("join_room", { room: "dev" });
    await reading;
    await root.ok("ban", { user: "bob", room: "dev" });
    letGo.resolve();
    const reply = await joining;
    assert.equal(reply.action, "error", JSON.stringify(reply.data));
    assert.equal(reply.data.code, "banned");
    assert.equal(await currentRoom(bob), "general");
    const again = await pool.login({ token: bob.token });
    const login = again.received.find((f) => f.data.request === "login");
    assert.deepEqual(
      (login?.data.memberships as { room: string }[]).map((m) => m.room),
      ["general"],
    );
  }));

Deno.test("update_room: a guest's join_room still under way when the room was made private gets room_not_found, not its history", () =>
  withClients(async (pool, server) => {
    const root = await admin(pool);
    await root.ok("create_room", { room: "dev" });
    await root.ok("send_message", { text: "members only soon" });
    const bob = await pool.guest("bob");
    // Bob's join has looked at the room (public) and for a ban, and waits
    // until the room is private.
    const { reading, letGo } = holdBanRead(server, "bob", "dev");
    const joining = bob.request("join_room", { room: "dev" });
    await reading;
    await root.ok("update_room", { room: "dev", private: true });
    letGo.resolve();
    const reply = await joining;
    assert.equal(reply.action, "error", JSON.stringify(reply.data));
    assert.equal(reply.data.code, "room_not_found");
    assert.equal(await currentRoom(bob), "general");
  }));

Deno.test("ban: a room-banned user gets banned on join_room, other rooms stay open", () =>
  withClients(async (pool) => {
    const root = await admin(pool);
    await root.ok("create_room", { room: "dev" });
    await root.ok("create_room", { room: "ops" });
    const bob = await pool.guest("bob");
    await root.ok("ban", { user: "bob", room: "dev" });
    await expectError(bob, "join_room", { room: "dev" }, "banned");
    await expectError(bob, "join_room", { room: "Dev" }, "banned");
    assert.equal(await currentRoom(bob), "general");
    const ops = await bob.ok("join_room", { room: "ops" });
    assert.equal(ops.room, "ops");
  }));

Deno.test("ban: from general gets invalid_message, from an unknown room room_not_found", () =>
  withClients(async (pool) => {
    const root = await admin(pool);
    const bob = await pool.guest("bob");
    await expectError(
      root,
      "ban",
      { user: "bob", room: "general" },
      "invalid_message",
    );
    await expectError(
      root,
      "ban",
      { user: "bob", room: "nowhere" },
      "room_not_found",
    );
    await roundTrip(bob);
    assert.equal(bob.closeCode, undefined);
    assert.deepEqual(
      bob.events("system").filter((f) => f.data.kind === "banned"),
      [],
    );
  }));

// ------------------------------------------------------------------- unban

Deno.test("unban: a lifted server ban lets the account log in again", () =>
  withClients(async (pool) => {
    const root = await admin(pool);
    const bob = await pool.register("bob");
    await bob.close();
    await wentOffline(root, "bob");
    await root.ok("ban", { user: "bob" });
    const client = await pool.connect();
    await expectError(client, "login", { token: bob.token }, "banned");
    await root.ok("unban", { user: "BOB" });
    const reply = await client.request("login", { token: bob.token });
    assert.equal(reply.action, "success", JSON.stringify(reply.data));
  }));

Deno.test("unban: a lifted room ban lets the user join again", () =>
  withClients(async (pool) => {
    const root = await admin(pool);
    await root.ok("create_room", { room: "dev" });
    const bob = await pool.guest("bob");
    await root.ok("ban", { user: "bob", room: "dev" });
    await expectError(bob, "join_room", { room: "dev" }, "banned");
    await root.ok("unban", { user: "bob", room: "dev" });
    const joined = await bob.ok("join_room", { room: "dev" });
    assert.equal(joined.room, "dev");
  }));

Deno.test("unban: nothing to lift gets user_not_found", () =>
  withClients(async (pool) => {
    const root = await admin(pool);
    await root.ok("create_room", { room: "dev" });
    await pool.guest("bob");
    await expectError(root, "unban", { user: "bob" }, "user_not_found");
    await expectError(
      root,
      "unban",
      { user: "bob", room: "dev" },
      "user_not_found",
    );
    await expectError(root, "unban", { user: "nobody" }, "user_not_found");
  }));

// ------------------------------------------------------------- delete_room

Deno.test("delete_room: members hear deleted and move to general, where they are heard joining", () =>
  withClients(async (pool) => {
    const root = await admin(pool);
    const bob = await pool.guest("bob");
    await bob.ok("create_room", { room: "dev" });
    const carol = await pool.guest("carol");
    await carol.ok("join_room", { room: "dev" });
    await notice(root, "left", "carol");
    const from = root.received.length;
    const reply = await root.ok("delete_room", { room: "DEV" });
    assert.equal(reply.room, "dev");
    for (const member of [bob, carol]) {
      const told = await notice(member, "deleted");
      assert.equal(told.data.room, "dev");
      assert.equal(await currentRoom(member), "general");
    }
    for (const user of ["bob", "carol"]) {
      await root.event(
        "system",
        (d) => d.kind === "joined" && d.user === user,
        { from },
      );
    }
    const users = await root.ok("list_users");
    assert.deepEqual(users.users, ["bob", "carol", "root"]);
    await root.event(
      "room_list",
      (d) => roomsOf(d).length === 1 && roomsOf(d)[0].users === 3,
      { from },
    );
  }));

Deno.test("delete_room: the room and its history are gone", () =>
  withClients(async (pool, server) => {
    const root = await admin(pool);
    await root.ok("create_room", { room: "dev" });
    await root.ok("send_message", { text: "old news" });
    await root.ok("delete_room", { room: "dev" });
    assert.equal(await currentRoom(root), "general");
    assert.deepEqual(roomsOf(await root.ok("list_rooms")), [
      { name: "general", users: 1 },
    ]);
    await expectError(root, "join_room", { room: "dev" }, "room_not_found");
    await expectError(root, "history", { room: "dev" }, "room_not_found");
    const res = await fetch(`${server.url}/api/rooms/dev/messages`);
    await res.body?.cancel();
    assert.equal(res.status, 404);
    // A new room of the same name starts empty.
    const again = await root.ok("create_room", { room: "dev" });
    assert.deepEqual(again.history, []);
    const first = await root.ok("send_message", { text: "fresh" });
    assert.equal((first.message as { seq: number }).seq, 1);
    const history = await root.ok("history");
    assert.deepEqual(history.messages, [first.message]);
  }));

Deno.test("delete_room: general gets forbidden, an unknown room room_not_found", () =>
  withClients(async (pool) => {
    const root = await admin(pool);
    await expectError(root, "delete_room", { room: "general" }, "forbidden");
    await expectError(root, "delete_room", { room: "GENERAL" }, "forbidden");
    await expectError(
      root,
      "delete_room",
      { room: "nowhere" },
      "room_not_found",
    );
  }));

// ---------------------------------------------------------------- set_role

Deno.test("set_role: a user made moderator is told and can kick at once", () =>
  withClients(async (pool) => {
    const root = await admin(pool);
    const bob = await pool.register("bob");
    const carol = await pool.guest("carol");
    await expectError(bob, "kick", { user: "carol" }, "forbidden");
    const reply = await root.ok("set_role", { user: "BOB", role: "moderator" });
    assert.equal(reply.user, "bob");
    assert.equal(reply.role, "moderator");
    const told = await notice(bob, "info");
    assert.equal(typeof told.data.text, "string");
    await bob.ok("kick", { user: "carol" });
    await carol.closed;
    assert.equal(carol.closeCode, CLOSE_REMOVED);
  }));

Deno.test("set_role: every moderator and admin hears role_changed with the account's name, new role and creation time; users and guests do not", () =>
  withClients(async (pool) => {
    const root = await admin(pool);
    const mia = await pool.register("mia");
    await promote(root, mia, "mia", "moderator");
    const bob = await pool.register("Bob");
    const dan = await pool.register("dan");
    const gus = await pool.guest("gus");
    const made = (await root.ok("list_accounts", { query: "bob" }))
      .accounts as { created_at: string }[];
    const heard = (client: TestClient, role: string) =>
      client.event("role_changed", (d) => d.user === "Bob" && d.role === role);

    await root.ok("set_role", { user: "bob", role: "moderator" });
    for (const staff of [root, mia, bob]) {
      const { data } = await heard(staff, "moderator");
      assert.deepEqual(data, {
        user: "Bob",
        role: "moderator",
        created_at: made[0].created_at,
      });
    }
    await roundTrip(dan);
    await roundTrip(gus);
    assert.deepEqual(dan.events("role_changed"), []);
    assert.deepEqual(gus.events("role_changed"), []);

    // Made a user again, bob is told by his notice alone.
    const from = bob.received.length;
    await root.ok("set_role", { user: "bob", role: "user" });
    await heard(root, "user");
    await heard(mia, "user");
    await roundTrip(bob);
    assert.deepEqual(
      bob.received.slice(from).filter((f) => f.action === "role_changed"),
      [],
    );
  }));

Deno.test("moderation notices name who acted, why and the new role in fields, beside their English text", () =>
  withClients(async (pool) => {
    const root = await admin(pool);
    const bob = await pool.register("bob");
    const fields = (frame: Frame) => {
      const { by, reason, role, scope, user, room } = frame.data;
      return { by, reason, role, scope, user, room };
    };
    await root.ok("set_role", { user: "bob", role: "moderator" });
    const promoted = await notice(bob, "info");
    assert.equal(promoted.data.text, "root made you moderator");
    assert.deepEqual(fields(promoted), {
      by: "root",
      reason: undefined,
      role: "moderator",
      scope: undefined,
      user: "bob",
      room: "general",
    });

    const carol = await pool.guest("carol");
    await carol.ok("create_room", { room: "dev" });
    const dave = await pool.guest("dave");
    await dave.ok("join_room", { room: "dev" });
    await notice(carol, "joined", "dave");
    await bob.ok("ban", { user: "dave", room: "dev", reason: "spam" });
    const banned = await notice(dave, "banned", "dave");
    assert.equal(banned.data.text, "dave was banned from dev by bob: spam");
    assert.deepEqual(fields(banned), {
      by: "bob",
      reason: "spam",
      role: undefined,
      scope: "room",
      user: "dave",
      room: "dev",
    });
    const roomHeard = await notice(carol, "banned", "dave");
    assert.deepEqual(fields(roomHeard), {
      ...fields(banned),
      scope: undefined,
    });

    // No reason given: the sentence says so in English, the fields not at all.
    const from = dave.received.length;
    await bob.ok("ban", { user: "dave" });
    const serverBan = await dave.event(
      "system",
      (d) => d.kind === "banned" && d.scope === "server",
      { from },
    );
    assert.equal(
      serverBan.data.text,
      "dave was banned by bob: no reason given",
    );
    assert.equal(serverBan.data.by, "bob");
    assert.equal("reason" in serverBan.data, false);
    assert.equal(serverBan.data.scope, "server");

    await bob.ok("kick", { user: "carol", reason: "flood" });
    const kicked = await notice(carol, "kicked", "carol");
    assert.equal(kicked.data.text, "carol was kicked by bob: flood");
    assert.equal(kicked.data.by, "bob");
    assert.equal(kicked.data.reason, "flood");

    const erin = await pool.guest("erin");
    await erin.ok("create_room", { room: "ops" });
    await root.ok("delete_room", { room: "ops" });
    const deleted = await notice(erin, "deleted");
    assert.equal(deleted.data.text, "root deleted ops");
    assert.equal(deleted.data.by, "root");
    assert.equal(deleted.data.room, "ops");
  }));

Deno.test("set_role: only accounts, and never the admin's own role", () =>
  withClients(async (pool) => {
    const root = await admin(pool);
    await pool.guest("carol");
    await expectError(
      root,
      "set_role",
      { user: "carol", role: "moderator" },
      "user_not_found",
    );
    await expectError(
      root,
      "set_role",
      { user: "nobody", role: "moderator" },
      "user_not_found",
    );
    await expectError(
      root,
      "set_role",
      { user: "root", role: "user" },
      "forbidden",
    );
    await roundTrip(root);
    assert.deepEqual(
      root.events("system").filter((f) => f.data.kind === "info"),
      [],
    );
  }));

Deno.test("set_role: an admin cannot change another admin's role", () =>
  withClients(async (pool) => {
    const root = await admin(pool);
    const bob = await pool.register("bob");
    await promote(root, bob, "bob", "admin");
    await expectError(
      bob,
      "set_role",
      { user: "root", role: "user" },
      "forbidden",
    );
    await roundTrip(root);
    assert.deepEqual(
      root.events("system").filter((f) => f.data.kind === "info"),
      [],
    );
  }));

Deno.test("set_role: a moderator gets forbidden", () =>
  withClients(async (pool) => {
    const root = await admin(pool);
    const [mod, bob] = await Promise.all([
      pool.register("mod"),
      pool.register("bob"),
    ]);
    await promote(root, mod, "mod", "moderator");
    await expectError(
      mod,
      "set_role",
      { user: "bob", role: "moderator" },
      "forbidden",
    );
    await roundTrip(bob);
    assert.deepEqual(
      bob.events("system").filter((f) => f.data.kind === "info"),
      [],
    );
  }));

// ------------------------------------------------------------------- ranks

Deno.test("moderation: nobody acts on themselves or on someone of equal or higher rank", () =>
  withClients(async (pool) => {
    const root = await admin(pool);
    const [mod1, mod2] = await Promise.all([
      pool.register("mod1"),
      pool.register("mod2"),
    ]);
    await promote(root, mod1, "mod1", "moderator");
    await promote(root, mod2, "mod2", "moderator");
    await pool.guest("dev-owner").then((c) =>
      c.ok("create_room", { room: "dev" })
    );
    const attempts: [TestClient, string, Record<string, unknown>][] = [
      [mod1, "kick", { user: "mod1" }],
      [mod1, "ban", { user: "mod1" }],
      [mod1, "kick", { user: "mod2" }],
      [mod1, "ban", { user: "mod2" }],
      [mod1, "ban", { user: "mod2", room: "dev" }],
      [mod1, "kick", { user: "root" }],
      [mod1, "ban", { user: "root" }],
      [root, "kick", { user: "root" }],
      [root, "ban", { user: "root" }],
      [root, "ban", { user: "root", room: "dev" }],
    ];
    for (const [actor, action, data] of attempts) {
      await expectError(actor, action, data, "forbidden");
    }
    for (const client of [root, mod1, mod2]) {
      await roundTrip(client);
      assert.equal(client.closeCode, undefined);
    }
  }));

Deno.test("moderation: a moderator deletes neither the messages nor the rooms of an admin; another moderator's and a user's it does, and an admin deletes anyone's", () =>
  withClients(async (pool) => {
    const root = await admin(pool);
    const [mod1, mod2, ann, boss] = await Promise.all([
      pool.register("mod1"),
      pool.register("mod2"),
      pool.register("ann"),
      pool.register("boss"),
    ]);
    await promote(root, mod1, "mod1", "moderator");
    await promote(root, mod2, "mod2", "moderator");
    await promote(root, boss, "boss", "admin");
    const said = async (client: TestClient, text: string) =>
      ((await client.ok("send_message", { text })).message as { id: string })
        .id;
    const rootSaid = await said(root, "from the admin");
    const bossSaid = await said(boss, "from another admin");
    const mod2Said = await said(mod2, "from a moderator");
    const annSaid = await said(ann, "from a user");
    const refused = await expectError(
      mod1,
      "delete_message",
      { id: rootSaid },
      "forbidden",
    );
    assert.equal(refused.data.message, "You cannot act on root (admin).");
    await root.ok("create_room", { room: "board" });
    await mod2.ok("create_room", { room: "mods" });
    await ann.ok("create_room", { room: "lounge" });
    await expectError(mod1, "delete_room", { room: "board" }, "forbidden");
    // Its equal: a moderator's account gone bad is cleaned up by another.
    await mod1.ok("delete_message", { id: mod2Said });
    await mod1.ok("delete_room", { room: "mods" });
    // Below it, as before: a user's message and room.
    await mod1.ok("delete_message", { id: annSaid });
    await mod1.ok("delete_room", { room: "lounge" });
    // An admin deletes anyone's, another admin's too.
    await root.ok("delete_message", { id: bossSaid });
    const history = await ann.ok("history", { room: "general" });
    assert.deepEqual(
      (history.messages as { text: string }[]).map((m) => m.text),
      ["from the admin", "", "", ""],
    );
    assert.deepEqual(
      roomsOf(await ann.ok("list_rooms")).map((r) => r.name).sort(),
      ["board", "general"],
    );
    const { entries } = await root.ok("audit_log", {});
    assert.deepEqual(
      (entries as { by: string; action: string }[])
        .filter((e) => e.action.startsWith("delete_"))
        .map((e) => `${e.by} ${e.action}`)
        .reverse(),
      [
        "mod1 delete_message",
        "mod1 delete_room",
        "mod1 delete_message",
        "mod1 delete_room",
        "root delete_message",
      ],
    );
  }));

Deno.test("moderation: a guest's message stays a user's to a moderator after an admin registers the guest's name", () =>
  withClients(async (pool) => {
    const root = await admin(pool);
    const mod = await pool.register("mod");
    await promote(root, mod, "mod", "moderator");
    const guest = await pool.guest("zed");
    const spam = (await guest.ok("send_message", { text: "spam" }))
      .message as { id: string };
    await guest.close();
    const zed = await pool.register("zed");
    await promote(root, zed, "zed", "admin");
    const mine = (await zed.ok("send_message", { text: "mine" }))
      .message as { id: string };
    await expectError(mod, "delete_message", { id: mine.id }, "forbidden");
    // Sent before the account existed: the guest's, a user's.
    await mod.ok("delete_message", { id: spam.id });
  }));

Deno.test("moderation: a user and a guest get forbidden for kick, ban, unban, delete_room and set_role", () =>
  withClients(async (pool) => {
    const root = await admin(pool);
    await root.ok("create_room", { room: "dev" });
    const bob = await pool.register("bob");
    const carol = await pool.guest("carol");
    const pairs: [TestClient, string][] = [[bob, "carol"], [carol, "bob"]];
    for (const [actor, other] of pairs) {
      const requests: [string, Record<string, unknown>][] = [
        ["kick", { user: other }],
        ["ban", { user: other }],
        ["ban", { user: other, room: "dev" }],
        ["unban", { user: other }],
        ["delete_room", { room: "dev" }],
        ["set_role", { user: "bob", role: "moderator" }],
      ];
      for (const [action, data] of requests) {
        await expectError(actor, action, data, "forbidden");
      }
    }
    const rooms = await root.ok("list_rooms");
    assert.deepEqual(roomsOf(rooms).map((r) => r.name), ["general", "dev"]);
    // root looks at dev, and as an account still counts in general.
    assert.deepEqual((await root.ok("list_users", { room: "general" })).users, [
      "bob",
      "carol",
      "root",
    ]);
  }));

Deno.test("ban: a banned guest's name cannot be registered, and accounts on its address still join rooms", () =>
  withClients(async (pool) => {
    const root = await admin(pool);
    await root.ok("create_room", { room: "dev" });
    const troll = await pool.guest("troll");
    await root.ok("ban", { user: "troll", reason: "spam" });
    await troll.closed;
    const client = await pool.connect();
    await expectError(
      client,
      "register",
      { username: "Troll", password: TEST_PASSWORD },
      "banned",
    );
    // root shares 127.0.0.1 with the banned guest: address bans stop guests.
    const joined = await root.ok("join_room", { room: "dev" });
    assert.equal(joined.room, "dev");
  }));
