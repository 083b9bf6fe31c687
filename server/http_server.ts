/**
 * The TCP and HTTP front: accepts connections, caps them in total and per
 * address, times out slow and idle ones, hands requests to the Hono app
 * and upgrade requests to the WebSocket endpoint.
 *
 * Why not `Deno.serve`: it shows the program requests, never connections,
 * so it can neither count nor cap them, it has no header or keep-alive
 * timeout (an idle socket stays open for ever), and when `accept` fails
 * with EMFILE its loop rejects and the process exits. Here a `node:net`
 * server accepts, `node:http` parses (header, request and keep-alive
 * timeouts), and `Deno.upgradeWebSocket({ socket })` turns an upgraded
 * socket into Deno's native WebSocket, so frames cost what they did.
 */
import http from "node:http";
import net from "node:net";
import { Buffer } from "node:buffer";
import { getRequestListener, RequestError } from "@hono/node-server";
import { AddressCounts, type AddressRefusal } from "./address_share.ts";
import { log } from "./log.ts";

const logger = log("http");

/** What the app gets as `c.env` for each request. */
export interface ServeInfo {
  /** The TCP peer. */
  remoteAddr: Deno.NetAddr;
  /** Set for upgrade requests: the raw connection, for the WebSocket endpoint. */
  upgrade?: UpgradeSocket;
}

/**
 * A connection whose request asked for an upgrade, shaped as what
 * `Deno.upgradeWebSocket(request, { socket, head })` reads of a `node:net`
 * socket (`destroyed`, `_handle`, `write`): pass the object itself as
 * `socket`. Deno's upgrade keeps the object it is given for the
 * WebSocket's whole life (a close listener's closure holds it), so it is
 * this small object rather than the `node:net` socket, and {@link detach}
 * lets go of the socket once the WebSocket is open: 1.3 KB less per idle
 * connection (the socket, its stream states and listeners).
 */
export class UpgradeSocket {
  /** Bytes the client sent after the request head. */
  head: Uint8Array;
  /** Read by Deno's upgrade, which sets it once it took the handle. */
  destroyed = false;
  /** The TCP handle, which Deno's upgrade takes the stream of. */
  _handle: unknown;
  #socket: net.Socket | undefined;
  #slot: ConnectionSlot;

  constructor(socket: net.Socket, head: Uint8Array, slot: ConnectionSlot) {
    this.#socket = socket;
    this.head = head.byteLength > 0 ? head : NO_BYTES;
    this.#slot = slot;
    this._handle = (socket as unknown as { _handle: unknown })._handle;
  }

  /** Writes the 101 response: Deno's upgrade calls it. */
  write(data: string, callback: (error?: Error | null) => void): boolean {
    if (!this.#socket) {
      callback(new Error("The connection was let go of"));
      return false;
    }
    return this.#socket.write(data, callback);
  }

  /**
   * Gives the connection's slot back. Call it once the WebSocket has
   * closed: an upgraded socket leaves `node:net`, which no longer sees it.
   * Safe to call more than once.
   */
  release(): void {
    this.#slot.release();
    // Still held: the WebSocket never opened (its upgrade failed), and the
    // connection is still `node:net`'s to close.
    this.#socket?.destroy();
    this.#socket = undefined;
  }

  /**
   * The WebSocket logged in to an account: its connection weighs half
   * against its address's share (address_share.ts).
   */
  favour(): void {
    this.#slot.favour();
  }

  /**
   * Lets go of the `node:net` socket once the WebSocket is open (Deno owns
   * the stream then), and closes its TCP handle, emptied by then. Deno's
   * upgrade closes neither: the handle (a native TCP handle that holds its
   * JavaScript wrapper until closed, about 0.5 KB) stayed for good, one
   * for every connection the server ever upgraded.
   */
  detach(): void {
    const socket = this.#socket as unknown as
      | { _handle: TcpHandle | null; destroyed: boolean }
      | undefined;
    this.#socket = undefined;
    this.head = NO_BYTES;
    this._handle = null;
    if (!socket) return;
    const handle = socket._handle;
    socket._handle = null;
    socket.destroyed = true;
    if (!handle) return;
    for (const key of Object.getOwnPropertySymbols(handle)) {
      if (handle[key] === socket) handle[key] = null;
    }
    // Its stream was taken: closing frees the handle, not the connection.
    handle.close?.();
  }
}

