import { type Context, Hono } from "hono";
import { serveStatic } from "hono/deno";
import { secureHeaders } from "hono/secure-headers";
import { z } from "zod";
import { findReadableRoom, roomRefusal } from "./access.ts";
import { isLoopback } from "./addresses.ts";
import { storageProblem } from "./disk_errors.ts";
import { clientInfo, remoteAddressOf } from "./http/client_info.ts";
import { httpError, httpFailure } from "./http/errors.ts";
import {
  clearSessionCookie,
  sessionCookie,
  setSessionCookie,
} from "./http/session_cookie.ts";
import { log } from "./log.ts";
import type { ChatNode } from "./node.ts";
import { fail, type Failure, isFailure } from "./protocol/errors.ts";
import { passwordLoginData } from "./protocol/schemas.ts";
import { limitBody } from "./routes/body_limit.ts";
import { fileRoutes, requestReader } from "./routes/files.ts";
import { serveStaticFiles, type StaticFiles } from "./static_files.ts";
import type { Account } from "./store/mod.ts";
import type { WebSocketEndpoint } from "./websocket.ts";

const logger = log("http");

/** What the HTTP app is assembled from. */
export interface AppParts {
  node: ChatNode;
  websocket: WebSocketEndpoint;
  /** Folder of the web client. */
  staticDir: string;
  /** The web client held in memory (one-file builds); then the folder is unused. */
  staticFiles?: StaticFiles;
  /** Lifetime of a session cookie, in seconds. */
  sessionSeconds: number;
  /** Largest upload, in bytes. */
  maxFileBytes: number;
  /** Take the client's address and scheme from X-Forwarded-* headers. */
  trustProxy: boolean;
}

const historyQuery = z.object({
  before_seq: z.coerce.number().int().min(0).optional(),
  after_seq: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
});

async function credentials(
  c: Context,
): Promise<{ username: string; password: string } | Failure> {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    return fail("invalid_json", "The body is not JSON.");
  }
  const parsed = passwordLoginData.safeParse(body);
  return parsed.success
    ? parsed.data
    : fail("invalid_message", 'Send {"username", "password"} as JSON.');
}

function describe(account: Account): { username: string; role: string } {
  return { username: account.username, role: account.role };
}

