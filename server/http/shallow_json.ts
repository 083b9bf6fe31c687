import type { Context, Next } from "hono";
import { MAX_JSON_DEPTH, nestedDeeperThan } from "../protocol/json_depth.ts";
import { httpError } from "./errors.ts";

// What Hono's validators parse as JSON (`application/json`, `…+json`).
const JSON_TYPE = /^application\/([\w.-]+\+)?json$/i;

/**
 * Refuses (400 `invalid_message`) a JSON body that nests arrays and objects
 * deeper than {@link MAX_JSON_DEPTH}, before any route parses it, as the
 * WebSocket refuses such a frame (json_depth.ts). JSON.parse took 53 ms for a
 * 64 KiB body 32,000 deep at a load of 20 (0.01 ms for one string as long; the
 * scan 2 µs), a login with it 13.8 ms against 6.1 with a flat one at a load of
 * 2 (p50), and `/api/login` parsed it before any throttle. The text read here
 * is what the route then parses (Hono keeps it; the REST API, its own app,
 * reads it again: one more decode of at most 64 KiB); the cost is also that a
 * route which answers without reading its body (a wrong token) now reads it,
 * bounded by the 64 KiB limit before this.
 */
export async function shallowJson(
  c: Context,
  next: Next,
): Promise<Response | void> {
  const type = c.req.header("content-type")?.split(";")[0].trim() ?? "";
  if (!c.req.raw.body || !JSON_TYPE.test(type)) return await next();
  let text: string;
  try {
    text = await c.req.text();
  } catch {
    // Cut off mid-way: the route meets the same failure as before.
    return await next();
  }
  if (nestedDeeperThan(text, MAX_JSON_DEPTH)) {
    return httpError(
      c,
      "invalid_message",
      `The body nests arrays and objects more than ${MAX_JSON_DEPTH} deep.`,
    );
  }
  // The REST API is an app of its own, reached with the raw request
  // (api/lazy.ts): it reads the body from there again.
  c.req.raw = new Request(c.req.raw, { body: text });
  return await next();
}
