import { type Context, Hono } from "hono";
import { verifyEmailToken } from "./mail/verification.ts";
import { UNSUBSCRIBE_PATH } from "./mail/unsubscribe.ts";
import { unsubscribeRoutes } from "./mail/unsubscribe_routes.ts";
import { HTTPException } from "hono/http-exception";
import { secureHeaders } from "hono/secure-headers";
import { z } from "zod";
import { lazyApiRoutes } from "./api/lazy.ts";
import { allowedHostsOnly } from "./http/allowed_hosts.ts";
import { clientInfo, isHttps, remoteAddressOf } from "./http/client_info.ts";
import { proxyCheck } from "./http/proxy_check.ts";
import { httpError, httpFailure } from "./http/errors.ts";
import { jsonOnly } from "./http/json_only.ts";
import { loggablePath } from "./http/loggable_path.ts";
import { shallowJson } from "./http/shallow_json.ts";
import { setupPace } from "./http/setup_pace.ts";
import { sameOriginOnly } from "./http/same_origin.ts";
import { refuseWrongBearer } from "./http/wrong_bearer.ts";
import {
  clearSessionCookie,
  sessionTokenOf,
  setSessionCookie,
} from "./http/session_cookie.ts";
import type { Requester, Resumed } from "./accounts/service.ts";
import { log } from "./log.ts";
import { storeHealth } from "./store_health.ts";
import type { ChatNode } from "./node.ts";
import {
  fail,
  type Failure,
  isFailure,
  rateLimited,
} from "./protocol/errors.ts";
import {
  changePasswordData,
  emailTokenBody,
  passwordLoginData,
  passwordResetBody,
} from "./protocol/schemas.ts";
import { adminRoutes } from "./routes/admin.ts";
import { avatarRoutes } from "./routes/avatars.ts";
import { emojiRoutes } from "./routes/emoji.ts";
import { limitBody } from "./routes/body_limit.ts";
import { fileRoutes, uploadPace } from "./routes/files.ts";
import { forgotPasswordRoutes } from "./routes/forgot_password.ts";
import { outgoingHookRoutes } from "./routes/outgoing_hooks.ts";
import { pushRoutes } from "./routes/push.ts";
import {
  serveStaticFiles,
  serveStaticFolder,
  type StaticFiles,
} from "./static_files.ts";
import type { Account } from "./store/mod.ts";
import { WEBSOCKET_PATH, type WebSocketEndpoint } from "./websocket.ts";

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
  /** Take the client's address and scheme from X-Forwarded-* headers. */
  trustProxy: boolean;
  /** Origins allowed besides the server's own (`--allow-origin`). */
  allowOrigins: string[];
  /** The names this server answers to (`--allowed-host`); none: any. */
  allowedHosts: readonly string[];
  /** Fan-out and presence go through Redis (`--redis-url`): /metrics says whether it is up. */
  redis: boolean;
}

// The JSON body, checked against its schema; `shape` says what to send.
async function jsonOf<S extends z.ZodType>(
  c: Context,
  schema: S,
  shape: string,
): Promise<z.infer<S> | Failure> {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    return fail("invalid_json", "The body is not JSON.");
  }
  const parsed = schema.safeParse(body);
  return parsed.success
    ? parsed.data
    : fail("invalid_message", `Send ${shape} as JSON.`);
}

function credentials(
  c: Context,
): Promise<{ username: string; password: string } | Failure> {
  return jsonOf(c, passwordLoginData, '{"username", "password"}');
}

// The address for the throttles; the signal drops a password check still
// waiting when the client gives up.
function requester(c: Context): Requester {
  return { address: remoteAddressOf(c), signal: c.req.raw.signal };
}

function describe(account: Account): { username: string; role: string } {
  return { username: account.username, role: account.role };
}

// A custom emoji's picture (routes/emoji.ts), not the built-in names'
// `/emoji/en.json`: served with the files' policy.
const CUSTOM_EMOJI_PATH = /^\/emoji\/[a-z0-9_+-]{1,32}$/;

/** The HTTP side, top to bottom: headers, health, metrics, API, WebSocket, client. */

