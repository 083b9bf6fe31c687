/**
 * A message's thread over HTTP: `GET /api/messages/{id}/replies` runs the
 * WebSocket's `list_replies` as the caller, so the rules (who may read the
 * root), the page and the error codes are the same.
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { listReplies } from "../handlers/threads.ts";
import { remoteAddressOf } from "../http/client_info.ts";
import { httpFailure } from "../http/errors.ts";
import type { ChatNode } from "../node.ts";
import { isFailure } from "../protocol/errors.ts";
import { REPLIES_MAX_LIMIT } from "../protocol/limits.ts";
import { lookup } from "../protocol/schemas.ts";
import { answerAsCaller, type ApiLimits } from "./caller.ts";
import { BEARER, errors, json } from "./openapi.ts";
import { pageBudget } from "./page_answer.ts";
import { message } from "./schemas.ts";

// Checked by the handler, which answers a wrong id as over the WebSocket.
const idParam = z.object({ id: lookup(0, 4096) });

const seqQuery = z.coerce.number().int().min(0).optional();

const repliesQuery = z.object({
  after_seq: seqQuery,
  before_seq: seqQuery,
  limit: z.coerce.number().min(1).max(REPLIES_MAX_LIMIT).int().optional(),
});

const repliesReply = z.object({
  /** The message answered, as it now is (its reply_count included). */
  root: message,
  /** Its replies, oldest first. */
  replies: z.array(message),
  /** Whether the thread goes on past this page, the way it was read. */
  more: z.boolean(),
}).openapi("Replies");

/** Registers the route of a message's thread on the API. */
export function threadRoutes(
  api: OpenAPIHono,
  node: ChatNode,
  limits: ApiLimits,
): void {
  api.openapi(
    createRoute({
      method: "get",
      path: "/api/messages/{id}/replies",
      summary: "A message and a page of its replies, oldest first",
      description:
        "As the WebSocket `list_replies`: the first `limit` replies (1 to 200, default 50) after `after_seq` (from the first when absent), or the last `limit` before `before_seq` (not both: 400 `invalid_message`); `more` tells whether the thread goes on that way. 404 `message_not_found` for a message the caller may not read (a private room it is not in, a room it is banned from, another's conversation). Limited with the account's `search`, and per address with the history pages (by size, as `list_replies`).",
      security: BEARER,
      request: { params: idParam, query: repliesQuery },
      responses: {
        200: json(repliesReply, "The root and the page of replies"),
        ...errors(400, 401, 403, 404, 429),
      },
    }),
    (c) => {
      // A page of up to 200 messages: the address's history budget, by
      // its size, as `list_replies` and the history routes take it. It
      // drew on the token's `search` bucket alone, so one address read
      // thread pages of 3.2 MB at 4 a second per account, where a history
      // page of them comes every 1.3 s.
      const page = pageBudget(node, remoteAddressOf(c));
      if (isFailure(page)) return httpFailure(c, page) as never;
      const { id } = c.req.valid("param");
      const query = c.req.valid("query");
      return answerAsCaller(
        c,
        node,
        limits,
        "search",
        (ctx) => listReplies(ctx, { ...query, id }),
        { page },
      );
    },
  );
}
