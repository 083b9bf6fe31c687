/**
 * The account an API request acts for: its bearer token, or the web
 * client's session cookie. Cross-site requests never get here: the app's
 * `sameOriginOnly` (same_origin.ts) refused them before any route ran.
 */
import type { Context } from "hono";
import type { Resumed } from "../accounts/service.ts";
import { fail, type Failure, isFailure } from "../protocol/errors.ts";
import type { ChatNode } from "../node.ts";
import type { Account } from "../store/mod.ts";
import { sessionTokenOf } from "./session_cookie.ts";

/** The request's account, or the failure to answer with. */
export async function requestAccount(
  c: Context,
  node: ChatNode,
): Promise<Account | Failure> {
  const resumed = await requestCredential(c, node);
  return isFailure(resumed) ? resumed : resumed.account;
}

/**
 * The request's account with the session or access token that proved it,
 * for what must end with that credential (a push subscription).
 */
export async function requestCredential(
  c: Context,
  node: ChatNode,
): Promise<Resumed | Failure> {
  const token = sessionTokenOf(c);
  if (token === undefined) {
    return fail("bad_credentials", "Sign in, or send a bearer token.");
  }
  const resumed = await node.accounts.resumeSession(token);
  if (!isFailure(resumed)) return resumed;
  return resumed.code === "banned"
    ? resumed
    : fail("bad_credentials", "Unknown, expired or revoked session.");
}