/** The HTTP side, top to bottom: headers, health, metrics, API, WebSocket, client. */
export function createApp(parts: AppParts): Hono {
  const { node, websocket, sessionSeconds } = parts;
  const app = new Hono();
  app.use(clientInfo(parts.trustProxy));

  const pageHeaders = secureHeaders({
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
  });
  // Shared files carry a stricter policy of their own (routes/files.ts).
  const fileHeaders = secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      sandbox: [],
      frameAncestors: ["'none'"],
    },
    referrerPolicy: "same-origin",
    crossOriginEmbedderPolicy: false,
    crossOriginResourcePolicy: "same-origin",
  });
  app.use((c, next) =>
    c.req.path.startsWith("/files/")
      ? fileHeaders(c, next)
      : pageHeaders(c, next)
  );

  // 503 when the store is down (nothing can be sent); 200 "degraded" when
  // only Redis is, since the node still serves its own members.
  app.get("/healthz", async (c) => {
    try {
      await node.store.ping();
    } catch (error) {
      logger.error("Health check failed: {error}", { error });
      // A full or read-only disk says so: it is the operator's to fix.
      const storage = storageProblem(error);
      return c.json(
        storage
          ? { status: "unavailable", store: "down", storage }
          : { status: "unavailable", store: "down" },
        503,
      );
    }
    if (!node.broker.healthy() || !node.presence.healthy()) {
      return c.json({ status: "degraded", store: "ok", redis: "down" });
    }
    return c.json({ status: "ok" });
  });

  app.get("/metrics", (c) => {
    const body = node.metrics.render({
      connections: websocket.openSockets,
      users: node.registry.userCount,
      rooms: node.registry.roomCount,
      appendCommits: node.store.appendCommits,
    });
    return c.text(body, 200, {
      "content-type": "text/plain; version=0.0.4; charset=utf-8",
    });
  });

  const smallBodies = limitBody(
    64 * 1024,
    (c) =>
      httpError(c, "invalid_message", "The request body is over 64 KiB.", {
        status: 413,
      }),
  );
  // Uploads have their own, larger limit (routes/files.ts).
  app.use(
    "/api/*",
    (c, next) => c.req.path === "/api/files" ? next() : smallBodies(c, next),
  );

  app.route("/", fileRoutes(node, parts.maxFileBytes));

  // Accounts over HTTP, for the web client: the session lives in an
  // HttpOnly cookie that the WebSocket upgrade accepts.
  app.post("/api/register", async (c) => {
    const body = await credentials(c);
    if (isFailure(body)) return httpFailure(c, body);
    const result = await node.accounts.register(
      body.username,
      body.password,
      remoteAddressOf(c),
    );
    if (isFailure(result)) return httpFailure(c, result);
    setSessionCookie(c, result.token, sessionSeconds);
    return c.json(describe(result.account), 201);
  });

  app.post("/api/login", async (c) => {
    const body = await credentials(c);
    if (isFailure(body)) return httpFailure(c, body);
    const result = await node.accounts.authenticate(
      body.username,
      body.password,
      remoteAddressOf(c),
    );
    if (isFailure(result)) return httpFailure(c, result);
    setSessionCookie(c, result.token, sessionSeconds);
    return c.json(describe(result.account));
  });

  app.post("/api/logout", async (c) => {
    const token = sessionCookie(c);
    if (token !== undefined) await node.accounts.logout(token);
    clearSessionCookie(c);
    return c.body(null, 204);
  });

  app.get("/api/session", async (c) => {
    const token = sessionCookie(c);
    const account = token === undefined
      ? undefined
      : await node.accounts.resume(token);
    if (!account || isFailure(account)) {
      return httpError(c, "bad_credentials", "Not logged in.");
    }
    return c.json(describe(account));
  });

  app.get("/api/rooms", async (c) => {
    // A session (cookie or bearer token) shows the account's private rooms
    // too; a banned account's session reads as no session here.
    const reader = await requestReader(c, node);
    const account = isFailure(reader) ? undefined : reader.userKey;
    return c.json({ rooms: await node.roomSummaries(account) });
  });

  app.get("/api/rooms/:room/messages", async (c) => {
    // The same per-address budget as the WebSocket `history` action.
    const address = remoteAddressOf(c);
    const wait = isLoopback(address)
      ? 0
      : node.addressLimits.take(address, "history");
    if (wait > 0) {
      c.header("retry-after", String(Math.ceil(wait / 1000)));
      return httpError(
        c,
        "rate_limited",
        `Slow down: try again in ${(wait / 1000).toFixed(1)} s.`,
        { details: { retry_after_ms: wait } },
      );
    }
    const reader = await requestReader(c, node);
    if (isFailure(reader)) return httpFailure(c, reader);
    const key = await findReadableRoom(node, reader, c.req.param("room"));
    if (key === undefined) {
      return httpError(
        c,
        "room_not_found",
        `No room named '${c.req.param("room")}'.`,
      );
    }
    // Public, except to those banned from the room or the server.
    const banned = await roomRefusal(node.store, reader, key);
    if (banned) return httpFailure(c, banned);
    const query = historyQuery.safeParse(c.req.query());
    if (!query.success) {
      return httpError(
        c,
        "invalid_message",
        "before_seq and after_seq are whole numbers; limit is 1 to 200.",
      );
    }
    const messages = await node.store.history(key, {
      beforeSeq: query.data.before_seq,
      afterSeq: query.data.after_seq,
      limit: query.data.limit,
    });
    return c.json({ room: node.registry.roomName(key), messages });
  });

  app.get("/ws", websocket.handler);

  app.use(
    "/*",
    parts.staticFiles
      ? serveStaticFiles(parts.staticFiles)
      : serveStatic({ root: parts.staticDir }),
  );

  app.notFound((c) => httpError(c, "not_found", "No such page."));
  app.onError((error, c) => {
    logger.error("Crash serving {path}: {error}", { path: c.req.path, error });
    return httpError(c, "internal", "The server failed.");
  });
  return app;
}
