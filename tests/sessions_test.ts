/**
 * Sessions reach live sockets (docs/protocol.md, Login): a logout (over
 * the WebSocket or HTTP), a session expiring and a password change close
 * every socket of the sessions they end with 4004, on every node, and the
 * ended token or cookie no longer logs in; so does revoking a personal
 * access token, for the sockets that logged in with it.
 */
import assert from "node:assert/strict";
import { hashToken } from "../server/accounts/tokens.ts";
import { NO_RATE_LIMITS } from "../server/mod.ts";
import { accountWithToken, call } from "./api_helpers.ts";
import {
  type ClientPool,
  clusterSkipReason,
  expectError,
  PATIENT_WAIT_MS,
  postAsPage,
  TEST_PASSWORD,
  type TestClient,
  type TestServer,
  withClients,
  withCluster,
} from "./harness.ts";

const SESSION_ENDED = 4004;
const patiently = { timeoutMs: PATIENT_WAIT_MS };

/** POSTs as the web client's page does; `cookie` is the `Set-Cookie` pair. */
async function post(
  url: string,
  path: string,
  init: { body?: unknown; cookie?: string } = {},
): Promise<{ status: number; cookie: string | null; body: unknown }> {
  const reply = await postAsPage(url, path, {
    body: init.body,
    headers: init.cookie === undefined ? {} : { cookie: init.cookie },
  });
  return {
    status: reply.status,
    cookie: reply.headers.get("set-cookie")?.split(";")[0] ?? null,
    body: reply.body,
  };
}

/** Logs alice in with her password, waiting as long as the check takes. */
async function passwordLogin(pool: ClientPool): Promise<TestClient> {
  const client = await pool.connect();
  const reply = await client.request("login", {
    username: "alice",
    password: TEST_PASSWORD,
  }, patiently);
  assert.equal(reply.action, "success", JSON.stringify(reply.data));
  return client;
}

/**
 * Waits for the server to close a socket; returns the close code. The
 * server closes at once; the bound only keeps a broken server from
 * hanging the test.
 */
async function closedWith(client: TestClient): Promise<number> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error("the socket is still open after 30 s")),
      30_000,
    );
  });
  try {
    return (await Promise.race([client.closed, late])).code;
  } finally {
    clearTimeout(timer);
  }
}

/** Proves a socket is still logged in and served. */
async function stillServed(client: TestClient): Promise<void> {
  const reply = await client.ok("send_message", { text: "still here" });
  assert.ok(reply.message);
}

async function cookieOf(server: TestServer, username: string) {
  const created = await post(server.url, "/api/register", {
    body: { username, password: TEST_PASSWORD },
  });
  assert.equal(created.status, 201);
  return created.cookie!;
}

Deno.test("logout: the WebSocket action answers, then closes every socket of that session with 4004", () =>
  withClients(async (pool) => {
    const alice = await pool.register("alice");
    const sameSession = await pool.login({ token: alice.token });
    const otherSession = await passwordLogin(pool);
    const reply = await alice.request("logout");
    assert.equal(reply.action, "success");
    assert.equal(reply.data.request, "logout");
    assert.equal(await closedWith(alice), SESSION_ENDED);
    assert.equal(await closedWith(sameSession), SESSION_ENDED);
    assert.equal(alice.socket.readyState, WebSocket.CLOSED);
    await stillServed(otherSession);
    const again = await pool.connect();
    await expectError(
      again,
      "login",
      { token: alice.token },
      "bad_credentials",
    );
  }));

Deno.test("logout: a guest's logout closes its connection with 4004 and frees its name", () =>
  withClients(async (pool) => {
    const guest = await pool.guest("visitor");
    await guest.ok("logout");
    assert.equal(await closedWith(guest), SESSION_ENDED);
    await pool.guest("visitor");
  }));

Deno.test("http: POST /api/logout closes the sockets opened with that cookie or its token, and only those", () =>
  withClients(async (pool, server) => {
    const cookie = await cookieOf(server, "alice");
    const token = cookie.slice(cookie.indexOf("=") + 1);
    const byCookie = await pool.login({}, { headers: { cookie } });
    const byToken = await pool.login({ token });
    const elsewhere = await passwordLogin(pool);
    const out = await post(server.url, "/api/logout", { cookie });
    assert.equal(out.status, 204);
    assert.equal(await closedWith(byCookie), SESSION_ENDED);
    assert.equal(await closedWith(byToken), SESSION_ENDED);
    assert.equal(byToken.closeCode, SESSION_ENDED);
    await stillServed(elsewhere);
    const reopened = await pool.connect({ headers: { cookie } });
    await expectError(reopened, "login", {}, "bad_credentials");
  }));

