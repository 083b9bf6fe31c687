import type { Context, MiddlewareHandler } from "hono";
import type { Socket as NetSocket } from "node:net";
import { ClientConnection, type LoginWatcher } from "./connection.ts";
import { AddressCounts, type AddressRefusal } from "./address_share.ts";
import { remoteAddressOf } from "./http/client_info.ts";
import { httpError } from "./http/errors.ts";
import { sessionTokenOf } from "./http/session_cookie.ts";
import type { ServeInfo } from "./http_server.ts";
import type { UpgradeSocket } from "./http/upgrade_socket.ts";
import {
  clearIdleTimer,
  dropIdleTimerListener,
  idleTimerOf,
} from "./http/idle_timer.ts";
import { cancelRead } from "./http/connection_cutter.ts";
import { StallWatch, type Watched } from "./http/stall_watch.ts";
import { log } from "./log.ts";
import {
  CLOSE_LOGIN_TIMEOUT,
  CLOSE_TOO_BIG,
  closeReason,
} from "./protocol/close_codes.ts";
import { MAX_OBJECTS_PER_FRAME } from "./protocol/limits.ts";
import { isFailure } from "./protocol/errors.ts";
import type { ChatNode } from "./node.ts";
import { ConnectionWriter, type FrameSink } from "./writer.ts";

const logger = log("ws");

/** The path of the WebSocket endpoint. */
export const WEBSOCKET_PATH = "/ws";

/** Options of {@link createWebSocketEndpoint}. */
export interface WebSocketOptions {
  /** Largest accepted client frame, in bytes. */
  maxFrameBytes: number;
  /**
   * Seconds a silent socket lasts: Deno pings after half of it and closes
   * the socket if nothing, pong included, comes in the other half.
   */
  idleTimeoutSeconds: number;
  /** Unsent bytes a socket may hold before it is closed as too slow. */
  maxBufferedBytes: number;
  /** Origins allowed besides the server's own ("*" allows any). */
  allowOrigins: string[];
  /** Open sockets allowed per address; 0 for no limit. */
  maxConnectionsPerAddress: number;
  /**
   * The server's connection cap, resolved (`--max-connections`, or what
   * the open-file limit allows): past half of it, an address may hold
   * `addressSharePercent` of it in sockets (address_share.ts).
   */
  maxConnections: number;
  /** Percent of `maxConnections` one address may weigh past half full; 0: none. */
  addressSharePercent: number;
  /** Percent of `maxConnections` one IPv6 /48 may weigh past half full; 0 or left out: none. */
  siteSharePercent?: number;
  /**
   * Percent of `maxConnections` kept for sockets of accounts: the others
   * may hold the rest (address_share.ts); 0 or left out: none.
   */
  accountReservePercent?: number;
  /** Connections open on the server now (HTTP and WebSocket); none: 0. */
  openConnections?: () => number;
  /** Seconds to log in before the socket is closed with 4001. */
  loginTimeoutSeconds: number;
}

/** The `/ws` endpoint and a way to close every socket it opened. */
export interface WebSocketEndpoint {
  /** Hono middleware: Origin check, then the upgrade. */
  handler: MiddlewareHandler;
  /**
   * For shutdown: stops reading frames, lets requests under way finish
   * (at most `graceMs`), then closes every socket with the given code.
   */
  closeAll(code: number, reason: string, graceMs?: number): Promise<void>;
  /** Number of open sockets, logged in or not. */
  readonly openSockets: number;
}

/**
 * The only place that touches `WebSocket`: it checks the Origin, upgrades,
 * enforces the frame size limit and hands text frames to a ClientConnection.
 */
