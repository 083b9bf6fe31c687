/**
 * Do not disturb over HTTP: `GET /api/do-not-disturb` reads the caller's
 * and `PUT /api/do-not-disturb` runs the WebSocket's `set_do_not_disturb`,
 * as the caller, so the rules, limits, error codes and the
 * `do_not_disturb` events the account's sockets get are the same whichever
 * way the request came.
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import {
  getDoNotDisturb,
  setDoNotDisturb,
} from "../handlers/do_not_disturb.ts";
import type { ChatNode } from "../node.ts";
import { answerAsCaller, type ApiLimits } from "./caller.ts";
import { BEARER, errors, json, jsonBody } from "./openapi.ts";

const until = z.number().int().nullable();

const pause = z.object({ until }).openapi("DoNotDisturb");

/** Registers the routes of the caller's "do not disturb" on the API. */
export function doNotDisturbRoutes(
  api: OpenAPIHono,
  node: ChatNode,
  limits: ApiLimits,
): void {
  api.openapi(
    createRoute({
      method: "get",
      path: "/api/do-not-disturb",
      summary: "Until when the caller is not disturbed",
      description:
        "`until` in ms since the epoch while a pause set with `set_do_not_disturb` lasts, else null.",
      security: BEARER,
      responses: {
        200: json(pause, "The caller's pause"),
        ...errors(401, 403, 429),
      },
    }),
    (c) =>
      answerAsCaller(c, node, limits, "request", (ctx) => getDoNotDisturb(ctx)),
  );

  api.openapi(
    createRoute({
      method: "put",
      path: "/api/do-not-disturb",
      summary: "Pause the caller's notifications until a time, or resume",
      description:
        "As the WebSocket `set_do_not_disturb`: `until` in ms since the epoch, in the future and at most 7 days ahead (else 400 `invalid_message`), or null to resume. No Web Push goes to the caller meanwhile; the caller's sockets get `do_not_disturb`.",
      security: BEARER,
      request: { body: jsonBody(pause) },
      responses: {
        200: json(pause, "The pause set"),
        ...errors(400, 401, 403, 413, 415, 429),
      },
    }),
    (c) => {
      const body = c.req.valid("json");
      return answerAsCaller(
        c,
        node,
        limits,
        "read",
        (ctx) => setDoNotDisturb(ctx, body),
      );
    },
  );
}
