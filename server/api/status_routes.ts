/**
 * The caller's custom status over HTTP: `GET /api/me/status` reads it and
 * `PUT /api/me/status` runs the WebSocket's `set_status`, as the caller,
 * so the rules, limits, error codes and the `status` events the others'
 * sockets get are the same whichever way the request came.
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { ownStatus, setStatus } from "../handlers/status.ts";
import type { ChatNode } from "../node.ts";
import { answerAsCaller, type ApiLimits } from "./caller.ts";
import { BEARER, errors, json, jsonBody } from "./openapi.ts";

const status = z.object({
  text: z.string(),
  emoji: z.string().nullable(),
  until: z.number().int().nullable(),
}).nullable().openapi("Status");

const answer = z.object({ status }).openapi("StatusAnswer");

// Types only: set_status's rules (labels', the emoji's, the range of
// `until`) are the handler's, with their codes.
const change = z.object({
  text: z.string().optional(),
  emoji: z.string().nullable().optional(),
  until: z.number().int().nullable().optional(),
}).openapi("StatusChange");

/** Registers the routes of the caller's custom status on the API. */
export function statusRoutes(
  api: OpenAPIHono,
  node: ChatNode,
  limits: ApiLimits,
): void {
  api.openapi(
    createRoute({
      method: "get",
      path: "/api/me/status",
      summary: "The caller's custom status",
      description:
        "`{text, emoji, until}` as set with `set_status`, or null for none (an ended one reads as none).",
      security: BEARER,
      responses: {
        200: json(answer, "The caller's status"),
        ...errors(401, 403, 429),
      },
    }),
    (c) => answerAsCaller(c, node, limits, "request", (ctx) => ownStatus(ctx)),
  );

  api.openapi(
    createRoute({
      method: "put",
      path: "/api/me/status",
      summary: "Set or clear the caller's custom status",
      description:
        "As the WebSocket `set_status`: `text` up to 100 characters on one line, `emoji` one emoji, `until` in ms since the epoch, in the future and at most 7 days ahead (else 400 `invalid_message`); no text and no emoji clear it. Every logged-in socket but the caller's gets `status`.",
      security: BEARER,
      request: { body: jsonBody(change) },
      responses: {
        200: json(answer, "The status set"),
        ...errors(400, 401, 403, 413, 415, 429),
      },
    }),
    (c) => {
      const body = c.req.valid("json");
      return answerAsCaller(
        c,
        node,
        limits,
        "status",
        (ctx) => setStatus(ctx, body),
      );
    },
  );
}