export function createWebSocketEndpoint(
  node: ChatNode,
  options: WebSocketOptions,
): WebSocketEndpoint {
  const open = new Map<ConnectionWriter, SocketSession>();
  // Sockets whose client stopped reading, cut (stall_watch.ts).
  const stalls = new StallWatch<SocketSession>({
    open: () => open.values(),
    count: () => open.size,
  }, options);
  // closeAll's code and reason, for sockets that open after it began.
  let goodbye: { code: number; reason: string } | undefined;
  const perAddress = new AddressCounts({
    perAddressMax: options.maxConnectionsPerAddress,
    max: options.maxConnections,
    sharePercent: options.addressSharePercent,
    siteSharePercent: options.siteSharePercent,
    accountReservePercent: options.accountReservePercent,
  });
  // Connections that have not logged in yet, with their deadline. One sweep
  // a second checks them all: a timer per connection would cost every one
  // of ten thousand idle connections its own.
  const loginDeadlines = new Map<ClientConnection, number>();
  // Of them, those let in to the accounts' reserve: their deadline stands
  // (see sweepLogins).
  const firmDeadlines = new Set<ClientConnection>();
  let sweeper: ReturnType<typeof setInterval> | undefined;

  function awaitLogin(connection: ClientConnection, firm: boolean): void {
    loginDeadlines.set(
      connection,
      Date.now() + options.loginTimeoutSeconds * 1000,
    );
    if (firm) firmDeadlines.add(connection);
    sweeper ??= setInterval(sweepLogins, 250);
  }

  function forgetLogin(connection: ClientConnection): void {
    loginDeadlines.delete(connection);
    firmDeadlines.delete(connection);
  }

  function sweepLogins(): void {
    const now = Date.now();
    const timeout = options.loginTimeoutSeconds * 1000;
    for (const [connection, deadline] of loginDeadlines) {
      if (connection.member) {
        forgetLogin(connection);
      } else if (connection.loggingIn) {
        // A login under way stops the clock; a refused one gets a fresh
        // timeout to try again. Not in the accounts' reserve: a socket
        // there that fails login after login would hold its place for
        // good, and a few of them the whole reserve.
        if (!firmDeadlines.has(connection)) {
          loginDeadlines.set(connection, now + timeout);
        }
      } else if (deadline <= now) {
        forgetLogin(connection);
        logger.info("Closing {address}: no login within {s} s", {
          address: connection.remoteAddress,
          s: options.loginTimeoutSeconds,
        });
        connection.disconnect(CLOSE_LOGIN_TIMEOUT, "Log in first");
      }
    }
    if (loginDeadlines.size === 0) {
      clearInterval(sweeper);
      sweeper = undefined;
    }
  }
  const encoder = new TextEncoder();

  function tooBig(data: string | ArrayBuffer | Blob): boolean {
    const max = options.maxFrameBytes;
    if (typeof data !== "string") {
      return (data instanceof Blob ? data.size : data.byteLength) > max;
    }
    // UTF-8 takes 1 to 3 bytes per UTF-16 unit: only count when unsure.
    if (data.length * 3 <= max) return false;
    if (data.length > max) return true;
    return encoder.encode(data).byteLength > max;
  }

  const endpoint: Endpoint = {
    node,
    options,
    open,
    stalls,
    perAddress,
    awaitLogin,
    forgetLogin,
    tooBig,
    get draining() {
      return goodbye !== undefined;
    },
    get goodbye() {
      return goodbye;
    },
  };
  function refusalMessage(refusal: AddressRefusal): string {
    switch (refusal) {
      case "address":
        return `Too many connections from your address (at most ${options.maxConnectionsPerAddress}).`;
      case "share":
        return `Too many connections from your address while the server is busy (at most ${perAddress.share}, an account's counting half): try again shortly.`;
      case "site":
        return `Too many connections from your network (its IPv6 /48) while the server is busy (at most ${perAddress.siteShare}, an account's counting half): try again shortly.`;
      case "guests":
        return `The server keeps its last connections for accounts (guests may hold ${perAddress.guestMax}): log in to one, or try again shortly.`;
    }
  }

  const handler: MiddlewareHandler = async (c) => {
    const origin = c.req.header("origin");
    if (origin !== undefined && !originAllowed(origin, c, options)) {
      logger.warn("Refused upgrade from origin {origin} ({address})", {
        origin,
        address: remoteAddressOf(c),
      });
      return httpError(
        c,
        "forbidden",
        `Origin '${origin}' may not open a WebSocket here.`,
      );
    }
    const raw = (c.env as ServeInfo | undefined)?.upgrade;
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket" || !raw) {
      return httpError(
        c,
        "invalid_message",
        "This endpoint only accepts WebSocket upgrades.",
        { status: 426 },
      );
    }
    const address = remoteAddressOf(c);
    const token = sessionTokenOf(c);
    let refusal = perAddress.refusal(
      address,
      options.openConnections?.() ?? 0,
    );
    // The guests' part is full: a socket that will log in to an account
    // may come in to the reserve. Its token is checked now (a store read,
    // only while the guests' part is full), or any made-up cookie would
    // let a stranger in.
    const reserved = refusal === "guests" && token !== undefined;
    if (reserved && await liveSession(node, token)) refusal = undefined;
    if (refusal) {
      const count = perAddress.count(address);
      logger.warn(
        "Refused upgrade from {address} ({refusal}): {count} sockets open",
        {
          address,
          refusal,
          count,
        },
      );
      return httpError(c, "rate_limited", refusalMessage(refusal));
    }
    let upgraded: { response: Response; socket: WebSocket };
    const request = c.req.raw;
    try {
      upgraded = Deno.upgradeWebSocket(request, {
        idleTimeout: options.idleTimeoutSeconds,
        // Deno reads `destroyed`, `_handle` and `write` of it, as of a socket.
        socket: raw as unknown as NetSocket,
        head: raw.head,
      });
    } catch (error) {
      return httpError(
        c,
        "invalid_message",
        `Not a WebSocket upgrade: ${(error as Error).message}`,
      );
    }
    // Counted once upgraded; the close gives it back.
    perAddress.add(address);
    new SocketSession(endpoint, address, raw, request, upgraded.socket, {
      // A program's token, or the web client's cookie: `login` with no data.
      cookieToken: token,
      reserved,
    });
    return upgraded.response;
  };

  return {
    handler,
    async closeAll(code, reason, graceMs = 2000) {
      goodbye = { code, reason };
      clearInterval(sweeper);
      sweeper = undefined;
      loginDeadlines.clear();
      firmDeadlines.clear();
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.all([...open.values()].map((s) => s.settled())),
        new Promise((resolve) => timer = setTimeout(resolve, graceMs)),
      ]);
      clearTimeout(timer);
      for (const writer of open.keys()) writer.close(code, reason);
      // Let the close handshakes finish (a second at most): a process that
      // exits first resets the connections and clients never see 1001.
      const deadline = Date.now() + 1000;
      while (open.size > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      stalls.stop();
    },
    get openSockets() {
      return open.size;
    },
  };
}

