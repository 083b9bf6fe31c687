import type { Context, Next } from "hono";
import { httpError } from "./errors.ts";

/**
 * Refuses (415) a body that is not `application/json`. A page on another
 * site can make a browser send `text/plain` or a form without asking it
 * first; JSON it cannot (CORS would ask, and we answer no one).
 */
export async function jsonOnly(
  c: Context,
  next: Next,
): Promise<Response | void> {
  return notJson(c) ?? await next();
}

/**
 * {@link jsonOnly} for a route that first looks its caller up (a wrong
 * token is told as such, before the body's type): the 415 answer, or
 * undefined for a JSON body.
 */
export function notJson(c: Context): Response | undefined {
  if (mediaType(c) === "application/json") return undefined;
  return httpError(
    c,
    "invalid_message",
    "Send the body as JSON, with Content-Type: application/json.",
    { status: 415 },
  );
}

/**
 * Refuses (415) a webhook post that is neither JSON nor Slack's form
 * (`application/x-www-form-urlencoded`, its `payload=<json>`). The route's
 * form validator would read `multipart/form-data` too, which the API does
 * not offer: one documented way in, and no multipart parser fed by anyone
 * who holds a hook's URL.
 */
export async function jsonOrForm(
  c: Context,
  next: Next,
): Promise<Response | void> {
  const type = mediaType(c);
  if (
    type === "application/json" ||
    type === "application/x-www-form-urlencoded"
  ) {
    return await next();
  }
  return httpError(
    c,
    "invalid_message",
    "Send the body as JSON (Content-Type: application/json) or as a form " +
      "with payload=<json> (application/x-www-form-urlencoded).",
    { status: 415 },
  );
}

/** The body's media type, lower case, without its parameters (`charset`). */
function mediaType(c: Context): string | undefined {
  return c.req.header("content-type")?.split(";")[0].trim().toLowerCase();
}
