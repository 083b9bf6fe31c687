/**
 * Routes served outside the API app (plain Hono handlers with their own
 * answers, see server/routes/), declared in the OpenAPI document with the
 * very zod schemas their handlers validate with, so the document covers
 * every `/api` route a program may call. tests/openapi_test.ts calls each.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import {
  changePasswordData,
  emailTokenBody,
  forgotPasswordBody,
  passwordLoginData,
  passwordResetBody,
} from "../protocol/schemas.ts";
import { UNSUBSCRIBE_PATH } from "../mail/unsubscribe.ts";
import { hookBody } from "../routes/outgoing_hooks.ts";
import { endpointBody, subscriptionBody } from "../routes/push.ts";
import { BEARER, errors, json, jsonBody } from "./openapi.ts";
import { attachment, errorBody, outgoingHookFacts } from "./schemas.ts";

const roomParam = z.object({ room: z.string() });
const idParam = z.object({ id: z.string() });

/** An outgoing webhook as listed (its secret is shown only at creation). */
const outgoingHook = z.object({
  id: z.string(),
  room: z.string(),
  ...outgoingHookFacts,
}).openapi("OutgoingHook");

const newOutgoingHook = outgoingHook.extend({ secret: z.string() }).openapi(
  "NewOutgoingHook",
);

const outgoingHooks = z.object({ hooks: z.array(outgoingHook) }).openapi(
  "OutgoingHooks",
);

const emailState = z.object({
  address: z.string(),
  verified: z.literal(true),
}).openapi("VerifiedEmail");

const sessionAccount = z.object({ username: z.string(), role: z.string() })
  .openapi("SessionAccount");

/**
 * Declares the account, file, outgoing webhook and Web Push routes in the
 * API's document.
 */
export function documentPlainRoutes(api: OpenAPIHono): void {
  documentAccountRoutes(api);
  documentFileRoutes(api);
  documentOutgoingHookRoutes(api);
  documentPushRoutes(api);
}

// The web client's account routes: the session travels in a cookie.
function documentAccountRoutes(api: OpenAPIHono): void {
  const registry = api.openAPIRegistry;
  const loggedIn = json(sessionAccount, "Logged in; the session cookie is set");
  registry.registerPath({
    method: "post",
    path: "/api/register",
    summary: "Make an account (the first is the admin) and log in",
    request: { body: jsonBody(passwordLoginData) },
    responses: {
      201: loggedIn,
      ...errors(400, 403, 409, 413, 415, 429),
    },
  });
  registry.registerPath({
    method: "post",
    path: "/api/login",
    summary: "Log in with a password; the session goes in a cookie",
    request: { body: jsonBody(passwordLoginData) },
    responses: {
      200: loggedIn,
      ...errors(400, 401, 403, 413, 415, 429),
    },
  });
  registry.registerPath({
    method: "post",
    path: "/api/logout",
    summary: "End the session (and its sockets) and clear the cookie",
    responses: {
      204: { description: "Logged out" },
      ...errors(403, 413),
    },
  });
  registry.registerPath({
    method: "post",
    path: "/api/password",
    summary: "Change the password; the account's other sessions end",
    description: "With a login session, not a token.",
    security: BEARER,
    request: { body: jsonBody(changePasswordData) },
    responses: {
      204: { description: "Changed" },
      ...errors(400, 401, 403, 413, 415, 429),
    },
  });
  registry.registerPath({
    method: "get",
    path: "/api/session",
    summary: "Who the session's cookie (or token) belongs to",
    security: BEARER,
    responses: {
      200: json(sessionAccount, "The account"),
      ...errors(401),
    },
  });
  registry.registerPath({
    method: "post",
    path: "/api/reset-password",
    summary: "Choose a new password with a reset link's token, and log in",
    request: { body: jsonBody(passwordResetBody) },
    responses: {
      200: loggedIn,
      ...errors(400, 401, 403, 413, 415, 429),
    },
  });
  registry.registerPath({
    method: "get",
    path: "/api/forgot-password",
    summary: "Whether this server mails password reset links",
    responses: {
      200: json(
        z.object({ available: z.literal(true) }),
        "It does (the server has --smtp-url)",
      ),
      ...errors(401, 403),
    },
  });
  registry.registerPath({
    method: "post",
    path: "/api/forgot-password",
    summary:
      "Ask for a password reset link mailed to an account's verified address",
    description:
      "An account's name or an email address. The answer is the same 202, without a body, whether or not an account was found or mailed; 403 on a server without --smtp-url.",
    request: { body: jsonBody(forgotPasswordBody) },
    responses: {
      202: {
        description: "Accepted: a link is mailed if there is one to mail",
      },
      ...errors(400, 401, 403, 413, 415, 429),
    },
  });
  // The link of a missed-message mail (mail/unsubscribe_routes.ts): pages
  // for a person, not JSON, signed by their query rather than a token.
  const unsubscribeQuery = z.object({
    user: z.string().openapi({ description: "The account's key" }),
    sig: z.string().openapi({
      description: "The link's signature (base64url HMAC-SHA256)",
    }),
  });
  const page = (description: string) => ({
    description,
    content: { "text/html": { schema: z.string() } },
  });
  registry.registerPath({
    method: "get",
    path: UNSUBSCRIBE_PATH,
    summary:
      "A missed-message mail's unsubscribe link: a page with one button (changes nothing)",
    request: { query: unsubscribeQuery },
    responses: {
      200: page("The page, whose button posts the link"),
      403: page("The link is not valid (or not the account's now)"),
    },
  });
  registry.registerPath({
    method: "post",
    path: UNSUBSCRIBE_PATH,
    summary:
      "Turn an account's missed-message mails off by its mailed link (RFC 8058 one-click)",
    description:
      "No token and no Origin needed: the signed query is the credential. A form's or RFC 8058's body (`List-Unsubscribe=One-Click`) is ignored. Audited (`unsubscribe_missed_mail`) when it turned the mails off.",
    request: { query: unsubscribeQuery },
    responses: {
      200: page("Done: the mails are off"),
      403: page("The link is not valid (or not the account's now)"),
    },
  });
  registry.registerPath({
    method: "post",
    path: "/api/verify-email",
    summary: "Verify an email address with the token of the link mailed to it",
    request: { body: jsonBody(emailTokenBody) },
    responses: {
      200: json(emailState, "The address, now verified"),
      ...errors(400, 401, 403, 413, 415),
    },
  });
}

