/**
 * The idle timer of a WebSocket upgraded from a `node:net` socket, without
 * the close listener Deno adds for it.
 *
 * Once such a WebSocket opens, Deno's upgrade adds a function listener for
 * "close" that clears the socket's idle timer (the ping's clock). The
 * listener's closure keeps the upgrade's scopes for the socket's whole
 * life: the 101 response's text, the TCP handle's wrapper with its native
 * half, the options and the request given to the upgrade. Heap snapshots
 * of 5,000 idle connections: about 0.7 KB a connection (docs/performance.md,
 * "Memory per idle connection, third pass"). {@link dropIdleTimerListener}
 * removes that listener, and {@link clearIdleTimer}, called when the socket
 * closes, does its work.
 *
 * Both read what Deno keeps under symbols of the socket (its listeners, and
 * the timer under `[[idleTimeoutTimeout]]`); if a Deno release keeps them
 * otherwise, its listener stays and nothing changes but the memory. The
 * socket's own shape is left alone: a socket whose prototype was swapped
 * for a moment cost fan-out 0.05-0.1 µs a delivery in `send`.
 */

const IDLE_TIMER = "[[idleTimeoutTimeout]]";

/** What Deno's event targets keep of a listener. */
interface ListenerEntry {
  callback: unknown;
}

type Fields = Record<symbol, unknown>;

// Looked for on the first socket: undefined until then, null if absent.
let timerKey: symbol | null | undefined;
let listenersKey: symbol | null | undefined;

function idleTimerKey(socket: WebSocket): symbol | null {
  if (timerKey === undefined) {
    timerKey = Object.getOwnPropertySymbols(socket).find((key) =>
      key.description === IDLE_TIMER
    ) ?? null;
  }
  return timerKey;
}

// The symbol of Deno's event target data: an object with `listeners`.
function listenersKeyOf(socket: WebSocket): symbol | null {
  if (listenersKey === undefined) {
    const fields = socket as unknown as Fields;
    listenersKey = Object.getOwnPropertySymbols(socket).find((key) => {
      const value = fields[key];
      return typeof value === "object" && value !== null &&
        "listeners" in value;
    }) ?? null;
  }
  return listenersKey;
}

function closeListenersOf(socket: WebSocket): ListenerEntry[] | undefined {
  const key = listenersKeyOf(socket);
  if (key === null) return undefined;
  const data = (socket as unknown as Fields)[key] as {
    listeners?: Record<string, ListenerEntry[] | undefined>;
  };
  return data.listeners?.close;
}

/**
 * Removes Deno's idle-timer close listener from a WebSocket with an idle
 * timeout. Call it from the socket's "open" listener: Deno adds its
 * listener right after that event, so it is looked for a microtask later.
 * The socket's closer must then call {@link clearIdleTimer} when it closes.
 */
export function dropIdleTimerListener(socket: WebSocket): void {
  if (idleTimerKey(socket) === null) return;
  queueMicrotask(() => {
    // The server's own listeners are objects (SocketSession).
    const deno = closeListenersOf(socket)?.find((entry) =>
      typeof entry.callback === "function"
    );
    if (deno) socket.removeEventListener("close", deno.callback as () => void);
  });
}

/** Clears a closed WebSocket's idle timer, as Deno's close listener did. */
export function clearIdleTimer(socket: WebSocket): void {
  const key = idleTimerKey(socket);
  if (key === null) return;
  const timer = (socket as unknown as Record<symbol, number | undefined>)[key];
  if (timer !== undefined) clearTimeout(timer);
}

/**
 * A WebSocket's idle timer now: Deno arms a new one whenever anything
 * comes in or its ping went out (stall_watch.ts). Undefined if none.
 */
export function idleTimerOf(socket: WebSocket): unknown {
  const key = idleTimerKey(socket);
  return key === null ? undefined : (socket as unknown as Fields)[key];
}
