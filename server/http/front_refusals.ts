/**
 * What the TCP front (http_server.ts) answers itself, before or instead
 * of the app: connections refused at their caps, requests node:http or
 * `Request` cannot carry, upgrade requests whose Host or target could
 * misroute them, and a Response written raw to a socket the app never
 * got.
 */
import http from "node:http";
import type net from "node:net";
import { Buffer } from "node:buffer";
import type { AddressRefusal } from "../address_share.ts";

export type Refusal =
  | "full"
  | "silent"
  | AddressRefusal
  | "headers"
  | "malformed";

const REFUSALS: Record<Refusal, { status: string; body: string }> = {
  full: {
    status: "503 Service Unavailable",
    body: JSON.stringify({
      error: "internal",
      message: "The server has too many connections: try again shortly.",
    }),
  },
  silent: {
    status: "408 Request Timeout",
    body: JSON.stringify({
      error: "internal",
      message:
        "The server has too many connections and needed this one, which had sent no request yet: try again.",
    }),
  },
  address: {
    status: "429 Too Many Requests",
    body: JSON.stringify({
      error: "rate_limited",
      message: "Too many connections from your address.",
    }),
  },
  share: {
    status: "429 Too Many Requests",
    body: JSON.stringify({
      error: "rate_limited",
      message:
        "Too many connections from your address while the server is busy: try again shortly.",
    }),
  },
  site: {
    status: "429 Too Many Requests",
    body: JSON.stringify({
      error: "rate_limited",
      message:
        "Too many connections from your network (its IPv6 /48) while the server is busy: try again shortly.",
    }),
  },
  guests: {
    status: "429 Too Many Requests",
    body: JSON.stringify({
      error: "rate_limited",
      message:
        "The server keeps its last connections for accounts: log in to one, or try again shortly.",
    }),
  },
  headers: {
    status: "431 Request Header Fields Too Large",
    body: JSON.stringify({
      error: "invalid_message",
      message: `A request's headers are at most ${
        http.maxHeaderSize / 1024
      } KiB in all.`,
    }),
  },
  malformed: {
    status: "400 Bad Request",
    body: JSON.stringify({
      error: "invalid_message",
      message: "This is not an HTTP/1.1 request the server can read.",
    }),
  },
};

export function refuse(socket: net.Socket, refusal: Refusal): void {
  const { status, body } = REFUSALS[refusal];
  // Answered before the request is read: a client that waits for a reply
  // gets one, and the descriptor is freed at once either way.
  socket.on("error", () => {});
  // What the client still sends is read and dropped: closing on unread
  // bytes would send a reset, which can destroy the answer before the
  // client reads it.
  socket.resume();
  socket.end(
    `HTTP/1.1 ${status}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${
        Buffer.byteLength(body)
      }\r\nConnection: close\r\n\r\n${body}`,
  );
  socket.destroySoon();
}

/** Methods fetch's `Request` refuses (its "forbidden methods"). */
export const UNSERVED_METHODS = new Set(["CONNECT", "TRACE", "TRACK"]);

export function unserved(method: string): Response {
  return jsonRefusal(501, `This server does not answer ${method} requests.`);
}

// node-server's words do not tell a bad Host from a bad target reliably (a
// Host with a space is an "Invalid URL"): the answer names both.
export function requestRefusal(): Response {
  return jsonRefusal(
    400,
    "The request target must be a path, and the Host header a host and an optional port.",
  );
}

export function jsonRefusal(status: number, message: string): Response {
  return new Response(
    JSON.stringify({ error: "invalid_message", message }),
    {
      status,
      headers: {
        "content-type": "application/json",
        "x-content-type-options": "nosniff",
      },
    },
  );
}

/** A host name, IPv4 or bracketed IPv6 address, and an optional port. */
const HOST_HEADER = /^(?:[a-z0-9._-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

/**
 * Why an upgrade request cannot be served, checked as node-server checks
 * every other request before it builds its URL. The URL is the `Host`
 * header glued to the path, so a `Host` such as `example.com/metrics#`
 * would turn `GET /ws` into a request for `/metrics`: any page, whatever a
 * proxy in front allows by path. A target that is not a path (`*`, an
 * absolute URL) or a backslash (which the URL parser reads as `/`) could
 * do the same.
 */
export function upgradeRefusal(
  request: http.IncomingMessage,
): Response | undefined {
  const method = request.method ?? "GET";
  if (UNSERVED_METHODS.has(method)) return unserved(method);
  const host = request.headers.host;
  if (host === undefined || !HOST_HEADER.test(host)) {
    return jsonRefusal(
      400,
      "The Host header must be a host and an optional port.",
    );
  }
  const target = request.url ?? "";
  const path = target.split("?")[0];
  if (!target.startsWith("/") || path.includes("\\")) {
    return jsonRefusal(400, "The request target must be a path.");
  }
  return undefined;
}

export async function writeRaw(
  socket: net.Socket,
  response: Response,
): Promise<void> {
  const body = new Uint8Array(await response.arrayBuffer());
  const reason = response.statusText || http.STATUS_CODES[response.status] ||
    "Unknown";
  const lines = [`HTTP/1.1 ${response.status} ${reason}`];
  response.headers.forEach((value, name) => lines.push(`${name}: ${value}`));
  lines.push(`content-length: ${body.byteLength}`, "connection: close");
  socket.on("error", () => {});
  // What the client still sends is read and dropped: closing on unread
  // bytes would send a reset, which can destroy the answer before the
  // client reads it.
  socket.resume();
  socket.end(Buffer.concat([
    Buffer.from(lines.join("\r\n") + "\r\n\r\n"),
    Buffer.from(body),
  ]));
  socket.destroySoon();
}
