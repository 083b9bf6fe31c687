/**
 * `GET /api/conversations`: the WebSocket `list_conversations` action over
 * HTTP, for an account's token or the web client's session, with the same
 * rules, limits and error codes, described in the OpenAPI document.
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { conversationPage } from "../handlers/conversations.ts";
import type { ChatNode } from "../node.ts";
import { fail, isFailure, rateLimited } from "../protocol/errors.ts";
import { requestReader } from "../routes/files.ts";
import { BEARER, errors, json, refuse } from "./openapi.ts";
import { conversationsQuery, conversationsReply } from "./schemas.ts";

/** Registers `GET /api/conversations` on the API. */
export function conversationRoutes(api: OpenAPIHono, node: ChatNode): void {
  api.openapi(
    createRoute({
      method: "get",
      path: "/api/conversations",
      summary:
        "The account's private conversations, the newest message first, with its read state",
      description:
        "As the WebSocket `list_conversations`: at most `limit` (1 to 100, default 50); `next` is the `before` of the following page, present only when older ones follow. Limited with the user's WebSocket `list_conversations`.",
      security: BEARER,
      request: { query: conversationsQuery },
      responses: {
        200: json(conversationsReply, "The conversations"),
        ...errors(400, 401, 403, 429),
      },
    }),
    async (c) => {
      const reader = await requestReader(c, node);
      if (isFailure(reader)) return refuse(c, reader);
      if (reader.userKey === undefined || reader.since === undefined) {
        return refuse(
          c,
          fail("bad_credentials", "Sign in to list your conversations."),
        );
      }
      // The user's bucket of lists, shared with its WebSocket connections:
      // a page counts the unread messages of up to 100 conversations.
      const wait = node.userLimits.take(reader.userKey, "conversations");
      if (wait > 0) return refuse(c, rateLimited(wait));
      const outcome = await conversationPage(
        node,
        { userKey: reader.userKey, since: reader.since },
        c.req.valid("query"),
      );
      if (!outcome.ok) return refuse(c, outcome);
      // The handler's data is untyped: tests/openapi_test.ts checks it.
      return c.json(outcome.data, 200) as never;
    },
  );
}