Deno.test("session: a socket whose session expires while it is open is closed with 4004", () =>
  withClients(async (pool, server) => {
    const cookie = await cookieOf(server, "alice");
    const byCookie = await pool.login({}, { headers: { cookie } });
    const byPassword = await passwordLogin(pool);
    const guest = await pool.guest("bob");
    assert.equal(await closedWith(byCookie), SESSION_ENDED);
    assert.equal(await closedWith(byPassword), SESSION_ENDED);
    await stillServed(guest);
    // Sessions last ten seconds: the cookie's must outlive a socket's
    // connect and login on a busy machine, and the test waits it out.
  }, { sessionDays: 10 / 86400 }));

Deno.test("change_password: other sessions' sockets close with 4004, this one stays, only the new password works", () =>
  withClients(async (pool) => {
    const alice = await pool.register("alice");
    const other = await passwordLogin(pool);
    const otherToo = await pool.login({ token: other.token });
    const sameSession = await pool.login({ token: alice.token });
    const newPassword = "a brand new password";
    const reply = await alice.request("change_password", {
      old_password: TEST_PASSWORD,
      new_password: newPassword,
    }, patiently);
    assert.equal(reply.action, "success", JSON.stringify(reply.data));
    assert.equal(await closedWith(other), SESSION_ENDED);
    assert.equal(await closedWith(otherToo), SESSION_ENDED);
    await stillServed(alice);
    await stillServed(sameSession);
    const check = await pool.connect();
    await expectError(
      check,
      "login",
      { token: other.token },
      "bad_credentials",
    );
    await expectError(
      check,
      "login",
      {
        username: "alice",
        password: TEST_PASSWORD,
      },
      "bad_credentials",
      patiently,
    );
    const fresh = await pool.connect();
    const login = await fresh.request("login", {
      username: "alice",
      password: newPassword,
    }, patiently);
    assert.equal(login.action, "success");
  }));

Deno.test("revoking a personal access token closes the sockets that logged in with it with 4004, and only those", () =>
  withClients(async (pool, server) => {
    const alice = await accountWithToken(server, "alice");
    const byHeader = await pool.login({}, {
      headers: { authorization: `Bearer ${alice.token}` },
    });
    const byToken = await pool.login({ token: alice.token });
    const byCookie = await pool.login({}, {
      headers: { cookie: alice.cookie },
    });
    const [made] = (await call(server, "GET", "/api/tokens", {
      token: alice.token,
    })).body.tokens;
    const other = await call(server, "POST", "/api/tokens", {
      token: alice.token,
      body: { name: "other" },
    });
    const byOther = await pool.login({ token: other.body.token });
    const revoked = await call(server, "DELETE", `/api/tokens/${made.id}`, {
      token: other.body.token,
    });
    assert.equal(revoked.status, 204);
    assert.equal(await closedWith(byHeader), SESSION_ENDED);
    assert.equal(await closedWith(byToken), SESSION_ENDED);
    for (const socket of [byHeader, byToken]) {
      assert.equal((await socket.closed).reason, "Token revoked");
    }
    await stillServed(byCookie);
    await stillServed(byOther);

    // A bot's token, revoked by the admin who made it, alike.
    await call(server, "POST", "/api/bots", {
      token: other.body.token,
      body: { name: "ci" },
    });
    const botToken = await call(server, "POST", "/api/bots/ci/tokens", {
      token: other.body.token,
      body: { name: "pipeline" },
    });
    const bot = await pool.login({ token: botToken.body.token });
    const botRevoked = await call(
      server,
      "DELETE",
      `/api/bots/ci/tokens/${botToken.body.id}`,
      { token: other.body.token },
    );
    assert.equal(botRevoked.status, 204);
    assert.equal(await closedWith(bot), SESSION_ENDED);
    assert.equal((await bot.closed).reason, "Token revoked");
    await stillServed(byOther);
  }));

Deno.test("logout: a login that found the session live just before the logout was acknowledged is refused, not left open", () =>
  withClients(async (pool, server) => {
    const cookie = await cookieOf(server, "alice");
    const token = cookie.slice(cookie.indexOf("=") + 1);
    // The login's read of its session is held, through the real store,
    // until the logout has been answered.
    const store = server.node.store;
    const findSession = store.findSession.bind(store);
    const reading = Promise.withResolvers<void>();
    const letGo = Promise.withResolvers<void>();
    let held = false;
    store.findSession = async (hash) => {
      const found = await findSession(hash);
      if (hash === hashToken(token) && !held) {
        held = true;
        reading.resolve();
        await letGo.promise;
      }
      return found;
    };
    const late = await pool.connect();
    const login = late.request("login", { token });
    await reading.promise;
    const out = await post(server.url, "/api/logout", { cookie });
    assert.equal(out.status, 204);
    letGo.resolve();
    const reply = await login;
    assert.equal(reply.action, "error", JSON.stringify(reply.data));
    assert.equal(reply.data.code, "bad_credentials");
  }));

