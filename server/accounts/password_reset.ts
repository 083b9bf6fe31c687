/**
 * A one-time password reset link, as the admin's `reset_password` and the
 * operator's `chat-server reset-password` (reset_command.ts) both make it:
 * a random token whose hash alone is stored, used up by
 * `POST /api/reset-password` (AccountService.resetPassword).
 */
import { fail, type Failure } from "../protocol/errors.ts";
import type { Account, AccountStore, NewAuditEntry } from "../store/mod.ts";
import { hashToken, newSessionToken } from "./tokens.ts";

/** How long a password reset link works: a day. */
export const PASSWORD_RESET_MS = 24 * 3600 * 1000;

/**
 * How long a link mailed by "Forgot password?" works: an hour. Whoever
 * asked for it is at the login page and opens it within minutes, while
 * the mail stays in a mailbox (and its copies: forwarded, backed up, read
 * on a shared computer) long after; an admin's link is handed over by a
 * person, maybe the next day, so keeps its day.
 */
export const MAILED_RESET_MS = 3600 * 1000;

/** A reset just made: the only time its token is told. */
export interface PasswordReset {
  token: string;
  /** When the link stops working (ms since the epoch). */
  expiresAt: number;
}

/**
 * Stores a reset of an account, valid for `lifetimeMs` (default
 * {@link PASSWORD_RESET_MS}), and returns its token; only the token's hash
 * is stored, with `audit` in the same commit. A bot is refused
 * (`forbidden`), nothing stored: the one place the rule lives, for the
 * admin, the operator and a mailed link alike.
 */
export async function createPasswordReset(
  store: Pick<AccountStore, "createPasswordReset">,
  account: Account,
  audit?: NewAuditEntry,
  lifetimeMs = PASSWORD_RESET_MS,
): Promise<PasswordReset | Failure> {
  // A link would give the bot a password and whoever opens it a session,
  // a credential listed nowhere that outlives the revocation of every one
  // of the bot's tokens.
  if (account.bot) {
    return fail(
      "forbidden",
      `${account.username} is a bot: it has no password; make and revoke its tokens under /api/bots.`,
    );
  }
  const token = newSessionToken();
  const expiresAt = Date.now() + lifetimeMs;
  await store.createPasswordReset(hashToken(token), {
    userKey: account.key,
    expiresAt,
  }, audit);
  return { token, expiresAt };
}

/**
 * The link's path on the server: the client's form reads the token after
 * `#`, which no browser sends in a request nor a proxy logs.
 */
export function resetLinkPath(token: string): string {
  return `/reset#${token}`;
}
