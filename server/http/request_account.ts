/**
 * The account an API request acts for: its bearer token, or the web
 * client's session cookie. Cross-site requests never get here: the app's
 * `sameOriginOnly` (same_origin.ts) refused them before any route ran.
 */
import type { Context } from "hono";
import { fail, type Failure, isFailure } from "../protocol/errors.ts";
import type { ChatNode } from "../node.ts";
import type { Account } from "../store/mod.ts";
import { sessionTokenOf } from "./session_cookie.ts";

/** The request's account, or the failure to answer with. */
export async function requestAccount(
  c: Context,
  node: ChatNode,
): Promise<Account | Failure> {
  const token = sessionTokenOf(c);
  if (token === undefined) {
    return fail("bad_credentials", "Sign in, or send a bearer token.");
  }
  const account = await node.accounts.resume(token);
  if (!isFailure(account)) return account;
  return account.code === "banned"
    ? account
    : fail("bad_credentials", "Unknown, expired or revoked session.");
}
