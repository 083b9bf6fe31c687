/**
 * Ends the TCP connection under an open WebSocket whose client stopped
 * reading: Deno 2.9.6 gives no way to abort one. Once the kernel's buffers
 * toward such a client are full, Deno's writes (the close frame and the
 * idle ping included) wait for the peer for good, and the WebSocket's
 * resource, its buffers and its descriptor with it, stays until the peer
 * reads or goes (docs/security.md, Known limits).
 *
 * The way in is a second descriptor of the same socket, a `dup` taken from
 * the `node:net` handle just before Deno's upgrade takes its stream
 * ({@link keepAside}); it costs a descriptor and nothing else (no handle,
 * no poller entry, a number). To cut ({@link cutConnection}), the spare is
 * wrapped in a TCP handle for a moment: `shutdown(SHUT_WR)` makes every
 * write waiting on the socket fail (EPIPE), so Deno's close or ping stops
 * waiting and its resource goes; `SO_LINGER` 0 then makes the last close
 * a reset, which drops what the kernel still held for the peer. A closed
 * WebSocket gives its spare back with {@link letGo}.
 *
 * It reads what Deno's `node:net` handles offer (`fdForIpc`, `open`,
 * `shutdown`, `reset`): a Deno without them keeps no spare, and its stalled
 * sockets stay as they did.
 */
import { log } from "../log.ts";

const logger = log("http");

/** What is used of a `node:net` TCP handle (Deno's `TCPWrap`). */
interface TcpHandle {
  fdForIpc?(): number;
  open(fd: number): number;
  shutdown(request: { oncomplete(status: number): void }): number;
  reset(): number;
  close(callback?: () => void): void;
}

type TcpHandleClass = new (type: number) => TcpHandle;

// The class of `node:net`'s TCP handles, from the first handle seen.
let Tcp: TcpHandleClass | undefined;
// Spares held now, in this process (see keepAside).
let held = 0;
// A spare that cannot be closed is a descriptor lost: said once.
let leakTold = false;

/** Descriptors held aside as spares now. */
export function sparesHeld(): number {
  return held;
}

/**
 * A spare descriptor of the connection under `handle` (a `node:net`
 * socket's `_handle`), or -1 if this Deno cannot make one. Call it before
 * the handle's stream is taken. The caller owns it and gives it back with
 * {@link letGo} or {@link cutConnection}.
 */
export function keepAside(handle: unknown): number {
  const tcp = handle as TcpHandle | null;
  if (typeof tcp?.fdForIpc !== "function") return -1;
  const fd = tcp.fdForIpc();
  if (fd < 0) return -1;
  Tcp ??= (tcp as unknown as { constructor: TcpHandleClass }).constructor;
  held++;
  return fd;
}

/** Closes a spare kept by {@link keepAside}; -1 is none. */
export function letGo(fd: number): void {
  const handle = adopt(fd);
  handle?.close();
}

/**
 * Ends the connection a spare belongs to, and closes the spare: what the
 * socket waits to write fails at once, reads end, and the kernel drops
 * what it held for the peer (a reset). False if it could not (no spare).
 */
export function cutConnection(fd: number): boolean {
  const handle = adopt(fd);
  if (!handle) return false;
  const done = () => {
    handle.reset();
    handle.close();
  };
  // The shutdown runs on the next turn of the loop: reset (which closes
  // the spare) only once it did.
  if (handle.shutdown({ oncomplete: done }) !== 0) done();
  return true;
}

// The spare as a TCP handle of its own (it then owns the descriptor).
function adopt(fd: number): TcpHandle | undefined {
  if (fd < 0 || !Tcp) return undefined;
  held--;
  const handle = new Tcp(0);
  if (handle.open(fd) === 0) return handle;
  if (!leakTold) {
    leakTold = true;
    logger.error("Could not close a spare descriptor ({fd})", { fd });
  }
  return undefined;
}

// Deno's internals: the core (resources by id) and the WebSocket's
// resource id, looked for once.
interface Core {
  tryClose(rid: number): void;
}
let core: Core | null | undefined;
let ridKey: symbol | null | undefined;

/**
 * Stops a WebSocket's read under way, so that it fires "close" though its
 * peer sends on: Deno reads the fragments of a message, which no event
 * shows, for as long as they come, and a close it was asked for waits for
 * the peer's. Closing the WebSocket's resource cancels that read.
 */
export function cancelRead(socket: WebSocket): void {
  if (core === undefined) {
    const internal = Object.getOwnPropertySymbols(Deno).find((key) =>
      key.description === "Deno.internal"
    );
    const fields = internal
      ? (Deno as unknown as Record<symbol, { core?: Partial<Core> }>)[internal]
      : undefined;
    core = typeof fields?.core?.tryClose === "function"
      ? fields.core as Core
      : null;
  }
  ridKey ??=
    Object.getOwnPropertySymbols(socket).find((key) =>
      key.description === "[[rid]]"
    ) ?? null;
  if (!core || !ridKey) return;
  const rid = (socket as unknown as Record<symbol, unknown>)[ridKey];
  if (typeof rid === "number") core.tryClose(rid);
}
