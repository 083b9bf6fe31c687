/**
 * A WebSocket client of the chat server for the bench's request scenarios
 * (search, growth): it sends a request, waits for its reply and times the
 * round trip.
 */
import { withTimeout } from "./proc.ts";

/** One frame of the protocol, as parsed JSON. */
// deno-lint-ignore no-explicit-any
export type Frame = Record<string, any>;

/** One WebSocket client that sends a request and times its reply. */
export class Prober {
  #ws: WebSocket;
  #waiting = new Map<string, (frame: Frame) => void>();
  #next = 0;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.onmessage = (event) => {
      for (const line of String(event.data).split("\n")) {
        const frame = JSON.parse(line) as Frame;
        if (frame.id === undefined) continue;
        this.#waiting.get(frame.id)?.(frame);
        this.#waiting.delete(frame.id);
      }
    };
  }

  /** Connects to the server's WebSocket URL. */
  static async open(url: string): Promise<Prober> {
    const ws = new WebSocket(url);
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = () => reject(new Error(`cannot connect to ${url}`));
    });
    return new Prober(ws);
  }

  /**
   * Sends one request; resolves with its reply and the round trip in ms,
   * rejects on an error reply or after 30 s.
   */
  request(action: string, data: Frame): Promise<{ reply: Frame; ms: number }> {
    const id = `r${this.#next++}`;
    const { promise, resolve } = Promise.withResolvers<Frame>();
    this.#waiting.set(id, resolve);
    const t = performance.now();
    this.#ws.send(JSON.stringify({ action, id, data }));
    return withTimeout(promise, 30_000, action).then((reply) => {
      if (reply.action !== "success") {
        throw new Error(`${action}: ${JSON.stringify(reply.data)}`);
      }
      return { reply, ms: performance.now() - t };
    });
  }

  /** Closes the socket and waits until it is closed. */
  async close(): Promise<void> {
    const closed = new Promise((resolve) => this.#ws.onclose = resolve);
    this.#ws.close();
    await closed;
  }
}
