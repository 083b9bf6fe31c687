/**
 * A room's members and the caller's read state in it over HTTP, for bots:
 * `GET /api/rooms/{room}/members` runs the WebSocket's `list_users` (who
 * is online), `GET /api/rooms/{room}/accounts` its `list_members` (the
 * accounts that belong to the room, online or not, by prefix) and
 * `POST /api/rooms/{room}/read` its `mark_read` (`/unread` its
 * `mark_unread`), as the caller, so who may
 * ask, the limits, the error codes and the `read_state` events the
 * account's sockets get are the same whichever way the request came.
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { z } from "zod";
import type { MemberContext } from "../handlers/context.ts";
import { markRead, markUnread } from "../handlers/read_state.ts";
import { listMembers, listUsers } from "../handlers/rooms.ts";
import type { ChatNode } from "../node.ts";
import type { Outcome } from "../protocol/errors.ts";
import { listMembersData, lookup, seq } from "../protocol/schemas.ts";
import type { RateCategory } from "../rate_limit.ts";
import { answerAsCaller, type ApiLimits } from "./caller.ts";
import { BEARER, errors, json, jsonBody } from "./openapi.ts";

// Checked by the handlers, which answer a wrong name as over the WebSocket.
const roomParam = z.object({ room: lookup(0, 4096) });

// A second route rather than a flag on `/members`, whose reply a client
// already reads as `users`: each route keeps one reply shape.
const accountsQuery = z.object({ prefix: listMembersData.shape.prefix });

const readBody = z.object({ seq }).openapi("MarkRead");

const unreadBody = z.object({ seq }).openapi("MarkUnread");

const membersReply = z.object({
  room: z.string(),
  /** Distinct users online in it, sorted. */
  users: z.array(z.string()),
  /** The room's owner (name key), when it has one. */
  owner: z.string().optional(),
  /**
   * The profile picture's version of each listed user that has one, by
   * name (GET /avatars/{name}?v=); absent when none has.
   */
  avatars: z.record(z.string(), z.string()).optional(),
}).openapi("RoomMembers");

const accountsReply = z.object({
  room: z.string(),
  /** Account names, online or not, sorted by name key; at most 20. */
  members: z.array(z.string()),
}).openapi("RoomAccounts");

const readReply = z.object({
  room: z.string(),
  last_read_seq: z.number().int(),
  unread: z.number().int(),
  mentions: z.number().int(),
}).openapi("ReadState");

/** Registers the routes of a room's members and read state on the API. */
export function roomMemberRoutes(
  api: OpenAPIHono,
  node: ChatNode,
  limits: ApiLimits,
): void {
  const answer = (
    c: Context,
    category: RateCategory,
    handler: (ctx: MemberContext) => Promise<Outcome>,
  ) => answerAsCaller(c, node, limits, category, handler);

  api.openapi(
    createRoute({
      method: "get",
      path: "/api/rooms/{room}/members",
      summary: "The distinct users online in a room, and its owner",
      description:
        "As the WebSocket `list_users`: `users` sorted, `owner` when the room has one, `avatars` the picture versions of those who have one. A private room the caller does not belong to is 404 `room_not_found`, as one that does not exist. Limited with the account's `list_users`.",
      security: BEARER,
      request: { params: roomParam },
      responses: {
        200: json(membersReply, "The room's users"),
        ...errors(400, 401, 403, 404, 429),
      },
    }),
    (c) => {
      const { room } = c.req.valid("param");
      // A token per KiB past the first, as list_users on a socket: a list
      // of 2,000 names is 15 KB.
      return answerAsCaller(
        c,
        node,
        limits,
        "users",
        (ctx) => listUsers(ctx, { room }),
        { perKiB: true },
      );
    },
  );

  api.openapi(
    createRoute({
      method: "get",
      path: "/api/rooms/{room}/accounts",
      summary:
        "The accounts of a room, online or not, that start with a prefix",
      description:
        "As the WebSocket `list_members`: at most 20 account names that belong to the room and start with `prefix` (compared as names are: `BO` finds `bob`; none: any name), sorted by name key. `general` lists every account. A private room the caller does not belong to is 404 `room_not_found`, as one that does not exist.",
      security: BEARER,
      request: { params: roomParam, query: accountsQuery },
      responses: {
        200: json(accountsReply, "The room's accounts"),
        ...errors(400, 401, 403, 404, 429),
      },
    }),
    (c) => {
      const { room } = c.req.valid("param");
      const { prefix } = c.req.valid("query");
      return answer(c, "people", (ctx) => listMembers(ctx, { room, prefix }));
    },
  );

  api.openapi(
    createRoute({
      method: "post",
      path: "/api/rooms/{room}/read",
      summary: "Mark a room read up to a seq",
      description:
        'As the WebSocket `mark_read` `{"room","seq"}`: the position only moves forward and stops at the newest message; the answer is the account\'s read state after. A room the account does not belong to is 404 `room_not_found`. The account\'s sockets get `read_state` when the position moved. Limited with the user\'s WebSocket `mark_read`.',
      security: BEARER,
      request: { params: roomParam, body: jsonBody(readBody) },
      responses: {
        200: json(readReply, "The read state"),
        ...errors(400, 401, 403, 404, 413, 415, 429),
      },
    }),
    (c) => {
      const { room } = c.req.valid("param");
      const { seq } = c.req.valid("json");
      return answer(c, "read", (ctx) => markRead(ctx, { room, seq }));
    },
  );

  api.openapi(
    createRoute({
      method: "post",
      path: "/api/rooms/{room}/unread",
      summary: "Mark a room unread from a message (its seq) on",
      description:
        'As the WebSocket `mark_unread` `{"room","seq"}`: the message `seq` and the later ones are unread again, the position moving back to `seq - 1`, never forward; the answer is the account\'s read state after. A room the account does not belong to is 404 `room_not_found`. The account\'s sockets get `read_state` when the position moved. Limited with the user\'s WebSocket `mark_read`.',
      security: BEARER,
      request: { params: roomParam, body: jsonBody(unreadBody) },
      responses: {
        200: json(readReply, "The read state"),
        ...errors(400, 401, 403, 404, 413, 415, 429),
      },
    }),
    (c) => {
      const { room } = c.req.valid("param");
      const { seq } = c.req.valid("json");
      return answer(c, "read", (ctx) => markUnread(ctx, { room, seq }));
    },
  );
}
