/**
 * A wrong, expired or revoked `Authorization` is refused (401
 * `bad_credentials`) before anything else, as Slack's `invalid_auth`:
 * never read as no token (a public room's history or file would answer, and
 * a program whose token was revoked would take a private file's 403 for a
 * missing right) nor hidden behind a body's validation error. Costs one
 * token lookup more on the routes that then look the caller up. A banned
 * account's token passes: the route says `banned` itself. Requests without
 * the header (the web client's cookie) are not looked at here.
 */
import type { MiddlewareHandler } from "hono";
import type { ChatNode } from "../node.ts";
import { fail, isFailure } from "../protocol/errors.ts";
import { httpFailure } from "./errors.ts";
import { sessionTokenOf } from "./session_cookie.ts";

/** Middleware refusing a request whose `Authorization` proves no account. */
export function refuseWrongBearer(node: ChatNode): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.header("authorization") === undefined) return await next();
    const token = sessionTokenOf(c);
    const account = token === undefined
      ? fail("bad_credentials", "Send 'Authorization: Bearer <token>'.")
      : await node.accounts.resume(token);
    if (isFailure(account) && account.code !== "banned") {
      return httpFailure(c, account);
    }
    return await next();
  };
}