Deno.test("change_password: a wrong current password, a bad new one, a guest or a missing field change nothing", () =>
  withClients(async (pool) => {
    const alice = await pool.register("alice");
    const other = await pool.login({ token: alice.token });
    await expectError(
      alice,
      "change_password",
      {
        old_password: "not my password",
        new_password: "a brand new password",
      },
      "bad_credentials",
      patiently,
    );
    await expectError(alice, "change_password", {
      old_password: TEST_PASSWORD,
      new_password: "short",
    }, "invalid_message");
    await expectError(alice, "change_password", {
      old_password: TEST_PASSWORD,
    }, "invalid_message");
    const guest = await pool.guest("bob");
    await expectError(guest, "change_password", {
      old_password: TEST_PASSWORD,
      new_password: "a brand new password",
    }, "forbidden");
    await stillServed(other);
    const check = await pool.connect();
    const login = await check.request("login", {
      username: "alice",
      password: TEST_PASSWORD,
    }, patiently);
    assert.equal(login.action, "success");
  }));

Deno.test("http: POST /api/password changes the password and ends the account's other sessions", () =>
  withClients(async (pool, server) => {
    const cookie = await cookieOf(server, "alice");
    const mine = await pool.login({}, { headers: { cookie } });
    const other = await passwordLogin(pool);
    const newPassword = "a brand new password";
    const wrong = await post(server.url, "/api/password", {
      cookie,
      body: { old_password: "not it at all", new_password: newPassword },
    });
    assert.equal(wrong.status, 401);
    assert.deepEqual(wrong.body, {
      error: "bad_credentials",
      message: "The current password is wrong.",
    });
    const nobody = await post(server.url, "/api/password", {
      body: { old_password: TEST_PASSWORD, new_password: newPassword },
    });
    assert.equal(nobody.status, 401);
    const changed = await post(server.url, "/api/password", {
      cookie,
      body: { old_password: TEST_PASSWORD, new_password: newPassword },
    });
    assert.equal(changed.status, 204, JSON.stringify(changed.body));
    assert.equal(await closedWith(other), SESSION_ENDED);
    await stillServed(mine);
    const login = await post(server.url, "/api/login", {
      body: { username: "alice", password: newPassword },
    });
    assert.equal(login.status, 200);
  }));

Deno.test("http: POST /api/password draws on the account's login bucket, as change_password does: past it 429 rate_limited with the wait, nothing changed, while another account still changes its own", () =>
  withClients(async (_pool, server) => {
    const cookie = await cookieOf(server, "alice");
    for (let i = 1; i <= 2; i++) {
      const same = await post(server.url, "/api/password", {
        cookie,
        body: { old_password: TEST_PASSWORD, new_password: TEST_PASSWORD },
      });
      assert.equal(same.status, 204, JSON.stringify(same.body));
    }
    const refused = await post(server.url, "/api/password", {
      cookie,
      body: {
        old_password: TEST_PASSWORD,
        new_password: "a brand new password",
      },
    });
    assert.equal(refused.status, 429);
    const body = refused.body as { error: string; retry_after_ms: number };
    assert.equal(body.error, "rate_limited");
    assert.ok(body.retry_after_ms > 0);
    // Her password is the old one still.
    const login = await post(server.url, "/api/login", {
      body: { username: "alice", password: TEST_PASSWORD },
    });
    assert.equal(login.status, 200);
    const bob = await cookieOf(server, "bob");
    const his = await post(server.url, "/api/password", {
      cookie: bob,
      body: { old_password: TEST_PASSWORD, new_password: TEST_PASSWORD },
    });
    assert.equal(his.status, 204, JSON.stringify(his.body));
  }, {
    rateLimits: {
      ...NO_RATE_LIMITS,
      perUser: { login: { burst: 2, perSecond: 1 / 60 } },
    },
  }));

