/**
 * Cross-site request forgery (docs/protocol.md, Accounts over HTTP): a
 * request that changes something must come from the server's own pages
 * (a same-origin `Origin`, or `Sec-Fetch-Site: same-origin`/`none`) and,
 * when it carries JSON, say so with `Content-Type: application/json`. A
 * bot's bearer token without a cookie needs neither.
 */
import assert from "node:assert/strict";
import {
  expectError,
  TEST_PASSWORD,
  type TestServer,
  withClients,
} from "./harness.ts";

const EVIL = "https://evil.example";

interface Reply {
  status: number;
  body: Record<string, unknown> | undefined;
  cookie: string | null;
}

async function send(
  server: TestServer,
  path: string,
  init: { headers?: Record<string, string>; body?: BodyInit } = {},
): Promise<Reply> {
  const response = await fetch(`${server.url}${path}`, {
    method: "POST",
    headers: init.headers,
    body: init.body,
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text === "" ? undefined : JSON.parse(text),
    cookie: response.headers.get("set-cookie"),
  };
}

const credentials = JSON.stringify({
  username: "alice",
  password: TEST_PASSWORD,
});

/** Registers alice as the web client does; returns her `chat_session=…` pair. */
async function aliceCookie(server: TestServer): Promise<string> {
  const created = await send(server, "/api/register", {
    headers: { "content-type": "application/json", origin: server.url },
    body: credentials,
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return created.cookie!.split(";")[0];
}

function assertForbidden(reply: Reply, what: string): void {
  assert.equal(reply.status, 403, `${what}: ${JSON.stringify(reply.body)}`);
  assert.equal(reply.body?.error, "forbidden", what);
  assert.equal(typeof reply.body?.message, "string", what);
  assert.equal(reply.cookie, null, `${what} set a cookie`);
}

async function sessionAlive(server: TestServer, cookie: string) {
  const response = await fetch(`${server.url}/api/session`, {
    headers: { cookie },
  });
  await response.body?.cancel();
  return response.status === 200;
}

Deno.test("csrf: a page on another site cannot log the browser in, register, or log it out", () =>
  withClients(async (_pool, server) => {
    const cookie = await aliceCookie(server);
    // What a cross-site <form> or fetch() without CORS can send: text/plain
    // (or a form) with the attacker's credentials, and the victim's cookie.
    for (const path of ["/api/login", "/api/register"]) {
      for (const type of ["text/plain", "application/json"]) {
        assertForbidden(
          await send(server, path, {
            headers: { "content-type": type, origin: EVIL, cookie },
            body: JSON.stringify({
              username: "mallory",
              password: TEST_PASSWORD,
            }),
          }),
          `${path} ${type}`,
        );
      }
    }
    assertForbidden(
      await send(server, "/api/logout", { headers: { origin: EVIL, cookie } }),
      "logout",
    );
    assert.ok(await sessionAlive(server, cookie), "the session is alive");
    const login = await send(server, "/api/login", {
      headers: { "content-type": "application/json", origin: server.url },
      body: JSON.stringify({ username: "mallory", password: TEST_PASSWORD }),
    });
    assert.equal(login.status, 401, "no account 'mallory' was made");
  }));

Deno.test("csrf: every state-changing route refuses a foreign, null or missing Origin", () =>
  withClients(async (_pool, server) => {
    const cookie = await aliceCookie(server);
    const form = new FormData();
    form.append("file", new File(["x"], "x.txt"));
    const routes: [string, () => BodyInit | undefined][] = [
      ["/api/login", () => credentials],
      ["/api/register", () => credentials],
      ["/api/logout", () => undefined],
      ["/api/files", () => form],
      ["/api/password", () => "{}"],
      ["/api/rooms", () => "{}"],
    ];
    const refusals: [string, Record<string, string>][] = [
      ["foreign Origin", { origin: EVIL }],
      ["Origin: null", { origin: "null" }],
      ["no Origin", {}],
      ["Sec-Fetch-Site: cross-site", { "sec-fetch-site": "cross-site" }],
      ["Sec-Fetch-Site: same-site", { "sec-fetch-site": "same-site" }],
    ];
    for (const [path, body] of routes) {
      for (const [what, headers] of refusals) {
        assertForbidden(
          await send(server, path, {
            headers: { ...headers, cookie, "content-type": "application/json" },
            body: body(),
          }),
          `${path}, ${what}`,
        );
      }
    }
    // A DELETE or PUT is no different.
    for (const method of ["DELETE", "PUT", "PATCH"]) {
      const response = await fetch(`${server.url}/api/session`, {
        method,
        headers: { origin: EVIL, cookie },
      });
      assert.equal(response.status, 403, method);
      await response.body?.cancel();
    }
    assert.ok(await sessionAlive(server, cookie));
  }));

Deno.test("csrf: login and register need Content-Type application/json, even from the site itself", () =>
  withClients(async (_pool, server) => {
    for (const path of ["/api/register", "/api/login"]) {
      for (
        const type of [
          "text/plain",
          "application/x-www-form-urlencoded",
          "multipart/form-data; boundary=x",
        ]
      ) {
        const reply = await send(server, path, {
          headers: { "content-type": type, origin: server.url },
          body: credentials,
        });
        assert.equal(reply.status, 415, `${path} ${type}`);
        assert.deepEqual(reply.body, {
          error: "invalid_message",
          message:
            "Send the body as JSON, with Content-Type: application/json.",
        });
        assert.equal(reply.cookie, null);
      }
    }
    // With a charset it is JSON all the same.
    const created = await send(server, "/api/register", {
      headers: {
        "content-type": "application/json; charset=utf-8",
        origin: server.url,
      },
      body: credentials,
    });
    assert.equal(created.status, 201);
  }));

Deno.test("csrf: the site's own pages pass by Origin or by Sec-Fetch-Site same-origin or none", () =>
  withClients(async (_pool, server) => {
    const json = { "content-type": "application/json" };
    const byOrigin = await send(server, "/api/register", {
      headers: { ...json, origin: server.url },
      body: credentials,
    });
    assert.equal(byOrigin.status, 201);
    const cookie = byOrigin.cookie!.split(";")[0];
    for (const site of ["same-origin", "none"]) {
      const login = await send(server, "/api/login", {
        headers: { ...json, "sec-fetch-site": site },
        body: credentials,
      });
      assert.equal(login.status, 200, site);
    }
    const out = await send(server, "/api/logout", {
      headers: { "sec-fetch-site": "same-origin", cookie },
    });
    assert.equal(out.status, 204);
    assert.equal(await sessionAlive(server, cookie), false);
  }));

Deno.test("csrf: an origin given with --allow-origin may post; '*' opens WebSockets, not HTTP", async () => {
  for (
    const [allowOrigins, status] of [[["https://app.example"], 201], [
      ["*"],
      403,
    ]] as const
  ) {
    await withClients(async (_pool, server) => {
      const reply = await send(server, "/api/register", {
        headers: {
          "content-type": "application/json",
          origin: "https://app.example",
        },
        body: credentials,
      });
      assert.equal(reply.status, status, JSON.stringify(allowOrigins));
    }, { allowOrigins: [...allowOrigins] });
  }
});

Deno.test("csrf: a bot's bearer token needs no Origin, unless a cookie comes with it", () =>
  withClients(async (pool, server) => {
    const bot = await pool.register("bot");
    const bearer = { authorization: `Bearer ${bot.token}` };
    const form = new FormData();
    form.append("file", new File(["beep"], "beep.txt"));
    const upload = await send(server, "/api/files", {
      headers: bearer,
      body: form,
    });
    assert.equal(upload.status, 201, JSON.stringify(upload.body));
    assertForbidden(
      await send(server, "/api/logout", {
        headers: { ...bearer, cookie: "chat_session=whatever" },
      }),
      "bearer with a cookie",
    );
    const out = await send(server, "/api/logout", { headers: bearer });
    assert.equal(out.status, 204);
    const again = await pool.connect();
    await expectError(again, "login", { token: bot.token }, "bad_credentials");
  }));
