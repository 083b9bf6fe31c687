/**
 * The pieces every REST route is described with: JSON bodies, error
 * answers and the bearer scheme, and the one way a failure is answered.
 */
import type { Context } from "hono";
import type { z } from "zod";
import { httpFailure } from "../http/errors.ts";
import type { Failure } from "../protocol/errors.ts";
import { errorBody } from "./schemas.ts";

/** A JSON response (or request body) of this schema. */
export function json<S extends z.ZodType>(
  schema: S,
  description: string,
): {
  description: string;
  content: { "application/json": { schema: S } };
} {
  return { description, content: { "application/json": { schema } } };
}

/** A required JSON request body of this schema. */
export function jsonBody<S extends z.ZodType>(
  schema: S,
): { content: { "application/json": { schema: S } }; required: true } {
  return { content: { "application/json": { schema } }, required: true };
}

const ERROR_MEANINGS: Record<number, string> = {
  400:
    "Invalid input: `invalid_json`, `invalid_message`, or the rule's own code",
  401:
    "No, a wrong, an expired or a revoked token: `not_logged_in`, `bad_credentials`",
  403:
    "`forbidden` (not allowed, or a cookie from another site), `banned`, `room_archived`",
  404: "`room_not_found`, `user_not_found`, `not_found`",
  409: "`username_taken`, `stale_epoch` (with the room's `epoch`)",
  413: "The body is over 64 KiB",
  415: "The body is not JSON",
  429: "`rate_limited` (with `retry_after_ms` and Retry-After), `mailbox_full`",
};

/** Error answers of a route, by status. */
export function errors(
  ...statuses: number[]
): Record<number, ReturnType<typeof json<typeof errorBody>>> {
  return Object.fromEntries(
    statuses.map((s) => [s, json(errorBody, ERROR_MEANINGS[s] ?? "Error")]),
  );
}

/** What a route needs: a personal access token (or the web client's session). */
export const BEARER: { bearer: string[] }[] = [{ bearer: [] }];

/**
 * A failure's answer (httpFailure: a `rate_limited` one says when to come
 * back). Typed `never` so that any route may return it: which error
 * statuses a route gives is checked against its document by
 * tests/openapi_test.ts.
 */
export function refuse(c: Context, failure: Failure): never {
  return httpFailure(c, failure) as never;
}
