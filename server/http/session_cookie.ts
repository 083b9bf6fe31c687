/**
 * The web client's session cookie: set by the account routes, read by the
 * WebSocket upgrade and the routes that need a session.
 */
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { isHttps } from "./client_info.ts";

/**
 * The cookie that carries the web client's session token. Over HTTPS it
 * is set as `__Host-chat_session`: browsers then only keep it if it is
 * Secure, for `/`, and for this exact host (no subdomain can set or
 * overwrite it). Programs may send either name; a browser over HTTPS
 * only the `__Host-` one (see {@link sessionCookie}).
 */
export const SESSION_COOKIE = "chat_session";

/**
 * The session token the request's cookie carries, if any (`__Host-`
 * first). Over HTTPS a browser's plain `chat_session` is not read: any
 * other host of the site (a sibling subdomain), or whoever answered one
 * of its plain-HTTP requests, can write that name for this host, so
 * reading it let them log the browser in to an account of theirs
 * whenever it held no `__Host-` cookie (after a logout, or on a first
 * visit) and read what its user then wrote there. Browsers send
 * `Sec-Fetch-Site` on every request to an HTTPS origin; programs, which
 * no other site can hand a cookie, still may send either name. Cost: a
 * browser session made over plain HTTP before the server moved to HTTPS
 * logs in again.
 */
export function sessionCookie(c: Context): string | undefined {
  const prefixed = getCookie(c, SESSION_COOKIE, "host");
  if (prefixed !== undefined) return prefixed;
  if (isHttps(c) && c.req.header("sec-fetch-site") !== undefined) {
    return undefined;
  }
  return getCookie(c, SESSION_COOKIE);
}

/**
 * The session token of an HTTP request: a bot's `Authorization: Bearer`
 * token, else the web client's cookie.
 */
export function sessionTokenOf(c: Context): string | undefined {
  const bearer = c.req.header("authorization")?.match(/^Bearer (\S+)$/i)?.[1];
  return bearer ?? sessionCookie(c);
}

/**
 * Sets the session cookie: HttpOnly so page scripts never see the token,
 * SameSite=Strict so other sites cannot ride on it; over HTTPS also
 * Secure, under the `__Host-` name.
 */
export function setSessionCookie(
  c: Context,
  token: string,
  maxAgeSeconds: number,
): void {
  const options = {
    path: "/",
    httpOnly: true,
    sameSite: "Strict",
    maxAge: maxAgeSeconds,
  } as const;
  if (isHttps(c)) {
    setCookie(c, SESSION_COOKIE, token, { ...options, prefix: "host" });
  } else {
    setCookie(c, SESSION_COOKIE, token, options);
  }
}

/** Clears the session cookie, under both names over HTTPS. */
export function clearSessionCookie(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: "/" });
  if (isHttps(c)) {
    deleteCookie(c, SESSION_COOKIE, {
      path: "/",
      prefix: "host",
      httpOnly: true,
      sameSite: "Strict",
    });
  }
}
