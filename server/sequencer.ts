import { log } from "./log.ts";

const logger = log("sequencer");

/** Fetches the messages of a room between two seqs, as deliveries in order. */
export type GapFiller = (
  roomKey: string,
  afterSeq: number,
  beforeSeq: number,
) => Promise<{ seq: number; deliver: () => void }[]>;

/**
 * Delivers each room's messages to this node's members in `seq` order,
 * whatever order they arrive in: a message ahead of the next expected seq
 * waits, and if the missing ones do not arrive within `gapWaitMs` (Redis
 * lost them, or is down) they are read from the store.
 */
export class RoomSequencer {
  #next = new Map<string, number>();
  #waiting = new Map<string, Map<number, () => void>>();
  #timers = new Map<string, ReturnType<typeof setTimeout>>();
  #fill: GapFiller;
  #gapWaitMs: number;
  #closed = false;

  constructor(fill: GapFiller, options: { gapWaitMs?: number } = {}) {
    this.#fill = fill;
    this.#gapWaitMs = options.gapWaitMs ?? 150;
  }

  /** Sets the next seq expected in a room (at start, or a new room: 1). */
  expect(roomKey: string, next: number): void {
    this.#next.set(roomKey, next);
  }

  /** Forgets a deleted room. */
  forget(roomKey: string): void {
    this.#next.delete(roomKey);
    this.#waiting.delete(roomKey);
    clearTimeout(this.#timers.get(roomKey));
    this.#timers.delete(roomKey);
  }

  /**
   * Follows a renamed room: its numbering goes on under the new key. Any
   * message still waiting for a gap is dropped (its readers catch up from
   * the store when they hear of the rename).
   */
  rename(from: string, to: string): void {
    const next = this.#next.get(from);
    this.forget(from);
    if (next !== undefined) this.expect(to, next);
  }

  /** Delivers now, later in order, or never (a duplicate). */
  offer(roomKey: string, seq: number, deliver: () => void): void {
    const next = this.#next.get(roomKey) ?? seq;
    if (seq < next) return;
    if (seq > next) {
      let waiting = this.#waiting.get(roomKey);
      if (!waiting) this.#waiting.set(roomKey, waiting = new Map());
      waiting.set(seq, deliver);
      this.#waitForGap(roomKey);
      return;
    }
    deliver();
    this.#next.set(roomKey, seq + 1);
    this.#drain(roomKey);
  }

  // Gives the missing messages `gapWaitMs` to arrive before reading them.
  #waitForGap(roomKey: string): void {
    if (this.#timers.has(roomKey) || this.#closed) return;
    this.#timers.set(
      roomKey,
      setTimeout(() => void this.#fillGap(roomKey), this.#gapWaitMs),
    );
  }

  #drain(roomKey: string): void {
    const waiting = this.#waiting.get(roomKey);
    if (!waiting) return;
    let next = this.#next.get(roomKey)!;
    for (
      let deliver = waiting.get(next);
      deliver;
      deliver = waiting.get(next)
    ) {
      waiting.delete(next);
      deliver();
      next++;
    }
    this.#next.set(roomKey, next);
    if (waiting.size === 0) {
      this.#waiting.delete(roomKey);
      clearTimeout(this.#timers.get(roomKey));
      this.#timers.delete(roomKey);
    }
  }

  async #fillGap(roomKey: string): Promise<void> {
    this.#timers.delete(roomKey);
    const waiting = this.#waiting.get(roomKey);
    const next = this.#next.get(roomKey);
    if (!waiting || waiting.size === 0 || next === undefined) return;
    const first = Math.min(...waiting.keys());
    try {
      for (const message of await this.#fill(roomKey, next - 1, first)) {
        if (message.seq === this.#next.get(roomKey)) {
          message.deliver();
          this.#next.set(roomKey, message.seq + 1);
        }
      }
    } catch (error) {
      logger.error("Cannot fill the gap before seq {seq} in {room}: {error}", {
        seq: first,
        room: roomKey,
        error: (error as Error).message,
      });
    }
    // Whatever the store had, move on: clients fill any gap left by seq.
    if ((this.#next.get(roomKey) ?? first) < first) {
      this.#next.set(roomKey, first);
    }
    this.#drain(roomKey);
    // Another gap further on (3 and 6 came, 4 and 5 did not) waits for
    // its own turn: a quiet room has no next message to start the wait.
    if (this.#waiting.has(roomKey)) this.#waitForGap(roomKey);
  }

  /** Stops the timers; no gap is read after this. */
  close(): void {
    this.#closed = true;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }
}
