/**
 * Error codes: one list in server/protocol, documented in docs/protocol.md,
 * and one way to turn them into HTTP answers (server/http/errors.ts).
 */
import assert from "node:assert/strict";
import { Hono } from "hono";
import { HTTP_STATUS, httpError, httpFailure } from "../server/http/errors.ts";
import { ERROR_CODES } from "../server/protocol/error_codes.ts";
import { fail } from "../server/protocol/errors.ts";
import { withServer } from "./harness.ts";

const PROTOCOL = new URL("../docs/protocol.md", import.meta.url);

Deno.test("error codes: docs/protocol.md's table lists exactly the codes of server/protocol", async () => {
  const doc = await Deno.readTextFile(PROTOCOL);
  const section = doc.split("\n## Error codes\n")[1].split("\n## ")[0];
  const documented = [...section.matchAll(/^\| `([a-z_]+)` +\|/gm)]
    .map((match) => match[1]);
  assert.deepEqual(documented, [...ERROR_CODES]);
});

Deno.test("HTTP errors: the body is {error, message, ...details} with the code's status", async () => {
  const app = new Hono();
  app.get("/limited", (c) =>
    httpFailure(
      c,
      fail("rate_limited", "Slow down.", { retry_after_ms: 500 }),
    ));
  app.get(
    "/big",
    (c) => httpError(c, "invalid_message", "Too big.", { status: 413 }),
  );
  app.get("/gone", (c) => httpError(c, "not_found", "No such page."));

  const limited = await app.request("/limited");
  assert.equal(limited.status, 429);
  assert.deepEqual(await limited.json(), {
    error: "rate_limited",
    message: "Slow down.",
    retry_after_ms: 500,
  });
  const big = await app.request("/big");
  assert.equal(big.status, 413);
  assert.deepEqual(await big.json(), {
    error: "invalid_message",
    message: "Too big.",
  });
  const gone = await app.request("/gone");
  assert.equal(gone.status, 404);
  assert.equal(gone.headers.get("content-type"), "application/json");
  assert.deepEqual(await gone.json(), {
    error: "not_found",
    message: "No such page.",
  });
});

Deno.test("HTTP errors: the statuses the docs promise", () => {
  assert.deepEqual(
    {
      invalid_json: HTTP_STATUS.invalid_json,
      invalid_message: HTTP_STATUS.invalid_message,
      username_invalid: HTTP_STATUS.username_invalid,
      bad_credentials: HTTP_STATUS.bad_credentials,
      banned: HTTP_STATUS.banned,
      forbidden: HTTP_STATUS.forbidden,
      username_taken: HTTP_STATUS.username_taken,
      room_not_found: HTTP_STATUS.room_not_found,
      not_found: HTTP_STATUS.not_found,
      quota_exceeded: HTTP_STATUS.quota_exceeded,
      insufficient_storage: HTTP_STATUS.insufficient_storage,
      rate_limited: HTTP_STATUS.rate_limited,
      internal: HTTP_STATUS.internal,
    },
    {
      invalid_json: 400,
      invalid_message: 400,
      username_invalid: 400,
      bad_credentials: 401,
      banned: 403,
      forbidden: 403,
      username_taken: 409,
      room_not_found: 404,
      not_found: 404,
      quota_exceeded: 413,
      insufficient_storage: 507,
      rate_limited: 429,
      internal: 500,
    },
  );
});

Deno.test("HTTP errors: a plain GET of /ws, an unknown page and a foreign Origin get their documented bodies", () =>
  withServer(async (server) => {
    const answers = [
      await fetch(`${server.url}/ws`),
      await fetch(`${server.url}/no/such/page`),
      await fetch(`${server.url}/ws`, {
        headers: { origin: "https://elsewhere.example" },
      }),
    ];
    assert.deepEqual(
      await Promise.all(
        answers.map(async (answer) => [answer.status, await answer.json()]),
      ),
      [
        [426, {
          error: "invalid_message",
          message: "This endpoint only accepts WebSocket upgrades.",
        }],
        [404, { error: "not_found", message: "No such page." }],
        [403, {
          error: "forbidden",
          message:
            "Origin 'https://elsewhere.example' may not open a WebSocket here.",
        }],
      ],
    );
  }));
