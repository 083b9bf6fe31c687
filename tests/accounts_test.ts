/**
 * Accounts and sessions (PROTOCOL.md, Login): registering, password and
 * token logins, the session cookie of the HTTP API, the throttle on failed
 * logins, who becomes admin, and one account on several connections.
 *
 * Every registration and password check costs one scrypt hash: a few ms
 * at the tests' cost (tests/cheap_passwords.ts), 0.4 s at the server's,
 * so scenarios that keep the server's keep them few.
 */
import assert from "node:assert/strict";
import { startServer } from "../server/mod.ts";
import {
  ClientPool,
  expectError,
  notices,
  PATIENT_WAIT_MS,
  roomsOf,
  roundTrip,
  startTestServer,
  TEST_PASSWORD,
  type TestServer,
  usersIn,
  wentOffline,
  withClients,
  withPool,
} from "./harness.ts";

/** An HTTP answer with its body read (so no response body leaks). */
interface HttpReply {
  status: number;
  headers: Headers;
  body: Record<string, unknown> | undefined;
}

async function http(
  server: TestServer,
  path: string,
  init: { method?: string; body?: string; cookie?: string } = {},
): Promise<HttpReply> {
  const headers: Record<string, string> = {};
  if (init.body !== undefined) headers["content-type"] = "application/json";
  if (init.cookie !== undefined) headers.cookie = init.cookie;
  // As the web client's page: the server refuses changes from other sites.
  if (init.method !== undefined) headers.origin = server.url;
  const res = await fetch(`${server.url}${path}`, {
    method: init.method ?? "GET",
    body: init.body,
    headers,
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text === "" ? undefined : JSON.parse(text),
  };
}

function postJson(
  server: TestServer,
  path: string,
  body: unknown,
  cookie?: string,
): Promise<HttpReply> {
  return http(server, path, {
    method: "POST",
    body: JSON.stringify(body),
    cookie,
  });
}

/** `chat_session=...` from a Set-Cookie header, as a Cookie header sends it. */
function sessionCookie(reply: HttpReply): string {
  const header = reply.headers.get("set-cookie");
  assert.ok(header, "a Set-Cookie header");
  const pair = header.split(";")[0].trim();
  assert.match(pair, /^chat_session=[^;\s]+$/);
  return pair;
}

/** Registers on a connection that stays open; returns its session token. */
async function registered(pool: ClientPool, username: string): Promise<string> {
  const client = await pool.register(username);
  assert.ok(client.token);
  return client.token;
}

// Password checks wait their turn: as long as the machine needs.
const patiently = { timeoutMs: PATIENT_WAIT_MS };

// ---------------------------------------------------------------- register

Deno.test("register: a new account is logged in with a session token", () =>
  withClients(async (pool) => {
    const client = await pool.connect();
    const reply = await client.request("register", {
      username: "alice",
      password: TEST_PASSWORD,
    });
    assert.equal(reply.action, "success", JSON.stringify(reply.data));
    assert.equal(reply.data.request, "register");
    assert.equal(reply.data.username, "alice");
    assert.equal(reply.data.room, "general");
    assert.ok(
      ["admin", "moderator", "user"].includes(reply.data.role as string),
    );
    assert.deepEqual(roomsOf(reply.data), [{ name: "general", users: 1 }]);
    assert.equal(typeof reply.data.token, "string");
    assert.ok((reply.data.token as string).length >= 16);
    const users = await client.ok("list_users");
    assert.deepEqual(users.users, ["alice"]);
  }));

Deno.test("register: a server's own password hashes are scrypt at N=2^15, r=8, p=3, which logs in; tests' cheaper ones are the harness's only", async () => {
  // startServer as main.ts calls it, without the harness's cheap passwords.
  const dir = await Deno.makeTempDir({ prefix: "chat-test-" });
  const server = await startServer({
    hostname: "127.0.0.1",
    port: 0,
    db: `${dir}/chat.db`,
  });
  const pool = new ClientPool(`${server.url.replace("http", "ws")}/ws`);
  try {
    await pool.register("alice");
    const alice = await server.node.store.findAccount("alice");
    assert.match(alice?.passwordHash ?? "", /^scrypt\$32768\$8\$3\$/);
    const again = await pool.connect();
    await again.ok("login", { username: "alice", password: TEST_PASSWORD });
  } finally {
    await pool.closeAll();
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
  await withClients(async (pool, server) => {
    await pool.register("bob");
    const bob = await server.node.store.findAccount("bob");
    assert.match(bob?.passwordHash ?? "", /^scrypt\$1024\$8\$1\$/);
  });
});

Deno.test("register and login: the reply's since is when the account was made, so a client tells a former holder's messages under the name from its own", () =>
  withClients(async (pool, server) => {
    const alice = await pool.register("alice");
    const made = (await server.node.store.findAccount("alice"))?.createdAt;
    assert.equal(typeof made, "number");
    const registered = alice.received.find((f) =>
      f.action === "success" && f.data.request === "register"
    );
    assert.equal(registered?.data.since, made);
    const again = await pool.connect();
    const login = await again.ok("login", {
      username: "alice",
      password: TEST_PASSWORD,
    });
    assert.equal(login.since, made);
  }));

Deno.test("register: the first account is admin, the next ones are users", () =>
  withClients(async (pool) => {
    const first = await pool.register("alice");
    const [second, third] = await Promise.all([
      pool.register("bob"),
      pool.register("carol"),
    ]);
    const role = (c: typeof first) =>
      c.received.find((f) => f.data.request === "register")?.data.role;
    assert.equal(role(first), "admin");
    assert.equal(role(second), "user");
    assert.equal(role(third), "user");
  }));

Deno.test("register: with an admin named at start, that name is admin and the first account a user", () =>
  withClients(async (pool) => {
    const first = await pool.register("alice");
    const root = await pool.register("Root");
    const role = (c: typeof first) =>
      c.received.find((f) => f.data.request === "register")?.data.role;
    assert.equal(role(first), "user");
    assert.equal(role(root), "admin");
  }, { admin: "root" }));

Deno.test("register: an existing account named admin at start becomes admin", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-admin-" });
  const db = `${dir}/chat.db`;
  try {
    const before = await startTestServer({ db });
    try {
      await withPool(before, async (pool) => {
        await pool.register("alice");
        await pool.register("root");
      });
    } finally {
      await before.close();
    }
    const after = await startTestServer({ db, admin: "ROOT" });
    try {
      await withPool(after, async (pool) => {
        const root = await pool.login({
          username: "root",
          password: TEST_PASSWORD,
        });
        const reply = root.received.find((f) => f.data.request === "login");
        assert.equal(reply?.data.role, "admin");
      });
    } finally {
      await after.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("register: a password of 8 to 1024 characters is accepted, 7 or 1025 get invalid_message", () =>
  withClients(async (pool) => {
    const refused = await pool.connect();
    for (const password of ["1234567", "x".repeat(1025), 12345678, null]) {
      await expectError(
        refused,
        "register",
        { username: "alice", password },
        "invalid_message",
      );
    }
    await expectError(refused, "list_rooms", {}, "not_logged_in");
    const [short, long] = await Promise.all([pool.connect(), pool.connect()]);
    const replies = await Promise.all([
      short.request("register", { username: "bob", password: "12345678" }),
      long.request("register", {
        username: "carol",
        password: "y".repeat(1024),
      }),
    ]);
    for (const reply of replies) {
      assert.equal(reply.action, "success", JSON.stringify(reply.data));
    }
  }));

Deno.test("register: a name taken in any case gets username_taken", () =>
  withClients(async (pool) => {
    await pool.register("Alice");
    const other = await pool.connect();
    await expectError(
      other,
      "register",
      { username: "aLICE", password: "another password" },
      "username_taken",
    );
    await expectError(other, "list_rooms", {}, "not_logged_in");
  }));

Deno.test("register, /api/register and a guest login refuse the names @room and @here use, in any case, with username_taken; a name that only starts so is free", () =>
  withClients(async (pool, server) => {
    const client = await pool.connect();
    for (const username of ["room", "ROOM", "Here"]) {
      await expectError(
        client,
        "register",
        { username, password: TEST_PASSWORD },
        "username_taken",
      );
      await expectError(client, "login", { username }, "username_taken");
    }
    const rest = await postJson(server, "/api/register", {
      username: "here",
      password: TEST_PASSWORD,
    });
    assert.deepEqual([rest.status, rest.body?.error], [409, "username_taken"]);
    await pool.register("roomy");
    await pool.guest("hereford");
  }));

Deno.test("register, /api/register and a guest login refuse look-alikes of room and here (all-Cyrillic letters, zeros, rn for m) as the names themselves", () =>
  withClients(async (pool, server) => {
    const client = await pool.connect();
    // Cyrillic һ, е, г, е (one script: a name mixing scripts is invalid
    // anyway); zeros; "rn" for "m".
    const cyrillicHere = "\u04bb\u0435\u0433\u0435";
    for (const username of [cyrillicHere, "R00M", "r00m", "roorn"]) {
      await expectError(
        client,
        "register",
        { username, password: TEST_PASSWORD },
        "username_taken",
      );
      await expectError(client, "login", { username }, "username_taken");
    }
    const rest = await postJson(server, "/api/register", {
      username: "HERE",
      password: TEST_PASSWORD,
    });
    assert.deepEqual([rest.status, rest.body?.error], [409, "username_taken"]);
    await pool.register("r00ms");
    await pool.guest("h3re");
  }));

Deno.test("register: a name held by an online guest gets username_taken", () =>
  withClients(async (pool) => {
    const guest = await pool.guest("bob");
    const other = await pool.connect();
    await expectError(
      other,
      "register",
      { username: "BOB", password: TEST_PASSWORD },
      "username_taken",
    );
    const users = await guest.ok("list_users");
    assert.deepEqual(users.users, ["bob"]);
  }));

// ------------------------------------------------------------------- login

Deno.test("login: the right password logs in, in any case, with a new token", () =>
  withClients(async (pool) => {
    const token = await registered(pool, "Alice");
    const client = await pool.connect();
    const reply = await client.request("login", {
      username: "alice",
      password: TEST_PASSWORD,
    });
    assert.equal(reply.action, "success", JSON.stringify(reply.data));
    assert.equal(reply.data.username, "Alice");
    assert.equal(reply.data.role, "admin");
    assert.equal(reply.data.room, "general");
    assert.equal(typeof reply.data.token, "string");
    assert.notEqual(reply.data.token, token);
  }));

Deno.test("login: a wrong password and an unknown name get the same bad_credentials", () =>
  withClients(async (pool) => {
    await pool.register("alice");
    const [wrong, unknown] = await Promise.all([
      pool.connect(),
      pool.connect(),
    ]);
    // The refused connection gets a fresh login timeout from its reply, so
    // it is asked at once, not after the other check (which on a busy
    // machine may take longer than that timeout).
    const [a, b] = await Promise.all([
      expectError(
        wrong,
        "login",
        { username: "alice", password: "not the password" },
        "bad_credentials",
        patiently,
      ).then(async (reply) => {
        await expectError(wrong, "list_rooms", {}, "not_logged_in");
        return reply;
      }),
      expectError(
        unknown,
        "login",
        { username: "zed", password: TEST_PASSWORD },
        "bad_credentials",
        patiently,
      ),
    ]);
    assert.equal(a.data.message, b.data.message);
  }));

Deno.test("login: a session token resumes the account", () =>
  withClients(async (pool) => {
    const token = await registered(pool, "alice");
    const client = await pool.connect();
    const reply = await client.request("login", { token });
    assert.equal(reply.action, "success", JSON.stringify(reply.data));
    assert.equal(reply.data.request, "login");
    assert.equal(reply.data.username, "alice");
    assert.equal(reply.data.role, "admin");
    assert.equal(reply.data.room, "general");
  }));

Deno.test("login: an unknown token gets bad_credentials", () =>
  withClients(async (pool) => {
    const client = await pool.connect();
    await expectError(
      client,
      "login",
      { token: "no-such-session-token" },
      "bad_credentials",
    );
    await expectError(client, "list_rooms", {}, "not_logged_in");
  }));

Deno.test("login: an expired token gets bad_credentials", () =>
  withClients(async (pool) => {
    const token = await registered(pool, "alice");
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const client = await pool.connect();
    await expectError(client, "login", { token }, "bad_credentials");
  }, { sessionDays: 1 / 86400 })); // sessions last one second

Deno.test("login: a guest cannot take a registered name in any case, online or not", () =>
  withClients(async (pool) => {
    const alice = await pool.register("Alice");
    const client = await pool.connect();
    await expectError(client, "login", { username: "ALICE" }, "username_taken");
    await alice.close();
    await expectError(client, "login", { username: "alice" }, "username_taken");
  }));

// ------------------------------------------------- several connections

Deno.test("login: an account on two connections counts once in room_list and list_users", () =>
  withClients(async (pool) => {
    const zoe = await pool.guest("zoe");
    const token = await registered(pool, "alice");
    const second = await pool.login({ token });
    const reply = second.received.find((f) => f.data.request === "login")!;
    assert.equal(usersIn(roomsOf(reply.data), "general"), 2);
    const rooms = await zoe.ok("list_rooms");
    assert.equal(usersIn(roomsOf(rooms), "general"), 2);
    const users = await zoe.ok("list_users");
    assert.deepEqual(users.users, ["alice", "zoe"]);
  }));

Deno.test("login: an account coming online or going offline is not announced, but counts", () =>
  withClients(async (pool) => {
    const zoe = await pool.guest("zoe");
    const first = await pool.register("alice");
    const second = await pool.login({ token: first.token });
    const rooms = await zoe.ok("list_rooms");
    assert.equal(usersIn(roomsOf(rooms), "general"), 2);
    await first.close();
    await second.close();
    await wentOffline(zoe, "alice");
    await roundTrip(zoe);
    assert.deepEqual(notices(zoe, "joined", "alice"), []);
    assert.deepEqual(notices(zoe, "left", "alice"), []);
  }));

Deno.test("login: an account switching its view between its rooms announces nothing, leaving one is heard once", () =>
  withClients(async (pool) => {
    const zoe = await pool.guest("zoe");
    const first = await pool.register("alice");
    const second = await pool.login({ token: first.token });
    await first.ok("create_room", { room: "dev" });
    await second.ok("join_room", { room: "dev" });
    await second.ok("join_room", { room: "general" });
    await zoe.ok("join_room", { room: "dev" });
    await first.ok("join_room", { room: "general" });
    await roundTrip(zoe);
    assert.deepEqual(notices(zoe, "left", "alice"), []);
    // alice looks at general from both tabs and still counts in dev.
    const rooms = await zoe.ok("list_rooms");
    assert.deepEqual(roomsOf(rooms), [
      { name: "general", users: 1 },
      { name: "dev", users: 2 },
    ]);
    await second.ok("leave_room", { room: "dev" });
    await zoe.event("system", (d) => d.kind === "left" && d.user === "alice");
    await roundTrip(zoe);
    assert.equal(notices(zoe, "left", "alice").length, 1);
  }));

// ---------------------------------------------------------------- throttle

Deno.test("login: after 5 failures for a name even the right password gets rate_limited", () =>
  withClients(async (pool) => {
    await pool.register("alice");
    const tries = await Promise.all(
      Array.from({ length: 5 }, () => pool.connect()),
    );
    await Promise.all(tries.map((client, i) =>
      expectError(
        client,
        "login",
        { username: "alice", password: `wrong password ${i}` },
        "bad_credentials",
        patiently,
      )
    ));
    const reply = await expectError(
      await pool.connect(),
      "login",
      { username: "alice", password: TEST_PASSWORD },
      "rate_limited",
    );
    // The message tells when to try again.
    assert.match(reply.data.message as string, /\d+\s*(s|sec|min)/i);
  }));

Deno.test("login: after 50 failures from one address every name gets rate_limited", () =>
  withClients(async (pool) => {
    await pool.register("carol");
    // Four attempts for each of thirteen names, all at once (52 in all):
    // no name reaches its own limit of 5, the address passes its limit of
    // 50. Attempts count as they arrive, before their passwords are
    // checked, so the last two are refused at once and so is any further
    // one: the test needs no check to finish.
    const names = Array.from({ length: 13 }, (_, i) => `n${i + 1}`);
    const tries = await Promise.all(
      Array.from({ length: 52 }, () => pool.connect()),
    );
    const refused = Promise.withResolvers<void>();
    let count = 0;
    tries.forEach((client, i) => {
      client.send({
        action: "login",
        data: { username: names[i % 13], password: `wrong password ${i}` },
        id: "try",
      });
      client.waitFor((f) => f.id === "try", "a reply", patiently).then(
        (reply) => {
          if (reply.data.code === "rate_limited" && ++count === 2) {
            refused.resolve();
          }
        },
        () => {},
      );
    });
    await refused.promise;
    await expectError(
      await pool.connect(),
      "login",
      { username: "carol", password: TEST_PASSWORD },
      "rate_limited",
    );
    await expectError(
      await pool.connect(),
      "login",
      { username: "dave", password: TEST_PASSWORD },
      "rate_limited",
    );
  }));

// -------------------------------------------------------------------- HTTP

Deno.test("http: POST /api/register answers 201 with the account and an HttpOnly session cookie", () =>
  withClients(async (_pool, server) => {
    const reply = await postJson(server, "/api/register", {
      username: "alice",
      password: TEST_PASSWORD,
    });
    assert.equal(reply.status, 201);
    assert.deepEqual(reply.body, { username: "alice", role: "admin" });
    const header = reply.headers.get("set-cookie") ?? "";
    assert.match(header, /^chat_session=[^;\s]+;/);
    assert.match(header, /;\s*HttpOnly(;|$)/i);
    assert.match(header, /;\s*SameSite=Strict(;|$)/i);
    assert.match(header, /;\s*Path=\/(;|$)/i);
  }));

Deno.test("http: POST /api/login answers 200 with a cookie, 401 bad_credentials for a wrong password", () =>
  withClients(async (_pool, server) => {
    const created = await postJson(server, "/api/register", {
      username: "alice",
      password: TEST_PASSWORD,
    });
    assert.equal(created.status, 201);
    const [good, bad] = await Promise.all([
      postJson(server, "/api/login", {
        username: "ALICE",
        password: TEST_PASSWORD,
      }),
      postJson(server, "/api/login", {
        username: "alice",
        password: "not the password",
      }),
    ]);
    assert.equal(good.status, 200);
    assert.deepEqual(good.body, {
      username: "alice",
      role: "admin",
      totp: false,
    });
    assert.notEqual(sessionCookie(good), sessionCookie(created));
    assert.equal(bad.status, 401);
    assert.equal(bad.body?.error, "bad_credentials");
    assert.equal(bad.headers.get("set-cookie"), null);
  }));

Deno.test("http: POST /api/login answers 429 rate_limited once a name is throttled", () =>
  withClients(async (_pool, server) => {
    const failures = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        postJson(server, "/api/login", {
          username: "ghost",
          password: `wrong password ${i}`,
        })),
    );
    assert.deepEqual(failures.map((r) => r.status), [401, 401, 401, 401, 401]);
    const limited = await postJson(server, "/api/login", {
      username: "ghost",
      password: TEST_PASSWORD,
    });
    assert.equal(limited.status, 429);
    assert.equal(limited.body?.error, "rate_limited");
  }));

Deno.test("http: GET /api/session shows the account with a valid cookie and 401 without", () =>
  withClients(async (_pool, server) => {
    const created = await postJson(server, "/api/register", {
      username: "alice",
      password: TEST_PASSWORD,
    });
    const cookie = sessionCookie(created);
    const [mine, none, forged] = await Promise.all([
      http(server, "/api/session", { cookie }),
      http(server, "/api/session"),
      http(server, "/api/session", { cookie: "chat_session=forged" }),
    ]);
    assert.equal(mine.status, 200);
    assert.deepEqual(mine.body, { username: "alice", role: "admin" });
    assert.equal(none.status, 401);
    assert.equal(forged.status, 401);
  }));

Deno.test("http: the WebSocket upgrade takes the session cookie, and login with no data logs in", () =>
  withClients(async (pool, server) => {
    const created = await postJson(server, "/api/register", {
      username: "alice",
      password: TEST_PASSWORD,
    });
    const client = await pool.connect({
      headers: { cookie: sessionCookie(created) },
    });
    client.send({ action: "login", id: "c1" });
    const reply = await client.waitFor((f) => f.id === "c1");
    assert.equal(reply.action, "success", JSON.stringify(reply.data));
    assert.equal(reply.data.username, "alice");
    assert.equal(reply.data.role, "admin");
    assert.equal(
      reply.data.token,
      undefined,
      "the HttpOnly cookie's token is not shown to page scripts",
    );
    const users = await client.ok("list_users");
    assert.deepEqual(users.users, ["alice"]);
  }));

Deno.test("http: POST /api/login refuses a banned account with 403 banned and no cookie", () =>
  withClients(async (pool, server) => {
    const root = await pool.register("root");
    const created = await postJson(server, "/api/register", {
      username: "mallory",
      password: TEST_PASSWORD,
    });
    assert.equal(created.status, 201);
    await root.ok("ban", { user: "mallory", reason: "spam" });
    const again = await postJson(server, "/api/login", {
      username: "mallory",
      password: TEST_PASSWORD,
    });
    assert.equal(again.status, 403);
    assert.equal(again.body?.error, "banned");
    assert.equal(again.headers.get("set-cookie"), null);
    // Nor does the session made before the ban open the WebSocket.
    const client = await pool.connect({
      headers: { cookie: sessionCookie(created) },
    });
    await expectError(client, "login", {}, "banned");
  }));

Deno.test("register: at most 20 new accounts per address per hour", () =>
  withClients(async (pool) => {
    const client = await pool.connect();
    // Invalid names fail fast but still count: each attempt may cost a hash.
    for (let i = 0; i < 20; i++) {
      await expectError(
        client,
        "register",
        { username: "bad name", password: TEST_PASSWORD },
        "username_invalid",
      );
    }
    await expectError(
      client,
      "register",
      { username: "late", password: TEST_PASSWORD },
      "rate_limited",
    );
  }));

Deno.test("http: POST /api/logout answers 204, clears the cookie, and the session is gone everywhere", () =>
  withClients(async (pool, server) => {
    const created = await postJson(server, "/api/register", {
      username: "alice",
      password: TEST_PASSWORD,
    });
    const cookie = sessionCookie(created);
    const token = cookie.slice("chat_session=".length);
    const out = await http(server, "/api/logout", { method: "POST", cookie });
    assert.equal(out.status, 204);
    const cleared = out.headers.get("set-cookie") ?? "";
    assert.match(cleared, /^chat_session=;/);
    assert.match(cleared, /Max-Age=0|Expires=Thu, 01 Jan 1970/i);
    // The pictures the browser cached for the account go too.
    assert.equal(out.headers.get("clear-site-data"), '"cache"');
    const session = await http(server, "/api/session", { cookie });
    assert.equal(session.status, 401);
    const byToken = await pool.connect();
    await expectError(byToken, "login", { token }, "bad_credentials");
    const byCookie = await pool.connect({ headers: { cookie } });
    await expectError(byCookie, "login", undefined, "bad_credentials");
  }));

Deno.test("http: a request body over 64 KiB gets 413", () =>
  withClients(async (_pool, server) => {
    const big = JSON.stringify({
      username: "alice",
      password: "x".repeat(70 * 1024),
    });
    for (const path of ["/api/register", "/api/login"]) {
      const reply = await http(server, path, { method: "POST", body: big });
      assert.equal(reply.status, 413, path);
    }
    const session = await http(server, "/api/session");
    assert.equal(session.status, 401);
  }));
