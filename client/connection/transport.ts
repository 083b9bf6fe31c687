/**
 * The socket's life: open it, split what arrives into objects, and after a
 * drop open another one after a full-jitter backoff. The only code that
 * knows a WebSocket is {@linkcode openWebSocket}; everything else goes
 * through a {@linkcode SocketFactory}, so tests can script a server.
 * Sessions and requests are not its business: it tells the connection what
 * happened through {@linkcode TransportEvents}.
 */

import {
  CLOSE_REMOVED,
  CLOSE_SESSION_ENDED,
} from "../../server/protocol/close_codes.ts";
import type { Envelope } from "../../server/protocol/types.ts";
import type { Clock, TimerId } from "../clock.ts";
import { decodeFrame, type Fields } from "../wire.ts";

/** What a socket reports, once it is made. */
export interface SocketHandlers {
  /** The socket is open: frames may be sent. */
  open(): void;
  /** A text frame arrived. */
  message(text: string): void;
  /** The socket closed, with the close frame's code and reason. */
  close(code: number, reason: string): void;
}

/** One socket, as the transport uses it. */
export interface Socket {
  /** Whether frames can be sent now. */
  readonly open: boolean;
  /** Sends one text frame. */
  send(text: string): void;
  /** Closes the socket; its handlers are not called any more. */
  close(): void;
}

/** Opens a socket to `url`; may throw (a malformed URL), which counts as a failed attempt. */
export type SocketFactory = (url: string, handlers: SocketHandlers) => Socket;

/** What the transport tells the connection, in the order it happens. */
export interface TransportEvents {
  /** A socket is being opened. */
  connecting(): void;
  /** The socket opened. */
  opened(): void;
  /** Objects arrived in one frame, in the order the server sent them. */
  received(objects: Envelope<Fields>[]): void;
  /** The socket closed: what it delivered is handled now, before it is forgotten. */
  closing(): void;
  /** The socket is gone (closed, dropped, or never opened): nothing more comes from it. */
  dropped(): void;
  /** A moderator ended the session (close code 4003): no reconnect follows. */
  removed(reason: string): void;
  /**
   * The session ended elsewhere (close code 4004: a logout in another tab,
   * a password change, expiry): no reconnect follows.
   */
  sessionEnded(): void;
  /** The next attempt is due at `retryAt` (ms since the epoch). */
  waiting(retryAt: number): void;
}

/** Options of a {@linkcode Transport}. */
export interface TransportOptions {
  /** Where to connect. */
  url: string;
  /** Opens sockets. */
  connect: SocketFactory;
  /** Upper bound of the first reconnect delay, in ms. */
  baseDelayMs: number;
  /** Largest reconnect delay, in ms. */
  maxDelayMs: number;
  /** Timers and the time. */
  clock: Clock;
  /** A number in [0, 1): how far into the backoff window the next attempt falls. */
  random: () => number;
  /** Who hears what happens. */
  events: TransportEvents;
}

/** The browser's (or Deno's) WebSocket behind the {@linkcode SocketFactory} shape. */
export function openWebSocket(url: string, handlers: SocketHandlers): Socket {
  const socket = new WebSocket(url);
  socket.onopen = () => handlers.open();
  socket.onmessage = (event: MessageEvent) => {
    if (typeof event.data === "string") handlers.message(event.data);
  };
  socket.onclose = (event: CloseEvent) =>
    handlers.close(event.code, event.reason);
  return {
    get open() {
      return socket.readyState === WebSocket.OPEN;
    },
    send: (text) => socket.send(text),
    close() {
      socket.onopen = null;
      socket.onmessage = null;
      socket.onclose = null;
      socket.close();
    },
  };
}

/**
 * The largest wait before reconnect attempt number `attempt` (0 first):
 * doubling from `baseDelayMs`, capped at `maxDelayMs`.
 */
export function backoffBound(
  attempt: number,
  options: { baseDelayMs: number; maxDelayMs: number },
): number {
  return Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** attempt);
}

/** Keeps one socket open, and another after each drop, until stopped. */
export class Transport {
  #options: TransportOptions;
  #socket: Socket | null = null;
  #attempt = 0;
  #retry: TimerId | undefined;
  #stopped = true;

  constructor(options: TransportOptions) {
    this.#options = options;
  }

  /**
   * The current socket, or null. Code that awaits across a reconnect keeps
   * the one it started with and compares: another means the world moved on.
   */
  get link(): Socket | null {
    return this.#socket;
  }

  /** Whether requests can be sent now. */
  get isOpen(): boolean {
    return this.#socket?.open ?? false;
  }

  /** Whether sockets may be opened (between {@linkcode start} and {@linkcode stop}). */
  get running(): boolean {
    return !this.#stopped;
  }

  /** Allows sockets to be opened; opens none yet. */
  start(): void {
    this.#stopped = false;
  }

  /** Closes the socket for good: no reconnect follows. */
  stop(): void {
    this.#stopped = true;
    this.cancelRetry();
    this.discard();
  }

  /** Sends one frame; false when no socket is open. */
  send(text: string): boolean {
    const socket = this.#socket;
    if (!socket?.open) return false;
    socket.send(text);
    return true;
  }

  /** Opens a new socket, dropping the current one. */
  open(): void {
    if (this.#socket) this.discard();
    const events = this.#options.events;
    events.connecting();
    let socket: Socket | null = null;
    const handlers: SocketHandlers = {
      open: () => {
        if (socket === this.#socket) events.opened();
      },
      message: (text) => {
        if (socket === this.#socket) events.received(decodeFrame(text));
      },
      close: (code, reason) => {
        if (socket !== this.#socket) return;
        // What came before the close is handled first (a kick's notice).
        events.closing();
        this.#socket = null;
        events.dropped();
        if (code === CLOSE_REMOVED) {
          // Final: coming back is the user's choice, not the backoff's.
          this.cancelRetry();
          this.resetBackoff();
          events.removed(reason);
        } else if (code === CLOSE_SESSION_ENDED) {
          // The session is gone: reconnecting with it would only fail.
          this.cancelRetry();
          this.resetBackoff();
          events.sessionEnded();
        } else {
          this.retryLater();
        }
      },
    };
    try {
      socket = this.#options.connect(this.#options.url, handlers);
    } catch {
      this.#socket = null;
      events.dropped();
      this.retryLater();
      return;
    }
    this.#socket = socket;
  }

  /** Detaches and closes the socket without scheduling a reconnect. */
  discard(): void {
    const socket = this.#socket;
    this.#socket = null;
    socket?.close();
    this.#options.events.dropped();
  }

  /** Schedules the next attempt after a full-jitter backoff; nothing once stopped. */
  retryLater(): void {
    if (this.#stopped) return;
    const options = this.#options;
    // Full jitter: a random wait up to the exponential bound, so clients
    // dropped together by a restart do not all come back in the same instant.
    const delay = options.random() * backoffBound(this.#attempt, options);
    this.#attempt++;
    options.events.waiting(options.clock.now() + delay);
    this.cancelRetry();
    this.#retry = options.clock.after(delay, () => this.open());
  }

  /** Skips the rest of the backoff wait; nothing once stopped. */
  retryNow(): void {
    if (this.#stopped) return;
    this.cancelRetry();
    this.open();
  }

  /** Cancels the attempt the backoff scheduled. */
  cancelRetry(): void {
    this.#options.clock.cancel(this.#retry);
    this.#retry = undefined;
  }

  /** The next drop waits the shortest backoff again (the session is back). */
  resetBackoff(): void {
    this.#attempt = 0;
  }
}
