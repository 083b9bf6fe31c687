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
// a broadcast to N members schedules one callback, not N. Two lists that
// swap at each flush (a flush may queue frames for the next one), filled
// up to a count and never emptied: a list made or regrown per flush was
// garbage with every message.
let dirty: (ConnectionWriter | undefined)[] = [];
let dirtyCount = 0;
let spare: (ConnectionWriter | undefined)[] = [];
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

/**
 * A broadcast to this many connections or more is wide: its frames may
 * wait while the server is busy (see ConnectionWriter.waits).
 */
export const WIDE_BROADCAST = BUSY_FLUSH_WRITERS;

/**
 * While busy, a writer holding only wide events, fewer than this many,
 * waits for more (up to WAIT_MS): see ConnectionWriter.waits.
 */
const FULL_FRAME = 16;
/** Longest a busy writer's events wait for more to share their frame. */
const WAIT_MS = 20;
// The flush that ends the waits if nothing else comes first.
let waitTimer: ReturnType<typeof setTimeout> | undefined;

/**
 * The clock the busy spell and the waits are read on (ms). A test holds it
 * still: its own steps between two turns must fall inside the 100 ms and
 * 20 ms it checks, which a busy machine's pauses did not. Costs a call per
 * flush.
 */
export const writerClock = { now: (): number => performance.now() };

function scheduleFlush(): void {
  flushScheduled = true;
  if (writerClock.now() < busyUntil) {
    setImmediate(() => setImmediate(flushAll));
  } else {
    setImmediate(flushAll);
  }
}

// Members of one room get the same frames in the same order, so the
// batches joined last in this flush are kept for the next writers: a
// broadcast to 500 sockets joins its frames once, not 500 times. Several
// are kept, most recently used first, because a sender's batch also holds
// its own replies: in chat, where a busy turn carries a few messages per
// room, those fell between the room's other members and each of these
// joined the same frames again (a fifth of the bytes the server allocated
// per message, docs/performance.md).
const KEPT_BATCHES = 4;
const keptBatches: string[][] = [];
const keptJoined: string[] = [];

