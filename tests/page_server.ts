/**
 * A web server on a loopback address for link previews' tests: pages by
 * path, and a record of every request it got (path, User-Agent, Cookie),
 * so that a test sees what the chat server asked for, and what it did not.
 */

/** One request the page server got. */
export interface PageRequest {
  path: string;
  userAgent: string | null;
  cookie: string | null;
}

/** A page: its answer, made for each request. */
export type PageHandler = (request: Request) => Response | Promise<Response>;

/** A running page server. */
export interface PageServer {
  /** `http://<address>:<port>`. */
  origin: string;
  readonly requests: PageRequest[];
  /** The paths asked for so far, in order. */
  paths(): string[];
  close(): Promise<void>;
}

/** An HTML page with this head (and a short body). */
export function html(head: string, more: ResponseInit = {}): Response {
  return new Response(
    `<!doctype html><html><head>${head}</head><body><p>Hello</p></body></html>`,
    {
      ...more,
      headers: { "content-type": "text/html; charset=utf-8", ...more.headers },
    },
  );
}

/** Starts a page server on `hostname` (default 127.0.0.1), port 0. */
export function startPageServer(
  pages: Record<string, PageHandler>,
  hostname = "127.0.0.1",
): Promise<PageServer> {
  const requests: PageRequest[] = [];
  const { promise, resolve } = Promise.withResolvers<PageServer>();
  const server = Deno.serve({
    hostname,
    port: 0,
    onListen({ port }) {
      const host = hostname.includes(":") ? `[${hostname}]` : hostname;
      resolve({
        origin: `http://${host}:${port}`,
        requests,
        paths: () => requests.map((r) => r.path),
        close: () => server.shutdown(),
      });
    },
  }, (request) => {
    const url = new URL(request.url);
    requests.push({
      path: url.pathname,
      userAgent: request.headers.get("user-agent"),
      cookie: request.headers.get("cookie"),
    });
    const page = pages[url.pathname];
    return page ? page(request) : new Response("no such page", { status: 404 });
  });
  return promise;
}
