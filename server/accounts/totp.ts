/**
 * Two-factor authentication's codes: TOTP (RFC 6238) with the settings
 * every authenticator app reads (SHA-1, 6 digits, 30 s), through otpauth;
 * and the one-time recovery codes, kept only as hashes.
 */
import { Secret, TOTP } from "otpauth";
import { randomBytes } from "node:crypto";
import { hashToken } from "./tokens.ts";

/** What authenticator apps show the code under (the web app's name). */
export const TOTP_ISSUER = "Chat";

/** How many recovery codes an account gets at once. */
export const RECOVERY_CODE_COUNT = 10;

/** How many 30 s steps either side of now a code may be from (RFC 6238 §5.2). */
const WINDOW = 1;

/** A new secret: 160 random bits (RFC 4226's advice), base32. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

/** The `otpauth://` URI an authenticator app reads (from a QR code). */
export function totpUri(secret: string, username: string): string {
  return totpOf(secret, username).toString();
}

/** True for a code of 6 digits, what an authenticator app shows. */
export function isTotpCode(code: string): boolean {
  return /^\d{6}$/.test(code.replace(/\s/g, ""));
}

/**
 * The time step (30 s since the epoch) whose code `code` is, within one
 * step of `now`; undefined when it matches none. The caller refuses a
 * step at or before the last one used (replay).
 */
export function totpStep(
  secret: string,
  code: string,
  now: number = Date.now(),
): number | undefined {
  const token = code.replace(/\s/g, "");
  if (!/^\d{6}$/.test(token)) return undefined;
  const totp = totpOf(secret, "");
  const delta = totp.validate({ token, timestamp: now, window: WINDOW });
  return delta === null ? undefined : totp.counter({ timestamp: now }) + delta;
}

/** The code of `secret` at `now` (for tests and tools). */
export function totpCode(secret: string, now: number = Date.now()): string {
  return totpOf(secret, "").generate({ timestamp: now });
}

/**
 * New recovery codes, as shown once to their owner: 10 groups of
 * `xxxxx-xxxxx` from a 32-letter alphabet without 0/o or 1/l (50 random
 * bits each: guessing one among ten, at the login throttle's pace, takes
 * longer than any account lives).
 */
export function newRecoveryCodes(): string[] {
  const alphabet = "abcdefghijkmnpqrstuvwxyz23456789";
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const chars = [...randomBytes(10)].map((byte) => alphabet[byte % 32]);
    return `${chars.slice(0, 5).join("")}-${chars.slice(5).join("")}`;
  });
}

/**
 * What the store keeps of a recovery code: the SHA-256 of its letters in
 * lower case, spaces and dashes left out (as people retype it). Its 50
 * random bits make a slow hash needless, as for session tokens.
 */
export function hashRecoveryCode(code: string): string {
  return hashToken(code.toLowerCase().replace(/[\s-]/g, ""));
}

function totpOf(secret: string, label: string): TOTP {
  return new TOTP({
    issuer: TOTP_ISSUER,
    label,
    secret: Secret.fromBase32(secret),
    algorithm: "SHA1",
    digits: 6,
    period: 30,
  });
}
