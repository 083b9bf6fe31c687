import { createHash, randomBytes } from "node:crypto";

/** A new session token: 256 random bits, URL-safe. */
export function newSessionToken(): string {
  return randomBytes(32).toString("base64url");
}

/** What the store keeps of a token: its SHA-256, so a stolen database opens no session. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("base64url");
}

/** What every personal access token starts with, so it is told from a session's. */
export const API_TOKEN_PREFIX = "chat_";

/** A new personal access token: the prefix, then 256 random bits. */
export function newApiToken(): string {
  return API_TOKEN_PREFIX + newSessionToken();
}

/** A public id for a token or a hook: 96 random bits, URL-safe. */
export function newPublicId(): string {
  return randomBytes(12).toString("base64url");
}
