/**
 * Bad input on every documented REST route, taken from /api/openapi.json:
 * a wrong or revoked token is 401, an oversized body 413, malformed JSON
 * 400, each with an error body, never a crash.
 */
import assert from "node:assert/strict";
import {
  accountWithToken,
  call,
  revokedToken,
  sharedFile,
} from "./api_helpers.ts";
import { withServer } from "./harness.ts";

interface Operation {
  security?: unknown[];
  requestBody?: { content: Record<string, unknown> };
}

Deno.test("REST API: every route answers a wrong or revoked token, an oversized body and malformed JSON with a clear error", () =>
  withServer(async (server) => {
    const root = await accountWithToken(server, "root");
    const revoked = await revokedToken(server, root.token);
    const doc = (await call(server, "GET", "/api/openapi.json")).body as {
      paths: Record<string, Record<string, Operation>>;
    };
    const problems: string[] = [];
    const expect = async (
      what: string,
      method: string,
      path: string,
      options: Parameters<typeof call>[3],
      statuses: number[],
      codes?: string[],
    ) => {
      const answer = await call(server, method, path, options);
      const ok = statuses.includes(answer.status) &&
        typeof answer.body?.error === "string" &&
        (codes === undefined || codes.includes(answer.body.error));
      if (!ok) {
        problems.push(
          `${method} ${path} ${what}: ${answer.status} ${
            JSON.stringify(answer.body)
          }`,
        );
      }
    };
    for (const [route, operations] of Object.entries(doc.paths)) {
      // A file's own address is not an API route: unknown is 404 first.
      if (!route.startsWith("/api/")) continue;
      const path = route.replaceAll(/\{[^}]+\}/g, "general");
      for (const [lower, operation] of Object.entries(operations)) {
        const method = lower.toUpperCase();
        const json = operation.requestBody?.content["application/json"];
        const body = json ? {} : undefined;
        if (operation.security) {
          await expect("wrong token", method, path, {
            token: "wrong",
            body,
          }, [401]);
          await expect("revoked token", method, path, {
            token: revoked,
            body,
          }, [401]);
        }
        if (!json) continue;
        const auth = { token: root.token, headers: { origin: server.url } };
        await expect("oversized body", method, path, {
          ...auth,
          body: JSON.stringify({ text: "x".repeat(70 * 1024) }),
        }, [413]);
        await expect(
          "malformed JSON",
          method,
          path,
          {
            ...auth,
            body: '{"text": ',
          },
          [400],
          ["invalid_message", "invalid_json"],
        );
      }
    }
    assert.deepEqual(problems, []);
  }));

Deno.test("REST API: a wrong or revoked token on a route that needs none (a public room's file, the VAPID key) is 401, never read as no token", () =>
  withServer(async (server) => {
    const root = await accountWithToken(server, "root");
    const revoked = await revokedToken(server, root.token);
    const file = await sharedFile(server, root.token);
    for (const path of [file.url, "/api/push/vapid-public-key"]) {
      for (const method of ["GET", "HEAD"]) {
        const open = await call(server, method, path);
        assert.equal(open.status, 200, `${method} ${path} without a token`);
        for (const token of ["chat_wrong", revoked]) {
          const answer = await call(server, method, path, { token });
          assert.equal(answer.status, 401, `${method} ${path} ${token}`);
          if (method === "GET") {
            assert.equal(answer.body.error, "bad_credentials");
          }
        }
      }
    }
    // The right token still reads both.
    const mine = await call(server, "GET", file.url, {
      token: root.token,
    });
    assert.equal(mine.body, "hello");
  }));
