/**
 * The admin page's network side: `/api/admin/<action>` with the session
 * cookie, and the figures of `/metrics` and `/healthz`. Nothing here holds
 * state; actions.ts turns the answers into it.
 */

import type { ErrorCode, Role } from "../../server/protocol/types.ts";
import { errorText } from "../error_text.ts";
import { t } from "../i18n.ts";

/** The outcome of an admin call: the reply's data or the server's error. */
export type AdminResult<T> = { ok: true; data: T } | {
  ok: false;
  code: ErrorCode | "offline";
  message: string;
};

/** The replies' rows, as the server defines them. */
export type {
  AccountSummary as AccountRow,
  AuditEntrySummary as AuditRow,
  BanSummary as BanRow,
  RoomDetails as RoomRow,
} from "../../server/protocol/admin_types.ts";

/** What `/metrics` and `/healthz` say, read once. */
export interface Figures {
  connections: number;
  users: number;
  rooms: number;
  /** `chat_messages_stored_total`: rates come from two readings. */
  messagesStored: number;
  /** `/healthz` status: ok, degraded or unavailable. */
  health: string;
  store: string;
  /**
   * `/healthz` `storage` when the store is down for its disk: `full` or
   * `read_only`, the operator's to fix (not the store's own failure).
   */
  storage?: string;
  redis: string;
  /** When read, ms since the epoch. */
  at: number;
}

/** Runs a read-only admin action (GET with the data as query). */
export function adminGet<T>(
  action: string,
  query: Record<string, string | number | undefined> = {},
): Promise<AdminResult<T>> {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== "") params.set(key, String(value));
  }
  const search = params.size > 0 ? `?${params}` : "";
  return call<T>(`/api/admin/${action}${search}`, { method: "GET" });
}

/** Runs an admin action that changes something (POST with JSON data). */
export function adminPost<T>(
  action: string,
  data: Record<string, unknown>,
): Promise<AdminResult<T>> {
  return call<T>(`/api/admin/${action}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(data),
  });
}

/**
 * Calls one of the REST API's routes with the session cookie (the bots'
 * routes live under `/api/bots`, not `/api/admin`); 204 gives `{}`.
 */
export function adminRest<T>(
  method: "GET" | "POST" | "DELETE",
  path: string,
  data?: Record<string, unknown>,
): Promise<AdminResult<T>> {
  return call<T>(path, {
    method,
    headers: data ? { "content-type": "application/json" } : undefined,
    body: data ? JSON.stringify(data) : undefined,
  });
}

/** Reads `/metrics` and `/healthz` once. */
export async function fetchFigures(): Promise<Figures | null> {
  try {
    const [metrics, health] = await Promise.all([
      fetch("/metrics").then((r) => r.text()),
      fetch("/healthz").then((r) => r.json()) as Promise<
        Record<string, string>
      >,
    ]);
    return {
      connections: metricValue(metrics, "chat_connections"),
      users: metricValue(metrics, "chat_users_online"),
      rooms: metricValue(metrics, "chat_rooms"),
      messagesStored: metricValue(metrics, "chat_messages_stored_total"),
      health: health.status ?? "unknown",
      store: health.store ?? (health.status === "ok" ? "ok" : "unknown"),
      storage: health.storage,
      // /metrics has chat_redis_up only when Redis is used; "—": not used.
      redis: redisState(metrics),
      at: Date.now(),
    };
  } catch {
    return null;
  }
}

/** Redis's health from /metrics: "ok", "down", or "—" when not used. */
export function redisState(metrics: string): string {
  if (!/^chat_redis_up /m.test(metrics)) return "—";
  return metricValue(metrics, "chat_redis_up") === 1 ? "ok" : "down";
}

/** A sample's value in Prometheus text; 0 when absent. */
export function metricValue(text: string, name: string): number {
  const line = new RegExp(`^${name} (\\S+)$`, "m").exec(text);
  return line ? Number(line[1]) : 0;
}

/**
 * Sets a new password with a reset link's token; logs in on success, unless
 * the account has two-factor authentication (`totp`: its owner then signs
 * in with the new password and a code).
 */
export function postPasswordReset(
  token: string,
  password: string,
): Promise<AdminResult<{ username: string; role: Role; totp?: boolean }>> {
  return call("/api/reset-password", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token, password }),
  });
}

/** Sends a verification link's token: the address now verified, or why not. */
export function postEmailVerification(
  token: string,
): Promise<AdminResult<{ address: string; verified: true }>> {
  return call("/api/verify-email", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token }),
  });
}

async function call<T>(
  path: string,
  init: RequestInit,
): Promise<AdminResult<T>> {
  let response: Response;
  try {
    response = await fetch(path, { ...init, credentials: "same-origin" });
  } catch {
    return {
      ok: false,
      code: "offline",
      message: t("error.unreachable"),
    };
  }
  let body: Record<string, unknown> = {};
  try {
    const value: unknown = await response.json();
    if (typeof value === "object" && value !== null) {
      body = value as Record<string, unknown>;
    }
  } catch {
    // Judged by the status alone.
  }
  if (response.ok) return { ok: true, data: body as T };
  return {
    ok: false,
    code: typeof body.error === "string" ? body.error as ErrorCode : "internal",
    message: typeof body.error === "string"
      ? errorText(body.error, body)
      : t("error.status", { status: response.status }),
  };
}
