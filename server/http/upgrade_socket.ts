import type net from "node:net";
import type { ConnectionSlot } from "./connection_slots.ts";

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
