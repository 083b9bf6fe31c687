/**
 * A bot's outgoing webhooks (admins only, as its tokens): URLs that receive
 * every private message sent to the bot, signed as a room's hooks are
 * (webhooks.ts), so a bot people write to privately needs no socket nor
 * polling, as Slack's Events API gives a bot its direct messages.
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { setupPace } from "../http/setup_pace.ts";
import type { ChatNode } from "../node.ts";
import { fail, isFailure } from "../protocol/errors.ts";
import { lookup } from "../protocol/schemas.ts";
import { describeHook, hookBody } from "../routes/outgoing_hooks.ts";
import { adminsBot } from "./account_routes.ts";
import { auditOfRequest } from "./audit.ts";
import { type ApiLimits, limitedCaller } from "./caller.ts";
import { BEARER, errors, json, jsonBody, refuse } from "./openapi.ts";
import { outgoingHookFacts } from "./schemas.ts";

/** Most outgoing webhooks one bot may have, as a room. */
export const MAX_HOOKS_PER_BOT = 10;

const botParam = z.object({ bot: lookup(0, 4096) });
const idParam = z.object({ id: lookup(0, 64) });

/** A bot's outgoing webhook as listed (its secret is shown only at creation). */
const botHook = z.object({
  id: z.string(),
  bot: z.string(),
  ...outgoingHookFacts,
}).openapi("BotOutgoingHook");

const newBotHook = botHook.extend({ secret: z.string() }).openapi(
  "NewBotOutgoingHook",
);

const botHooks = z.object({ hooks: z.array(botHook) }).openapi(
  "BotOutgoingHooks",
);

/**
 * `POST`, `GET /api/bots/:bot/outgoing-hooks` and
 * `DELETE /api/bots/:bot/outgoing-hooks/:id`.
 */
export function botHookRoutes(
  api: OpenAPIHono,
  node: ChatNode,
  limits: ApiLimits,
): void {
  const caller = (c: Context) => limitedCaller(c, node, limits, "request");
  // Made and removed on the admin's budget of integrations, each a commit.
  const pace = setupPace(node);

  api.openapi(
    createRoute({
      method: "post",
      path: "/api/bots/{bot}/outgoing-hooks",
      summary:
        "Register an outgoing webhook for a bot's private messages (admins)",
      description:
        'Each private message sent to the bot (not one from another bot) is POSTed to `url` as `{"event":"private_message","delivery","hook","to","message"}`, signed with the answer\'s `secret` (shown this once), paced and retried as a room\'s hooks.',
      security: BEARER,
      request: { params: botParam, body: jsonBody(hookBody) },
      responses: {
        201: json(newBotHook, "The hook, with its signing secret"),
        ...errors(400, 401, 403, 404, 413, 415, 429),
      },
    }),
    async (c) => {
      const who = await caller(c);
      if (isFailure(who)) return refuse(c, who);
      const bot = await adminsBot(node, who, c.req.valid("param").bot);
      if (isFailure(bot)) return refuse(c, bot);
      // Before the URL's look-up and the commit.
      const slow = await pace(who.account.key);
      if (slow) return refuse(c, slow);
      const { url } = c.req.valid("json");
      const verdict = await node.webhooks.guard.check(url, "webhook", {
        timeoutMs: node.webhooks.timing.timeoutMs,
        signal: c.req.raw.signal,
      });
      if (!verdict.ok) {
        return refuse(c, fail("url_not_allowed", verdict.reason));
      }
      const existing = await node.store.listPrivateWebhooks(bot.key);
      if (existing.length >= MAX_HOOKS_PER_BOT) {
        return refuse(
          c,
          fail(
            "forbidden",
            `A bot has at most ${MAX_HOOKS_PER_BOT} outgoing webhooks.`,
          ),
        );
      }
      const hook = {
        id: randomBytes(12).toString("hex"),
        userKey: bot.key,
        url,
        secret: randomBytes(24).toString("base64url"),
        createdBy: who.account.key,
        createdAt: Date.now(),
      };
      const made = await node.store.createPrivateWebhook(
        hook,
        auditOfRequest(c, who.account.username, {
          action: "create_outgoing_webhook",
          target: bot.username,
          details: { hook: hook.id, url },
        }),
      );
      if (!made) {
        return refuse(c, fail("user_not_found", "The bot was just deleted."));
      }
      node.webhooks.changed();
      return c.json({
        ...describeHook({ ...hook, failures: 0 }, { bot: bot.username }),
        secret: hook.secret,
      }, 201);
    },
  );

  api.openapi(
    createRoute({
      method: "get",
      path: "/api/bots/{bot}/outgoing-hooks",
      summary:
        "A bot's outgoing webhooks and how their deliveries went (admins)",
      security: BEARER,
      request: { params: botParam },
      responses: {
        200: json(botHooks, "The bot's outgoing webhooks, oldest first"),
        ...errors(401, 403, 404, 429),
      },
    }),
    async (c) => {
      const who = await caller(c);
      if (isFailure(who)) return refuse(c, who);
      const bot = await adminsBot(node, who, c.req.valid("param").bot);
      if (isFailure(bot)) return refuse(c, bot);
      const hooks = await node.store.listPrivateWebhooks(bot.key);
      return c.json({
        hooks: hooks.map((hook) => describeHook(hook, { bot: bot.username })),
      }, 200);
    },
  );

  api.openapi(
    createRoute({
      method: "delete",
      path: "/api/bots/{bot}/outgoing-hooks/{id}",
      summary: "Remove a bot's outgoing webhook (admins)",
      description:
        "No retry of an earlier delivery calls it after the 204; another bot's hook, or none, answers `not_found`.",
      security: BEARER,
      request: { params: botParam.extend(idParam.shape) },
      responses: {
        204: { description: "Removed" },
        ...errors(401, 403, 404, 413, 429),
      },
    }),
    async (c) => {
      const who = await caller(c);
      if (isFailure(who)) return refuse(c, who);
      const params = c.req.valid("param");
      const bot = await adminsBot(node, who, params.bot);
      if (isFailure(bot)) return refuse(c, bot);
      const slow = await pace(who.account.key);
      if (slow) return refuse(c, slow);
      const hook = await node.store.findPrivateWebhook(params.id);
      if (!hook || hook.userKey !== bot.key) {
        return refuse(c, fail("not_found", "No such outgoing webhook."));
      }
      // Removed a moment ago by another request: done all the same.
      await node.store.deletePrivateWebhook(
        hook.id,
        auditOfRequest(c, who.account.username, {
          action: "delete_outgoing_webhook",
          target: bot.username,
          details: { hook: hook.id, url: hook.url },
        }),
      );
      node.webhooks.changed();
      return c.body(null, 204);
    },
  );
}
