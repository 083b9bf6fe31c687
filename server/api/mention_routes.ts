/**
 * Recent mentions over HTTP: `GET /api/mentions` runs the WebSocket's
 * `list_mentions` as the caller, so its read rules, its bucket and its
 * error codes are the same whichever way the request came.
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { listMentions } from "../handlers/mentions.ts";
import type { ChatNode } from "../node.ts";
import { MENTIONS_MAX_LIMIT } from "../protocol/limits.ts";
import { listMentionsData } from "../protocol/schemas.ts";
import { answerAsCaller, type ApiLimits } from "./caller.ts";
import { BEARER, errors, json } from "./openapi.ts";
import { message } from "./schemas.ts";

const mentionsQuery = z.object({
  before: listMentionsData.shape.before,
  limit: z.coerce.number().min(1).max(MENTIONS_MAX_LIMIT).int().optional(),
});

const mentionsReply = z.object({
  /** The messages that mention the caller, the newest first. */
  mentions: z.array(message),
  /** The `before` of the next page; null after the last. */
  next: z.string().nullable(),
}).openapi("Mentions");

/** Registers the route of an account's recent mentions on the API. */
export function mentionRoutes(
  api: OpenAPIHono,
  node: ChatNode,
  limits: ApiLimits,
): void {
  api.openapi(
    createRoute({
      method: "get",
      path: "/api/mentions",
      summary: "The messages that mention the caller",
      description:
        "As the WebSocket `list_mentions`: the messages that mention the caller (by name, by a group of its, by an `@here` that reached it, by an `@room` of a room it is a member of) in every room and conversation, newest first, at most `limit` (1 to 100, default 50), each as `history` gives it; not its own, deleted ones, those of accounts it ignores, those written before the caller's account held its name nor those it may not read now, so a page may hold fewer while `next` (the `before` of the next page) is not null. Limited with the account's `search`.",
      security: BEARER,
      request: { query: mentionsQuery },
      responses: {
        200: json(mentionsReply, "The messages that mention the caller"),
        ...errors(400, 401, 403, 429),
      },
    }),
    (c) =>
      answerAsCaller(
        c,
        node,
        limits,
        "search",
        (ctx) => listMentions(ctx, c.req.valid("query")),
      ),
  );
}
