import type { Context, MiddlewareHandler } from "hono";
import { log } from "../log.ts";
import { remoteAddressOf } from "./client_info.ts";
import { httpError } from "./errors.ts";
import { loggablePath } from "./loggable_path.ts";

const logger = log("http");

// Methods that change nothing: a cross-site GET may read nothing back.
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Refuses, with 403, every request that changes something (any method but
 * GET, HEAD and OPTIONS) unless it comes from the server's own pages: its
 * `Origin` is this host (or one given with `--allow-origin`, never `*`), or,
 * without an `Origin`, its `Sec-Fetch-Site` is `same-origin` or `none`.
 * Browsers send one or the other on every such request, so a page on
 * another site cannot log the browser into an account, out of one, or
 * anything else with its cookie (login CSRF). A request with
 * `Authorization: Bearer` and no cookie is let through: a browser never
 * adds that header across sites by itself, so a bot with a token is no
 * forgery.
 */
export function sameOriginOnly(allowOrigins: string[]): MiddlewareHandler {
  const allowed = new Set(
    allowOrigins.filter((o) => o !== "*").flatMap((o) => {
      try {
        return [new URL(o).origin];
      } catch {
        return [];
      }
    }),
  );
  return async (c, next) => {
    if (SAFE_METHODS.has(c.req.method) || bearerOnly(c)) return await next();
    const origin = c.req.header("origin");
    if (origin !== undefined) {
      if (sameHost(origin, c) || allowed.has(origin)) return await next();
      return refuse(
        c,
        `Origin '${origin.slice(0, 200)}' may not do this here.`,
      );
    }
    const site = c.req.header("sec-fetch-site");
    if (site === "same-origin" || site === "none") return await next();
    return refuse(
      c,
      site === undefined
        ? "A request that changes something needs an Origin header from this site, or an Authorization: Bearer token."
        : `A request from another site (Sec-Fetch-Site: ${
          site.slice(0, 40)
        }) may not do this here.`,
    );
  };
}

function bearerOnly(c: Context): boolean {
  return /^Bearer \S+$/i.test(c.req.header("authorization") ?? "") &&
    c.req.header("cookie") === undefined;
}

function sameHost(origin: string, c: Context): boolean {
  try {
    return new URL(origin).host === c.req.header("host");
  } catch {
    // `null` (a sandboxed page, a file) and other non-URLs.
    return false;
  }
}

function refuse(c: Context, message: string): Response {
  logger.warn("Refused {method} {path} from {address}: {message}", {
    method: c.req.method,
    path: loggablePath(c.req.path),
    address: remoteAddressOf(c),
    message,
  });
  return httpError(c, "forbidden", message);
}
