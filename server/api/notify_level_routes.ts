/**
 * Notification levels over HTTP: `GET /api/notify-levels` runs the
 * WebSocket's `list_notify_levels` and `PUT /api/notify-levels` its
 * `set_notify_level`, as the caller, so the rules, limits, error codes and
 * the `notify_level` events the account's sockets get are the same
 * whichever way the request came.
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { listNotifyLevels, setNotifyLevel } from "../handlers/notify_levels.ts";
import type { ChatNode } from "../node.ts";
import { answerAsCaller, type ApiLimits } from "./caller.ts";
import { BEARER, errors, json, jsonBody } from "./openapi.ts";

const level = z.enum(["all", "mentions", "none"]);

// One of room or with: the handler says which is missing, as over the
// WebSocket.
const levelBody = z.object({
  room: z.string().optional(),
  with: z.string().optional(),
  level,
}).openapi("NotifyLevelChange");

const levelReply = z.object({
  room: z.string().optional(),
  with: z.string().optional(),
  level,
}).openapi("NotifyLevel");

const levelsReply = z.object({ levels: z.array(levelReply) }).openapi(
  "NotifyLevels",
);

/** Registers the routes of the caller's notification levels on the API. */
export function notifyLevelRoutes(
  api: OpenAPIHono,
  node: ChatNode,
  limits: ApiLimits,
): void {
  api.openapi(
    createRoute({
      method: "get",
      path: "/api/notify-levels",
      summary: "The caller's notification levels",
      description:
        "As the WebSocket `list_notify_levels`: each room or conversation whose level is not the default `mentions`.",
      security: BEARER,
      responses: {
        200: json(levelsReply, "The levels other than the default"),
        ...errors(401, 403, 429),
      },
    }),
    (c) =>
      answerAsCaller(
        c,
        node,
        limits,
        "request",
        (ctx) => listNotifyLevels(ctx),
      ),
  );

  api.openapi(
    createRoute({
      method: "put",
      path: "/api/notify-levels",
      summary: "Set the caller's notification level in a room or conversation",
      description:
        "As the WebSocket `set_notify_level`: `all`, `mentions` (the default) or `none` (no push, no alert) for one of `room` (a room the caller belongs to, else 404 `room_not_found`) or `with` (a private conversation). The caller's sockets get `notify_level`.",
      security: BEARER,
      request: { body: jsonBody(levelBody) },
      responses: {
        200: json(levelReply, "The level set"),
        ...errors(400, 401, 403, 404, 413, 415, 429),
      },
    }),
    (c) => {
      const body = c.req.valid("json");
      return answerAsCaller(
        c,
        node,
        limits,
        "read",
        (ctx) => setNotifyLevel(ctx, body),
      );
    },
  );
}
