/**
 * `--retention-days N`: messages older than N days are deleted in the
 * background (a room with its own `retention_days`, set by `update_room`,
 * keeps its own number of days, or everything with 0), in small batches (each a short transaction, so sends do not
 * wait behind one long delete), at start and every hour; then the files
 * only they showed are swept. Every node sharing a store may run it: the
 * batches are idempotent and each stream loses only its oldest messages.
 */
import { Coalesced } from "./coalesced.ts";
import type { FileStorage } from "./files.ts";
import { counted, log } from "./log.ts";
import { DAY_MS, type Store } from "./store/mod.ts";

const logger = log("retention");

/** What {@link Retention} works on. */
export interface RetentionOptions {
  store: Store;
  /** Swept after messages went, for the uploads they alone carried. */
  files: Pick<FileStorage, "sweep">;
  /**
   * Messages older than this many days go, in rooms without their own
   * retention; none: only those rooms lose any.
   */
  days?: number;
  /** How often a pass runs (default one hour; 0: only at start). */
  everyMs?: number;
  /** Messages a batch (default 500). */
  batch?: number;
}

/** Deletes old messages now and then; `close` waits for a pass to stop. */
export class Retention {
  #options: RetentionOptions;
  #timer: ReturnType<typeof setInterval> | undefined;
  // One pass at a time; a shorter retention set during one gets another.
  #passes = new Coalesced(() => this.#pass());
  #closed = false;

  constructor(options: RetentionOptions) {
    this.#options = options;
  }

  /** Runs a first pass in the background and schedules the others. */
  start(): void {
    void this.pass();
    const every = this.#options.everyMs ?? 3600 * 1000;
    if (every > 0) this.#timer = setInterval(() => void this.pass(), every);
  }

  /**
   * One pass: deletes batch after batch until none is full; resolves with
   * how many messages went. Asked for while one runs, it runs after it
   * (that one may have read a room's retention before it was shortened).
   */
  pass(): Promise<number> {
    return this.#passes.run();
  }

  async #pass(): Promise<number> {
    const { store, files, days } = this.#options;
    const batch = this.#options.batch ?? 500;
    const now = Date.now();
    const before = days === undefined ? undefined : now - days * DAY_MS;
    let total = 0;
    try {
      while (!this.#closed) {
        const n = await store.expireMessages(before, batch, now);
        total += n;
        if (n < batch) break;
        // Let sends and reads in between batches.
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
      if (total > 0 && !this.#closed) {
        await files.sweep();
        logger.info("Deleted {messages} past their retention ({period})", {
          count: total,
          days: days ?? "rooms' own",
          messages: counted(total, "message"),
          period: days === undefined ? "each room's own" : counted(days, "day"),
        });
      }
    } catch (error) {
      logger.error("Retention stopped, to retry at the next pass: {error}", {
        error: (error as Error).message,
      });
    }
    return total;
  }

  /** Stops the schedule and waits for a running pass to end its batch. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#passes.idle();
  }
}
