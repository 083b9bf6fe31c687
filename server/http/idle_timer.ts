/**
 * The idle timer of a WebSocket upgraded from a `node:net` socket, without
 * the close listener Deno adds for it.
 *
 * Once such a WebSocket opens, Deno's upgrade adds a function listener for
 * "close" that clears the socket's idle timer (the ping's clock). The
 * listener's closure keeps the upgrade's scopes for the socket's whole
 * life: the 101 response's text, the TCP handle's wrapper with its native
 * half, the options and the request given to the upgrade. Heap snapshots
 * of 5,000 idle connections: about 0.8 KB a connection (docs/performance.md,
 * "Memory per idle connection, third pass"). {@link skipIdleTimerListener}
 * keeps Deno from adding that listener, and {@link clearIdleTimer}, called
 * when the socket closes, does its work.
 *
 * Both read what Deno keeps under a symbol of the socket
 * (`[[idleTimeoutTimeout]]`); if a Deno release no longer has it, Deno's
 * listener is kept and nothing changes but the memory.
 */

const IDLE_TIMER = "[[idleTimeoutTimeout]]";

// Looked for on the first socket: undefined until then, null if absent.
let timerKey: symbol | null | undefined;

function idleTimerKey(socket: WebSocket): symbol | null {
  if (timerKey === undefined) {
    timerKey = Object.getOwnPropertySymbols(socket).find((key) =>
      key.description === IDLE_TIMER
    ) ?? null;
  }
  return timerKey;
}

// The prototype of a WebSocket until Deno adds its close listener, which
// is left out; the socket gets WebSocket's own prototype back then. Shared:
// no closure per socket.
const OPENING: WebSocket = Object.create(WebSocket.prototype, {
  addEventListener: {
    value: function addEventListener(
      this: WebSocket,
      type: string,
      listener: EventListenerOrEventListenerObject,
      options?: boolean | AddEventListenerOptions,
    ): void {
      // The server's own listeners are objects (SocketSession).
      if (type === "close" && typeof listener === "function") {
        Object.setPrototypeOf(this, WebSocket.prototype);
        return;
      }
      WebSocket.prototype.addEventListener.call(this, type, listener, options);
    },
  },
});

/**
 * Keeps Deno from adding its idle timer's close listener to a WebSocket
 * that `Deno.upgradeWebSocket` just returned with an idle timeout. Its
 * closer must then call {@link clearIdleTimer} when it closes.
 */
export function skipIdleTimerListener(socket: WebSocket): void {
  if (idleTimerKey(socket) === null) return;
  Object.setPrototypeOf(socket, OPENING);
}

/** Clears a closed WebSocket's idle timer, as Deno's close listener did. */
export function clearIdleTimer(socket: WebSocket): void {
  const key = idleTimerKey(socket);
  if (key === null) return;
  const timer = (socket as unknown as Record<symbol, number | undefined>)[key];
  if (timer !== undefined) clearTimeout(timer);
}
