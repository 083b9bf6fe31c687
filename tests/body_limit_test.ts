/**
 * Request body limits (server/routes/body_limit.ts): a body over 64 KiB
 * gets 413 whether its length is declared or it is streamed; a JSON body
 * nesting over 32 deep gets 400 before it is parsed
 * (server/http/shallow_json.ts); a body cut off mid-way is the client's
 * doing, not a crash.
 */
import assert from "node:assert/strict";
import { accountWithToken, call } from "./api_helpers.ts";
import {
  eventually,
  spawnServer,
  TEST_PASSWORD,
  withClients,
  withServer,
} from "./harness.ts";

/** A login body of 70 KiB. */
function bigLogin(): string {
  return JSON.stringify({ username: "alice", password: "x".repeat(70 * 1024) });
}

/**
 * POSTs `body` with Transfer-Encoding: chunked (no Content-Length) over a
 * raw TCP connection, and returns the status of the reply. Sending stops
 * early if the server answers first.
 */
async function chunkedPost(
  base: string,
  path: string,
  body: string,
): Promise<number> {
  const url = new URL(base);
  const conn = await Deno.connect({
    hostname: url.hostname,
    port: Number(url.port),
  });
  try {
    const encoder = new TextEncoder();
    const reading = (async () => {
      const buffer = new Uint8Array(4096);
      let head = "";
      while (!head.includes("\r\n")) {
        const n = await conn.read(buffer);
        if (n === null) break;
        head += new TextDecoder().decode(buffer.subarray(0, n));
      }
      return Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
    })();
    let answered = false;
    reading.finally(() => answered = true);
    const write = async (text: string) => {
      const bytes = encoder.encode(text);
      for (let done = 0; done < bytes.length;) {
        done += await conn.write(bytes.subarray(done));
      }
    };
    try {
      await write(
        `POST ${path} HTTP/1.1\r\nHost: ${url.host}\r\n` +
          `Origin: ${url.origin}\r\n` +
          "Content-Type: application/json\r\n" +
          "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
      );
      for (let i = 0; i < body.length && !answered; i += 8192) {
        const chunk = body.slice(i, i + 8192);
        await write(
          `${encoder.encode(chunk).length.toString(16)}\r\n${chunk}\r\n`,
        );
      }
      if (!answered) await write("0\r\n\r\n");
    } catch {
      // The server closed its side after answering early.
    }
    return await reading;
  } finally {
    conn.close();
  }
}

Deno.test("http: POST /api/login with a body over 64 KiB gets 413", () =>
  withClients(async (_pool, server) => {
    const response = await fetch(`${server.url}/api/login`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: server.url },
      body: bigLogin(),
    });
    assert.equal(response.status, 413);
    await response.body?.cancel();
  }));

Deno.test("http: POST /api/login streamed over 64 KiB without Content-Length gets 413 and leaves nothing open", () =>
  withClients(async (_pool, server) => {
    // Chunked: the server cannot trust a declared length. Sanitizers check
    // that the unread rest of the body is let go of.
    const status = await chunkedPost(server.url, "/api/login", bigLogin());
    assert.equal(status, 413);
  }));

/** `fields` as JSON, `depth` deep: its `x` nests arrays in each other. */
function nested(fields: Record<string, unknown>, depth: number): string {
  const deep = "[".repeat(depth - 1) + "]".repeat(depth - 1);
  return `${JSON.stringify(fields).slice(0, -1)},"x":${deep}}`;
}

Deno.test("http: a JSON body nesting over 32 deep gets 400 invalid_message unparsed, at login and in the REST API, and 32 deep is served as before", () =>
  withServer(async (server) => {
    const bob = await accountWithToken(server, "bob");
    const credentials = { username: "bob", password: TEST_PASSWORD };
    const origin = { origin: server.url };
    // 64,036 bytes, under the 64 KiB limit: its parse took 53 ms at a
    // load of 20, before the login's throttles.
    const login = await call(server, "POST", "/api/login", {
      headers: origin,
      body: nested(credentials, 32_000),
    });
    assert.equal(login.status, 400);
    assert.equal(login.body.error, "invalid_message");
    assert.equal(
      login.body.message,
      "The body nests arrays and objects more than 32 deep.",
    );
    const tooDeep = await call(server, "POST", "/api/rooms/general/messages", {
      token: bob.token,
      body: nested({ text: "deep" }, 33),
    });
    assert.equal(tooDeep.status, 400);
    assert.match(tooDeep.body.message, /more than 32 deep/);
    // A charset or a `+json` type is JSON all the same.
    const typed = await call(server, "POST", "/api/rooms/general/messages", {
      token: bob.token,
      body: nested({ text: "deep" }, 33),
      headers: { "content-type": "application/vnd.api+json; charset=utf-8" },
    });
    assert.equal(typed.status, 400);
    assert.match(typed.body.message, /more than 32 deep/);
    // 32 deep: read by each route as before (the REST API, its own app,
    // from the same body).
    const loggedIn = await call(server, "POST", "/api/login", {
      headers: origin,
      body: nested(credentials, 32),
    });
    assert.equal(loggedIn.status, 200);
    const sent = await call(server, "POST", "/api/rooms/general/messages", {
      token: bob.token,
      body: nested({ text: "as deep as allowed" }, 32),
    });
    assert.equal(sent.status, 201);
    assert.equal(sent.body.message.text, "as deep as allowed");
  }));

/**
 * Sends the head of a chunked POST and part of its body, then `ending`:
 * the client leaving (`close`) or a chunk size that is not hex (`garbled`).
 */
async function cutOffPost(
  base: string,
  path: string,
  ending: "close" | "garbled",
): Promise<void> {
  const url = new URL(base);
  const conn = await Deno.connect({
    hostname: url.hostname,
    port: Number(url.port),
  });
  const text = `POST ${path} HTTP/1.1\r\nHost: ${url.host}\r\n` +
    `Origin: ${url.origin}\r\nContent-Type: application/json\r\n` +
    `Transfer-Encoding: chunked\r\n\r\n5\r\n{"a":\r\n` +
    (ending === "garbled" ? "ZZ\r\n" : "");
  const bytes = new TextEncoder().encode(text);
  for (let done = 0; done < bytes.length;) {
    done += await conn.write(bytes.subarray(done));
  }
  if (ending === "garbled") {
    // The server answers 400 and closes.
    const buffer = new Uint8Array(4096);
    while (await conn.read(buffer).catch(() => null) !== null) { /* drain */ }
  }
  conn.close();
}

Deno.test("http: a body cut off mid-way is the client's doing: no crash logged, the server serves on", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-test-" });
  const server = await spawnServer([
    "--log-level",
    "debug",
    "--db",
    `${dir}/chat.db`,
  ]);
  try {
    const cuts = [
      ["/api/login", "close"],
      ["/api/register", "garbled"],
      ["/api/login", "garbled"],
    ] as const;
    for (const [path, ending] of cuts) {
      await cutOffPost(server.url, path, ending);
    }
    // Each is logged once its body fails to arrive: as the client's
    // doing, or (before) as a crash at level ERR, with its stack.
    const logged = /body was cut off|Crash serving/g;
    await eventually(() => {
      const seen = (server.output().match(logged) ?? []).length;
      assert.ok(seen >= cuts.length, `${seen} of ${cuts.length} cuts logged`);
    });
    assert.doesNotMatch(server.output(), /Crash serving/);
    const health = await fetch(`${server.url}/healthz`);
    assert.equal(health.status, 200);
    await health.body?.cancel();
  } finally {
    await server.stop("SIGTERM");
    await Deno.remove(dir, { recursive: true });
  }
});
