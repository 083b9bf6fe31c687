import { setImmediate } from "node:timers";
import { CLOSE_TOO_SLOW } from "./protocol/close_codes.ts";
import type { Outbox } from "./registry.ts";

/** The socket side of a connection, as the writer needs it. */
export interface FrameSink {
  send(frame: string): void;
  /** Bytes queued in the socket and not yet sent. */
  bufferedAmount(): number;
  close(code: number, reason: string): void;
}

/** Options of {@link ConnectionWriter}. */
export interface WriterOptions {
  /** Close the connection when this many bytes wait unsent (`--max-buffered-bytes`). */
  maxBufferedBytes: number;
  /** Most objects merged into one frame (MAX_OBJECTS_PER_FRAME). */
  maxBatch: number;
}

// Writers with queued frames, flushed together once per turn of the event
// loop (setImmediate runs after the turn's I/O callbacks), so that frames
// from every message handled in this turn share one write per socket, and
// a broadcast to N members schedules one callback, not N.
const dirty: ConnectionWriter[] = [];
let flushScheduled = false;
// Until when flushes let one more turn pass (see BUSY_FLUSH_WRITERS).
let busyUntil = 0;

/**
 * Writers in one flush from which, for the next 100 ms, a flush waits one
 * more turn of the event loop: each turn brings at most one frame per
 * socket, so a server fanning out to hundreds of sockets then merges the
 * messages of two turns per frame (half the writes), while a quiet one
 * still writes at once.
 */
const BUSY_FLUSH_WRITERS = 256;

function scheduleFlush(): void {
  flushScheduled = true;
  if (performance.now() < busyUntil) {
    setImmediate(() => setImmediate(flushAll));
  } else {
    setImmediate(flushAll);
  }
}

// Members of one room get the same frames in the same order, so the last
// joined batch is kept for the next writer of this flush: a broadcast to
// 500 sockets joins its frames once, not 500 times.
let lastBatch: string[] = [];
let lastJoined = "";

function joinBatch(batch: string[]): string {
  if (batch.length === 1) return batch[0];
  if (batch.length === lastBatch.length) {
    let same = true;
    for (let i = 0; i < batch.length && same; i++) {
      same = batch[i] === lastBatch[i];
    }
    if (same) return lastJoined;
  }
  lastBatch = batch;
  lastJoined = batch.join("\n");
  return lastJoined;
}

function flushAll(): void {
  flushScheduled = false;
  // Swap out the list first: a flush may queue new frames.
  const writers = dirty.splice(0);
  if (writers.length >= BUSY_FLUSH_WRITERS) busyUntil = performance.now() + 100;
  for (const writer of writers) writer.flush();
  lastBatch = [];
  lastJoined = "";
}

/**
 * One connection's outgoing queue. Frames pushed during one turn of the
 * event loop leave as a single WebSocket frame joined by "\n" (the protocol
 * allows it), which cuts syscalls and frames per delivery by the batch size.
 * A socket that stops draining is closed rather than buffered without bound.
 */
export class ConnectionWriter implements Outbox {
  #sink: FrameSink;
  // What waits for the flush: one frame as it is, more in an array. Most
  // flushes carry one frame (a broadcast, a reply), and an array for it
  // (with room for 17) was garbage that a broadcast to thousands of
  // sockets made thousands of at once: alive across a scavenge, promoted,
  // it filled the old generation while clients connected.
  #pending: string | string[] | undefined;
  #closed = false;
  #maxBuffered: number;
  #maxBatch: number;
  // Characters sent since bufferedAmount was last asked: asking is a call
  // into the runtime, so it is done once per eighth of the limit sent.
  #sentSinceCheck = 0;

  constructor(sink: FrameSink, options: WriterOptions) {
    this.#sink = sink;
    this.#maxBuffered = options.maxBufferedBytes;
    this.#maxBatch = options.maxBatch;
  }

  /** Queues one encoded JSON object. */
  push(frame: string): void {
    if (this.#closed) return;
    const pending = this.#pending;
    if (pending === undefined) {
      this.#pending = frame;
      dirty.push(this);
      if (!flushScheduled) scheduleFlush();
    } else if (typeof pending === "string") {
      this.#pending = [pending, frame];
    } else {
      pending.push(frame);
    }
  }

  /** Sends what is queued now; called by the scheduler. */
  flush(): void {
    const pending = this.#pending;
    if (pending === undefined || this.#closed) return;
    this.#pending = undefined;
    try {
      if (this.#sentSinceCheck > this.#maxBuffered / 8) {
        this.#sentSinceCheck = 0;
        if (this.#sink.bufferedAmount() > this.#maxBuffered) {
          this.close(
            CLOSE_TOO_SLOW,
            "Too slow: reconnect and resume from history",
          );
          return;
        }
      }
      if (typeof pending === "string") {
        this.#sentSinceCheck += pending.length;
        this.#sink.send(pending);
        return;
      }
      for (let i = 0; i < pending.length; i += this.#maxBatch) {
        const batch = pending.length - i <= this.#maxBatch && i === 0
          ? pending
          : pending.slice(i, i + this.#maxBatch);
        const frame = joinBatch(batch);
        this.#sentSinceCheck += frame.length;
        this.#sink.send(frame);
      }
    } catch {
      // The socket closed under us; its close handler cleans up.
      this.#closed = true;
    }
  }

  /** Sends what is queued, then closes the socket. */
  close(code: number, reason: string): void {
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
    this.#pending = undefined;
    try {
      this.#sink.close(code, reason);
    } catch {
      // Already closing.
    }
  }

  /** True once closed; pushes are then ignored. */
  get closed(): boolean {
    return this.#closed;
  }
}
