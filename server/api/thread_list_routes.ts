/**
 * The threads an account takes part in over HTTP: `GET /api/threads` runs
 * the WebSocket's `list_threads` and `PUT /api/threads/{id}/read` its
 * `mark_thread_read`, as the caller, so the rules, the buckets, the error
 * codes and the `thread_read` events are the same whichever way the
 * request came. A request is no socket of the account: every socket of it
 * hears a thread read.
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { listThreads, markThreadRead } from "../handlers/thread_list.ts";
import type { ChatNode } from "../node.ts";
import { THREADS_MAX_LIMIT } from "../protocol/limits.ts";
import { listThreadsData, lookup } from "../protocol/schemas.ts";
import { answerAsCaller, type ApiLimits } from "./caller.ts";
import { BEARER, errors, json } from "./openapi.ts";
import { message } from "./schemas.ts";

// Checked by the handler, which answers a wrong id as over the WebSocket.
const idParam = z.object({ id: lookup(0, 4096) });

const threadsQuery = z.object({
  before: listThreadsData.shape.before,
  limit: z.coerce.number().min(1).max(THREADS_MAX_LIMIT).int().optional(),
});

const threadsReply = z.object({
  threads: z.array(z.object({
    root: message,
    /** Its replies now (the root's `reply_count`). */
    replies: z.number().int(),
    /** When its newest reply came. */
    last_reply_ts: z.string(),
    /** Whether it has a reply newer than the caller read. */
    unread: z.boolean(),
  })),
  /** The `before` of the next page; null after the last. */
  next: z.string().nullable(),
}).openapi("Threads");

const threadRead = z.object({
  id: z.string(),
  /** The seq of the newest reply read. */
  last_read_seq: z.number().int(),
}).openapi("ThreadRead");

/** Registers the routes of an account's threads on the API. */
export function threadListRoutes(
  api: OpenAPIHono,
  node: ChatNode,
  limits: ApiLimits,
): void {
  api.openapi(
    createRoute({
      method: "get",
      path: "/api/threads",
      summary: "The threads the caller takes part in",
      description:
        "As the WebSocket `list_threads`: the threads whose root the caller wrote, where it replied or where a reply named it, the newest reply first, at most `limit` (1 to 100, default 30), each with its root as `history` gives it, its reply count, when its newest reply came and whether it has one the caller has not read; those the caller may not read now are left out, so a page may hold fewer while `next` (the `before` of the next page) is not null. Limited with the account's `search`.",
      security: BEARER,
      request: { query: threadsQuery },
      responses: {
        200: json(threadsReply, "A page of threads"),
        ...errors(400, 401, 403, 429),
      },
    }),
    (c) =>
      answerAsCaller(
        c,
        node,
        limits,
        "search",
        (ctx) => listThreads(ctx, c.req.valid("query")),
      ),
  );

  api.openapi(
    createRoute({
      method: "put",
      path: "/api/threads/{id}/read",
      summary: "Mark a thread read",
      description:
        "As the WebSocket `mark_thread_read`: the thread of root `id` read up to its newest reply; a root the caller may not read is 404 `message_not_found`, a thread it takes no part in answers the same and changes nothing. Every socket of the account gets `thread_read` when the mark moved. Limited with the account's `mark_read`.",
      security: BEARER,
      request: { params: idParam },
      responses: {
        200: json(threadRead, "Read"),
        ...errors(400, 401, 403, 404, 413, 429),
      },
    }),
    (c) =>
      answerAsCaller(
        c,
        node,
        limits,
        "read",
        (ctx) => markThreadRead(ctx, c.req.valid("param")),
      ),
  );
}
