/**
 * Helpers for REST API tests: one call with its status and JSON body, and
 * accounts with a personal access token made the way the web client does.
 */
import assert from "node:assert/strict";
import { TEST_PASSWORD, type TestServer } from "./harness.ts";

/** An HTTP answer: status, headers and the body (JSON when it is). */
export interface Answer {
  status: number;
  headers: Headers;
  // deno-lint-ignore no-explicit-any
  body: any;
}

/** Options of {@link call}. */
export interface CallOptions {
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Sent as JSON, or as is when a string or a form. */
  body?: unknown;
  headers?: Record<string, string>;
}

/** One request to the server; the body is read whole. */
export async function call(
  server: Pick<TestServer, "url">,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) {
    headers.authorization = `Bearer ${options.token}`;
  }
  let body: string | FormData | undefined;
  if (options.body instanceof FormData) {
    body = options.body;
  } else if (options.body !== undefined) {
    body = typeof options.body === "string"
      ? options.body
      : JSON.stringify(options.body);
    headers["content-type"] ??= "application/json";
  }
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers,
    body,
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text === "" ? undefined : JSON.parse(text);
  } catch { /* not JSON: kept as text */ }
  return { status: response.status, headers: response.headers, body: parsed };
}

/** An account with its session cookie and a personal access token. */
export interface ApiAccount {
  username: string;
  cookie: string;
  token: string;
}

/**
 * Registers an account over HTTP (the first one is the admin) and makes
 * it a token from the web client's own page (cookie and Origin).
 */
export async function accountWithToken(
  server: TestServer,
  username: string,
): Promise<ApiAccount> {
  const response = await fetch(`${server.url}/api/register`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: server.url },
    body: JSON.stringify({ username, password: TEST_PASSWORD }),
  });
  await response.body?.cancel();
  if (response.status !== 201) {
    throw new Error(`register ${username}: ${response.status}`);
  }
  const cookie = response.headers.get("set-cookie")!.split(";")[0];
  const made = await call(server, "POST", "/api/tokens", {
    body: { name: "tests" },
    headers: { cookie, origin: server.url },
  });
  if (made.status !== 201) {
    throw new Error(`token for ${username}: ${JSON.stringify(made.body)}`);
  }
  return { username, cookie, token: made.body.token };
}

/**
 * A token of the account `token` belongs to, made and revoked at once (the
 * DELETE answered 204): one the server knew and no longer takes.
 */
export async function revokedToken(
  server: TestServer,
  token: string,
): Promise<string> {
  const made = await call(server, "POST", "/api/tokens", {
    token,
    body: { name: "old" },
  });
  const revoked = await call(server, "DELETE", `/api/tokens/${made.body.id}`, {
    token,
  });
  assert.equal(revoked.status, 204);
  return made.body.token;
}

/**
 * Uploads hello.txt ("hello") with `token` and shares it in general (both
 * answered 201); returns the upload, whose `url` is then anyone's to read.
 */
export async function sharedFile(
  server: TestServer,
  token: string,
  contents: BlobPart = "hello",
): Promise<{ id: string; url: string }> {
  const form = new FormData();
  form.append("file", new File([contents], "hello.txt"));
  const file = await call(server, "POST", "/api/files", { token, body: form });
  assert.equal(file.status, 201);
  const sent = await call(server, "POST", "/api/rooms/general/messages", {
    token,
    body: { text: "a file", attachments: [file.body] },
  });
  assert.equal(sent.status, 201);
  return file.body;
}

/**
 * Checks a cap on what an account keeps (tokens, hooks): at the cap,
 * `make` gets 403 `forbidden` with `message`; once `remove` took one away
 * (204), `make` succeeds (201).
 */
export async function assertCapped(
  make: () => Promise<Answer>,
  remove: () => Promise<Answer>,
  message: string,
): Promise<void> {
  const refused = await make();
  assert.deepEqual([refused.status, refused.body], [403, {
    error: "forbidden",
    message,
  }]);
  assert.equal((await remove()).status, 204);
  assert.equal((await make()).status, 201);
}
