/**
 * The admin page's bot screen over `/api/bots` (docs/api.md "Tokens",
 * protocol.md "A bot's private messages"): bots, their tokens and their
 * private-message hooks. Nothing here holds state; service.ts writes the
 * answers through actions.ts.
 */

import type { OutgoingHook } from "../hooks_api.ts";
import { adminRest, type AdminResult } from "./api.ts";

/** A bot as listed. */
export interface BotRow {
  username: string;
  created_at: string;
}

/** One of a bot's tokens as listed: never its secret. */
export interface BotTokenRow {
  id: string;
  name: string;
  created_at: string;
}

/**
 * One of a bot's outgoing private-message hooks, with how deliveries went:
 * the server lists it as a room's outgoing hook (describeHook).
 */
export type BotHookRow = OutgoingHook;

const bot = (name: string) => `/api/bots/${encodeURIComponent(name)}`;

/** The bots, oldest first. */
export function listBots(): Promise<AdminResult<{ bots: BotRow[] }>> {
  return adminRest("GET", "/api/bots");
}

/** Makes a bot account (the name rules of `register`). */
export function createBot(name: string): Promise<AdminResult<BotRow>> {
  return adminRest("POST", "/api/bots", { name });
}

/** A bot's tokens, oldest first. */
export function listBotTokens(
  name: string,
): Promise<AdminResult<{ tokens: BotTokenRow[] }>> {
  return adminRest("GET", `${bot(name)}/tokens`);
}

/** Makes a token for a bot; its secret is in `token`, this once. */
export function createBotToken(
  name: string,
  tokenName: string,
): Promise<AdminResult<BotTokenRow & { token: string }>> {
  return adminRest("POST", `${bot(name)}/tokens`, { name: tokenName });
}

/** Revokes a bot's token: it opens nothing from then on. */
export function revokeBotToken(
  name: string,
  id: string,
): Promise<AdminResult<unknown>> {
  return adminRest("DELETE", `${bot(name)}/tokens/${encodeURIComponent(id)}`);
}

/** A bot's outgoing hooks, oldest first. */
export function listBotHooks(
  name: string,
): Promise<AdminResult<{ hooks: BotHookRow[] }>> {
  return adminRest("GET", `${bot(name)}/outgoing-hooks`);
}

/** Registers a URL; the secret deliveries are signed with is in `secret`, this once. */
export function createBotHook(
  name: string,
  url: string,
): Promise<AdminResult<BotHookRow & { secret: string }>> {
  return adminRest("POST", `${bot(name)}/outgoing-hooks`, { url });
}

/** Stops deliveries to one of a bot's hooks. */
export function deleteBotHook(
  name: string,
  id: string,
): Promise<AdminResult<unknown>> {
  return adminRest(
    "DELETE",
    `${bot(name)}/outgoing-hooks/${encodeURIComponent(id)}`,
  );
}
