/**
 * The account an API request acts for: its bearer token, or the web
 * client's session cookie when the request comes from the chat's own page
 * (a foreign Origin is refused: the cookie is SameSite=Strict already,
 * this also covers sibling sites).
 */
import type { Context } from "hono";
import { fail, type Failure, isFailure } from "../protocol/errors.ts";
import type { ChatNode } from "../node.ts";
import type { Account } from "../store/mod.ts";
import { sessionCookie } from "./session_cookie.ts";

/** The request's account, or the failure to answer with. */
export async function requestAccount(
  c: Context,
  node: ChatNode,
): Promise<Account | Failure> {
  const bearer = c.req.header("authorization")?.match(/^Bearer (\S+)$/)?.[1];
  const cookie = bearer === undefined ? sessionCookie(c) : undefined;
  if (cookie !== undefined && c.req.method !== "GET") {
    const origin = c.req.header("origin");
    if (origin !== undefined && !sameHost(origin, c.req.header("host"))) {
      return fail("forbidden", "Requests from another site are refused.");
    }
  }
  const token = bearer ?? cookie;
  if (token === undefined) {
    return fail("bad_credentials", "Sign in, or send a bearer token.");
  }
  const account = await node.accounts.resume(token);
  if (!isFailure(account)) return account;
  return account.code === "banned"
    ? account
    : fail("bad_credentials", "Unknown, expired or revoked session.");
}

function sameHost(origin: string, host: string | undefined): boolean {
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}
