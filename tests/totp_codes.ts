/**
 * Two-factor codes for tests, computed from the secret the server gave:
 * for the 30 s step of now or a later one (the server takes one step
 * either side of its own, so a request that takes the machine up to 30 s
 * still finds such a code good; never the step before now, which one step
 * boundary passed meanwhile would put out of reach), and codes that are
 * none of the secret's.
 */
import { totpCode } from "../server/accounts/totp.ts";

const STEP_MS = 30_000;

/** The code of `secret` for the step of now, or `steps` after it. */
export function codeAt(secret: string, steps = 0): string {
  return totpCode(secret, Date.now() + steps * STEP_MS);
}

/**
 * A 6-digit code that is none of `secret`'s from the step before now to
 * the one after the next: wrong whenever it reaches the server. The
 * `n`-th such from 000000, so that several differ.
 */
export function wrongCode(secret: string, n = 0): string {
  const good = [-1, 0, 1, 2].map((steps) => codeAt(secret, steps));
  for (let i = n;; i++) {
    const guess = String(i).padStart(6, "0");
    if (!good.includes(guess)) return guess;
  }
}