// A store that fails leaves the socket out, as a dead token would.
async function liveSession(node: ChatNode, token: string): Promise<boolean> {
  try {
    return !isFailure(await node.accounts.resumeSession(token));
  } catch {
    return false;
  }
}

/**
 * Empties the request given to Deno's upgrade once the socket is open.
 * Deno keeps it as long as the socket (its close listener's closure holds
 * the upgrade's scope) but reads it only until then; a Request keeps its
 * state under symbol keys (the inner request, its closures, the headers,
 * the session cookie among them): 2.5 KB a connection for a copy with
 * only the four headers Deno reads, heap snapshots of 5,000 idle
 * connections say, and more for the request itself.
 */
function emptyRequest(request: Request): void {
  const fields = request as unknown as Record<symbol, unknown>;
  for (const key of Object.getOwnPropertySymbols(request)) {
    fields[key] = undefined;
  }
}

function originAllowed(
  origin: string,
  c: Context,
  options: WebSocketOptions,
): boolean {
  if (options.allowOrigins.includes("*")) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.host === c.req.header("host")) return true;
  return options.allowOrigins.some((allowed) => {
    try {
      return new URL(allowed).origin === url.origin;
    } catch {
      return false;
    }
  });
}

/** What every socket of one endpoint shares. */
interface Endpoint {
  node: ChatNode;
  options: WebSocketOptions;
  open: Map<ConnectionWriter, SocketSession>;
  stalls: StallWatch<SocketSession>;
  perAddress: AddressCounts;
  awaitLogin(connection: ClientConnection, firm: boolean): void;
  forgetLogin(connection: ClientConnection): void;
  tooBig(data: string | ArrayBuffer | Blob): boolean;
  readonly draining: boolean;
  /** Set once closeAll began: how a socket opening then is closed. */
  readonly goodbye?: { code: number; reason: string };
}

/** How a socket came in. */
interface SessionOptions {
  /** The session token its upgrade carried (Bearer, else cookie). */
  cookieToken?: string;
  /** Let in to the places kept for accounts (address_share.ts). */
  reserved: boolean;
}

/**
 * One socket: its events and the sink its writer sends to. A class, so that
 * ten thousand idle sockets share these methods instead of holding closures
 * each.
 */
class SocketSession implements FrameSink, LoginWatcher, Watched {
  #endpoint: Endpoint;
  #remoteAddress: string;
  #raw: UpgradeSocket;
  #request?: Request;
  #cookieToken?: string;
  #socket: WebSocket;
  #connection?: ClientConnection;
  #writer?: ConnectionWriter;
  #counted = true;
  #favoured = false;
  #reserved: boolean;
  #cut = false;
  // The stall watch's (Watched).
  stallTimer: unknown;
  stallSince = 0;

  constructor(
    endpoint: Endpoint,
    remoteAddress: string,
    raw: UpgradeSocket,
    request: Request,
    socket: WebSocket,
    options: SessionOptions,
  ) {
    this.#endpoint = endpoint;
    this.#remoteAddress = remoteAddress;
    this.#raw = raw;
    this.#request = request;
    this.#cookieToken = options.cookieToken;
    this.#reserved = options.reserved;
    this.#socket = socket;
    socket.addEventListener("open", this);
    socket.addEventListener("message", this);
    socket.addEventListener("close", this);
    socket.addEventListener("error", this);
  }

