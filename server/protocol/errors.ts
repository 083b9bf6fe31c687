import type { ErrorCode } from "./error_codes.ts";

/** A failed request as a value: a stable code for programs, a sentence for people. */
export interface Failure {
  readonly ok: false;
  readonly code: ErrorCode;
  readonly message: string;
  /** Extra fields for the error's data, e.g. `retry_after_ms`. */
  readonly details?: Record<string, unknown>;
}

/** A successful request and the data of its `success` reply. */
export interface Success<T = Record<string, unknown>> {
  readonly ok: true;
  readonly data: T;
  /** Work to do once the reply is queued (events the reply must precede). */
  readonly after?: () => void;
}

/** What every request handler returns. */
export type Outcome<T = Record<string, unknown>> = Success<T> | Failure;

/** Builds a failure value. */
export function fail(
  code: ErrorCode,
  message: string,
  details?: Record<string, unknown>,
): Failure {
  return details
    ? { ok: false, code, message, details }
    : { ok: false, code, message };
}

/** The `rate_limited` failure of a bucket that refills in `waitMs`. */
export function rateLimited(waitMs: number): Failure {
  return fail(
    "rate_limited",
    `Slow down: try again in ${(waitMs / 1000).toFixed(1)} s.`,
    { retry_after_ms: waitMs },
  );
}

/** Builds a success value, with events to publish after the reply. */
export function succeed<T>(data: T, after?: () => void): Success<T> {
  return after ? { ok: true, data, after } : { ok: true, data };
}

/** True for a failure value. */
export function isFailure(value: unknown): value is Failure {
  return typeof value === "object" && value !== null &&
    (value as { ok?: unknown }).ok === false;
}

/**
 * Thrown by the store when it cannot do its job (disk full, locked, gone).
 * Handlers turn it into `internal` for the client; the node logs the cause.
 */
export class StoreUnavailableError extends Error {
  override name = "StoreUnavailableError";
}
