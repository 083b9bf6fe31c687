/**
 * The web client's session cookie: set by the account routes, read by the
 * WebSocket upgrade and the upload route.
 */
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { isHttps } from "./client_info.ts";

/** The cookie that carries the web client's session token. */
export const SESSION_COOKIE = "chat_session";

/** The session token the request's cookie carries, if any. */
export function sessionCookie(c: Context): string | undefined {
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
 * SameSite=Strict so other sites cannot ride on it, Secure over HTTPS.
 */
export function setSessionCookie(
  c: Context,
  token: string,
  maxAgeSeconds: number,
): void {
  setCookie(c, SESSION_COOKIE, token, {
    path: "/",
    httpOnly: true,
    sameSite: "Strict",
    secure: isHttps(c),
    maxAge: maxAgeSeconds,
  });
}

/** Clears the session cookie. */
export function clearSessionCookie(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: "/" });
}