/** What {@link UpgradeSocket.detach} uses of a `node:net` socket's handle. */
type TcpHandle = Record<symbol, unknown> & { close?(): void };

const NO_BYTES = new Uint8Array(0);

/** Options of {@link startHttpServer}. */
export interface HttpServerOptions {
  hostname: string;
  /** 0 picks a free port. */
  port: number;
  /** The Hono app's fetch. */
  fetch(request: Request, info: ServeInfo): Response | Promise<Response>;
  /** Seconds a client has to send a request's headers. */
  headerTimeoutSeconds: number;
  /** Seconds an idle keep-alive connection stays open between requests. */
  keepAliveTimeoutSeconds: number;
  /** Seconds a client has to send a whole request, body included (300). */
  requestTimeoutSeconds?: number;
  /** Open connections in all, HTTP and WebSocket; 0 for no limit. */
  maxConnections: number;
  /**
   * Open connections per TCP peer address; 0 for no limit. The loopback
   * addresses of `isLoopback` are never capped.
   */
  maxConnectionsPerAddress: number;
  /**
   * Past half of `maxConnections`, the percent of it one peer address may
   * hold (address_share.ts); 0 or left out: none.
   */
  addressSharePercent?: number;
  /**
   * Past half of `maxConnections`, the percent of it the peer addresses of
   * one IPv6 /48 may hold together (address_share.ts); 0 or left out: none.
   */
  siteSharePercent?: number;
}

/** A running front. */
export interface HttpServer {
  readonly addr: Deno.NetAddr;
  /** Open TCP connections, upgraded ones included. */
  readonly openConnections: number;
  /**
   * Stops accepting, lets requests under way finish (at most `graceMs`),
   * then closes every connection still open. Upgraded sockets are the
   * WebSocket endpoint's to close.
   */
  shutdown(graceMs?: number): Promise<void>;
  /** Resolves once shut down. */
  readonly finished: Promise<void>;
}

// A watchdog connects to the server this often to prove it still accepts.
const PROBE_INTERVAL_MS = 5000;

