/**
 * Personal access tokens over HTTP, for the Settings page (client/rest.ts
 * says how the calls authenticate).
 */

import { listOf, rest, type RestResult, unreadable } from "./rest.ts";

/** A token as listed: never its secret. */
export interface TokenInfo {
  id: string;
  name: string;
  created_at: string;
}

/** An answer, or the server's sentence for why not. */
export type TokenResult<T> = RestResult<T>;

/** The account's tokens, oldest first. */
export async function listTokens(): Promise<TokenResult<TokenInfo[]>> {
  return listOf(await rest("GET", "/api/tokens"), "tokens", isTokenInfo);
}

/** Makes a token; its secret is in `token`, this once. */
export async function createToken(
  name: string,
): Promise<TokenResult<TokenInfo & { token: string }>> {
  const answer = await rest("POST", "/api/tokens", { name });
  if (!answer.ok) return answer;
  const made = answer.data as Record<string, unknown>;
  return isTokenInfo(made) && typeof made.token === "string"
    ? { ok: true, data: { ...made, token: made.token } }
    : unreadable();
}

/** Revokes a token. */
export async function revokeToken(id: string): Promise<TokenResult<null>> {
  const answer = await rest(
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
