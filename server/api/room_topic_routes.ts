/**
 * A room's topic over HTTP, for bots: `PUT /api/rooms/{room}/topic` runs
 * the WebSocket's `set_topic` as the caller, so who may set it, the rule,
 * the limits, the error codes and the notice the room hears are the same
 * whichever way the request came. The topic is read in `GET /api/rooms`.
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { setTopic } from "../handlers/topics.ts";
import type { ChatNode } from "../node.ts";
import { lookup, setTopicData } from "../protocol/schemas.ts";
import { answerAsCaller, type ApiLimits } from "./caller.ts";
import { BEARER, errors, json, jsonBody } from "./openapi.ts";

// Checked by the handler, which answers a wrong name as over the WebSocket.
const roomParam = z.object({ room: lookup(0, 4096) });

const topicBody = z.object({ topic: setTopicData.shape.topic })
  .openapi("SetTopic");

const topicReply = z.object({
  room: z.string(),
  /** The topic as stored (trimmed); absent: none. */
  topic: z.string().optional(),
}).openapi("RoomTopic");

/** Registers the route of a room's topic on the API. */
export function roomTopicRoutes(
  api: OpenAPIHono,
  node: ChatNode,
  limits: ApiLimits,
): void {
  api.openapi(
    createRoute({
      method: "put",
      path: "/api/rooms/{room}/topic",
      summary: "Set a room's topic",
      description:
        'As the WebSocket `set_topic` `{"room","topic"}`: one line of at most 250 characters, trimmed; `""` clears it. A public room\'s members may set it, a private room\'s owner, moderators and admins anywhere they belong (`general`: them only); others get 403 `forbidden`, a bad topic 400 `invalid_message`. The room hears a `system` `topic` notice and every room list shows it.',
      security: BEARER,
      request: { params: roomParam, body: jsonBody(topicBody) },
      responses: {
        200: json(topicReply, "The room's topic"),
        ...errors(400, 401, 403, 404, 413, 415, 429),
      },
    }),
    (c) => {
      const { room } = c.req.valid("param");
      const { topic } = c.req.valid("json");
      return answerAsCaller(
        c,
        node,
        limits,
        "room",
        (ctx) => setTopic(ctx, { room, topic }),
      );
    },
  );
}