/** Starts the front and resolves once it listens. */
export async function startHttpServer(
  options: HttpServerOptions,
): Promise<HttpServer> {
  const slots = new ConnectionSlots(options);
  let active = 0;
  const listener = getRequestListener(
    async (request, env) => {
      const incoming = (env as { incoming: http.IncomingMessage }).incoming;
      // A `Request` cannot carry these methods: building one would throw
      // and answer 500 with no word of why.
      if (UNSERVED_METHODS.has(request.method)) return unserved(request.method);
      active++;
      try {
        return await options.fetch(standard(request), {
          remoteAddr: peerOf(incoming.socket),
        });
      } finally {
        active--;
      }
    },
    {
      overrideGlobalObjects: false,
      // A request node-server cannot make a `Request` of (a Host that is no
      // host, none, a target that is not a path) got an empty 400; it gets
      // the JSON error an upgrade request gets (upgradeRefusal).
      errorHandler: (error) => {
        if (error instanceof RequestError) return requestRefusal();
        logger.error("Crash serving a request: {error}", { error });
        return jsonRefusal(500, "The server failed.");
      },
    },
  );
  const server = http.createServer({
    // node:http answered an HTTP/1.1 request without a Host itself, an
    // empty 400; node-server refuses it too, and its errorHandler above
    // says why.
    requireHostHeader: false,
    headersTimeout: options.headerTimeoutSeconds * 1000,
    // A request has at least as long as its headers (node:http refuses to
    // start otherwise, which `--header-timeout` above 300 did).
    requestTimeout: Math.max(
      options.requestTimeoutSeconds ?? 300,
      options.headerTimeoutSeconds,
    ) * 1000,
    keepAliveTimeout: options.keepAliveTimeoutSeconds * 1000,
    // How often the header and request timeouts are checked.
    connectionsCheckingInterval: Math.min(
      1000,
      options.headerTimeoutSeconds * 500,
    ),
  }, listener);
  // Every request, whatever answers it (node-server's errorHandler too).
  server.on(
    "request",
    (request: http.IncomingMessage) => spoke(request.socket),
  );
  server.on("upgrade", (request, socket, head) => {
    upgrade(request, socket as net.Socket, head as Buffer);
  });
  // node:http hands a CONNECT to this event, or closes it unanswered.
  server.on("connect", (request, socket) => {
    spoke(socket as net.Socket);
    writeRaw(socket as net.Socket, unserved(request.method ?? "CONNECT"));
  });
  server.on("clientError", (error: NodeJS.ErrnoException, socket) => {
    logger.debug("Closing {address}: {error}", {
      address: (socket as net.Socket).remoteAddress,
      error: error.code ?? error.message,
    });
    if (socket.writable && error.code === "ERR_HTTP_REQUEST_TIMEOUT") {
      socket.end("HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n");
    } else if (socket.writable && error.code === "HPE_HEADER_OVERFLOW") {
      // node:http's bound on a request's head (16 KiB): a long token or
      // cookie ends here, and its sender should learn why.
      return refuse(socket as net.Socket, "headers");
    } else if (socket.writable && error.code !== "ECONNRESET") {
      return refuse(socket as net.Socket, "malformed");
    }
    socket.destroy();
  });
  // The server never listens itself (the acceptor below does, so that it
  // can be replaced). node:http keys two things to listening: the header
  // and request timeout checks start on "listening", and a server that is
  // not listening closes each connection after its response instead of
  // keeping it alive.
  let accepting = true;
  Object.defineProperty(server, "listening", { get: () => accepting });
  server.emit("listening");

  // Local ports of the watchdog's connections, which only prove that the
  // listener accepts and are closed at once.
  const probes = new Set<number>();

  let accepted = 0;

  function accept(socket: net.Socket): void {
    accepted++;
    if (probes.delete(socket.remotePort ?? -1)) {
      socket.destroy();
      return;
    }
    const address = socket.remoteAddress ?? "unknown";
    const slot = slots.acquire(address, socket);
    if (typeof slot === "string") {
      refuse(socket, slot);
      return;
    }
    socket.once("close", () => slot.release());
    (socket as SlotSocket)[SLOT] = slot;
    server.emit("connection", socket);
  }

  async function upgrade(
    request: http.IncomingMessage,
    socket: net.Socket,
    head: Buffer,
  ): Promise<void> {
    // Deno reads an upgraded connection natively from its next unread
    // byte. node:net would go on reading until Deno takes the handle, after
    // the 101 is written, and the client's first frames, sent as soon as it
    // sees the 101, would be read here and lost: stop reading now, and hand
    // over whatever was read already.
    socket.pause();
    spoke(socket);
    (socket as unknown as { _handle?: { readStop?(): number } })._handle
      ?.readStop?.();
    const buffered = socket.read() as Buffer | null;
    if (buffered) head = Buffer.concat([head, buffered]);
    const slot = (socket as SlotSocket)[SLOT] ?? UNCOUNTED;
    const refusal = upgradeRefusal(request);
    if (refusal) {
      await writeRaw(socket, refusal);
      return;
    }
    const url = `http://${request.headers.host}${request.url}`;
    let response: Response;
    try {
      response = await options.fetch(upgradeRequestOf(request, url), {
        remoteAddr: peerOf(socket),
        upgrade: new UpgradeSocket(socket, new Uint8Array(head), slot),
      });
    } catch (error) {
      logger.error("Crash upgrading {url}: {error}", { url, error });
      response = new Response(null, { status: 500 });
    }
    // Accepted: Deno wrote the 101 and owns the socket now.
    if (response.status === 101) return;
    await writeRaw(socket, response);
  }

  let acceptor = await listen(options.hostname, options.port, accept);
  const addr = acceptor.address() as net.AddressInfo;
  const bound: Deno.NetAddr = {
    transport: "tcp",
    hostname: addr.address,
    port: addr.port,
  };

  // Watchdog: the `node:net` accept loop stops for good after an accept
  // fails (EMFILE) in this Deno; a connection to ourselves that is not
  // accepted within a probe interval means a new listener is needed.
  let probing: Promise<void> | undefined;
  const stop = new AbortController();
  const probeHost = probeAddress(addr.address);
  async function watch(): Promise<void> {
    try {
      const alive = await probe(probeHost, addr.port, {
        probes,
        acceptedSoFar: () => accepted,
        signal: stop.signal,
      });
      if (alive === "stalled") {
        logger.error("The listener stopped accepting: listening again");
        acceptor.close();
        acceptor = await listen(options.hostname, addr.port, accept);
      } else if (alive === "out-of-files") {
        logger.warn(
          "Out of file descriptors with {open} connections open: new ones wait",
          { open: slots.total },
        );
      }
    } catch (error) {
      logger.error("Listener watchdog failed: {error}", { error });
    }
  }
  const watchdog = setInterval(() => {
    probing ??= watch().finally(() => probing = undefined);
  }, PROBE_INTERVAL_MS);

  const { promise: finished, resolve: done } = Promise.withResolvers<void>();
  let stopping: Promise<void> | undefined;
  return {
    addr: bound,
    get openConnections() {
      return slots.total;
    },
    shutdown(graceMs = 2000) {
      stopping ??= (async () => {
        clearInterval(watchdog);
        accepting = false;
        stop.abort();
        await probing;
        // Stops listening at once; its callback would wait for every
        // connection it ever accepted, upgraded ones included.
        acceptor.close();
        server.closeIdleConnections();
        const deadline = Date.now() + graceMs;
        while (active > 0 && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        server.closeAllConnections();
        server.close();
        done();
      })();
      return stopping;
    },
    finished,
  };
}

const SLOT = Symbol("slot");
type SlotSocket = net.Socket & { [SLOT]?: ConnectionSlot };

/** The connection sent a whole request head: it no longer gives way (ConnectionSlots). */
function spoke(socket: net.Socket): void {
  (socket as SlotSocket)[SLOT]?.spoke();
}

/** One accepted connection's place in the counts. */
interface ConnectionSlot {
  /** Gives the place back; more than once is safe. */
  release(): void;
  /** Its WebSocket logged in to an account (address_share.ts). */
  favour(): void;
  /** It sent a whole request head (ConnectionSlots). */
  spoke(): void;
}

const UNCOUNTED: ConnectionSlot = { release() {}, favour() {}, spoke() {} };

/**
 * Open connections in all and per address, against their caps and shares.
 *
 * At the cap, a newcomer takes the place of the connection that has waited
 * longest without sending a whole request head, which gets 408 and is
 * closed; only when every open connection has sent one is the newcomer
 * refused (503). Why: a raw TCP connection costs nothing to open and may
 * stay silent until `--header-timeout` (20 s); with no proxy in front, 400
 * silent sockets from 40 addresses (each within its share) against a cap
 * of 200 had every WebSocket login refused with 503 for as long as they
 * stayed; now ten logins in a row come in (docs/security.md). A flood of
 * them only shortens each one's life: a silent connection lasts until as
 * many newcomers came as the cap, and a real client, whose request head
 * follows its connection within a round trip, is not one of the silent for
 * long. The cost: at the cap, a client whose request head
 * comes later than that many newcomers (a very slow link, under a flood)
 * gets 408 and must try again; the per-address rules are checked first,
 * so an address at its share cannot push others out.
 */
class ConnectionSlots {
  #max: number;
  #addresses: AddressCounts;
  #refusedLogged = 0;
  #evictedLogged = 0;
  // Connections with no whole request head yet, oldest first (a Set keeps
  // the order things were added in).
  #silent = new Set<Slot>();
  total = 0;

  constructor(options: HttpServerOptions) {
    this.#max = options.maxConnections;
    this.#addresses = new AddressCounts({
      perAddressMax: options.maxConnectionsPerAddress,
      max: options.maxConnections,
      sharePercent: options.addressSharePercent ?? 0,
      siteSharePercent: options.siteSharePercent ?? 0,
      // No accounts' reserve here: every connection is a stranger when it
      // is accepted, a member's too; the WebSocket endpoint keeps it.
    });
  }

  /** Takes a place for `socket`, or says why not. */
  acquire(address: string, socket: net.Socket): ConnectionSlot | Refusal {
    const full = this.#max > 0 && this.total >= this.#max;
    if (full && this.#silent.size === 0) {
      this.#logRefusal("{open} connections open, the most allowed", {
        open: this.total,
      });
      return "full";
    }
    const refusal = this.#addresses.refusal(address, this.total);
    if (refusal) {
      this.#logRefusal(
        REFUSAL_LOG[refusal],
        { address, count: this.#addresses.count(address) },
      );
      return refusal;
    }
    if (full) this.#closeOldestSilent();
    this.#addresses.add(address);
    this.total++;
    const slot = new Slot(this, this.#addresses, address, socket);
    this.#silent.add(slot);
    return slot;
  }

  /** `slot` sent a request head, or closed: it no longer gives way. */
  heard(slot: Slot): void {
    this.#silent.delete(slot);
  }

  #closeOldestSilent(): void {
    const [oldest] = this.#silent;
    this.#silent.delete(oldest);
    const now = Date.now();
    if (now - this.#evictedLogged >= 1000) {
      this.#evictedLogged = now;
      logger.warn(
        "Connections full ({open}): closing the oldest that sent no request",
        { open: this.total },
      );
    }
    oldest.giveWay();
  }

  // A flood would log a line per refused connection: one a second.
  #logRefusal(message: string, values: Record<string, unknown>): void {
    const now = Date.now();
    if (now - this.#refusedLogged < 1000) return;
    this.#refusedLogged = now;
    logger.warn(`Refusing connections: ${message}`, values);
  }
}