export function createApp(parts: AppParts): Hono {
  const { node, websocket, sessionSeconds } = parts;
  const app = new Hono();

  // HEAD is served by the GET route, and Hono then drops its body without
  // cancelling it: a file's stream (a shared file, the client's files) kept
  // its descriptor open until the garbage collector found it. A flood of
  // HEADs on a public room's file, no account needed, held 4,000 at once
  // (past a `ulimit -n` of 1,024, nothing more could be opened or
  // accepted); cancelled here, the file is closed at once.
  app.use(async (c, next) => {
    await next();
    if (c.req.method === "HEAD") await c.res.body?.cancel().catch(() => {});
  });

  // The live session of the request's cookie or bearer token, if any.
  async function sessionOf(c: Context): Promise<Resumed | undefined> {
    const token = sessionTokenOf(c);
    if (token === undefined) return undefined;
    const resumed = await node.accounts.resumeSession(token);
    return isFailure(resumed) ? undefined : resumed;
  }
  app.use(clientInfo(parts.trustProxy));
  app.use(proxyCheck(parts.trustProxy));

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
      // Not 'self' (default-src's): the page embeds no plugin content, and
      // same-origin includes what users upload.
      objectSrc: ["'none'"],
    },
    // As frame-ancestors 'none', for browsers that only know this header.
    xFrameOptions: "DENY",
    referrerPolicy: "same-origin",
    crossOriginEmbedderPolicy: false,
    strictTransportSecurity: false,
  });
  // Shared files and profile pictures carry a stricter policy of their
  // own (routes/files.ts, routes/avatars.ts, routes/emoji.ts).
  const fileHeaders = secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      sandbox: [],
      frameAncestors: ["'none'"],
    },
    xFrameOptions: "DENY",
    referrerPolicy: "same-origin",
    crossOriginEmbedderPolicy: false,
    crossOriginResourcePolicy: "same-origin",
    strictTransportSecurity: false,
  });
  app.use((c, next) =>
    c.req.path.startsWith("/files/") || c.req.path.startsWith("/avatars/") ||
      CUSTOM_EMOJI_PATH.test(c.req.path)
      ? fileHeaders(c, next)
      : pageHeaders(c, next)
  );
  // HSTS only over HTTPS (directly or behind --trust-proxy): a browser
  // ignores it over plain HTTP (RFC 6797), where it would only mislead.
  app.use(async (c, next) => {
    await next();
    if (isHttps(c)) {
      c.header(
        "Strict-Transport-Security",
        "max-age=31536000; includeSubDomains",
      );
    }
  });

  // What the API answers belongs to one account (its session, private
  // messages, search results, the admin page's accounts and audit log with
  // addresses): a browser keeps no copy on disk for whoever uses the
  // computer after a logout, and no proxy shares one. A route that means
  // to be cached says so itself.
  app.use("/api/*", async (c, next) => {
    await next();
    if (!c.res.headers.has("cache-control")) {
      c.header("Cache-Control", "no-store");
    }
  });

  // Before any route, /ws included: a Host not listed is a page that
  // pointed its own name at this server (DNS rebinding). After the header
  // middleware above, so that the refusal carries their headers too.
  app.use(allowedHostsOnly(parts.allowedHosts));

  // 503 when the store is down (nothing can be sent); 200 "degraded" when
  // only Redis is, since the node still serves its own members.
  const checkStore = storeHealth(node.store);
  app.get("/healthz", async (c) => {
    const { up, storage } = await checkStore();
    if (!up) {
      // A full or read-only disk says so: it is the operator's to fix.
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

  // The store's check as /healthz makes it, so an alert on the gauges
  // needs no second probe: a frozen store makes this wait up to 10 s.
  app.get("/metrics", async (c) => {
    const store = await checkStore();
    const body = node.metrics.render({
      store,
      connections: websocket.openSockets,
      users: node.registry.userCount,
      rooms: node.registry.roomCount,
      appendCommits: node.store.appendCommits,
      searchIndexRestarts: node.store.searchIndexRestarts,
      passwordChecks: node.accounts.passwordChecks,
      filesMissing: node.files.missingFiles,
      redisUp: parts.redis
        ? node.broker.healthy() && node.presence.healthy()
        : undefined,
      linkPreviews: node.linkPreviews?.results,
    });
    return c.text(body, 200, {
      "content-type": "text/plain; version=0.0.4; charset=utf-8",
    });
  });

  // Before anything reads a body: nothing another site sends changes state.
  // An incoming webhook's post is the exception: other sites' servers send
  // it, its secret URL is its credential, and it reads no cookie.
  // So is a mail's one-click unsubscribe (RFC 8058): the mail provider's
  // server posts it, its signature is its credential, and it reads no
  // cookie (mail/unsubscribe_routes.ts).
  const sameOrigin = sameOriginOnly(parts.allowOrigins);
  app.use((c, next) =>
    c.req.method === "POST" &&
      (/^\/api\/hooks\/[^/]+$/.test(c.req.path) ||
        c.req.path === UNSUBSCRIBE_PATH)
      ? next()
      : sameOrigin(c, next)
  );
  // Served without --smtp-url too: a link mailed before it was unset still
  // stops the mails.
  app.route("/", unsubscribeRoutes(node));

  const smallBodies = limitBody(
    64 * 1024,
    (c) =>
      httpError(c, "invalid_message", "The request body is over 64 KiB.", {
        status: 413,
      }),
  );
  // Uploads and profile pictures have their own, larger limits
  // (routes/files.ts, routes/avatars.ts). A JSON body is then checked for
  // depth, before any route (or throttle) parses it.
  const ownLimit = (path: string) =>
    path === "/api/files" || path === "/api/me/avatar" ||
    path.startsWith("/api/emoji/");
  app.use(
    "/api/*",
    (c, next) => ownLimit(c.req.path) ? next() : smallBodies(c, next),
    (c, next) => ownLimit(c.req.path) ? next() : shallowJson(c, next),
  );

  // The routes a token is optional on, outside the REST API (which checks
  // its own): a wrong one is 401, never read as no token.
  const wrongBearer = refuseWrongBearer(node);
  app.get("/files/*", wrongBearer);
  app.get("/api/push/vapid-public-key", wrongBearer);

  // A custom emoji is an upload: both take from one pace per account.
  const uploads = uploadPace(node);
  app.route("/", fileRoutes(node, uploads));
  app.route("/", avatarRoutes(node));
  app.route("/", emojiRoutes(node, uploads));
  // Integrations share one pace per account, the REST API's too.
  app.route("/", outgoingHookRoutes(node, setupPace(node)));
  app.route("/", pushRoutes(node, setupPace(node)));

  // Accounts over HTTP, for the web client: the session lives in an
  // HttpOnly cookie that the WebSocket upgrade accepts.
  app.post("/api/register", jsonOnly, async (c) => {
    const body = await credentials(c);
    if (isFailure(body)) return httpFailure(c, body);
    const result = await node.accounts.register(body, requester(c));
    if (isFailure(result)) return httpFailure(c, result);
    setSessionCookie(c, result.token, sessionSeconds);
    return c.json(describe(result.account), 201);
  });

  app.post("/api/login", jsonOnly, async (c) => {
    const body = await credentials(c);
    if (isFailure(body)) return httpFailure(c, body);
    const result = await node.accounts.authenticate(body, requester(c));
    if (isFailure(result)) return httpFailure(c, result);
    setSessionCookie(c, result.token, sessionSeconds);
    return c.json({ ...describe(result.account), totp: result.totp });
  });

  // The session ends, and so do the sockets that logged in with it, on
  // every node.
  app.post("/api/logout", async (c) => {
    const token = sessionTokenOf(c);
    const ended = token === undefined
      ? undefined
      : await node.accounts.logout(token);
    if (ended) {
      node.endSessions(
        ended.userKey,
        { session: ended.tokenHash },
        "Logged out",
      );
    }
    // A bearer access token has no session: logging out with it revokes
    // it, or a program that logged out to drop its credential would still
    // hold a live one.
    const revoked = token === undefined || ended
      ? undefined
      : await node.accounts.logoutToken(token);
    if (revoked) {
      node.endSessions(
        revoked.userKey,
        { token: revoked.tokenHash },
        "Token revoked",
      );
    }
    clearSessionCookie(c);
    // The browser's HTTP cache holds the pictures the account opened
    // (shared files are `private`, an hour): on a shared computer the next
    // person could find them through the history. Emptying it costs the
    // site's other cached files (static ones come back from the service
    // worker's own cache, which "cache" leaves alone).
    c.header("Clear-Site-Data", '"cache"');
    return c.body(null, 204);
  });

  // Same rules as `change_password`; every other session of the account
  // ends, with its sockets.
  app.post("/api/password", jsonOnly, async (c) => {
    const resumed = await sessionOf(c);
    if (!resumed) return httpError(c, "bad_credentials", "Not logged in.");
    const body = await jsonOf(
      c,
      changePasswordData,
      '{"old_password", "new_password"}',
    );
    if (isFailure(body)) return httpFailure(c, body);
    const { account, session } = resumed;
    if (!session) {
      return httpError(
        c,
        "forbidden",
        "A token cannot change a password: log in with the password.",
      );
    }
    // The account's login bucket, as change_password over a socket: a
    // change that proves right is no failed attempt, and each hashes twice
    // in the queue every login waits in (and commits). Without it one
    // account's changes, four at a time, took another account's login
    // from 0.4 to 1.7 s.
    const wait = node.userLimits.take(account.key, "login");
    if (wait > 0) return httpFailure(c, rateLimited(wait));
    const changed = await node.accounts.changePassword({
      userKey: account.key,
      oldPassword: body.old_password,
      newPassword: body.new_password,
      keepSession: session.tokenHash,
    }, requester(c));
    if (isFailure(changed)) return httpFailure(c, changed);
    node.endSessions(
      account.key,
      { except: session.tokenHash },
      "Password changed",
    );
    return c.body(null, 204);
  });

  app.get("/api/session", async (c) => {
    const resumed = await sessionOf(c);
    if (!resumed) return httpError(c, "bad_credentials", "Not logged in.");
    return c.json(describe(resumed.account));
  });

  // Rooms, messages, tokens, bots, webhooks and /api/openapi.json, loaded
  // with the first request that reaches them.
  app.use("/api/*", lazyApiRoutes(node, parts.trustProxy));

  // A reset link's owner chooses a new password and is logged in; the
  // account's other sessions end, with their sockets, as after
  // change_password, and so do its personal access tokens.
  app.post("/api/reset-password", jsonOnly, async (c) => {
    const body = await jsonOf(c, passwordResetBody, '{"token", "password"}');
    if (isFailure(body)) return httpFailure(c, body);
    const result = await node.accounts.resetPassword(
      body.token,
      body.password,
      requester(c),
    );
    if (isFailure(result)) return httpFailure(c, result);
    for (const token of result.revokedTokens) {
      node.endSessions(result.account.key, { token }, "Password reset");
    }
    if ("secondFactor" in result) {
      // 2FA stays on: the new password logs in with a code, as any.
      node.endSessions(result.account.key, {}, "Password reset");
      return c.json({ ...describe(result.account), totp: true });
    }
    node.endSessions(
      result.account.key,
      { except: result.session.tokenHash },
      "Password reset",
    );
    setSessionCookie(c, result.token, sessionSeconds);
    return c.json({ ...describe(result.account), totp: false });
  });

  // "Forgot password?": a reset link mailed to a verified address.
  app.route("/", forgotPasswordRoutes(node));

  // The link mailed by set_email: its page sends the token here, which
  // verifies the address once. No session needed: the token is the proof,
  // and the account's sockets hear of it (`email`).
  app.post("/api/verify-email", jsonOnly, async (c) => {
    const body = await jsonOf(c, emailTokenBody, '{"token"}');
    if (isFailure(body)) return httpFailure(c, body);
    const verified = await verifyEmailToken(node.store, body.token);
    if (verified === undefined) {
      return httpError(
        c,
        "bad_credentials",
        "This link is unknown, used or expired: set the address again for a new one.",
      );
    }
    const state = { address: verified.address, verified: true };
    node.publish({ kind: "user", key: verified.userKey }, "email", state);
    return c.json(state);
  });

  app.route("/", adminRoutes(node));

  app.get(WEBSOCKET_PATH, websocket.handler);

  // The client's own pages: the admin page and the password reset form are
  // the same index.html, which picks its page by path.
  const clientFiles = (path?: string) =>
    parts.staticFiles
      ? serveStaticFiles(parts.staticFiles, path)
      : serveStaticFolder(parts.staticDir, path);
  app.get("/admin", clientFiles("index.html"));
  app.get("/reset", clientFiles("index.html"));
  app.get("/verify-email", clientFiles("index.html"));
  app.use("/*", clientFiles());

  app.notFound((c) => httpError(c, "not_found", "No such page."));
  app.onError((error, c) => {
    // The API's body parsing: a body that is not JSON, or of another type.
    if (error instanceof HTTPException && error.status === 400) {
      return httpError(c, "invalid_json", "The body is not valid JSON.");
    }
    if (error instanceof HTTPException && error.status === 415) {
      return httpError(
        c,
        "invalid_message",
        "Send the body as JSON (Content-Type: application/json).",
        { status: 415 },
      );
    }
    // A body that stops arriving (the client left, or garbled its chunks)
    // is the client's doing: node:http has answered 400 on the socket if
    // it still could. Logged as a crash, any client could fill the log
    // with ERR lines and stacks at will.
    if (c.req.raw.signal.aborted || isAbortedBody(error)) {
      logger.debug("{method} {path}: the body was cut off", {
        method: c.req.method,
        path: loggablePath(c.req.path),
      });
      return httpError(c, "invalid_message", "The body was cut off.");
    }
    logger.error("Crash serving {path}: {error}", {
      path: loggablePath(c.req.path),
      error,
    });
    return httpError(c, "internal", "The server failed.");
  });
  return app;
}

/** node:http's error for a request body whose connection ended first. */
function isAbortedBody(error: unknown): boolean {
  return error instanceof Error && error.message === "aborted" &&
    (error as { code?: string }).code === "ECONNRESET";
}
