/**
 * `GET /api/me`, personal access tokens (`/api/tokens`) and bot accounts
 * (`/api/bots`, admins only).
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { z } from "zod";
import type { ChatNode } from "../node.ts";
import { fail, type Failure, isFailure } from "../protocol/errors.ts";
import { lookup } from "../protocol/schemas.ts";
import type { Account, NewAuditEntry, StoredApiToken } from "../store/mod.ts";
import { setupPace } from "../http/setup_pace.ts";
import { auditOfRequest } from "./audit.ts";
import { type ApiCaller, type ApiLimits, limitedCaller } from "./caller.ts";
import { BEARER, errors, json, jsonBody, refuse } from "./openapi.ts";
import {
  bot,
  botBody,
  botsReply,
  me,
  nameBody,
  newToken,
  tokensReply,
} from "./schemas.ts";

const idParam = z.object({ id: lookup(0, 64) });
const botParam = z.object({ bot: lookup(0, 4096) });

function tokenInfo(token: StoredApiToken) {
  return {
    id: token.id,
    name: token.name,
    created_at: new Date(token.createdAt).toISOString(),
  };
}

function botInfo(account: Account) {
  return {
    username: account.username,
    bot: true as const,
    created_at: new Date(account.createdAt).toISOString(),
  };
}

/** Registers the account routes on the API. */
export function accountRoutes(
  api: OpenAPIHono,
  node: ChatNode,
  limits: ApiLimits,
): void {
  const caller = (c: Context) => limitedCaller(c, node, limits, "request");
  // Making and revoking tokens, each a commit (http/setup_pace.ts).
  const pace = setupPace(node);

  // Who may manage `/api/tokens`: any account but a bot. A bot's tokens
  // are its admin's (`/api/bots/:bot/tokens`): a leaked one must not mint
  // itself a spare that outlives its revocation, nor revoke the others.
  async function tokenOwner(c: Context) {
    const who = await caller(c);
    if (isFailure(who) || !who.account.bot) return who;
    return fail(
      "forbidden",
      "A bot's tokens are made and revoked by an admin, under /api/bots.",
    );
  }

  const botOf = (who: ApiCaller, name: string) => adminsBot(node, who, name);

  api.openapi(
    createRoute({
      method: "get",
      path: "/api/me",
      summary: "The account of the token",
      security: BEARER,
      responses: { 200: json(me, "The account"), ...errors(401, 403, 429) },
    }),
    async (c) => {
      const who = await caller(c);
      if (isFailure(who)) return refuse(c, who);
      const { account } = who;
      return c.json({
        username: account.username,
        role: account.role,
        bot: account.bot,
        limits: node.serverLimits(),
      }, 200);
    },
  );

  api.openapi(
    createRoute({
      method: "post",
      path: "/api/tokens",
      summary: "Make a personal access token (its secret is shown once)",
      security: BEARER,
      request: { body: jsonBody(nameBody) },
      responses: {
        201: json(newToken, "The token, with its secret"),
        ...errors(400, 401, 403, 413, 415, 429),
      },
    }),
    async (c) => {
      const who = await tokenOwner(c);
      if (isFailure(who)) return refuse(c, who);
      const slow = await pace(who.account.key);
      if (slow) return refuse(c, slow);
      const made = await node.accounts.createToken(
        who.account.key,
        c.req.valid("json").name,
      );
      if (isFailure(made)) return refuse(c, made);
      return c.json({ ...tokenInfo(made.token), token: made.secret }, 201);
    },
  );

  api.openapi(
    createRoute({
      method: "get",
      path: "/api/tokens",
      summary: "List the account's tokens (never their secrets)",
      security: BEARER,
      responses: {
        200: json(tokensReply, "The tokens, oldest first"),
        ...errors(401, 403, 429),
      },
    }),
    async (c) => {
      const who = await tokenOwner(c);
      if (isFailure(who)) return refuse(c, who);
      const tokens = await node.accounts.listTokens(who.account.key);
      return c.json({ tokens: tokens.map(tokenInfo) }, 200);
    },
  );

  api.openapi(
    createRoute({
      method: "delete",
      path: "/api/tokens/{id}",
      summary: "Revoke a token",
      security: BEARER,
      request: { params: idParam },
      responses: {
        204: { description: "Revoked: it opens nothing any more" },
        ...errors(401, 403, 404, 413, 429),
      },
    }),
    async (c) => {
      const who = await tokenOwner(c);
      if (isFailure(who)) return refuse(c, who);
      const slow = await pace(who.account.key);
      if (slow) return refuse(c, slow);
      const gone = await revokeToken(
        node,
        who.account.key,
        c.req.valid("param").id,
      );
      if (!gone) return refuse(c, fail("not_found", "No such token."));
      return c.body(null, 204);
    },
  );

  api.openapi(
    createRoute({
      method: "post",
      path: "/api/bots",
      summary: "Make a bot account (admins)",
      security: BEARER,
      request: { body: jsonBody(botBody) },
      responses: {
        201: json(bot, "The bot"),
        ...errors(400, 401, 403, 409, 413, 415, 429),
      },
    }),
    async (c) => {
      const who = await caller(c);
      if (isFailure(who)) return refuse(c, who);
      if (who.account.role !== "admin") {
        return refuse(c, fail("forbidden", "Only an admin makes bots."));
      }
      const made = await node.accounts.createBot(
        c.req.valid("json").name,
        (username) =>
          auditOfRequest(c, who.account.username, {
            action: "create_bot",
            target: username,
          }),
      );
      if (isFailure(made)) return refuse(c, made);
      return c.json(botInfo(made), 201);
    },
  );

  api.openapi(
    createRoute({
      method: "get",
      path: "/api/bots",
      summary: "List the bot accounts (admins)",
      security: BEARER,
      responses: {
        200: json(botsReply, "The bots, oldest first"),
        ...errors(401, 403, 429),
      },
    }),
    async (c) => {
      const who = await caller(c);
      if (isFailure(who)) return refuse(c, who);
      if (who.account.role !== "admin") {
        return refuse(c, fail("forbidden", "Only an admin manages bots."));
      }
      return c.json(
        { bots: (await node.accounts.listBots()).map(botInfo) },
        200,
      );
    },
  );

  api.openapi(
    createRoute({
      method: "post",
      path: "/api/bots/{bot}/tokens",
      summary: "Make a token for a bot (admins)",
      security: BEARER,
      request: { params: botParam, body: jsonBody(nameBody) },
      responses: {
        201: json(newToken, "The token, with its secret"),
        ...errors(400, 401, 403, 404, 413, 415, 429),
      },
    }),
    async (c) => {
      const who = await caller(c);
      if (isFailure(who)) return refuse(c, who);
      const account = await botOf(who, c.req.valid("param").bot);
      if (isFailure(account)) return refuse(c, account);
      // The admin's budget: a bot's tokens are its admin's doing.
      const slow = await pace(who.account.key);
      if (slow) return refuse(c, slow);
      const made = await node.accounts.createToken(
        account.key,
        c.req.valid("json").name,
        (token) =>
          auditOfRequest(c, who.account.username, {
            action: "create_bot_token",
            target: account.username,
            details: { token: token.id, name: token.name },
          }),
      );
      if (isFailure(made)) return refuse(c, made);
      return c.json({ ...tokenInfo(made.token), token: made.secret }, 201);
    },
  );

  api.openapi(
    createRoute({
      method: "get",
      path: "/api/bots/{bot}/tokens",
      summary: "List a bot's tokens (admins)",
      security: BEARER,
      request: { params: botParam },
      responses: {
        200: json(tokensReply, "The tokens, oldest first"),
        ...errors(401, 403, 404, 429),
      },
    }),
    async (c) => {
      const who = await caller(c);
      if (isFailure(who)) return refuse(c, who);
      const account = await botOf(who, c.req.valid("param").bot);
      if (isFailure(account)) return refuse(c, account);
      const tokens = await node.accounts.listTokens(account.key);
      return c.json({ tokens: tokens.map(tokenInfo) }, 200);
    },
  );

  api.openapi(
    createRoute({
      method: "delete",
      path: "/api/bots/{bot}/tokens/{id}",
      summary: "Revoke a bot's token (admins)",
      security: BEARER,
      request: { params: botParam.extend(idParam.shape) },
      responses: {
        204: { description: "Revoked" },
        ...errors(401, 403, 404, 413, 429),
      },
    }),
    async (c) => {
      const who = await caller(c);
      if (isFailure(who)) return refuse(c, who);
      const params = c.req.valid("param");
      const account = await botOf(who, params.bot);
      if (isFailure(account)) return refuse(c, account);
      const slow = await pace(who.account.key);
      if (slow) return refuse(c, slow);
      const gone = await revokeToken(
        node,
        account.key,
        params.id,
        auditOfRequest(c, who.account.username, {
          action: "revoke_bot_token",
          target: account.username,
          details: { token: params.id },
        }),
      );
      if (!gone) return refuse(c, fail("not_found", "No such token."));
      return c.body(null, 204);
    },
  );
}

/**
 * The bot account called `name`, for an admin caller (a bot's tokens and
 * hooks are its admin's); 403 `forbidden` for anyone else, 404
 * `user_not_found` for a name that is not a bot.
 */
export async function adminsBot(
  node: ChatNode,
  who: ApiCaller,
  name: string,
): Promise<Account | Failure> {
  if (who.account.role !== "admin") {
    return fail("forbidden", "Only an admin manages bots.");
  }
  const account = await node.accounts.find(name);
  if (!account?.bot) {
    return fail("user_not_found", `No bot is called '${name}'.`);
  }
  return account;
}

/**
 * Revokes a token, and closes (4004) the sockets that logged in with it on
 * every node before the 204: a socket checks its token only at login, so
 * without this one would act as the account until it closed. False when
 * the account has no token by that id.
 */
async function revokeToken(
  node: ChatNode,
  userKey: string,
  id: string,
  audit?: NewAuditEntry,
): Promise<boolean> {
  const token = await node.accounts.revokeToken(userKey, id, audit);
  if (!token) return false;
  node.endSessions(userKey, { token: token.tokenHash }, "Token revoked");
  return true;
}
