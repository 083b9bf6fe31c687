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
 * overwrite it). Both names are read, so a session made over plain HTTP
 * keeps working, and bots may send either.
 */
export const SESSION_COOKIE = "chat_session";

/** The session token the request's cookie carries, if any (`__Host-` first). */
export function sessionCookie(c: Context): string | undefined {
  return getCookie(c, SESSION_COOKIE, "host") ?? getCookie(c, SESSION_COOKIE);
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
