/**
 * HTTP error answers: every one is `{"error": code, "message"}` (plus any
 * details) with the status its code calls for, from the one table below.
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ErrorCode } from "../protocol/error_codes.ts";
import type { Failure } from "../protocol/errors.ts";

/**
 * The status of each error code over HTTP. Codes only the WebSocket sends
 * have one too, so that a handler's failure always maps to something sane.
 */
export const HTTP_STATUS: Readonly<Record<ErrorCode, ContentfulStatusCode>> = {
  invalid_json: 400,
  invalid_message: 400,
  unknown_action: 400,
  not_logged_in: 401,
  already_logged_in: 409,
  username_invalid: 400,
  username_taken: 409,
  bad_credentials: 401,
  room_name_invalid: 400,
  room_exists: 409,
  room_not_found: 404,
  cannot_leave_general: 400,
  empty_message: 400,
  message_too_long: 400,
  user_not_found: 404,
  message_not_found: 404,
  rate_limited: 429,
  forbidden: 403,
  banned: 403,
  invite_invalid: 410,
  mailbox_full: 429,
  not_accepted: 403,
  too_many_rooms: 403,
  too_many_drafts: 403,
  drafts_too_long: 403,
  too_many_saved: 403,
  too_many_stars: 403,
  too_many_scheduled: 403,
  scheduled_not_found: 404,
  group_not_found: 404,
  too_many_groups: 403,
  group_full: 403,
  not_a_poll: 400,
  poll_closed: 409,
  stale_epoch: 409,
  room_archived: 403,
  posting_restricted: 403,
  internal: 500,
  url_not_allowed: 400,
  not_found: 404,
  quota_exceeded: 413,
  insufficient_storage: 507,
  not_an_image: 415,
  totp_required: 401,
  totp_invalid: 401,
  totp_not_enabled: 409,
  totp_already_enabled: 409,
  emoji_exists: 409,
  too_many_emoji: 403,
  emoji_not_found: 404,
};

/** Options of {@link httpError}. */
export interface HttpErrorOptions {
  /** Another status than the code's own: 413 (too large), 426 (upgrade). */
  status?: ContentfulStatusCode;
  /** Extra fields of the body, e.g. `retry_after_ms`. */
  details?: Record<string, unknown>;
}

/** An error answer: `{"error": code, "message", ...details}` and its status. */
export function httpError(
  c: Context,
  code: ErrorCode,
  message: string,
  options: HttpErrorOptions = {},
): Response {
  return c.json(
    { error: code, message, ...options.details },
    options.status ?? HTTP_STATUS[code],
  );
}

/**
 * The error answer of a failure value; a `rate_limited` one with its wait
 * says when to come back (`Retry-After`, in whole seconds).
 */
export function httpFailure(c: Context, failure: Failure): Response {
  const wait = failure.details?.retry_after_ms;
  if (failure.code === "rate_limited" && typeof wait === "number") {
    c.header("retry-after", String(Math.ceil(wait / 1000)));
  }
  return httpError(c, failure.code, failure.message, {
    details: failure.details,
  });
}
