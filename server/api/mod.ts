/**
 * The REST API for programs and bots: one OpenAPIHono app whose routes are
 * declared with the zod schemas that validate them, so the OpenAPI 3.1
 * document at `/api/openapi.json` is produced from the code and cannot
 * drift from it. Tokens travel as `Authorization: Bearer <token>`; the web
 * client's cookie works too, from its own pages (see caller.ts).
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { httpError } from "../http/errors.ts";
import { refuseWrongBearer } from "../http/wrong_bearer.ts";
import type { ChatNode } from "../node.ts";
import { describeIssue } from "../protocol/schemas.ts";
import { VERSION } from "../version.ts";
import { accountRoutes } from "./account_routes.ts";
import { botHookRoutes } from "./bot_hook_routes.ts";
import { conversationRoutes } from "./conversation_routes.ts";
import { draftRoutes } from "./draft_routes.ts";
import { threadRoutes } from "./thread_routes.ts";
import { scheduledRoutes } from "./scheduled_routes.ts";
import { savedRoutes } from "./saved_routes.ts";
import { mentionRoutes } from "./mention_routes.ts";
import { threadListRoutes } from "./thread_list_routes.ts";
import { apiLimitsOf } from "./caller.ts";
import { hookRoutes } from "./hook_routes.ts";
import { ignoreRoutes } from "./ignore_routes.ts";
import { notifyLevelRoutes } from "./notify_level_routes.ts";
import { doNotDisturbRoutes } from "./do_not_disturb_routes.ts";
import { statusRoutes } from "./status_routes.ts";
import { messageChangeRoutes } from "./message_change_routes.ts";
import { messageRoutes } from "./message_routes.ts";
import { roomMemberRoutes } from "./room_member_routes.ts";
import { roomTopicRoutes } from "./room_topic_routes.ts";
import { peopleRoutes } from "./people_routes.ts";
import { documentPlainRoutes } from "./plain_routes.ts";
import { searchRoutes } from "./search_routes.ts";

/** Where the OpenAPI document is served. */
export const OPENAPI_PATH = "/api/openapi.json";

/** The REST API's routes and their OpenAPI document. */
export function apiRoutes(node: ChatNode): OpenAPIHono {
  const api = new OpenAPIHono({
    // Invalid input is answered as the WebSocket answers it.
    defaultHook: (result, c) => {
      if (!result.success) {
        return httpError(c, "invalid_message", describeIssue(result.error));
      }
    },
  });
  // A wrong, expired or revoked bearer token is refused before anything
  // else (http/wrong_bearer.ts).
  api.use("/api/*", refuseWrongBearer(node));
  const limits = apiLimitsOf(node);
  accountRoutes(api, node, limits);
  botHookRoutes(api, node, limits);
  messageRoutes(api, node, limits);
  messageChangeRoutes(api, node, limits);
  roomMemberRoutes(api, node, limits);
  roomTopicRoutes(api, node, limits);
  ignoreRoutes(api, node, limits);
  draftRoutes(api, node, limits);
  savedRoutes(api, node, limits);
  scheduledRoutes(api, node, limits);
  mentionRoutes(api, node, limits);
  threadListRoutes(api, node, limits);
  threadRoutes(api, node, limits);
  notifyLevelRoutes(api, node, limits);
  doNotDisturbRoutes(api, node, limits);
  statusRoutes(api, node, limits);
  searchRoutes(api, node);
  peopleRoutes(api, node, limits);
  conversationRoutes(api, node);
  hookRoutes(api, node, limits, { perHook: node.limits.perHook });
  documentPlainRoutes(api);
  api.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description:
      "A personal access token (`POST /api/tokens`, or a bot's from an admin) or a login session's token.",
  });
  // Built at its first request, then served as that text: it cannot
  // change while the process runs. `doc31` built it again for every
  // request, about 7 ms of CPU each (a room list takes 0.6), for anyone,
  // without a limit: four connections asking for it kept a core busy.
  let document: string | undefined;
  api.get(OPENAPI_PATH, (c) => {
    document ??= JSON.stringify(api.getOpenAPI31Document({
      openapi: "3.1.0",
      info: {
        title: "chat-server REST API",
        version: VERSION,
        description:
          'Rooms, messages, tokens, bots, incoming and outgoing webhooks, Web Push. Errors are `{"error", "message"}` with the codes of docs/protocol.md.',
      },
    }));
    return c.body(document, 200, { "content-type": "application/json" });
  });
  return api;
}
