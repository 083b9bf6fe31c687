/**
 * Routes served outside the API app (plain Hono handlers with their own
 * answers, see server/routes/), declared in the OpenAPI document with the
 * very zod schemas their handlers validate with, so the document covers
 * every `/api` route a program may call. tests/openapi_test.ts calls each.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { hookBody } from "../routes/outgoing_hooks.ts";
import { endpointBody, subscriptionBody } from "../routes/push.ts";
import { BEARER, errors, json, jsonBody } from "./openapi.ts";

const roomParam = z.object({ room: z.string() });
const idParam = z.object({ id: z.string() });

/** An outgoing webhook as listed (its secret is shown only at creation). */
const outgoingHook = z.object({
  id: z.string(),
  room: z.string(),
  url: z.string(),
  created_by: z.string(),
  created_at: z.string(),
  failures: z.number().int(),
  last_error: z.string().nullable(),
  last_status: z.number().int().nullable(),
  last_failure_at: z.string().nullable(),
  last_success_at: z.string().nullable(),
}).openapi("OutgoingHook");

const newOutgoingHook = outgoingHook.extend({ secret: z.string() }).openapi(
  "NewOutgoingHook",
);

const outgoingHooks = z.object({ hooks: z.array(outgoingHook) }).openapi(
  "OutgoingHooks",
);

/** Declares the outgoing webhook and Web Push routes in the API's document. */
export function documentPlainRoutes(api: OpenAPIHono): void {
  const registry = api.openAPIRegistry;
  registry.registerPath({
    method: "post",
    path: "/api/rooms/{room}/outgoing-hooks",
    summary: "Register an outgoing webhook for a room (admins, room owners)",
    description:
      "Each new message of the room is POSTed to `url`, signed with the answer's `secret` (shown this once).",
    security: BEARER,
    request: { params: roomParam, body: jsonBody(hookBody) },
    responses: {
      201: json(newOutgoingHook, "The hook, with its signing secret"),
      ...errors(400, 401, 403, 404, 413),
    },
  });
  registry.registerPath({
    method: "get",
    path: "/api/rooms/{room}/outgoing-hooks",
    summary: "A room's outgoing webhooks and how their deliveries went",
    security: BEARER,
    request: { params: roomParam },
    responses: {
      200: json(outgoingHooks, "The room's outgoing webhooks"),
      ...errors(401, 403, 404),
    },
  });
  registry.registerPath({
    method: "delete",
    path: "/api/outgoing-hooks/{id}",
    summary: "Remove an outgoing webhook",
    description: "Another room's hook, or none, answers `not_found`.",
    security: BEARER,
    request: { params: idParam },
    responses: { 204: { description: "Removed" }, ...errors(401, 404) },
  });
  registry.registerPath({
    method: "get",
    path: "/api/push/vapid-public-key",
    summary: "The VAPID public key for `pushManager.subscribe()`",
    responses: {
      200: json(z.object({ key: z.string() }), "The key, in base64url"),
    },
  });
  registry.registerPath({
    method: "post",
    path: "/api/push/subscriptions",
    summary: "Save a browser's push subscription for the caller",
    security: BEARER,
    request: { body: jsonBody(subscriptionBody) },
    responses: {
      201: json(z.object({ endpoint: z.string() }), "Saved"),
      ...errors(400, 401, 413),
    },
  });
  registry.registerPath({
    method: "delete",
    path: "/api/push/subscriptions",
    summary: "Forget one of the caller's push subscriptions",
    security: BEARER,
    request: { body: jsonBody(endpointBody) },
    responses: {
      204: { description: "Forgotten" },
      ...errors(400, 401, 404, 413),
    },
  });
}