Deno.test("password logins: past an account's budget of right passwords (over HTTP and the WebSocket) the password is not checked: rate_limited with the wait, whatever the password; wrong ones never spend it, and its sessions, password changes and other accounts go on", () =>
  withClients(async (pool, server) => {
    const cookie = await cookieOf(server, "alice");
    await cookieOf(server, "bob");
    const as = (username: string, password: string) =>
      postAsPage(server.url, "/api/login", { body: { username, password } });
    for (let i = 1; i <= 3; i++) {
      const wrong = await as("alice", "not her password");
      assert.equal(wrong.status, 401, `wrong ${i}: ${wrong.text}`);
    }
    for (let i = 1; i <= 2; i++) {
      const right = await as("alice", TEST_PASSWORD);
      assert.equal(right.status, 200, `right ${i}: ${right.text}`);
    }
    const refused = await as("alice", TEST_PASSWORD);
    assert.equal(refused.status, 429, refused.text);
    assert.equal(refused.body?.error, "rate_limited");
    assert.ok(Number(refused.body?.retry_after_ms) > 0, refused.text);
    assert.ok(Number(refused.headers.get("retry-after")) > 0);
    // Not checked: a wrong password gets the same answer.
    const unchecked = await as("alice", "not her password");
    assert.equal(unchecked.status, 429, unchecked.text);
    const socket = await pool.connect();
    const overSocket = await expectError(
      socket,
      "login",
      {
        username: "alice",
        password: TEST_PASSWORD,
      },
      "rate_limited",
      patiently,
    );
    assert.ok(Number(overSocket.data.retry_after_ms) > 0);
    // Her session goes on, and from it she may still change the password
    // (how an owner takes the account back from whoever spends it).
    await pool.login({}, { headers: { cookie } });
    const change = await post(server.url, "/api/password", {
      cookie,
      body: { old_password: TEST_PASSWORD, new_password: "a brand new one" },
    });
    assert.equal(change.status, 204, JSON.stringify(change.body));
    // Other accounts log in.
    const bob = await as("bob", TEST_PASSWORD);
    assert.equal(bob.status, 200, bob.text);
  }, {
    rateLimits: {
      ...NO_RATE_LIMITS,
      perPasswordLogin: { burst: 2, perSecond: 1 / 3600 },
    },
  }));

Deno.test("password logins: sent all at once past an account's budget of right passwords, only the budget's logins pass and the rest get rate_limited", () =>
  withClients(async (_pool, server) => {
    await cookieOf(server, "alice");
    // Five at once: the throttle's attempts per name and address, so
    // that only the budget refuses.
    const replies = await Promise.all(
      Array.from(
        { length: 5 },
        () =>
          postAsPage(server.url, "/api/login", {
            body: { username: "alice", password: TEST_PASSWORD },
          }),
      ),
    );
    const statuses = replies.map((reply) => reply.status).sort();
    assert.deepEqual(
      statuses,
      [200, 200, 429, 429, 429],
      replies.map((r) => r.text).join("\n"),
    );
  }, {
    rateLimits: {
      ...NO_RATE_LIMITS,
      perPasswordLogin: { burst: 2, perSecond: 1 / 3600 },
    },
  }));

// ------------------------------------------------------------ several nodes

const skipReason = clusterSkipReason();

Deno.test({
  name:
    "scale-out: a logout and a password change on one node close the session's sockets on the other",
  ignore: skipReason !== undefined,
  fn: () =>
    withCluster(2, async (cluster, pools) => {
      const [one] = cluster.nodes;
      const created = await post(one.url, "/api/register", {
        body: { username: "alice", password: TEST_PASSWORD },
      });
      const cookie = created.cookie!;
      const onTwo = await pools[1].login({}, { headers: { cookie } });
      const out = await post(one.url, "/api/logout", { cookie });
      assert.equal(out.status, 204);
      assert.equal(await closedWith(onTwo), SESSION_ENDED);

      const here = await passwordLogin(pools[0]);
      const there = await passwordLogin(pools[1]);
      const changed = await pools[1].login({ token: there.token });
      const reply = await changed.request("change_password", {
        old_password: TEST_PASSWORD,
        new_password: "a brand new password",
      }, patiently);
      assert.equal(reply.action, "success");
      assert.equal(await closedWith(here), SESSION_ENDED);
      await stillServed(there);
      await stillServed(changed);

      // A personal access token revoked through one node closes its
      // sockets on the other.
      const made = await call(one, "POST", "/api/tokens", {
        token: there.token,
        body: { name: "laptop" },
      });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      const { id, token } = made.body as { id: string; token: string };
      const byToken = await pools[1].login({ token });
      const revoked = await call(one, "DELETE", `/api/tokens/${id}`, {
        token,
      });
      assert.equal(revoked.status, 204);
      assert.equal(await closedWith(byToken), SESSION_ENDED);
      await stillServed(there);
    }),
});

if (skipReason !== undefined) {
  Deno.test({
    name: `scale-out sessions: skipped, ${skipReason}`,
    ignore: true,
    fn() {},
  });
}
