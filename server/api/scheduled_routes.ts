/**
 * Scheduled messages over HTTP: `GET /api/scheduled` runs the WebSocket's
 * `list_scheduled`, `POST /api/scheduled` its `schedule_message`, `PATCH
 * /api/scheduled/{id}` its `update_scheduled` and `DELETE
 * /api/scheduled/{id}` its `cancel_scheduled`, as the caller, so that the
 * rules, the cap, the buckets, the error codes and the events the
 * account's sockets get are the same whichever way the request came.
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import {
  cancelScheduled,
  listScheduled,
  scheduleMessage,
  updateScheduled,
} from "../handlers/scheduled.ts";
import type { ChatNode } from "../node.ts";
import {
  lookup,
  scheduleMessageData,
  updateScheduledData,
} from "../protocol/schemas.ts";
import { answerAsCaller, type ApiLimits } from "./caller.ts";
import { BEARER, errors, json, jsonBody } from "./openapi.ts";

// Checked by the handler, which answers a wrong id as over the WebSocket.
const idParam = z.object({ id: lookup(0, 4096) });

const scheduled = z.object({
  id: z.string(),
  /** The room it goes to; absent for a private message. */
  room: z.string().optional(),
  /** Whom it goes to privately; absent for a room's. */
  to: z.string().optional(),
  text: z.string(),
  attachments: z.array(z.object({ url: z.string() })).optional(),
  reply_to: z.string().optional(),
  /** When it is to be sent (ISO 8601, UTC). */
  send_at: z.string(),
  created_at: z.string(),
}).openapi("ScheduledMessage");

const scheduledReply = z.object({ scheduled }).openapi("ScheduledReply");

const scheduledList = z.object({ scheduled: z.array(scheduled) }).openapi(
  "ScheduledMessages",
);

// The protocol's fields, described here (the handler checks them again,
// with the rule that a message goes to a room or a person, not both).
const scheduleBody = z.object(scheduleMessageData.shape).openapi(
  "ScheduleMessage",
);

const updateBody = z.object({
  text: updateScheduledData.shape.text,
  send_at: updateScheduledData.shape.send_at,
  /** True: send it now (no `send_at` with it). */
  send_now: updateScheduledData.shape.send_now,
}).openapi("UpdateScheduled");

/** Registers the routes of an account's scheduled messages on the API. */
export function scheduledRoutes(
  api: OpenAPIHono,
  node: ChatNode,
  limits: ApiLimits,
): void {
  api.openapi(
    createRoute({
      method: "get",
      path: "/api/scheduled",
      summary: "The caller's scheduled messages",
      description:
        "As the WebSocket `list_scheduled`: the messages the caller wrote to be sent later, the soonest first.",
      security: BEARER,
      responses: {
        200: json(scheduledList, "The scheduled messages"),
        ...errors(401, 403, 429),
      },
    }),
    (c) =>
      answerAsCaller(
        c,
        node,
        limits,
        "request",
        (ctx) => listScheduled(ctx, {}),
      ),
  );

  api.openapi(
    createRoute({
      method: "post",
      path: "/api/scheduled",
      summary: "Schedule a message to be sent later",
      description:
        "As the WebSocket `schedule_message`: to a `room` the caller is a member of or `to` a person, with `text`, optional `attachments` and `reply_to`, at `send_at` (ISO 8601 with its offset, ahead, at most a year); checked as a send would be now, then again at its time. At most 100 an account (403 `too_many_scheduled`). Every other socket of the account gets `scheduled`. Limited with the account's messages.",
      security: BEARER,
      request: { body: jsonBody(scheduleBody) },
      responses: {
        200: json(scheduledReply, "Scheduled"),
        ...errors(400, 401, 403, 404, 413, 415, 429),
      },
    }),
    (c) =>
      answerAsCaller(
        c,
        node,
        limits,
        "message",
        (ctx) => scheduleMessage(ctx, c.req.valid("json")),
      ),
  );

  api.openapi(
    createRoute({
      method: "patch",
      path: "/api/scheduled/{id}",
      summary: "Change a scheduled message's text or time",
      description:
        "As the WebSocket `update_scheduled`: a new `text`, `send_at`, or both; 404 `scheduled_not_found` for none of the caller's, or one being sent now. Every other socket of the account gets `scheduled`. Limited with the account's `mark_read`.",
      security: BEARER,
      request: { params: idParam, body: jsonBody(updateBody) },
      responses: {
        200: json(scheduledReply, "Changed"),
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
          updateScheduled(ctx, {
            ...c.req.valid("json"),
            ...c.req.valid("param"),
          }),
      ),
  );

  api.openapi(
    createRoute({
      method: "delete",
      path: "/api/scheduled/{id}",
      summary: "Cancel a scheduled message",
      description:
        "As the WebSocket `cancel_scheduled`: 404 `scheduled_not_found` for none of the caller's, or one being sent now. Every other socket of the account gets `scheduled_cancelled`. Limited with the account's `mark_read`.",
      security: BEARER,
      request: { params: idParam },
      responses: {
        200: json(z.object({}).openapi("Cancelled"), "Cancelled"),
        ...errors(400, 401, 403, 404, 413, 429),
      },
    }),
    (c) =>
      answerAsCaller(
        c,
        node,
        limits,
        "read",
        (ctx) => cancelScheduled(ctx, c.req.valid("param")),
      ),
  );
}
