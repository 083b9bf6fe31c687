import type net from "node:net";
import type { ConnectionSlot } from "./connection_slots.ts";
import { cutConnection, keepAside, letGo } from "./connection_cutter.ts";

/**
 * A connection whose request asked for an upgrade, shaped as what
 * `Deno.upgradeWebSocket(request, { socket, head })` reads of a `node:net`
 * socket (`destroyed`, `_handle`, `write`): pass the object itself as
 * `socket`. Deno's upgrade keeps the object it is given for the
 * WebSocket's whole life (a close listener's closure holds it), so it is
 * this small object rather than the `node:net` socket, and {@link detach}
 * lets go of the socket once the WebSocket is open: 1.3 KB less per idle
 * connection (the socket, its stream states and listeners). It stands in
 * for the TCP handle too (`readStop`, `takeStream`), so that a spare
 * descriptor of the connection is kept before Deno takes the stream: the
 * one way to end the connection later ({@link cut}, connection_cutter.ts).
 */
export class UpgradeSocket {
  /** Bytes the client sent after the request head. */
  head: Uint8Array;
  /** Read by Deno's upgrade, which sets it once it took the handle. */
  destroyed = false;
  /** Deno's upgrade takes the stream of it: this object, until detached. */
  _handle: this | null = this;
  #socket: net.Socket | undefined;
  #slot: ConnectionSlot;
  #spareAllowed: boolean;
  // A spare descriptor of the connection (connection_cutter.ts); -1: none.
  #spare = -1;

  /**
   * `spareAllowed`: whether the process has a descriptor to spare for
   * this connection (each one kept holds one more, see the front).
   */
  constructor(
    socket: net.Socket,
    head: Uint8Array,
    slot: ConnectionSlot,
    spareAllowed = true,
  ) {
    this.#socket = socket;
    this.head = head.byteLength > 0 ? head : NO_BYTES;
    this.#slot = slot;
    this.#spareAllowed = spareAllowed;
  }

  /** Stops reading the connection: Deno's upgrade calls it. */
  readStop(): number {
    return this.#tcp()?.readStop() ?? 0;
  }

  /**
   * Hands the connection's stream to Deno's upgrade (a resource id), a
   * spare descriptor of it kept aside first.
   */
  takeStream(): number {
    const tcp = this.#tcp();
    if (!tcp) throw new Error("The connection was let go of");
    if (this.#spareAllowed && this.#spare < 0) this.#spare = keepAside(tcp);
    return tcp.takeStream();
  }

  /**
   * Ends the TCP connection at once (a reset), whatever it waits to
   * write: for a WebSocket whose client stopped reading. False if it
   * cannot (no spare was kept).
   */
  cut(): boolean {
    const spare = this.#spare;
    this.#spare = -1;
    return cutConnection(spare);
  }

  #tcp(): UpgradedTcp | null {
    return (this.#socket as unknown as { _handle: UpgradedTcp | null })
      ?._handle ?? null;
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
    letGo(this.#spare);
    this.#spare = -1;
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

/** What Deno's upgrade uses of it. */
interface UpgradedTcp {
  readStop(): number;
  takeStream(): number;
}

const NO_BYTES = new Uint8Array(0);
