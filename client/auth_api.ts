/**
 * The HTTP side of accounts: register, sign in, sign out and look for a
 * saved session. The session itself is an HttpOnly cookie the page never
 * sees; the WebSocket upgrade carries it to the server.
 */

import type { ErrorCode, Role } from "../server/protocol/types.ts";
import { errorText } from "./error_text.ts";
import { t } from "./i18n.ts";
import type { Words } from "./room_log.ts";
import { isRole } from "./wire.ts";

/** An account the server vouches for. */
export interface SessionInfo {
  username: string;
  role: Role;
}

/** Why an HTTP call failed: the server's code and sentence, or `offline`. */
export interface AuthError {
  code: ErrorCode | "offline";
  /** The sentence in the language it was said in. */
  message: string;
  /** Says it again in the interface's language now. */
  words?: Words;
}

/** An {@linkcode AuthError} whose sentence `words` says, now and after a language change. */
function authError(code: AuthError["code"], words: Words): AuthError {
  return { code, message: words(), words };
}

/** The outcome of an HTTP call. */
export type AuthResult<T> = { ok: true; data: T } | {
  ok: false;
  error: AuthError;
};

/** How to get in with a password: with an existing account or a new one. */
export type CredentialMode = "signin" | "register";

/** The account of the session cookie; `null` when there is none (401). */
export async function fetchSession(): Promise<AuthResult<SessionInfo | null>> {
  const response = await call("GET", "/api/session");
  if (response === null) return offline();
  if (response.status === 401) return { ok: true, data: null };
  return await read(response);
}

/** Signs in (or registers); on success the server has set the session cookie. */
export async function postCredentials(
  mode: CredentialMode,
  credentials: { username: string; password: string; totp?: string },
): Promise<AuthResult<SessionInfo>> {
  const path = mode === "register" ? "/api/register" : "/api/login";
  const response = await call("POST", path, credentials);
  if (response === null) return offline();
  return await read(response);
}

/** How long a logout waits for the server before the login screen shows. */
const LOGOUT_TIMEOUT_MS = 10_000;

/**
 * Ends the session and clears its cookie, within a bound; true once the
 * server said so. Without its answer the HttpOnly cookie stays, and logs in.
 */
export async function postLogout(): Promise<boolean> {
  const response = await call(
    "POST",
    "/api/logout",
    undefined,
    LOGOUT_TIMEOUT_MS,
  );
  return response !== null && response.ok;
}

/** A same-origin request with an optional JSON body; null when offline. */
export async function call(
  method: string,
  path: string,
  body?: unknown,
  timeoutMs?: number,
): Promise<Response | null> {
  try {
    return await fetch(path, {
      method,
      signal: timeoutMs === undefined
        ? undefined
        : AbortSignal.timeout(timeoutMs),
      credentials: "same-origin",
      headers: body === undefined
        ? undefined
        : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    return null;
  }
}

async function read(response: Response): Promise<AuthResult<SessionInfo>> {
  let body: Record<string, unknown> = {};
  try {
    const value: unknown = await response.json();
    if (typeof value === "object" && value !== null) {
      body = value as Record<string, unknown>;
    }
  } catch {
    // An empty or broken body: judged by the status alone.
  }
  if (response.ok) {
    if (typeof body.username === "string" && isRole(body.role)) {
      return { ok: true, data: { username: body.username, role: body.role } };
    }
    return {
      ok: false,
      error: authError("internal", () => t("error.answerUnreadable")),
    };
  }
  const code = body.error;
  return {
    ok: false,
    error: typeof code === "string"
      ? authError(code as ErrorCode, () => errorText(code, body))
      : authError(
        "internal",
        () => t("error.status", { status: response.status }),
      ),
  };
}

function offline(): { ok: false; error: AuthError } {
  return {
    ok: false,
    error: authError("offline", () => t("error.unreachable")),
  };
}