const REFUSAL_LOG: Record<AddressRefusal, string> = {
  address: "{address} has {count} connections open",
  share:
    "{address} has {count} connections open, its share of a server half full",
  site: "the IPv6 /48 of {address} holds its share of a server half full",
  guests: "the guests' part of the connections is full",
};

class Slot implements ConnectionSlot {
  #slots: ConnectionSlots;
  #addresses: AddressCounts;
  #address: string;
  // Until it speaks: what giveWay closes. Let go of then, so an upgraded
  // connection's slot does not keep its `node:net` socket alive.
  #socket: net.Socket | undefined;
  #released = false;
  #favoured = false;

  constructor(
    slots: ConnectionSlots,
    addresses: AddressCounts,
    address: string,
    socket: net.Socket,
  ) {
    this.#slots = slots;
    this.#addresses = addresses;
    this.#address = address;
    this.#socket = socket;
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#socket = undefined;
    this.#slots.heard(this);
    this.#slots.total--;
    this.#addresses.remove(this.#address, this.#favoured);
  }

  spoke(): void {
    if (!this.#socket) return;
    this.#socket = undefined;
    this.#slots.heard(this);
  }

  /** Closes the connection, silent yet, for a newcomer: its place is free at once. */
  giveWay(): void {
    const socket = this.#socket;
    this.release();
    if (socket) refuse(socket, "silent");
  }

  favour(): void {
    if (this.#released || this.#favoured) return;
    this.#favoured = true;
    this.#addresses.favour(this.#address);
  }
}

type Refusal = "full" | "silent" | AddressRefusal | "headers" | "malformed";

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

function refuse(socket: net.Socket, refusal: Refusal): void {
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
const UNSERVED_METHODS = new Set(["CONNECT", "TRACE", "TRACK"]);

function unserved(method: string): Response {
  return jsonRefusal(501, `This server does not answer ${method} requests.`);
}

// node-server's words do not tell a bad Host from a bad target reliably (a
// Host with a space is an "Invalid URL"): the answer names both.
function requestRefusal(): Response {
  return jsonRefusal(
    400,
    "The request target must be a path, and the Host header a host and an optional port.",
  );
}

function jsonRefusal(status: number, message: string): Response {
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
function upgradeRefusal(request: http.IncomingMessage): Response | undefined {
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

async function writeRaw(socket: net.Socket, response: Response): Promise<void> {
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

/**
 * The upgrade request as a `Request`, its headers appended to it one by
 * one: a `Headers` given to the constructor is copied (iterated, sorted,
 * each pair converted and checked again), which made this cost about
 * 20 KB of garbage per connection.
 */
function upgradeRequestOf(request: http.IncomingMessage, url: string): Request {
  const upgrade = new Request(url, { method: request.method });
  const headers = upgrade.headers;
  const raw = request.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    headers.append(raw[i], raw[i + 1]);
  }
  return upgrade;
}

/**
 * A standard Request: the adapter hands over a lighter look-alike that
 * `new Request(request, …)` and other web APIs reject.
 */
function standard(request: Request): Request {
  // (It passes `instanceof Request`, so it is rebuilt every time.)
  const hasBody = request.method !== "GET" && request.method !== "HEAD";
  return new Request(request.url, {
    method: request.method,
    headers: request.headers,
    body: hasBody ? request.body : null,
    signal: request.signal,
    duplex: "half",
  } as RequestInit);
}

function peerOf(socket: net.Socket): Deno.NetAddr {
  return {
    transport: "tcp",
    hostname: socket.remoteAddress ?? "unknown",
    port: socket.remotePort ?? 0,
  };
}

function listen(
  hostname: string,
  port: number,
  accept: (socket: net.Socket) => void,
): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    // Small frames go out at once: Nagle would hold each for an ACK.
    const acceptor = net.createServer({ noDelay: true }, accept);
    acceptor.once("error", reject);
    acceptor.listen({ host: hostname, port }, () => {
      acceptor.off("error", reject);
      acceptor.on("error", (error) => {
        logger.error("Listener error: {error}", { error });
      });
      resolve(acceptor);
    });
  });
}

function probeAddress(bound: string): string {
  if (bound === "0.0.0.0") return "127.0.0.1";
  if (bound === "::") return "::1";
  return bound;
}

/**
 * Connects to the server and waits for it to accept: "ok", "stalled" when
 * the connection was made but never accepted, or "out-of-files" when the
 * process could not even open the probe's own socket.
 */
async function probe(
  hostname: string,
  port: number,
  context: {
    probes: Set<number>;
    acceptedSoFar: () => number;
    signal: AbortSignal;
  },
): Promise<"ok" | "stalled" | "out-of-files"> {
  const { probes, acceptedSoFar, signal } = context;
  const before = acceptedSoFar();
  let conn: Deno.Conn;
  try {
    conn = await Deno.connect({ hostname, port });
  } catch (error) {
    return /os error 24|Too many open files/.test(String(error))
      ? "out-of-files"
      : "ok";
  }
  const local = (conn.localAddr as Deno.NetAddr).port;
  probes.add(local);
  try {
    const deadline = Date.now() + PROBE_INTERVAL_MS;
    while (probes.has(local) && Date.now() < deadline && !signal.aborted) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // Under a flood the probe may wait behind others: a listener that
    // accepted anything meanwhile is alive.
    const stalled = probes.has(local) && acceptedSoFar() === before &&
      !signal.aborted;
    return stalled ? "stalled" : "ok";
  } finally {
    probes.delete(local);
    conn.close();
  }
}
