/**
 * Saved messages over HTTP: `GET /api/saved` runs the WebSocket's
 * `list_saved`, `PUT /api/saved/{id}` its `save_message` and `DELETE
 * /api/saved/{id}` its `unsave_message`, as the caller, so the rules, the
 * cap, the buckets, the error codes and the `saved` events the account's
 * sockets get are the same whichever way the request came. A request is no
 * socket of the account: every socket of it hears the change.
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { listSaved, saveMessage, unsaveMessage } from "../handlers/saved.ts";
import type { ChatNode } from "../node.ts";
import { SAVED_MAX_LIMIT } from "../protocol/limits.ts";
import { listSavedData, lookup, saveMessageData } from "../protocol/schemas.ts";
import { jsonIfAny } from "../http/json_only.ts";
import { answerAsCaller, type ApiLimits } from "./caller.ts";
import { BEARER, errors, json } from "./openapi.ts";
import { message } from "./schemas.ts";

// Checked by the handler, which answers a wrong id as over the WebSocket.
const idParam = z.object({ id: lookup(0, 4096) });

const savedQuery = z.object({
  before: listSavedData.shape.before,
  limit: z.coerce.number().min(1).max(SAVED_MAX_LIMIT).int().optional(),
  /** `true`: every saved id, as `list_saved` `{"ids":true}`. */
  ids: z.enum(["true", "false"]).optional(),
});

const savedState = z.object({
  id: z.string(),
  /** True when it is saved now. */
  saved: z.boolean(),
  /** The reminder set (ISO 8601, UTC) or cleared (null), when asked to. */
  remind_at: z.string().nullable().optional(),
}).openapi("SavedState");

/** PUT's body, which may be left out: a save without a reminder change. */
const saveBody = z.object({
  /**
   * A time ahead, at most a year (ISO 8601 with its offset), to be
   * reminded of the message then; null clears its reminder; left out, the
   * reminder stays as it is.
   */
  remind_at: saveMessageData.shape.remind_at,
}).openapi("SaveMessage");

const savedReply = z.object({
  saved: z.array(z.object({
    id: z.string(),
    saved_at: z.string(),
    /** When the caller is to be reminded of it (ISO 8601), while set. */
    remind_at: z.string().optional(),
    message,
  })),
  /** The `before` of the next page; null after the last. */
  next: z.string().nullable(),
}).openapi("SavedMessages");

const savedIdsReply = z.object({
  /** Every id the caller saved, the newest saved first. */
  ids: z.array(z.string()),
}).openapi("SavedIds");

/** Registers the routes of an account's saved messages on the API. */
export function savedRoutes(
  api: OpenAPIHono,
  node: ChatNode,
  limits: ApiLimits,
): void {
  api.openapi(
    createRoute({
      method: "get",
      path: "/api/saved",
      summary: "The caller's saved messages",
      description:
        'As the WebSocket `list_saved`: the newest saved first, at most `limit` (1 to 100, default 50), each with the message as `history` gives it; those the caller may not read now are left out, so a page may hold fewer while `next` (the `before` of the next page) is not null. With `ids=true` (and no `before` or `limit`), `{"ids"}`: the id of every message saved, none read. Limited with the account\'s `search`.',
      security: BEARER,
      request: { query: savedQuery },
      responses: {
        200: json(
          z.union([savedReply, savedIdsReply]),
          "The saved messages, or their ids",
        ),
        ...errors(400, 401, 403, 429),
      },
    }),
    (c) =>
      answerAsCaller(
        c,
        node,
        limits,
        "search",
        (ctx) => {
          const { ids, ...page } = c.req.valid("query");
          return listSaved(
            ctx,
            ids === undefined ? page : { ...page, ids: ids === "true" },
          );
        },
      ),
  );

  api.openapi(
    createRoute({
      method: "put",
      path: "/api/saved/{id}",
      summary: "Save a message",
      description:
        'As the WebSocket `save_message`: a message the caller may read (otherwise 404 `message_not_found`), at most 1000 an account (403 `too_many_saved`); saving one saved already answers the same. The body may be left out; `{"remind_at"}` sets its reminder (a time ahead, at most a year; otherwise 400 `invalid_message`) or clears it (null), and the answer carries it. Every socket of the account gets `saved` when something changed. Limited with the account\'s `mark_read`.',
      security: BEARER,
      middleware: [jsonIfAny],
      request: {
        params: idParam,
        body: {
          content: { "application/json": { schema: saveBody } },
          required: false,
        },
      },
      responses: {
        200: json(savedState, "Saved"),
        ...errors(400, 401, 403, 404, 413, 415, 429),
      },
    }),
    (c) =>
      answerAsCaller(
        c,
        node,
        limits,
        "read",
        (ctx) =>
          saveMessage(ctx, {
            ...c.req.valid("json"),
            ...c.req.valid("param"),
          }),
      ),
  );

  api.openapi(
    createRoute({
      method: "delete",
      path: "/api/saved/{id}",
      summary: "Remove a message from the saved ones",
      description:
        "As the WebSocket `unsave_message`: one not saved answers the same. Every socket of the account gets `saved` with `false` when it was saved. Limited with the account's `mark_read`.",
      security: BEARER,
      request: { params: idParam },
      responses: {
        200: json(savedState, "Not saved"),
        ...errors(400, 401, 403, 413, 429),
      },
    }),
    (c) =>
      answerAsCaller(
        c,
        node,
        limits,
        "read",
        (ctx) => unsaveMessage(ctx, c.req.valid("param")),
      ),
  );
}