function documentFileRoutes(api: OpenAPIHono): void {
  const registry = api.openAPIRegistry;
  registry.registerPath({
    method: "post",
    path: "/api/files",
    summary: "Upload a file to share in a message (accounts only)",
    description:
      "A `multipart/form-data` body with one file part and an optional `name` field, within the server's upload limit.",
    security: BEARER,
    request: {
      body: {
        content: {
          "multipart/form-data": {
            schema: z.object({
              file: z.string().openapi({ format: "binary" }),
              name: z.string().optional(),
            }),
          },
        },
        required: true,
      },
    },
    responses: {
      201: json(attachment, "The file, to put in a message's `attachments`"),
      ...errors(400, 401, 403, 413, 429),
      507: json(
        errorBody,
        "No room for the file: `insufficient_storage` (it would eat into `--disk-reserve`), or `internal` (the disk is full)",
      ),
    },
  });
  registry.registerPath({
    method: "get",
    path: "/files/{id}/{name}",
    summary:
      "Download a shared file (while a message the caller may read carries it)",
    security: BEARER,
    request: {
      params: z.object({ id: z.string(), name: z.string() }),
      query: z.object({
        exp: z.string().optional(),
        sig: z.string().optional(),
      }),
    },
    responses: {
      200: {
        description: "The file",
        content: {
          "application/octet-stream": {
            schema: z.string().openapi({ format: "binary" }),
          },
        },
      },
      ...errors(401, 403, 404),
    },
  });
}

function documentOutgoingHookRoutes(api: OpenAPIHono): void {
  const registry = api.openAPIRegistry;
  registry.registerPath({
    method: "post",
    path: "/api/rooms/{room}/outgoing-hooks",
    summary: "Register an outgoing webhook for a room (admins, room owners)",
    description:
      "Each new message of the room is POSTed to `url`, signed with the answer's `secret` (shown this once).",
    security: BEARER,
    request: { params: roomParam, body: jsonBody(hookBody) },
    responses: {
      201: json(newOutgoingHook, "The hook, with its signing secret"),
      ...errors(400, 401, 403, 404, 413, 415, 429),
    },
  });
  registry.registerPath({
    method: "get",
    path: "/api/rooms/{room}/outgoing-hooks",
    summary: "A room's outgoing webhooks and how their deliveries went",
    security: BEARER,
    request: { params: roomParam },
    responses: {
      200: json(outgoingHooks, "The room's outgoing webhooks"),
      ...errors(401, 403, 404),
    },
  });
  registry.registerPath({
    method: "delete",
    path: "/api/outgoing-hooks/{id}",
    summary: "Remove an outgoing webhook",
    description: "Another room's hook, or none, answers `not_found`.",
    security: BEARER,
    request: { params: idParam },
    responses: {
      204: { description: "Removed" },
      ...errors(401, 403, 404, 413, 429),
    },
  });
}

function documentPushRoutes(api: OpenAPIHono): void {
  const registry = api.openAPIRegistry;
  registry.registerPath({
    method: "get",
    path: "/api/push/vapid-public-key",
    summary: "The VAPID public key for `pushManager.subscribe()`",
    responses: {
      200: json(z.object({ key: z.string() }), "The key, in base64url"),
      ...errors(401),
    },
  });
  registry.registerPath({
    method: "post",
    path: "/api/push/subscriptions",
    summary: "Save a browser's push subscription for the caller",
    security: BEARER,
    request: { body: jsonBody(subscriptionBody) },
    responses: {
      201: json(z.object({ endpoint: z.string() }), "Saved"),
      ...errors(400, 401, 403, 413, 415, 429),
    },
  });
  registry.registerPath({
    method: "delete",
    path: "/api/push/subscriptions",
    summary: "Forget one of the caller's push subscriptions",
    security: BEARER,
    request: { body: jsonBody(endpointBody) },
    responses: {
      204: { description: "Forgotten" },
      ...errors(400, 401, 403, 404, 413, 415, 429),
    },
  });
}
