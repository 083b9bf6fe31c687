/**
 * Tells the operator, once, when the requests show that `--trust-proxy`
 * does not match how the server is reached. Either mistake is silent
 * otherwise, and costly:
 *
 * - A proxy on this host (nginx in front of one node) without the flag:
 *   every client comes from 127.0.0.1, which is never capped nor banned,
 *   and the login throttle counts everyone as one address (50 wrong
 *   passwords from anyone, and nobody's password logs in for 15 minutes).
 * - The flag on a node reached without the proxy: anyone who can connect
 *   names any address in X-Forwarded-For and walks past every per-address
 *   limit and ban.
 *
 * Only evidence that points one way is taken: a loopback peer sending
 * X-Forwarded-For is a proxy on this host (a client cannot send from
 * there), and a request from elsewhere with no X-Forwarded-For came past
 * the proxy, which always adds one. `/healthz` is left out: a load
 * balancer's probe reaches nodes directly. Each warning is logged once per
 * process: one line, not one per request.
 */
import type { MiddlewareHandler } from "hono";
import { isLoopback } from "../addresses.ts";
import { log } from "../log.ts";
import { loggablePath } from "./loggable_path.ts";

const logger = log("http");

/** The middleware; `trustProxy` is the server's `--trust-proxy`. */
export function proxyCheck(trustProxy: boolean): MiddlewareHandler {
  let warned = false;
  return async (c, next) => {
    if (!warned) {
      const info = c.env as { remoteAddr?: { hostname?: string } } | undefined;
      const peer = info?.remoteAddr?.hostname;
      const forwarded = c.req.header("x-forwarded-for") !== undefined;
      if (!trustProxy && forwarded && peer !== undefined && isLoopback(peer)) {
        warned = true;
        logger.warning(
          "Requests come through a proxy on this host (X-Forwarded-For from {peer}) but --trust-proxy is off: every client shares the address {peer}, which no per-address limit or ban applies to, and the login throttle counts them all as one. Start with --trust-proxy",
          { peer },
        );
      } else if (
        trustProxy && !forwarded && peer !== undefined && !isLoopback(peer) &&
        c.req.path !== "/healthz"
      ) {
        warned = true;
        logger.warning(
          "A request from {peer} ({path}) reached the server without the proxy (no X-Forwarded-For) while --trust-proxy is on: whoever connects directly can claim any address. Listen only where the proxy connects (--host 127.0.0.1) or firewall the port",
          { peer, path: loggablePath(c.req.path) },
        );
      }
    }
    await next();
  };
}