function sameFrames(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function joinBatch(batch: string[]): string {
  if (batch.length === 1) return batch[0];
  let found = 0;
  while (found < keptBatches.length && !sameFrames(keptBatches[found], batch)) {
    found++;
  }
  const joined = found < keptBatches.length
    ? keptJoined[found]
    : batch.join("\n");
  // To the front (a new one pushes the least recently used out).
  for (let i = Math.min(found, KEPT_BATCHES - 1); i > 0; i--) {
    keptBatches[i] = keptBatches[i - 1];
    keptJoined[i] = keptJoined[i - 1];
  }
  keptBatches[0] = batch;
  keptJoined[0] = joined;
  return joined;
}

function flushAll(): void {
  flushScheduled = false;
  // Swap out the list first: a flush may queue new frames.
  const writers = dirty;
  const count = dirtyCount;
  dirty = spare;
  dirtyCount = 0;
  const now = writerClock.now();
  const busy = now < busyUntil;
  if (count >= BUSY_FLUSH_WRITERS) busyUntil = now + 100;
  for (let i = 0; i < count; i++) {
    const writer = writers[i]!;
    writers[i] = undefined;
    // Kept for the next flush (its queue stays, so it is not listed again).
    if (busy && writer.waits(now)) dirty[dirtyCount++] = writer;
    else writer.flush();
  }
  spare = writers;
  if (dirtyCount > 0 && !flushScheduled && waitTimer === undefined) {
    waitTimer = setTimeout(() => {
      waitTimer = undefined;
      if (!flushScheduled) flushAll();
    }, WAIT_MS);
  }
  keptBatches.length = 0;
  keptJoined.length = 0;
}

const TOO_SLOW = "Too slow: reconnect and resume from history";

/**
 * One connection's outgoing queue. Frames pushed during one turn of the
 * event loop leave as a single WebSocket frame joined by "\n" (the protocol
 * allows it), which cuts syscalls and frames per delivery by the batch size.
 * A socket that stops draining is closed rather than buffered without bound.
 */
export class ConnectionWriter implements Outbox {
  #sink: FrameSink;
  // What is queued: the first frame alone, then all of them in an array
  // once there are two. Most flushes carry one frame per socket (chat on a
  // server that keeps up, a broadcast, a reply): those make no array. An
  // array per delivery was a sixth of the bytes allocated per chat message,
  // and during a connect burst, broadcasts to thousands of sockets kept
  // thousands of them alive across a scavenge, promoted into the old
  // generation.
  #first?: string;
  #queue?: string[];
  // Events kept back while a login counts its rooms (hold): they go after
  // its reply, so a message the reply's numbers counted comes after it.
  #held?: string[];
  // Their characters: held past --max-buffered-bytes, the socket is closed
  // as too slow, as one that stops draining (the hold lasts as long as the
  // login, which a crowded turn queue can stretch while a room floods).
  #heldChars = 0;
  #closed = false;
  // A reply, or an event that is not wide, is queued: the flush never
  // waits (see waits).
  #mustGo = false;
  // When a busy flush first let this queue wait (ms, performance.now).
  #waitingSince = -1;
  #maxBuffered: number;
  #maxBatch: number;
  // Characters sent since bufferedAmount was last asked: asking is a call
  // into the runtime, so it is done once per eighth of the limit sent.
  #sentSinceCheck = 0;
  // Flushes so far, and how many there were when a sweep (see sweep) last
  // found a check due: -1 when it found none.
  #flushes = 0;
  #dueAt = -1;

  constructor(sink: FrameSink, options: WriterOptions) {
    this.#sink = sink;
    this.#maxBuffered = options.maxBufferedBytes;
    this.#maxBatch = options.maxBatch;
  }

  /**
   * Queues one encoded JSON object (an event: kept back while held);
   * `wide` for a broadcast to WIDE_BROADCAST connections or more.
   */
  push(frame: string, wide = false): void {
    if (this.#held !== undefined) {
      if (this.#closed) return;
      this.#held.push(frame);
      this.#heldChars += frame.length;
      if (this.#heldChars > this.#maxBuffered) {
        this.#held = [];
        this.close(CLOSE_TOO_SLOW, TOO_SLOW);
      }
      return;
    }
    if (!wide) this.#mustGo = true;
    this.#queueFrame(frame);
  }

  /**
   * Keeps events back from now on until {@link release}, while replies
   * ({@link answer}) still go: a login's rooms deliver their messages from
   * the moment they are joined, but its reply, whose counts may already
   * hold some of them, must come first (docs/protocol.md, Login).
   */
  hold(): void {
    this.#held ??= [];
  }

  /** Queues the events kept back since {@link hold}, in order. */
  release(): void {
    const held = this.#held;
    this.#held = undefined;
    this.#heldChars = 0;
    if (held !== undefined && held.length > 0) this.#mustGo = true;
    for (const frame of held ?? []) this.#queueFrame(frame);
  }

  /** Queues a reply: never kept back. */
  answer(frame: string): void {
    if (this.#closed) return;
    this.#mustGo = true;
    this.#queueFrame(frame);
  }

  /**
   * While the server is busy (a flush to BUSY_FLUSH_WRITERS sockets or more
   * in the last 100 ms), a queue of fewer than FULL_FRAME events, all of
   * wide broadcasts, waits for later flushes, up to WAIT_MS after the
   * first that let it wait. In a fan-out, commits split into a large group
   * of the messages in flight and a small one (docs/performance.md,
   * "Fan-out: the members' loop, and where a flush's messages come from"),
   * each flushed to every socket; the small group's events now share the
   * large group's frames, so a frame costs the server, and the reader,
   * once where it cost twice. A sender's writer has its reply queued and
   * never waits, so its acknowledgements are not delayed; events of
   * smaller rooms (chat) never wait; and nothing is reordered: a queue
   * goes whole, in order. The price: a small group's events reach a big
   * room's readers up to WAIT_MS later while the server is that busy.
   */
  waits(now: number): boolean {
    if (this.#mustGo || this.#closed) return false;
    if ((this.#queue?.length ?? 1) >= FULL_FRAME) return false;
    if (this.#waitingSince < 0) this.#waitingSince = now;
    return now - this.#waitingSince < WAIT_MS;
  }

  #queueFrame(frame: string): void {
    if (this.#closed) return;
    if (this.#first === undefined) {
      this.#first = frame;
      dirty[dirtyCount++] = this;
      if (!flushScheduled) scheduleFlush();
    } else if (this.#queue === undefined) {
      this.#queue = [this.#first, frame];
    } else {
      this.#queue.push(frame);
    }
  }

  /** Sends what is queued now; called by the scheduler. */
  flush(): void {
    const first = this.#first;
    const queue = this.#queue;
    if (first === undefined || this.#closed) return;
    this.#flushes++;
    this.#first = this.#queue = undefined;
    this.#mustGo = false;
    this.#waitingSince = -1;
    try {
      if (this.#sentSinceCheck > this.#maxBuffered / 8) {
        this.#sentSinceCheck = 0;
        if (this.#sink.bufferedAmount() > this.#maxBuffered) {
          this.close(CLOSE_TOO_SLOW, TOO_SLOW);
          return;
        }
      }
      if (queue === undefined) {
        this.#sentSinceCheck += first.length;
        this.#sink.send(first);
        return;
      }
      for (let i = 0; i < queue.length; i += this.#maxBatch) {
        const batch = queue.length - i <= this.#maxBatch && i === 0
          ? queue
          : queue.slice(i, i + this.#maxBatch);
        const frame = joinBatch(batch);
        this.#sentSinceCheck += frame.length;
        this.#sink.send(frame);
      }
    } catch {
      // The socket closed under us; its close handler cleans up.
      this.#closed = true;
    }
  }

  /**
   * The check of a periodic sweep (http/stall_watch.ts): a writer that
   * sent more than an eighth of the limit, and no flush since the sweep
   * before to check it, is closed as too slow when its socket holds more
   * than the limit unsent. The check before each flush never comes when
   * nothing more is sent: a client that asked for 30 history pages in one
   * turn and stopped reading was sent 24 MB in one flush, then nothing,
   * and kept its socket (no 4008). A sweep's wait (a quarter of the idle
   * timeout, at most 5 s) lets a reader that reads take in what the last
   * flush sent first. Costs two fields read per socket per sweep, and a
   * call into the runtime for those with a check due.
   */
  sweep(): void {
    if (this.#closed || this.#sentSinceCheck <= this.#maxBuffered / 8) {
      this.#dueAt = -1;
      return;
    }
    if (this.#dueAt !== this.#flushes) {
      this.#dueAt = this.#flushes;
      return;
    }
    this.#dueAt = -1;
    this.#sentSinceCheck = 0;
    if (this.#sink.bufferedAmount() > this.#maxBuffered) {
      this.close(CLOSE_TOO_SLOW, TOO_SLOW);
    }
  }

  /** Sends what is queued, then closes the socket. */
  close(code: number, reason: string): void {
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
    this.#first = this.#queue = undefined;
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
