/**
 * The REST API (api/mod.ts), loaded with the first request that reaches
 * it. Its routes, their zod schemas with OpenAPI metadata and
 * @hono/zod-openapi took 55-70 ms of CPU at every start, before the
 * server could listen (docs/performance.md, "Start-up, in parallel");
 * most servers answer their web client and /healthz long before any
 * program calls the API. The first request to it waits for the load
 * instead; the routes, the answers and /api/openapi.json are the same.
 *
 * The API stays its own Hono app, reached through its `fetch`: the
 * client's address is worked out for it again (clientInfo), its errors are
 * thrown back to the server's app, whose `onError` answers them as before,
 * and a path it does not serve goes on to the server's next routes.
 */
import { Hono, type MiddlewareHandler } from "hono";
import { clientInfo } from "../http/client_info.ts";
import type { ChatNode } from "../node.ts";

/**
 * Middleware for `/api/*` that serves the REST API, loading it on the
 * first request; a load that fails (a file that cannot be read) fails
 * that request, and the next one tries again.
 */
export function lazyApiRoutes(
  node: ChatNode,
  trustProxy: boolean,
): MiddlewareHandler {
  // Requests the API had no route for, to pass on.
  const unmatched = new WeakSet<Request>();
  let loading: Promise<Hono> | undefined;
  function load(): Promise<Hono> {
    if (loading) return loading;
    loading = import("./mod.ts").then(({ apiRoutes }) => {
      const api = new Hono();
      api.use(clientInfo(trustProxy));
      api.route("/", apiRoutes(node));
      api.notFound((c) => {
        unmatched.add(c.req.raw);
        return c.body(null, 404);
      });
      api.onError((error) => {
        throw error;
      });
      return api;
    });
    loading.catch(() => loading = undefined);
    return loading;
  }
  return async (c, next) => {
    const api = await load();
    const response = await api.fetch(c.req.raw, c.env);
    if (!unmatched.has(c.req.raw)) return response;
    await next();
  };
}
