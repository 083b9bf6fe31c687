/**
 * Personal access tokens over HTTP, for the Settings page: the session
 * cookie authenticates, and the browser's Origin header shows the server
 * these calls come from its own page.
 */

import { call } from "./auth_api.ts";

/** A token as listed: never its secret. */
export interface TokenInfo {
  id: string;
  name: string;
  created_at: string;
}

/** An answer, or the server's sentence for why not. */
export type TokenResult<T> = { ok: true; data: T } | {
  ok: false;
  message: string;
};

/** The account's tokens, oldest first. */
export async function listTokens(): Promise<TokenResult<TokenInfo[]>> {
  const answer = await request("GET", "/api/tokens");
  if (!answer.ok) return answer;
  const tokens = (answer.data as { tokens?: unknown }).tokens;
  return Array.isArray(tokens) && tokens.every(isTokenInfo)
    ? { ok: true, data: tokens }
    : unreadable();
}

/** Makes a token; its secret is in `token`, this once. */
export async function createToken(
  name: string,
): Promise<TokenResult<TokenInfo & { token: string }>> {
  const answer = await request("POST", "/api/tokens", { name });
  if (!answer.ok) return answer;
  const made = answer.data as Record<string, unknown>;
  return isTokenInfo(made) && typeof made.token === "string"
    ? { ok: true, data: { ...made, token: made.token } }
    : unreadable();
}

/** Revokes a token. */
export async function revokeToken(id: string): Promise<TokenResult<null>> {
  const answer = await request(
    "DELETE",
    `/api/tokens/${encodeURIComponent(id)}`,
  );
  return answer.ok ? { ok: true, data: null } : answer;
}

function isTokenInfo(value: unknown): value is TokenInfo {
  const token = value as Record<string, unknown> | null;
  return typeof token === "object" && token !== null &&
    typeof token.id === "string" && typeof token.name === "string" &&
    typeof token.created_at === "string";
}

function unreadable(): { ok: false; message: string } {
  return {
    ok: false,
    message: "The server sent an answer this page cannot read.",
  };
}

async function request(
  method: string,
  path: string,
  body?: unknown,
): Promise<TokenResult<unknown>> {
  const response = await call(method, path, body);
  if (response === null) {
    return { ok: false, message: "Cannot reach the server." };
  }
  let data: unknown = null;
  try {
    data = response.status === 204 ? null : await response.json();
  } catch {
    // An empty or broken body: judged by the status alone.
  }
  if (response.ok) return { ok: true, data };
  const message = (data as { message?: unknown } | null)?.message;
  return {
    ok: false,
    message: typeof message === "string"
      ? message
      : `The server answered ${response.status}.`,
  };
}
