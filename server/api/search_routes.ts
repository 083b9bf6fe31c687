/**
 * `GET /api/search`: the WebSocket `search` action over HTTP, for an
 * account's token or the web client's session, with the same rules,
 * limits and error codes, described in the OpenAPI document.
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { searchMessages } from "../handlers/search.ts";
import type { ChatNode } from "../node.ts";
import { fail, isFailure, rateLimited } from "../protocol/errors.ts";
import { requestReader } from "../routes/files.ts";
import { BEARER, errors, json, refuse } from "./openapi.ts";
import { searchQuery, searchReply } from "./schemas.ts";

/** Registers `GET /api/search` on the API. */
export function searchRoutes(api: OpenAPIHono, node: ChatNode): void {
  api.openapi(
    createRoute({
      method: "get",
      path: "/api/search",
      summary: "Search the messages the caller may read, newest first",
      description:
        "As the WebSocket `search`: every word of `q` (a prefix for the last one), in the rooms the account may read (or `room`) and its own conversations (or the one `with` a user); only what `from` wrote, what `has` each of `file`, `image`, `link`, `reaction` (comma-separated), what was stored on or after the day `after` and on or before the day `until` (`YYYY-MM-DD`, days of the IANA time zone `zone`, UTC without one). `q` may be empty or absent with a filter. `next` is the `before` of the following page. Limited with the user's WebSocket searches.",
      security: BEARER,
      request: { query: searchQuery },
      responses: {
        200: json(searchReply, "The results"),
        ...errors(400, 401, 403, 404, 429),
      },
    }),
    async (c) => {
      const reader = await requestReader(c, node);
      if (isFailure(reader)) return refuse(c, reader);
      if (reader.userKey === undefined) {
        return refuse(c, fail("bad_credentials", "Sign in to search."));
      }
      // The user's search bucket, shared with its WebSocket connections.
      const wait = node.userLimits.take(reader.userKey, "search");
      if (wait > 0) {
        return refuse(c, rateLimited(wait));
      }
      const { q, ...rest } = c.req.valid("query");
      const outcome = await searchMessages(node, reader, { query: q, ...rest });
      if (!outcome.ok) return refuse(c, outcome);
      // The handler's data is untyped: tests/openapi_test.ts checks it.
      return c.json(outcome.data, 200) as never;
    },
  );
}
