/**
 * Drafts over HTTP: `GET /api/drafts` runs the WebSocket's `list_drafts`,
 * `PUT` and `DELETE /api/rooms/{room}/draft` and
 * `/api/private/{user}/draft` its `set_draft` (a delete is an empty text),
 * as the caller, so the rules, the cap, the `draft` bucket, the error
 * codes and the `draft` events the account's sockets get are the same
 * whichever way the request came. A request is no socket of the account:
 * every socket of it hears the change.
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { z } from "zod";
import { listDrafts, setDraft } from "../handlers/drafts.ts";
import type { ChatNode } from "../node.ts";
import { lookup, setDraftData } from "../protocol/schemas.ts";
import { answerAsCaller, type ApiLimits } from "./caller.ts";
import { BEARER, errors, json, jsonBody } from "./openapi.ts";

// Checked by the handler, which answers a wrong name as over the WebSocket.
const roomParam = z.object({ room: lookup(0, 4096) });
const userParam = z.object({ user: lookup(0, 4096) });

const draftBody = z.object({ text: setDraftData.shape.text }).openapi(
  "SetDraft",
);

const draft = z.object({
  /** The room's name, for a room's draft. */
  room: z.string().optional(),
  /** The other side's name as the account wrote it, for a conversation's. */
  with: z.string().optional(),
  /** Empty when the draft is gone. */
  text: z.string(),
  updated_at: z.string(),
}).openapi("Draft");

const draftsReply = z.object({ drafts: z.array(draft) }).openapi("Drafts");

/** Where a draft is: a room, or a private conversation with a user. */
type Place = { room: string } | { with: string };

/** Registers the routes of an account's drafts on the API. */
export function draftRoutes(
  api: OpenAPIHono,
  node: ChatNode,
  limits: ApiLimits,
): void {
  const write = (c: Context, place: Place, text: string) =>
    answerAsCaller(
      c,
      node,
      limits,
      "draft",
      (ctx) => setDraft(ctx, { ...place, text }),
    );

  api.openapi(
    createRoute({
      method: "get",
      path: "/api/drafts",
      summary: "The caller's drafts",
      description:
        "As the WebSocket `list_drafts`: the newest first, each with `room` or `with`; those of rooms the caller does not belong to (left, removed, deleted) are left out. Limited with the account's `list_drafts`.",
      security: BEARER,
      responses: {
        200: json(draftsReply, "The drafts"),
        ...errors(401, 403, 429),
      },
    }),
    (c) => answerAsCaller(c, node, limits, "drafts", (ctx) => listDrafts(ctx)),
  );

  const setting = (where: string) =>
    `As the WebSocket \`set_draft\` in ${where}: replaces the draft there (an empty \`text\` deletes it), at most a message's 4000 characters (\`message_too_long\`), at most 200 drafts an account (403 \`too_many_drafts\`) of at most 200,000 characters together (403 \`drafts_too_long\`); every socket of the account gets \`draft\`. Limited with the account's \`set_draft\`.`;
  const deleting = (where: string) =>
    `As the WebSocket \`set_draft\` with an empty \`text\` in ${where}: the draft is gone (deleting none answers the same), and every socket of the account gets \`draft\` with an empty \`text\`.`;

  api.openapi(
    createRoute({
      method: "put",
      path: "/api/rooms/{room}/draft",
      summary: "Set the caller's draft in a room",
      description: setting(
        "a room the caller belongs to (otherwise 404 `room_not_found`)",
      ),
      security: BEARER,
      request: { params: roomParam, body: jsonBody(draftBody) },
      responses: {
        200: json(draft, "The draft as stored"),
        ...errors(400, 401, 403, 404, 413, 415, 429),
      },
    }),
    (c) => write(c, c.req.valid("param"), c.req.valid("json").text),
  );

  api.openapi(
    createRoute({
      method: "delete",
      path: "/api/rooms/{room}/draft",
      summary: "Delete the caller's draft in a room",
      description: deleting("a room the caller belongs to"),
      security: BEARER,
      request: { params: roomParam },
      responses: {
        200: json(draft, "The draft, gone"),
        ...errors(400, 401, 403, 404, 413, 429),
      },
    }),
    (c) => write(c, c.req.valid("param"), ""),
  );

  api.openapi(
    createRoute({
      method: "put",
      path: "/api/private/{user}/draft",
      summary: "Set the caller's draft in a private conversation",
      description: setting(
        "the caller's conversation with `user` (404 `user_not_found` when nobody has the name)",
      ),
      security: BEARER,
      request: { params: userParam, body: jsonBody(draftBody) },
      responses: {
        200: json(draft, "The draft as stored"),
        ...errors(400, 401, 403, 404, 413, 415, 429),
      },
    }),
    (c) =>
      write(c, { with: c.req.valid("param").user }, c.req.valid("json").text),
  );

  api.openapi(
    createRoute({
      method: "delete",
      path: "/api/private/{user}/draft",
      summary: "Delete the caller's draft in a private conversation",
      description: deleting("the caller's conversation with `user`"),
      security: BEARER,
      request: { params: userParam },
      responses: {
        200: json(draft, "The draft, gone"),
        ...errors(400, 401, 403, 413, 429),
      },
    }),
    (c) => write(c, { with: c.req.valid("param").user }, ""),
  );
}
