/**
 * No secret reaches the log, even at `--log-level trace` in JSON (which
 * prints every property of every record): not a password, right or wrong,
 * not a session token or its hash, not a cookie, not an Authorization
 * header, whatever path the secret took (WebSocket, HTTP, a frame that is
 * not even JSON, a request refused as cross-site).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  ClientPool,
  eventually,
  PATIENT_WAIT_MS,
  postAsPage,
  spawnServer,
  type TestClient,
} from "./harness.ts";

const patiently = { timeoutMs: PATIENT_WAIT_MS };

async function ok(
  client: TestClient,
  action: string,
  data: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const reply = await client.request(action, data, patiently);
  assert.equal(reply.action, "success", JSON.stringify(reply.data));
  return reply.data;
}

Deno.test("logs: no password, token, cookie or Authorization header is logged, even at trace", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-test-" });
  const server = await spawnServer([
    "--log-level",
    "trace",
    "--log-format",
    "json",
    "--db",
    `${dir}/chat.db`,
  ]);
  const pool = new ClientPool(server.wsUrl);
  const secrets: string[] = [];
  const secret = (s: string) => {
    secrets.push(s);
    return s;
  };
  const post = (
    path: string,
    init: { body?: unknown; headers?: Record<string, string> },
  ) => postAsPage(server.url, path, init);
  try {
    // WebSocket: register, log in right and wrong, resume, change password.
    const alicePassword = secret("alice-secret-password-1");
    const alice = await pool.connect();
    const registered = await ok(alice, "register", {
      username: "alice",
      password: alicePassword,
    });
    const aliceToken = secret(registered.token as string);
    const second = await pool.connect();
    const loggedIn = await ok(second, "login", {
      username: "alice",
      password: alicePassword,
    });
    const secondToken = secret(loggedIn.token as string);
    const wrong = await pool.connect();
    await wrong.request("login", {
      username: "alice",
      password: secret("alice-wrong-guess-2"),
    }, patiently);
    await wrong.request("login", { token: secret("bogus-token-secret-3") });
    await wrong.request("register", {
      username: "carol",
      password: secret("shh1234"),
    });
    wrong.send(
      `{"action":"login","data":{"username":"x","password":"${
        secret("broken-frame-secret-4")
      }"}`,
    );
    await (await pool.connect()).request("login", { token: aliceToken });
    await ok(alice, "change_password", {
      old_password: alicePassword,
      new_password: secret("alice-new-password-5"),
    });

    // HTTP: register, session, cookie upgrade, login, password, upload,
    // logout, and a cross-site request carrying the cookie.
    const bobPassword = secret("bob-secret-password-6");
    const created = await post("/api/register", {
      body: { username: "bob", password: bobPassword },
    });
    const cookie = created.headers.get("set-cookie")!.split(";")[0];
    secret(cookie.slice(cookie.indexOf("=") + 1));
    await (await fetch(`${server.url}/api/session`, { headers: { cookie } }))
      .body?.cancel();
    await pool.login({}, { headers: { cookie } });
    await post("/api/login", {
      body: { username: "bob", password: secret("bob-wrong-guess-7") },
    });
    const second2 = await post("/api/login", {
      body: { username: "bob", password: bobPassword },
    });
    const cookie2 = second2.headers.get("set-cookie")!.split(";")[0];
    secret(cookie2.slice(cookie2.indexOf("=") + 1));
    await post("/api/password", {
      headers: { cookie: cookie2 },
      body: {
        old_password: bobPassword,
        new_password: secret("bob-new-password-8"),
      },
    });
    await post("/api/login", {
      headers: { origin: "https://evil.example", cookie },
      body: { username: "bob", password: secret("cross-site-secret-9") },
    });
    const form = new FormData();
    form.append("file", new File(["hello"], "hello.txt"));
    const upload = await fetch(`${server.url}/api/files`, {
      method: "POST",
      headers: { authorization: `Bearer ${aliceToken}` },
      body: form,
    });
    await upload.body?.cancel();
    await post("/api/logout", {
      headers: { authorization: `Bearer ${secondToken}` },
    });
  } finally {
    await pool.closeAll();
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
  const output = server.output();
  // The log did record all this: it is the secrets that are missing.
  assert.match(output, /"level":"trace"|"level":"debug"|logged in/);
  assert.match(output, /alice/);
  const hashes = secrets.map((s) =>
    createHash("sha256").update(s).digest("base64url")
  );
  for (const value of [...secrets, ...hashes]) {
    assert.ok(
      !output.includes(value),
      `the log holds a secret: ${value.slice(0, 6)}…`,
    );
  }
  assert.doesNotMatch(output, /authorization|bearer|set-cookie/i);
});

// One request over raw TCP, for a Host that fetch would not send; the
// status line of the answer.
async function postWithHost(
  serverUrl: string,
  path: string,
  host: string,
): Promise<string> {
  const connection = await Deno.connect({
    hostname: "127.0.0.1",
    port: Number(new URL(serverUrl).port),
  });
  try {
    const body = '{"text":"deploy done"}';
    await connection.write(
      new TextEncoder().encode(
        `POST ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      ),
    );
    const answer = await new Response(connection.readable).text();
    return answer.split("\r\n")[0];
  } catch (error) {
    connection.close();
    throw error;
  }
}

Deno.test("logs: an incoming webhook's secret URL and an outgoing webhook's receiver URL are not logged, even at trace", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-test-" });
  // A port nothing listens on: every delivery fails and is logged. The
  // discard port, as the other tests' dead receivers: a port freed here
  // could be another test's server by the time the server calls it, the
  // seconds of a start and a registration later on a busy machine.
  const deadPort = 9;
  const server = await spawnServer([
    "--log-level",
    "trace",
    "--log-format",
    "json",
    "--allowed-host",
    "chat.example",
    "--webhook-allow",
    "127.0.0.1",
    "--db",
    `${dir}/chat.db`,
  ]);
  const pool = new ClientPool(server.wsUrl);
  const secrets: string[] = [];
  try {
    const alice = await pool.connect();
    const registered = await ok(alice, "register", {
      username: "alice",
      password: "alice-secret-password-1",
    });
    const bearer = { authorization: `Bearer ${registered.token}` };
    // An incoming hook, posted to by a page on a name the server does not
    // answer to (refused with 421, and logged at debug).
    const made = await fetch(`${server.url}/api/rooms/general/hooks`, {
      method: "POST",
      headers: { ...bearer, "content-type": "application/json" },
      body: JSON.stringify({ name: "ci" }),
    });
    assert.equal(made.status, 201);
    const hookPath = new URL((await made.json()).url).pathname;
    secrets.push(hookPath.slice("/api/hooks/".length));
    assert.match(
      await postWithHost(server.url, hookPath, "evil.example"),
      / 421 /,
    );
    // An outgoing hook to a receiver whose URL holds its own credential,
    // as Slack's and Discord's incoming-hook URLs do.
    const receiverSecret = "T0001-B0002-receiver-credential-3";
    secrets.push(receiverSecret);
    const outgoing = await fetch(
      `${server.url}/api/rooms/general/outgoing-hooks`,
      {
        method: "POST",
        headers: { ...bearer, "content-type": "application/json" },
        body: JSON.stringify({
          url: `http://127.0.0.1:${deadPort}/services/${receiverSecret}`,
        }),
      },
    );
    assert.equal(outgoing.status, 201, await outgoing.text());
    await ok(alice, "send_message", { text: "to the receiver" });
    await eventually(() => assert.match(server.output(), /Webhook .* failed/));
  } finally {
    await pool.closeAll();
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
  const output = server.output();
  // The log did record both: it is the secrets that are missing.
  assert.match(output, /Refused .*POST.* for Host/);
  assert.match(output, new RegExp(`127\\.0\\.0\\.1:${deadPort}.* failed`));
  for (const value of secrets) {
    assert.ok(
      !output.includes(value),
      `the log holds a secret: ${value.slice(0, 6)}…`,
    );
  }
});
