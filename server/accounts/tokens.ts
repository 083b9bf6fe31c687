import { createHash, randomBytes } from "node:crypto";

/** A new session token: 256 random bits, URL-safe. */
export function newSessionToken(): string {
  return randomBytes(32).toString("base64url");
}

/** What the store keeps of a token: its SHA-256, so a stolen database opens no session. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("base64url");
}
