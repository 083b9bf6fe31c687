import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { upgradeWebSocket } from "hono/deno";
import { ClientConnection } from "./connection.ts";
import { isLoopback } from "./addresses.ts";
import { remoteAddressOf } from "./routes/client_info.ts";
import { log } from "./log.ts";
import type { ChatNode } from "./node.ts";
import { ConnectionWriter } from "./writer.ts";

const logger = log("ws");

/** The cookie that carries the web client's session token. */
export const SESSION_COOKIE = "chat_session";

/** Close code for a frame over the size limit (RFC 6455). */
export const CLOSE_TOO_BIG = 1009;
/** Close code when the server goes away (shutdown). */
export const CLOSE_GOING_AWAY = 1001;

/** Options of {@link createWebSocketEndpoint}. */
export interface WebSocketOptions {
  /** Largest accepted client frame, in bytes. */
  maxFrameBytes: number;
  /** Seconds of silence before a ping; as many again without pong closes. */
  idleTimeoutSeconds: number;
  /** Unsent bytes a socket may hold before it is closed as too slow. */
  maxBufferedBytes: number;
  /** Origins allowed besides the server's own ("*" allows any). */
  allowOrigins: string[];
  /** Open sockets allowed per address; 0 for no limit. */
  maxConnectionsPerAddress: number;
  /** Seconds to log in before the socket is closed with 4001. */
  loginTimeoutSeconds: number;
}

/** Close code for a connection that did not log in in time. */
export const CLOSE_LOGIN_TIMEOUT = 4001;

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
  const open = new Map<ConnectionWriter, ClientConnection>();
  let draining = false;
  const perAddress = new Map<string, number>();
  // Connections that have not logged in yet, with their deadline. One sweep
  // a second checks them all: a timer per connection would cost every one
  // of ten thousand idle connections its own.
  const loginDeadlines = new Map<ClientConnection, number>();
  let sweeper: ReturnType<typeof setInterval> | undefined;

  function awaitLogin(connection: ClientConnection): void {
    loginDeadlines.set(
      connection,
      Date.now() + options.loginTimeoutSeconds * 1000,
    );
    sweeper ??= setInterval(sweepLogins, 250);
  }

  function sweepLogins(): void {
    const now = Date.now();
    for (const [connection, deadline] of loginDeadlines) {
      if (connection.member) {
        loginDeadlines.delete(connection);
      } else if (deadline <= now) {
        loginDeadlines.delete(connection);
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

  const upgrade = upgradeWebSocket((c: Context) => {
    const remoteAddress = remoteAddressOf(c);
    const cookieToken = getCookie(c, SESSION_COOKIE);
    let connection: ClientConnection | undefined;
    let writer: ConnectionWriter | undefined;
    return {
      onOpen(_event, ws) {
        const socket = ws.raw as WebSocket;
        writer = new ConnectionWriter({
          send: (frame) => socket.send(frame),
          bufferedAmount: () => socket.bufferedAmount,
          // The member leaves when the server decides to close (too slow,
          // too big), not when a peer that stopped reading acknowledges it.
          close: (code, reason) => {
            socket.close(code, reason);
            connection?.closed(code);
          },
        }, { maxBufferedBytes: options.maxBufferedBytes });
        connection = new ClientConnection(node, writer, {
          remoteAddress,
          cookieToken,
          limits: node.limits,
        });
        open.set(writer, connection);
        awaitLogin(connection);
      },
      onMessage(event, _ws) {
        if (!connection || !writer) return;
        const data = event.data as string | ArrayBuffer | Blob;
        if (tooBig(data)) {
          logger.info("Frame over {max} bytes from {address}: closing", {
            max: options.maxFrameBytes,
            address: remoteAddress,
          });
          writer.close(CLOSE_TOO_BIG, "Frame too large");
          return;
        }
        if (typeof data === "string") {
          if (draining) connection.refuseWhileStopping(data);
          else connection.receive(data);
        } else {
          connection.refuse("Binary frames are not supported: send JSON text.");
        }
      },
      onClose(event) {
        if (connection) loginDeadlines.delete(connection);
        const left = (perAddress.get(remoteAddress) ?? 1) - 1;
        if (left > 0) perAddress.set(remoteAddress, left);
        else perAddress.delete(remoteAddress);
        if (writer) open.delete(writer);
        connection?.closed((event as CloseEvent).code);
      },
      onError() {
        // A close event always follows; cleanup happens there.
      },
    };
  }, { idleTimeout: options.idleTimeoutSeconds });

  const handler: MiddlewareHandler = async (c, next) => {
    const origin = c.req.header("origin");
    if (origin !== undefined && !originAllowed(origin, c, options)) {
      logger.warn("Refused upgrade from origin {origin} ({address})", {
        origin,
        address: remoteAddressOf(c),
      });
      return c.json({
        error: "forbidden",
        message: `Origin '${origin}' may not open a WebSocket here.`,
      }, 403);
    }
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
      return c.json({
        error: "invalid_message",
        message: "This endpoint only accepts WebSocket upgrades.",
      }, 426);
    }
    const address = remoteAddressOf(c);
    const count = perAddress.get(address) ?? 0;
    const cap = options.maxConnectionsPerAddress;
    if (cap > 0 && count >= cap && !isLoopback(address)) {
      logger.warn("Refused upgrade from {address}: {count} sockets open", {
        address,
        count,
      });
      return c.json({
        error: "rate_limited",
        message: `Too many connections from your address (at most ${cap}).`,
      }, 429);
    }
    const response = await upgrade(c, next);
    // Counted once upgraded; onClose gives it back.
    if (response?.status === 101) perAddress.set(address, count + 1);
    return response;
  };

  return {
    handler,
    async closeAll(code, reason, graceMs = 2000) {
      draining = true;
      clearInterval(sweeper);
      sweeper = undefined;
      loginDeadlines.clear();
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.all([...open.values()].map((c) => c.settled())),
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
    },
    get openSockets() {
      return open.size;
    },
  };
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
