/**
 * Verifying an account's email address: set_email stores the address with
 * the hash of a random token and mails the token's link to it; the link's
 * page sends the token back (`POST /api/verify-email`), which marks the
 * address verified once. Only the hash is stored, as for password resets
 * (accounts/password_reset.ts), and the token rides after `#`, which no
 * browser sends in a request nor a proxy logs.
 */
import { hashToken, newSessionToken } from "../accounts/tokens.ts";
import type { EmailStore, EmailVerification } from "../store/mod.ts";
import type { Mail } from "./mailer.ts";

/** How long a verification link works: a day, as a password reset's. */
export const EMAIL_LINK_MS = 24 * 3600 * 1000;

/** A link just made: its token (told only in the mail) and what is kept. */
export interface NewEmailLink {
  token: string;
  stored: EmailVerification;
}

/** Makes a verification link's token, valid for {@link EMAIL_LINK_MS}. */
export function newEmailLink(now: number): NewEmailLink {
  const token = newSessionToken();
  return {
    token,
    stored: { tokenHash: hashToken(token), expiresAt: now + EMAIL_LINK_MS },
  };
}

/** The link's path on the server: the client's page reads the token after `#`. */
export function verifyLinkPath(token: string): string {
  return `/verify-email#${token}`;
}

/** The mail that carries a verification link. */
export function verificationMail(
  options: { to: string; username: string; link: string },
): Mail {
  return {
    to: options.to,
    subject: "Confirm your email address",
    text: [
      `Someone, probably you, gave this address to the chat account ${options.username}.`,
      "",
      "To confirm it, open this link (it works once, for 24 hours):",
      "",
      options.link,
      "",
      "If it was not you, do nothing: the address stays unconfirmed and",
      "no other mail is sent to it.",
    ].join("\n"),
  };
}

/** Uses up a link's token: the account and address verified, or undefined. */
export function verifyEmailToken(
  store: Pick<EmailStore, "verifyEmail">,
  token: string,
): Promise<{ userKey: string; address: string } | undefined> {
  return store.verifyEmail(hashToken(token), Date.now());
}
