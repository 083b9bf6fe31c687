/**
 * Finds the WebSockets whose client stopped reading, which Deno never
 * closes (connection_cutter.ts), and has them cut:
 *
 * - one the server asked to close (too slow, too big, no login, shutdown)
 *   whose close did not end within the grace: a peer that reads answers a
 *   close at once, one that stopped reading never gets it (its close frame
 *   waits behind full buffers), and one sending the fragments of a message
 *   without end is never done reading;
 * - one from which nothing came for `--idle-timeout` seconds, Deno's ping
 *   stuck behind full buffers: Deno's idle timer (under
 *   `[[idleTimeoutTimeout]]`, idle_timer.ts) is armed again whenever
 *   anything comes in, a pong included, or a ping went out, so a timer
 *   that stayed the same for the whole timeout is one whose ping never
 *   left (Deno would have closed it by then otherwise). It is cut by the
 *   second sweep that finds it so, not the first: the process's event loop
 *   may have stood still past the timeout (a paused VM, a starved process;
 *   12 s seen when tests/action_walk_test.ts's own wait held the loop its
 *   server shares, docs/performance.md), and then no ping could go out; Deno's
 *   ping timer fires once the loop runs again, and its ping is out by the
 *   next sweep. Cutting at the first sweep cut every silent client after
 *   such a stall (code 0 at their end). It costs a stuck socket one more
 *   sweep.
 *
 * The same sweep closes (4008) one that holds more than
 * `--max-buffered-bytes` unsent after a flush nothing followed (writer.ts
 * sweep): the writer checks before it sends, and a client that stops
 * reading may ask for nothing more.
 *
 * One sweep for every socket of an endpoint (a timer each would cost ten
 * thousand idle sockets one each), every quarter of the idle timeout (at
 * most 5 s; every second without one): a stalled socket is cut at most
 * about half a timeout past its deadline. Each sweep reads a few fields of
 * each open socket.
 */

/** A socket as the watch sees it. */
export interface Watched {
  /** Deno's idle timer now (any value that changes when it is armed again). */
  idleTimer(): unknown;
  /** The timer last seen by the watch, and when (ms). */
  stallTimer: unknown;
  stallSince: number;
  /** Ends its connection now. */
  cut(why: string): void;
  /**
   * Closes it (4008) if it holds more than `--max-buffered-bytes` unsent
   * and nothing was sent since the sweep before (writer.ts sweep).
   */
  behind(): void;
}

/** Options of {@link StallWatch}. */
export interface StallWatchOptions {
  /** `--idle-timeout`, in seconds; 0: no idle check. */
  idleTimeoutSeconds: number;
}

/** The sweep of one endpoint's sockets; see the file's comment. */
export class StallWatch<T extends Watched> {
  #open: () => Iterable<T>;
  #idleMs: number;
  /** How long a close the server asked for may take (ms). */
  readonly graceMs: number;
  #sweepMs: number;
  #closing = new Map<T, number>();
  /** Sockets one sweep found silent past the timeout. */
  #overdue = new Set<T>();
  #sweeper?: ReturnType<typeof setInterval>;
  #count: () => number;

  /**
   * `open` lists the open sockets and `count` says how many there are.
   */
  constructor(
    sockets: { open: () => Iterable<T>; count: () => number },
    options: StallWatchOptions,
  ) {
    this.#open = sockets.open;
    this.#count = sockets.count;
    this.#idleMs = options.idleTimeoutSeconds * 1000;
    // A pong's window, as Deno gives one (half the timeout), from 1 to
    // 10 s (10 with no timeout): what a peer that reads needs to answer a
    // close.
    this.graceMs = this.#idleMs > 0
      ? Math.min(10_000, Math.max(1000, this.#idleMs / 2))
      : 10_000;
    this.#sweepMs = Math.min(
      5000,
      Math.max(250, this.#idleMs > 0 ? this.#idleMs / 4 : 1000),
    );
  }

  /** A socket opened: watched until {@link forget}. */
  opened(socket: T): void {
    socket.stallTimer = socket.idleTimer();
    socket.stallSince = Date.now();
    this.#sweeper ??= setInterval(() => this.sweep(), this.#sweepMs);
  }

  /** The server asked it to close: cut if not closed within the grace. */
  closing(socket: T): void {
    if (!this.#closing.has(socket)) {
      this.#closing.set(socket, Date.now() + this.graceMs);
    }
    this.#sweeper ??= setInterval(() => this.sweep(), this.#sweepMs);
  }

  /** It closed. */
  forget(socket: T): void {
    this.#closing.delete(socket);
    this.#overdue.delete(socket);
    this.#stopIfIdle();
  }

  /** Stops sweeping (shutdown). */
  stop(): void {
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
    this.#closing.clear();
    this.#overdue.clear();
  }

  /** One sweep (exported for the interval). */
  sweep(): void {
    const now = Date.now();
    for (const [socket, deadline] of this.#closing) {
      if (deadline > now) continue;
      this.#closing.delete(socket);
      socket.cut(`its close took over ${this.graceMs / 1000} s`);
    }
    for (const socket of this.#open()) {
      if (this.#closing.has(socket)) continue;
      socket.behind();
      if (this.#idleMs > 0 && !this.#closing.has(socket)) {
        const timer = socket.idleTimer();
        if (timer !== socket.stallTimer) {
          socket.stallTimer = timer;
          socket.stallSince = now;
          this.#overdue.delete(socket);
        } else if (
          timer !== undefined && now - socket.stallSince >= this.#idleMs
        ) {
          if (!this.#overdue.has(socket)) this.#overdue.add(socket);
          else {
            this.#overdue.delete(socket);
            socket.cut(
              `nothing came in ${this.#idleMs / 1000} s, its ping stuck`,
            );
          }
        }
      }
    }
    this.#stopIfIdle();
  }

  #stopIfIdle(): void {
    if (this.#closing.size === 0 && this.#count() === 0) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
  }
}
