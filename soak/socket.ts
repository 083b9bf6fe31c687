/**
 * What the soak's guests (soak/main.ts) and members (soak/member.ts) share:
 * one WebSocket at a time, come back a second after the server drops it, a
 * tick every interval or so at a random phase, and a gentle close. Each
 * kind says how it logs in (`connect`) and what it does on a tick (`act`).
 */
import { withTimeout } from "../bench/proc.ts";

/** The counters every soak socket adds to (the rest are its kind's). */
export interface SocketCounts {
  reconnects: number;
  /** Sockets that closed without the client asking. */
  dropped: number;
  errors: Map<string, number>;
}

/** How a soak socket is made. */
export interface SoakSocketOptions {
  /** The server's WebSocket URL. */
  url: string;
  /** The rooms it moves among, general first. */
  rooms: string[];
  /** Mean time between two ticks; each is half to one and a half of it. */
  intervalMs: number;
  /** Counters shared with the other clients of its kind. */
  totals: SocketCounts;
}

/** A frame the server sent, as far as the soak reads it. */
export type ServerFrame = {
  action: string;
  id?: string;
  data?: Record<string, unknown>;
};

/** How a fresh socket's frames and close are handled. */
export interface SocketHandlers {
  /** Sent with the upgrade request (Deno's WebSocket takes headers). */
  headers?: Record<string, string>;
  onFrame(frame: ServerFrame): void;
  /** Runs first on any close, asked for or not. */
  onClose?(): void;
}

/** One simulated client's socket and clock; see the module's comment. */
export abstract class SoakSocket {
  readonly index: number;
  protected readonly rooms: string[];
  #url: string;
  #intervalMs: number;
  #counts: SocketCounts;
  #socket?: WebSocket;
  #timer?: ReturnType<typeof setTimeout>;
  #stopped = false;
  #paused = false;
  #closing = false;
  /** The tick under way, if one is. */
  #ticking: Promise<void> = Promise.resolve();

  constructor(index: number, options: SoakSocketOptions) {
    this.index = index;
    this.rooms = options.rooms;
    this.#url = options.url;
    this.#intervalMs = options.intervalMs;
    this.#counts = options.totals;
  }

  get open(): boolean {
    return this.#socket?.readyState === WebSocket.OPEN;
  }

  /** Opens a socket and logs in on it; resolves once in. */
  abstract connect(): Promise<void>;

  /** One tick's work, on an open socket. */
  protected abstract act(): Promise<void>;

  /**
   * Opens a fresh socket (the previous one, if any, is closed already) and
   * resolves once it is open; a close the client did not ask for is
   * counted as dropped and brings it back a second later, as a real client
   * would come back.
   */
  protected async openSocket(handlers: SocketHandlers): Promise<void> {
    const socket = new WebSocket(
      this.#url,
      handlers.headers && { headers: handlers.headers } as unknown as string[],
    );
    this.#socket = socket;
    this.#closing = false;
    socket.onmessage = (event) => {
      for (const line of String(event.data).split("\n")) {
        handlers.onFrame(JSON.parse(line));
      }
    };
    socket.onclose = () => {
      handlers.onClose?.();
      if (!this.#closing && !this.#stopped) {
        // Counted; a paused client comes back when asked to count.
        this.#counts.dropped++;
        this.#schedule(1000);
      }
    };
    await new Promise<void>((resolve, reject) => {
      socket.onopen = () => resolve();
      socket.onerror = () => reject(new Error("cannot connect"));
    });
  }

  /** Sends a frame if the socket is open (a closed one comes back later). */
  protected send(frame: Record<string, unknown>): void {
    if (this.open) this.#socket!.send(JSON.stringify(frame));
  }

  /** Closes and connects again, as a client that reloads. */
  protected async reconnect(): Promise<void> {
    this.#counts.reconnects++;
    await this.#close();
    await this.connect();
  }

  /** Starts ticking, at a random phase so clients do not move in step. */
  start(): void {
    this.#schedule(Math.random() * this.#intervalMs);
  }

  /**
   * Stops ticking and waits for the tick under way, connected again if it
   * was away, so the end's counting can ask on an idle connection.
   */
  async pause(): Promise<void> {
    this.#paused = true;
    clearTimeout(this.#timer);
    await this.#ticking;
    if (!this.open) await this.connect();
  }

  /** Stops ticking and closes the socket. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#close();
  }

  #schedule(ms: number): void {
    clearTimeout(this.#timer);
    if (this.#stopped || this.#paused) return;
    this.#timer = setTimeout(() => {
      this.#ticking = this.#tick();
    }, ms);
  }

  async #tick(): Promise<void> {
    if (this.#stopped || this.#paused) return;
    try {
      if (!this.open) {
        this.#counts.reconnects++;
        await this.connect();
      } else {
        await this.act();
      }
    } catch (error) {
      const code = `client: ${(error as Error).message}`;
      this.#counts.errors.set(code, (this.#counts.errors.get(code) ?? 0) + 1);
    }
    this.#schedule(this.#intervalMs * (0.5 + Math.random()));
  }

  /** Closes with 1000 and waits for the close, 5 s at most. */
  async #close(): Promise<void> {
    const socket = this.#socket;
    if (!socket || socket.readyState === WebSocket.CLOSED) return;
    this.#closing = true;
    const closed = new Promise<void>((resolve) =>
      socket.addEventListener("close", () => resolve())
    );
    socket.close(1000);
    await withTimeout(closed, 5000, "close").catch(() => {});
  }
}
