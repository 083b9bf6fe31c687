import { Hono } from "hono";
import { serveStatic } from "hono/deno";
import { secureHeaders } from "hono/secure-headers";
import { z } from "zod";
import { log } from "./log.ts";
import type { ChatNode } from "./node.ts";
import type { WebSocketEndpoint } from "./websocket.ts";

const logger = log("http");

/** What the HTTP app is assembled from. */
export interface AppParts {
  node: ChatNode;
  websocket: WebSocketEndpoint;
  /** Folder of the web client. */
  staticDir: string;
}

const historyQuery = z.object({
  before_seq: z.coerce.number().int().min(0).optional(),
  after_seq: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
});

/** The HTTP side, top to bottom: headers, health, metrics, API, WebSocket, client. */
export function createApp(parts: AppParts): Hono {
  const { node, websocket } = parts;
  const app = new Hono();

  app.use(secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", "data:", "blob:"],
      connectSrc: ["'self'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'self'"],
    },
    referrerPolicy: "same-origin",
    crossOriginEmbedderPolicy: false,
  }));

  app.get("/healthz", async (c) => {
    try {
      await node.store.ping();
      return c.json({ status: "ok" });
    } catch (error) {
      logger.error("Health check failed: {error}", { error });
      return c.json({ status: "unavailable", reason: "store" }, 503);
    }
  });

  app.get("/metrics", (c) => {
    const body = node.metrics.render({
      connections: websocket.openSockets,
      users: node.registry.userCount,
      rooms: node.registry.roomCount,
    });
    return c.text(body, 200, {
      "content-type": "text/plain; version=0.0.4; charset=utf-8",
    });
  });

  app.get("/api/rooms", (c) => c.json({ rooms: node.registry.summaries() }));

  app.get("/api/rooms/:room/messages", async (c) => {
    const key = node.findRoom(c.req.param("room"));
    if (key === undefined) {
      return c.json({
        error: "room_not_found",
        message: `No room named '${c.req.param("room")}'.`,
      }, 404);
    }
    const query = historyQuery.safeParse(c.req.query());
    if (!query.success) {
      return c.json({
        error: "invalid_message",
        message:
          "before_seq and after_seq are whole numbers; limit is 1 to 200.",
      }, 400);
    }
    const messages = await node.store.history(key, {
      beforeSeq: query.data.before_seq,
      afterSeq: query.data.after_seq,
      limit: query.data.limit,
    });
    return c.json({ room: node.registry.roomName(key), messages });
  });

  app.get("/ws", websocket.handler);

  app.use("/*", serveStatic({ root: parts.staticDir }));

  app.notFound((c) =>
    c.json({ error: "not_found", message: "No such page." }, 404)
  );
  app.onError((error, c) => {
    logger.error("Crash serving {path}: {error}", { path: c.req.path, error });
    return c.json({ error: "internal", message: "The server failed." }, 500);
  });
  return app;
}
