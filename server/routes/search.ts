import { Hono } from "hono";
import { searchMessages } from "../handlers/search.ts";
import { httpError, httpFailure } from "../http/errors.ts";
import type { ChatNode } from "../node.ts";
import { isFailure } from "../protocol/errors.ts";
import { searchData } from "../protocol/schemas.ts";
import { requestReader } from "./files.ts";

/**
 * `GET /api/search?q=&room=&with=&before=&limit=`: the `search` action over
 * HTTP for an account's session (cookie or bearer token), with the same
 * rules, limits and error codes.
 */
export function searchRoutes(node: ChatNode): Hono {
  const routes = new Hono();
  routes.get("/api/search", async (c) => {
    const reader = await requestReader(c, node);
    if (isFailure(reader)) return httpFailure(c, reader);
    if (reader.userKey === undefined) {
      return httpError(c, "bad_credentials", "Sign in to search.");
    }
    // The user's search bucket, shared with its WebSocket connections.
    const wait = node.userLimits.take(reader.userKey, "search");
    if (wait > 0) {
      return httpError(
        c,
        "rate_limited",
        `Slow down: try again in ${(wait / 1000).toFixed(1)} s.`,
        { details: { retry_after_ms: wait } },
      );
    }
    const query = c.req.query();
    const data = searchData.safeParse({
      query: query.q ?? "",
      room: query.room,
      with: query.with,
      before: query.before,
      limit: query.limit === undefined ? undefined : Number(query.limit),
    });
    if (!data.success) {
      return httpError(
        c,
        "invalid_message",
        "q is the search, limit is 1 to 50, before a message id.",
      );
    }
    const outcome = await searchMessages(node, reader, data.data);
    return outcome.ok ? c.json(outcome.data) : httpFailure(c, outcome);
  });
  return routes;
}
