/**
 * Served over HTTPS (here: behind `--trust-proxy` with X-Forwarded-Proto
 * https), the session cookie is `__Host-chat_session` and Secure, and
 * every response carries HSTS for a year; over plain HTTP the cookie is
 * `chat_session` and no HSTS is sent. The WebSocket upgrade and the HTTP
 * routes take either name, except a browser's plain one over HTTPS.
 */
import assert from "node:assert/strict";
import {
  expectError,
  type PageReply,
  postAsPage,
  TEST_PASSWORD,
  type TestServer,
  withClients,
} from "./harness.ts";

const HTTPS = { "x-forwarded-proto": "https" };
const YEAR = "max-age=31536000; includeSubDomains";

function post(
  server: TestServer,
  path: string,
  init: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<PageReply> {
  return postAsPage(server.url, path, init);
}

async function get(
  server: TestServer,
  path: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  const response = await fetch(`${server.url}${path}`, { headers });
  await response.body?.cancel();
  return response;
}

const alice = { username: "alice", password: TEST_PASSWORD };

Deno.test("https: the session cookie is __Host-chat_session, Secure, HttpOnly, SameSite=Strict, Path=/, no Domain", () =>
  withClients(async (_pool, server) => {
    for (const path of ["/api/register", "/api/login"]) {
      const reply = await post(server, path, { body: alice, headers: HTTPS });
      assert.ok(reply.status < 300, `${path}: ${reply.status}`);
      const cookie = reply.headers.get("set-cookie") ?? "";
      assert.match(cookie, /^__Host-chat_session=[^;\s]+;/, path);
      for (
        const attribute of [/Secure/, /HttpOnly/, /SameSite=Strict/, /Path=\//]
      ) {
        assert.match(cookie, new RegExp(`;\\s*${attribute.source}(;|$)`, "i"));
      }
      assert.doesNotMatch(cookie, /Domain=/i);
      assert.equal(reply.headers.get("strict-transport-security"), YEAR);
    }
  }, { trustProxy: true }));

Deno.test("https: the WebSocket upgrade and the HTTP routes take the __Host- cookie, and logout clears it", () =>
  withClients(async (pool, server) => {
    const created = await post(server, "/api/register", {
      body: alice,
      headers: HTTPS,
    });
    const cookie = created.headers.get("set-cookie")!.split(";")[0];
    const session = await get(server, "/api/session", { ...HTTPS, cookie });
    assert.equal(session.status, 200);
    const socket = await pool.login({}, { headers: { ...HTTPS, cookie } });
    await socket.ok("list_rooms");
    const out = await post(server, "/api/logout", {
      headers: { ...HTTPS, cookie },
    });
    assert.equal(out.status, 204);
    const cleared = out.headers.getSetCookie();
    assert.ok(
      cleared.some((c) =>
        /^__Host-chat_session=;/.test(c) && /Max-Age=0/i.test(c) &&
        /;\s*Secure/i.test(c)
      ),
      cleared.join(" | "),
    );
    const again = await pool.connect({ headers: { ...HTTPS, cookie } });
    await expectError(again, "login", {}, "bad_credentials");
  }, { trustProxy: true }));

Deno.test("https: a plain chat_session cookie written by another host logs no browser in to its account", () =>
  withClients(async (pool, server) => {
    // Mallory's session, as a sibling subdomain (or whoever answered a
    // plain-HTTP request of this host) writes it for the victim's browser:
    // `chat_session=…; Domain=example.com`, which browsers also send over
    // HTTPS.
    const made = await post(server, "/api/register", {
      body: { username: "mallory", password: TEST_PASSWORD },
      headers: HTTPS,
    });
    const token = made.headers.get("set-cookie")!.split(";")[0].split("=")[1];
    const tossed = { ...HTTPS, cookie: `chat_session=${token}` };
    const browser = { ...tossed, "sec-fetch-site": "same-origin" };
    // The browser holds no __Host- cookie (a first visit, or after a
    // logout): before, the page was signed in as mallory.
    assert.equal((await get(server, "/api/session", browser)).status, 401);
    assert.equal((await get(server, "/api/me", browser)).status, 401);
    const socket = await pool.connect({ headers: browser });
    await expectError(socket, "login", {}, "invalid_message");
    // Beside the browser's own __Host- cookie, its own session still wins.
    const own = await post(server, "/api/register", {
      body: alice,
      headers: HTTPS,
    });
    const both = {
      ...browser,
      cookie: `${
        own.headers.get("set-cookie")!.split(";")[0]
      }; ${tossed.cookie}`,
    };
    const session = await fetch(`${server.url}/api/session`, { headers: both });
    assert.equal((await session.json()).username, "alice");
    // A program (no Sec-Fetch-Site), which no other site can hand a
    // cookie, may still send the plain name.
    assert.equal((await get(server, "/api/session", tossed)).status, 200);
  }, { trustProxy: true }));

Deno.test("https: every response carries HSTS for one year", () =>
  withClients(async (_pool, server) => {
    for (const path of ["/", "/healthz", "/api/rooms", "/no-such-page"]) {
      const reply = await get(server, path, HTTPS);
      assert.equal(reply.headers.get("strict-transport-security"), YEAR, path);
    }
  }, { trustProxy: true }));

Deno.test("http: over plain HTTP the cookie is chat_session without Secure, and there is no HSTS", () =>
  withClients(async (pool, server) => {
    const created = await post(server, "/api/register", { body: alice });
    const header = created.headers.get("set-cookie") ?? "";
    assert.match(header, /^chat_session=[^;\s]+;/);
    assert.doesNotMatch(header, /Secure/i);
    for (const path of ["/", "/healthz", "/api/rooms"]) {
      const reply = await get(server, path);
      assert.equal(reply.headers.get("strict-transport-security"), null);
    }
    // Without --trust-proxy, a client's X-Forwarded-Proto proves nothing.
    const claimed = await get(server, "/", HTTPS);
    assert.equal(claimed.headers.get("strict-transport-security"), null);
    // The plain name still works where HTTPS is served: a session made
    // before, or a bot's cookie.
    await pool.login({}, {
      headers: { cookie: header.split(";")[0], ...HTTPS },
    });
  }));
