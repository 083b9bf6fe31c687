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
 *
 * Its parts, under http/: the connections' slots and caps
 * (connection_slots.ts), the answers it writes itself
 * (front_refusals.ts), the upgraded socket handed to the WebSocket
 * endpoint (upgrade_socket.ts) with the spare descriptor that can end it
 * (connection_cutter.ts; the endpoint's stall_watch.ts says when), the
 * listener and its watchdog's probe (listener_watchdog.ts).
 */
import http from "node:http";
import net from "node:net";
import { Buffer } from "node:buffer";
import { getRequestListener, RequestError } from "@hono/node-server";
import {
  ConnectionSlots,
  SLOT,
  type SlotSocket,
  spoke,
  UNCOUNTED,
} from "./http/connection_slots.ts";
import {
  jsonRefusal,
  refuse,
  requestRefusal,
  unserved,
  UNSERVED_METHODS,
  upgradeRefusal,
  writeRaw,
} from "./http/front_refusals.ts";
import {
  listen,
  probe,
  PROBE_INTERVAL_MS,
  probeAddress,
} from "./http/listener_watchdog.ts";
import { UpgradeSocket } from "./http/upgrade_socket.ts";
import { sparesHeld } from "./http/connection_cutter.ts";
import { log } from "./log.ts";

const logger = log("http");

/** What the app gets as `c.env` for each request. */
export interface ServeInfo {
  /** The TCP peer. */
  remoteAddr: Deno.NetAddr;
  /** Set for upgrade requests: the raw connection, for the WebSocket endpoint. */
  upgrade?: UpgradeSocket;
  /**
   * Resolves once the answer has been handed to the connection (or the
   * connection closed): work that must not delay it, nor show in its
   * time, starts then (mail/forgot_password.ts).
   */
  answered?: () => Promise<void>;
}

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
  /**
   * The path of the WebSocket endpoint: only a WebSocket upgrade of it
   * leaves node:http for the endpoint; left out, every upgrade does.
   */
  upgradePath?: string;
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
  /**
   * Descriptors the process may give connections (file_limit.ts): each
   * WebSocket keeps a second one, to end its connection should its client
   * stop reading (connection_cutter.ts), while open connections and those
   * spares stay under it. 0 or left out: no bound.
   */
  descriptorBudget?: number;
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

/** Starts the front and resolves once it listens. */
export async function startHttpServer(
  options: HttpServerOptions,
): Promise<HttpServer> {
  const slots = new ConnectionSlots(options);
  let active = 0;
  const listener = getRequestListener(
    async (request, env) => {
      const { incoming, outgoing } = env as {
        incoming: http.IncomingMessage;
        outgoing: http.ServerResponse;
      };
      // A `Request` cannot carry these methods: building one would throw
      // and answer 500 with no word of why.
      if (UNSERVED_METHODS.has(request.method)) return unserved(request.method);
      active++;
      try {
        const response = await options.fetch(standard(request), {
          remoteAddr: peerOf(incoming.socket),
          answered: () => answeredOf(outgoing),
        });
        sendTimeout(incoming.socket, options.headerTimeoutSeconds);
        return response;
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
    // Any other request that asks for an upgrade (`h2c`, a WebSocket
    // upgrade of a file or a page) is an ordinary one, answered by
    // node:http with its timeouts and back-pressure. Written raw (upgrade
    // below), its answer was read whole into memory and kept until the
    // client took it, for good: 20 connections asking so for a 10 MiB
    // file, and reading nothing, held 378 MB of the server.
    shouldUpgradeCallback: (request) =>
      options.upgradePath === undefined ||
      isWebSocketUpgrade(request, options.upgradePath),
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
        upgrade: new UpgradeSocket(
          socket,
          new Uint8Array(head),
          slot,
          spareAllowed(),
        ),
      });
    } catch (error) {
      logger.error("Crash upgrading {url}: {error}", { url, error });
      response = new Response(null, { status: 500 });
    }
    // Accepted: Deno wrote the 101 and owns the socket now.
    if (response.status === 101) return;
    await writeRaw(socket, response);
  }

  // Near the descriptors' end, a WebSocket keeps no spare: it could not
  // be cut, as before, rather than take a descriptor the server needs.
  function spareAllowed(): boolean {
    const budget = options.descriptorBudget ?? 0;
    return budget === 0 || slots.total + sparesHeld() < budget;
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

/**
 * Whether a request asks for a WebSocket at `path`, or with a target that
 * is no path (`*`, an absolute URL), which the upgrade path refuses
 * (upgradeRefusal).
 */
function isWebSocketUpgrade(
  request: http.IncomingMessage,
  path: string,
): boolean {
  if (request.headers.upgrade?.toLowerCase() !== "websocket") return false;
  const target = request.url ?? "";
  return !target.startsWith("/") || target.split("?")[0] === path;
}

/**
 * Arms the send timeout of a response about to be written: a client that
 * takes nothing of it for `seconds` (no byte read from it, no write of it
 * done) has its connection destroyed, as nginx's `send_timeout` does.
 * Without it a client that stopped reading (a zero TCP window) held its
 * connection, the response's buffers and, for a file, its descriptor for
 * as long as it liked: node:http has no such deadline. node:http's own
 * keep-alive timeout replaces this one once the response is written, and
 * the next request on the connection clears it. The costs: a body the
 * server itself stops producing for that long (files in a frozen
 * PostgreSQL) is cut off too, and so is a request pipelined behind a
 * response still being written whose own answer takes that long. And
 * "takes nothing" is seen only as writes end: a write waiting on a full
 * send buffer ends once the kernel frees a third of it (up to about
 * 1.3 MB of a 4 MB buffer on a fast link), so a client that reads on,
 * slower than that per `seconds`, is cut off too (measured on loopback:
 * 64 KiB writes waited 1.0-1.6 s for a reader of 1.3 MB/s, cut after 7 to
 * 10 MB of 10 at 1 s). node:net shows nothing finer of a write's progress.
 */
function sendTimeout(socket: net.Socket, seconds: number): void {
  socket.setTimeout(seconds * 1000);
}

// When a response is written whole (finish) or its connection ends first.
function answeredOf(outgoing: http.ServerResponse): Promise<void> {
  if (outgoing.writableFinished || outgoing.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    outgoing.once("finish", () => resolve());
    outgoing.once("close", () => resolve());
  });
}
