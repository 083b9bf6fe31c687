/**
 * Who the client is: its address and whether it came over HTTPS, worked out
 * once per request for the routes, the WebSocket endpoint and the cookie.
 */
import type { Context, MiddlewareHandler } from "hono";

declare module "hono" {
  interface ContextVariableMap {
    /** The client's address: the socket's, or the proxy's report of it. */
    clientAddress: string;
    /** True when the client reached us over HTTPS (directly or via the proxy). */
    https: boolean;
  }
}

/**
 * Works out who the client is, once per request. Behind a reverse proxy
 * (`--trust-proxy`) every socket comes from the proxy, so the address is
 * the last hop of X-Forwarded-For (the one the proxy itself added; earlier
 * hops are whatever the client claimed) and the scheme is
 * X-Forwarded-Proto. Without the flag those headers are ignored: anyone
 * could send them.
 */
export function clientInfo(trustProxy: boolean): MiddlewareHandler {
  return async (c, next) => {
    const info = c.env as { remoteAddr?: { hostname?: string } } | undefined;
    let address = info?.remoteAddr?.hostname ?? "unknown";
    let https = new URL(c.req.url).protocol === "https:";
    if (trustProxy) {
      const forwarded = c.req.header("x-forwarded-for")?.split(",").at(-1)
        ?.trim();
      if (forwarded) address = forwarded;
      const proto = c.req.header("x-forwarded-proto")?.split(",")[0].trim();
      if (proto) https = proto === "https";
    }
    c.set("clientAddress", address);
    c.set("https", https);
    await next();
  };
}

/** True when the client reached us over HTTPS (see {@link clientInfo}). */
export function isHttps(c: Context): boolean {
  return c.get("https") === true;
}

/** The client's address (see {@link clientInfo}). */
export function remoteAddressOf(c: Context): string {
  return c.get("clientAddress") ??
    (c.env as { remoteAddr?: { hostname?: string } } | undefined)?.remoteAddr
      ?.hostname ??
    "unknown";
}
