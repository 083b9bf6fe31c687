/**
 * Rooms and messages over HTTP: the room list, a room's history, and
 * sending to a room or to a person. Sends run the WebSocket's own
 * handlers (`send_message`, `private_message`), so the rules, limits and
 * error codes are the same; a `client_id` makes a retry safe.
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { findReadableRoom, roomRefusal } from "../access.ts";
import type { MemberContext } from "../handlers/context.ts";
import { history, sendMessage } from "../handlers/messages.ts";
import { privateMessage } from "../handlers/private.ts";
import { remoteAddressOf } from "../http/client_info.ts";
import type { ChatNode } from "../node.ts";
import { fail, isFailure, type Outcome } from "../protocol/errors.ts";
import { lookup, sendMessageData } from "../protocol/schemas.ts";
import { readRoomPage } from "../room_history.ts";
import { hereMentioned } from "../room_mentions.ts";
import { requestReader } from "../routes/files.ts";
import { type ApiCaller, type ApiLimits, sendAsCaller } from "./caller.ts";
import { BEARER, errors, json, jsonBody, refuse } from "./openapi.ts";
import { pageBudget } from "./page_answer.ts";
import {
  conversationHistoryQuery,
  conversationHistoryReply,
  historyQuery,
  historyReply,
  messageReply,
  privateBody,
  roomsReply,
} from "./schemas.ts";

const roomParam = z.object({ room: lookup(0, 4096) });
const userParam = z.object({ user: lookup(0, 4096) });

/** Registers the room and message routes on the API. */
export function messageRoutes(
  api: OpenAPIHono,
  node: ChatNode,
  limits: ApiLimits,
): void {
  // A send's answer: 201 with the message stored now, 200 with the one a
  // repeated client_id stored before (no `after`: nothing to publish).
  function sent(
    c: Parameters<typeof refuse>[0],
    outcome: Outcome,
  ): never {
    if (!outcome.ok) return refuse(c, outcome);
    outcome.after?.();
    // The handlers' data is untyped: tests/openapi_test.ts checks it.
    return c.json(outcome.data, outcome.after ? 201 : 200) as never;
  }

  api.openapi(
    createRoute({
      method: "get",
      path: "/api/rooms",
      summary: "The rooms the caller may see, with their user counts",
      description:
        "Without a token, the public rooms; with one, the account's private rooms too.",
      security: [...BEARER, {}],
      responses: {
        200: json(roomsReply, "The rooms"),
        ...errors(401, 403),
      },
    }),
    async (c) => {
      // A banned account's session reads as no session here.
      const reader = await requestReader(c, node);
      const account = isFailure(reader) ? undefined : reader.userKey;
      return c.json({ rooms: await node.roomSummaries(account) }, 200);
    },
  );

  api.openapi(
    createRoute({
      method: "get",
      path: "/api/rooms/{room}/messages",
      summary: "A page of a room's history, oldest first",
      description:
        "Public rooms to anyone not banned from them; private rooms to their members. Pages are limited per address, with the WebSocket's `history`. With `epoch`, a room created again since (or a restored database) answers 409 `stale_epoch`.",
      security: [...BEARER, {}],
      request: { params: roomParam, query: historyQuery },
      responses: {
        200: json(historyReply, "The page"),
        ...errors(400, 401, 403, 404, 409, 429),
      },
    }),
    async (c) => {
      // The same per-address budget as the WebSocket `history` action,
      // by the page's size (server/page_budget.ts).
      const query = c.req.valid("query");
      const budget = pageBudget(node, remoteAddressOf(c));
      if (isFailure(budget)) return refuse(c, budget);
      const reader = await requestReader(c, node);
      if (isFailure(reader)) return refuse(c, reader);
      const { room } = c.req.valid("param");
      const key = await findReadableRoom(node, reader, room);
      if (key === undefined) {
        return refuse(c, fail("room_not_found", `No room named '${room}'.`));
      }
      // Public, except to those banned from the room or the server.
      const banned = await roomRefusal(node.store, reader, key);
      if (banned) return refuse(c, banned);
      const page = await readRoomPage(node, key, {
        beforeSeq: query.before_seq,
        afterSeq: query.after_seq,
        aroundSeq: query.around_seq,
        limit: query.limit,
        epoch: query.epoch,
      });
      if (isFailure(page)) return refuse(c, page);
      // Undefined (no `@here` that pinged) leaves the field out of the JSON.
      const here_mentioned = await hereMentioned(
        node,
        reader,
        key,
        page.messages,
      );
      // Written as text to be measured: tests/openapi_test.ts checks it.
      return budget.answer(c, { ...page, here_mentioned }) as never;
    },
  );

  api.openapi(
    createRoute({
      method: "post",
      path: "/api/rooms/{room}/messages",
      summary: "Send a message to a room",
      description:
        "As the WebSocket `send_message`: `text`, optional `client_id` (a retry with the same one answers 200 with the first message) and `attachments` (URLs of files the caller uploaded).",
      security: BEARER,
      request: { params: roomParam, body: jsonBody(sendMessageData) },
      responses: {
        201: json(messageReply, "Stored and sent"),
        200: json(messageReply, "A retry: the message first stored"),
        ...errors(400, 401, 403, 404, 413, 415, 429),
      },
    }),
    async (c) => {
      const { room } = c.req.valid("param");
      const body = c.req.valid("json");
      // No ban read here: the append checks the caller's bans as it inserts
      // and refuses a new message with `banned`, while the retry of one
      // stored before the ban gets that first copy, as any retry does.
      const check = async (caller: ApiCaller) =>
        await findReadableRoom(node, caller.reader, room) ??
          fail("room_not_found", `No room named '${room}'.`);
      const send = async (ctx: MemberContext) =>
        messageOnly(await sendMessage(ctx, body));
      return sent(c, await sendAsCaller(c, node, limits, check, send));
    },
  );

  api.openapi(
    createRoute({
      method: "get",
      path: "/api/private/{user}/messages",
      summary:
        "A page of the caller's private conversation with a user, oldest first",
      description:
        "As the WebSocket `history` with `with`: the same `before_seq`, `after_seq`, `around_seq` and `limit` as a room's history; only what was said since the name became the caller's account. An unknown name gives an empty page. Pages are limited per address, with the WebSocket's `history`.",
      security: BEARER,
      request: { params: userParam, query: conversationHistoryQuery },
      responses: {
        200: json(conversationHistoryReply, "The page"),
        ...errors(400, 401, 403, 429),
      },
    }),
    async (c) => {
      // The same per-address budget as the WebSocket `history` action,
      // by the page's size (server/page_budget.ts).
      const query = c.req.valid("query");
      const budget = pageBudget(node, remoteAddressOf(c));
      if (isFailure(budget)) return refuse(c, budget);
      const data = { ...query, with: c.req.valid("param").user };
      // A read, run as a send is (sendAsCaller) to be the WebSocket's own
      // handler for the caller: its bucket is that of any request, and a
      // read changes nothing, so the handler never sees it as overtaken.
      const check = () => Promise.resolve("");
      const read = (ctx: MemberContext) => history(ctx, data);
      const outcome = await sendAsCaller(c, node, limits, check, read, {
        category: "request",
      });
      if (!outcome.ok) return refuse(c, outcome);
      // The handler's data is untyped: tests/openapi_test.ts checks it.
      return budget.answer(c, outcome.data) as never;
    },
  );

  api.openapi(
    createRoute({
      method: "post",
      path: "/api/private/{user}/messages",
      summary: "Send a private message",
      description:
        "As the WebSocket `private_message`: kept for an offline account until it logs in, within its mailbox limits (`mailbox_full`).",
      security: BEARER,
      request: { params: userParam, body: jsonBody(privateBody) },
      responses: {
        201: json(messageReply, "Stored and sent"),
        200: json(messageReply, "A retry: the message first stored"),
        ...errors(400, 401, 403, 404, 413, 415, 429),
      },
    }),
    async (c) => {
      const body = { ...c.req.valid("json"), to: c.req.valid("param").user };
      // The caller's own server ban is checked with its token.
      const check = () => Promise.resolve("");
      const send = (ctx: MemberContext) => privateMessage(ctx, body);
      return sent(c, await sendAsCaller(c, node, limits, check, send));
    },
  );
}

/**
 * A post's answer, MessageReply's `{message}`: without the WebSocket
 * reply's `not_members`, which a client asks about (its Invite offer) and
 * docs/protocol.md leaves out of the HTTP API's posts. The reads that
 * named them are spent only for posts that mention non-members.
 */
function messageOnly(outcome: Outcome): Outcome {
  if (!outcome.ok || !("not_members" in outcome.data)) return outcome;
  const { not_members: _named, ...data } = outcome.data;
  return { ...outcome, data };
}