  onOpen(): void {
    this.#raw.detach();
    emptyRequest(this.#request!);
    this.#request = undefined;
    // Each event type costs its socket ~290 bytes of listener lists: after
    // "open", an error is always followed by a close, which is enough.
    this.#socket.removeEventListener("open", this);
    this.#socket.removeEventListener("error", this);
    // Deno's listener for the idle timer would keep the upgrade's scopes
    // (0.7 KB); onClose clears the timer instead.
    if (this.#endpoint.options.idleTimeoutSeconds > 0) {
      dropIdleTimerListener(this.#socket);
    }
    const { node, options, open } = this.#endpoint;
    const writer = new ConnectionWriter(this, {
      maxBufferedBytes: options.maxBufferedBytes,
      maxBatch: MAX_OBJECTS_PER_FRAME,
    });
    const connection = new ClientConnection(node, writer, {
      remoteAddress: this.#remoteAddress,
      cookieToken: this.#cookieToken,
      limits: node.limits,
      watcher: this,
    });
    this.#writer = writer;
    this.#connection = connection;
    open.set(writer, this);
    this.#endpoint.stalls.opened(this);
    // Upgraded while the server shuts down (the listener stops only after
    // closeAll): closed at once, or it would wait for a login that has no
    // server left, and start again the login sweeper closeAll stopped, an
    // interval nothing would clear.
    const goodbye = this.#endpoint.goodbye;
    if (goodbye) connection.disconnect(goodbye.code, goodbye.reason);
    else this.#endpoint.awaitLogin(connection, this.#reserved);
  }

  /** The socket's events. */
  handleEvent(event: Event): void {
    if (event.type === "message") this.onMessage(event as MessageEvent);
    else if (event.type === "close") this.onClose(event);
    else if (event.type === "open") this.onOpen();
    // An upgrade that fails before opening ends with "error" and no close.
    else if (event.type === "error" && !this.#connection) this.onClose(event);
  }

  onMessage(event: MessageEvent): void {
    const connection = this.#connection;
    if (!connection || !this.#writer) return;
    const data = event.data as string | ArrayBuffer | Blob;
    if (this.#endpoint.tooBig(data)) {
      logger.info("Frame over {max} bytes from {address}: closing", {
        max: this.#endpoint.options.maxFrameBytes,
        address: this.#remoteAddress,
      });
      this.#writer.close(CLOSE_TOO_BIG, "Frame too large");
      return;
    }
    if (typeof data === "string") {
      if (this.#endpoint.draining) connection.refuseWhileStopping(data);
      else connection.receive(data);
    } else {
      connection.refuse("Binary frames are not supported: send JSON text.");
    }
  }

  onClose(event: Event): void {
    if (!this.#counted) return;
    this.#counted = false;
    clearIdleTimer(this.#socket);
    this.#raw.release();
    const { perAddress, open, forgetLogin, stalls } = this.#endpoint;
    if (this.#connection) forgetLogin(this.#connection);
    perAddress.remove(this.#remoteAddress, this.#favoured);
    if (this.#writer) open.delete(this.#writer);
    stalls.forget(this);
    // A cut socket's events say 0 or 1005: the connection was lost.
    const code = this.#cut ? 1006 : (event as CloseEvent).code ?? 1006;
    this.#connection?.closed(code);
  }

  /** Resolves once the requests under way are answered (closeAll). */
  settled(): Promise<void> {
    return this.#connection?.settled() ?? Promise.resolve();
  }

  // The stall watch's.

  idleTimer(): unknown {
    return idleTimerOf(this.#socket);
  }

  behind(): void {
    this.#writer?.sweep();
  }

  /**
   * Ends the connection of a client that stopped reading: its writes
   * fail, its read stops, and "close" follows (onClose).
   */
  cut(why: string): void {
    if (this.#cut || !this.#counted) return;
    if (!this.#raw.cut()) return;
    this.#cut = true;
    logger.info("Cutting {address}: {why}", {
      address: this.#remoteAddress,
      why,
    });
    cancelRead(this.#socket);
  }

  /** Its connection logged in to an account: it weighs half against its address's share. */
  loggedInToAccount(): void {
    if (!this.#counted || this.#favoured) return;
    this.#favoured = true;
    this.#endpoint.perAddress.favour(this.#remoteAddress);
    this.#raw.favour();
  }

  /**
   * Let in to the accounts' reserve, it may log in as a guest only once
   * the guests' part has room for it again.
   */
  mayLogInAsGuest(): boolean {
    if (!this.#reserved) return true;
    if (!this.#endpoint.perAddress.guestsRoom(true)) return false;
    this.#reserved = false;
    return true;
  }

  // The writer's sink.

  send(frame: string): void {
    this.#socket.send(frame);
  }

  bufferedAmount(): number {
    return this.#socket.bufferedAmount;
  }

  // The member leaves when the server decides to close (too slow, too
  // big), not when a peer that stopped reading acknowledges it.
  close(code: number, reason: string): void {
    this.#socket.close(code, closeReason(reason));
    this.#connection?.closed(code);
    if (this.#counted) this.#endpoint.stalls.closing(this);
  }
}
