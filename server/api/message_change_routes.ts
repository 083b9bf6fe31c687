/**
 * Changing a message over HTTP, by its id: edit, delete, react, pin. Each
 * runs the WebSocket's own handler (`edit_message`, `delete_message`,
 * `react`, `pin`) as the caller, so the rules, limits, error codes and the
 * `message_updated` events everyone else gets are the same; the answer is
 * the message as it now is. An id names a room message or a private one
 * alike, as over the WebSocket.
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { z } from "zod";
import type { MemberContext } from "../handlers/context.ts";
import { deleteMessage, editMessage } from "../handlers/message_updates.ts";
import { pin } from "../handlers/pins.ts";
import { react } from "../handlers/reactions.ts";
import type { ChatNode } from "../node.ts";
import type { Outcome } from "../protocol/errors.ts";
import {
  editMessageData,
  lookup,
  pinData,
  reactData,
} from "../protocol/schemas.ts";
import type { RateCategory } from "../rate_limit.ts";
import { answerAsCaller, type ApiLimits } from "./caller.ts";
import { BEARER, errors, json, jsonBody } from "./openapi.ts";
import { messageReply } from "./schemas.ts";

// Checked by the handler (`lookup(1, 64)`), which answers a wrong id as it
// answers it over the WebSocket.
const idParam = z.object({ id: lookup(0, 4096) });

const editBody = editMessageData.omit({ id: true }).openapi("EditMessage");
const reactBody = reactData.omit({ id: true }).openapi("React");
const pinBody = pinData.omit({ id: true }).openapi("Pin");

/** Registers the routes that change a message on the API. */
export function messageChangeRoutes(
  api: OpenAPIHono,
  node: ChatNode,
  limits: ApiLimits,
): void {
  const change = (
    c: Context,
    category: RateCategory,
    handler: (ctx: MemberContext) => Promise<Outcome>,
  ) => answerAsCaller(c, node, limits, category, handler);

  const changed = json(messageReply, "The message as it now is");

  api.openapi(
    createRoute({
      method: "patch",
      path: "/api/messages/{id}",
      summary: "Edit one of the caller's messages",
      description:
        "As the WebSocket `edit_message`: the author's own messages only (403 `forbidden` for another's, or once the author may no longer write in its room); an unknown or deleted id is 400 `invalid_message`, as over the WebSocket. Everyone who sees the message gets `message_updated`.",
      security: BEARER,
      request: { params: idParam, body: jsonBody(editBody) },
      responses: {
        200: changed,
        ...errors(400, 401, 403, 413, 415, 429),
      },
    }),
    (c) => {
      const { id } = c.req.valid("param");
      const body = c.req.valid("json");
      return change(c, "message", (ctx) => editMessage(ctx, { ...body, id }));
    },
  );

  api.openapi(
    createRoute({
      method: "delete",
      path: "/api/messages/{id}",
      summary: "Delete a message",
      description:
        "As the WebSocket `delete_message`: the author's own, or (moderators and admins) anyone's in a room below their rank; an unknown or deleted id is 400 `invalid_message`. Answers the message as it now is (`deleted`, its text gone).",
      security: BEARER,
      request: { params: idParam },
      responses: {
        200: changed,
        ...errors(400, 401, 403, 413, 429),
      },
    }),
    (c) => {
      const { id } = c.req.valid("param");
      return change(c, "message", (ctx) => deleteMessage(ctx, { id }));
    },
  );

  api.openapi(
    createRoute({
      method: "post",
      path: "/api/messages/{id}/reactions",
      summary: "Add or take back the caller's reaction to a message",
      description:
        "As the WebSocket `react`: `emoji` is one emoji or a `:name:` of the built-in set; `on: false` takes it back. Reacting twice, or taking back what is not there, changes nothing. 404 `message_not_found` for a message the caller may not read. Limited with the user's WebSocket reactions.",
      security: BEARER,
      request: { params: idParam, body: jsonBody(reactBody) },
      responses: {
        200: changed,
        ...errors(400, 401, 403, 404, 413, 415, 429),
      },
    }),
    (c) => {
      const { id } = c.req.valid("param");
      const body = c.req.valid("json");
      return change(c, "reaction", (ctx) => react(ctx, { ...body, id }));
    },
  );

  api.openapi(
    createRoute({
      method: "post",
      path: "/api/messages/{id}/pin",
      summary: "Pin or unpin a message",
      description:
        "As the WebSocket `pin`: in a room, moderators, admins and the room's owner may (else 403 `forbidden`); in a private conversation, either side. `on: false` unpins. 404 `message_not_found` for a message the caller may not read.",
      security: BEARER,
      request: { params: idParam, body: jsonBody(pinBody) },
      responses: {
        200: changed,
        ...errors(400, 401, 403, 404, 413, 415, 429),
      },
    }),
    (c) => {
      const { id } = c.req.valid("param");
      const body = c.req.valid("json");
      return change(c, "message", (ctx) => pin(ctx, { ...body, id }));
    },
  );
}
