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
 * {@link jsonOnly} for a route whose body may be left out: a request with
 * no body (no Content-Type, no length) goes on, one with a body of another
 * type than JSON is refused, rather than read as none (the route's
 * validator takes a body of another type for an empty one).
 */
export async function jsonIfAny(
  c: Context,
  next: Next,
): Promise<Response | void> {
  const sent = c.req.header("content-type") !== undefined ||
    Number(c.req.header("content-length") ?? 0) > 0 ||
    c.req.header("transfer-encoding") !== undefined;
  return (sent ? notJson(c) : undefined) ?? await next();
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
  if (type === "application/json") return await next();
  if (type === "application/x-www-form-urlencoded") {
    return await tooManyFields(c) ?? await next();
  }
  return httpError(
    c,
    "invalid_message",
    "Send the body as JSON (Content-Type: application/json) or as a form " +
      "with payload=<json> (application/x-www-form-urlencoded).",
    { status: 415 },
  );
}

/**
 * The most fields a webhook's form may have. Slack's has one (`payload`);
 * the route's form validator parses every field before the hook's secret
 * is looked up: a 64 KiB form of 32,000 empty fields (`a&a&…`) took
 * formData 95 ms at a load of 20 (one 64 KiB field: 0.1 ms), for anyone,
 * whatever URL under /api/hooks/ they post to.
 */
export const MAX_FORM_FIELDS = 100;

// The 400 answer for a form of more than MAX_FORM_FIELDS fields, counted
// on its text before it is parsed (Hono keeps the text for the parse).
async function tooManyFields(c: Context): Promise<Response | undefined> {
  let text: string;
  try {
    text = await c.req.text();
  } catch {
    return undefined; // Cut off: the route's parse meets it as before.
  }
  let fields = 1;
  for (let at = text.indexOf("&"); at !== -1; at = text.indexOf("&", at + 1)) {
    if (++fields > MAX_FORM_FIELDS) {
      return httpError(
        c,
        "invalid_message",
        `The form has more than ${MAX_FORM_FIELDS} fields: send payload=<json>.`,
      );
    }
  }
  return undefined;
}

/** The body's media type, lower case, without its parameters (`charset`). */
function mediaType(c: Context): string | undefined {
  return c.req.header("content-type")?.split(";")[0].trim().toLowerCase();
}
