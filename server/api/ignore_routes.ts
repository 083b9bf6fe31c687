/**
 * Ignoring over HTTP: `GET /api/ignores` runs the WebSocket's
 * `list_ignored`, `PUT /api/ignores/{user}` its `ignore_user` and
 * `DELETE /api/ignores/{user}` its `unignore_user`, as the caller, so the
 * rules, limits, error codes and the `ignored` events the account's
 * sockets get are the same whichever way the request came.
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { ignoreUser, listIgnored, unignoreUser } from "../handlers/ignores.ts";
import type { ChatNode } from "../node.ts";
import { lookup } from "../protocol/schemas.ts";
import { answerAsCaller, type ApiLimits } from "./caller.ts";
import { BEARER, errors, json } from "./openapi.ts";

// Checked by the handlers, which answer a wrong name as over the WebSocket.
const userParam = z.object({ user: lookup(0, 4096) });

const ignoredReply = z.object({
  users: z.array(z.object({
    user: z.string(),
    ignored_at: z.string(),
  })),
}).openapi("IgnoredUsers");

const ignoreReply = z.object({
  user: z.string(),
  /** The rooms the ignored account had added the caller to, left now. */
  left: z.array(z.string()),
}).openapi("IgnoreUser");

const unignoreReply = z.object({ user: z.string() }).openapi("UnignoreUser");

/** Registers the routes of the accounts one ignores on the API. */
export function ignoreRoutes(
  api: OpenAPIHono,
  node: ChatNode,
  limits: ApiLimits,
): void {
  api.openapi(
    createRoute({
      method: "get",
      path: "/api/ignores",
      summary: "The accounts the caller ignores",
      description:
        "As the WebSocket `list_ignored`: by name key, each with when it was ignored.",
      security: BEARER,
      responses: {
        200: json(ignoredReply, "The accounts ignored"),
        ...errors(401, 403, 429),
      },
    }),
    (c) =>
      answerAsCaller(c, node, limits, "request", (ctx) => listIgnored(ctx, {})),
  );

  api.openapi(
    createRoute({
      method: "put",
      path: "/api/ignores/{user}",
      summary: "Ignore an account",
      description:
        "As the WebSocket `ignore_user`: its private messages and invites to the caller are refused with 403 `not_accepted`, its mentions push nothing, and the rooms it added the caller to are left (`left`). Ignoring it again answers the same, with what is left now.",
      security: BEARER,
      request: { params: userParam },
      responses: {
        200: json(ignoreReply, "Ignored"),
        ...errors(400, 401, 403, 404, 413, 429),
      },
    }),
    (c) => {
      const { user } = c.req.valid("param");
      return answerAsCaller(
        c,
        node,
        limits,
        "request",
        (ctx) => ignoreUser(ctx, { user }),
      );
    },
  );

  api.openapi(
    createRoute({
      method: "delete",
      path: "/api/ignores/{user}",
      summary: "Stop ignoring an account",
      description:
        "As the WebSocket `unignore_user`: 404 `user_not_found` when the caller does not ignore it.",
      security: BEARER,
      request: { params: userParam },
      responses: {
        200: json(unignoreReply, "Unignored"),
        ...errors(400, 401, 403, 404, 413, 429),
      },
    }),
    (c) => {
      const { user } = c.req.valid("param");
      return answerAsCaller(
        c,
        node,
        limits,
        "request",
        (ctx) => unignoreUser(ctx, { user }),
      );
    },
  );
}
