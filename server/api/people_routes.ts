/**
 * `GET /api/people`: the user directory over HTTP, the WebSocket's
 * `find_people` run as the caller, so what it finds, its limits and its
 * error codes are the same whichever way the request came.
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { findPeople } from "../handlers/people.ts";
import type { ChatNode } from "../node.ts";
import { findPeopleData } from "../protocol/schemas.ts";
import { answerAsCaller, type ApiLimits } from "./caller.ts";
import { BEARER, errors, json } from "./openapi.ts";

const peopleQuery = z.object({
  q: findPeopleData.shape.query,
  limit: z.coerce.number().min(1).max(20).int().optional(),
});

const peopleReply = z.object({
  people: z.array(z.object({
    username: z.string(),
    /** Connected now, on any node. */
    online: z.boolean(),
    /** Its profile picture's version (GET /avatars/{name}?v=), when it has one. */
    avatar: z.string().optional(),
  })),
}).openapi("People");

/** Registers `GET /api/people` on the API. */
export function peopleRoutes(
  api: OpenAPIHono,
  node: ChatNode,
  limits: ApiLimits,
): void {
  api.openapi(
    createRoute({
      method: "get",
      path: "/api/people",
      summary: "Find accounts by the start of their name",
      description:
        "As the WebSocket `find_people`: accounts whose name starts with `q` (compared as names are, a leading `@` ignored) that share a room with the caller or belong to a public room, the caller and accounts banned from the server left out; online ones first (among all the matches), then by name; at most `limit` (default and most 20). Limited with the user's WebSocket `find_people`.",
      security: BEARER,
      request: { query: peopleQuery },
      responses: {
        200: json(peopleReply, "The people found"),
        ...errors(400, 401, 403, 429),
      },
    }),
    (c) => {
      const { q, limit } = c.req.valid("query");
      return answerAsCaller(
        c,
        node,
        limits,
        "people",
        (ctx) => findPeople(ctx, { query: q, limit }),
      );
    },
  );
}
