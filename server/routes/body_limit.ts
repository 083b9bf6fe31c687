import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";

/**
 * Hono's bodyLimit, plus: a chunked body over the limit is cancelled, not
 * left half read. (bodyLimit stops reading and answers, but keeps the
 * stream locked, so the connection's request body would stay open.)
 */
export function limitBody(
  maxSize: number,
  onError: (c: Context) => Response,
): MiddlewareHandler {
  return async (c, next) => {
    const body = c.req.raw.body;
    if (!body || c.req.raw.headers.has("content-length")) {
      return await bodyLimit({ maxSize, onError })(c, next);
    }
    // Read through a pipe we can abort, which cancels the source.
    const abort = new AbortController();
    const piped = body.pipeThrough(new TransformStream(), {
      signal: abort.signal,
    });
    c.req.raw = new Request(
      c.req.raw,
      { body: piped, duplex: "half" } as RequestInit,
    );
    return await bodyLimit({
      maxSize,
      onError: (c) => {
        abort.abort();
        return onError(c);
      },
    })(c, next);
  };
}
