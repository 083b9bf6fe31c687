/**
 * A free-space reserve on the file system that keeps shared files: an
 * upload may start only if, with every upload already under way written in
 * full, the disk would keep `reserveBytes` free, so that accounts together
 * (each within its quota) cannot fill the disk the chat itself writes to.
 */

import { log } from "./log.ts";

const logger = log("files");

// A refusal is the operator's news (the disk is nearly full), not the
// uploader's alone; logged at most this often, so that a client retrying
// in a loop writes a line every ten minutes, not one per try.
const WARN_EVERY_MS = 10 * 60 * 1000;

/** Options of {@link DiskReserve}. */
export interface DiskReserveOptions {
  /** Bytes uploads must leave free; 0: no reserve (nothing is read). */
  reserveBytes: number;
  /**
   * Bytes free to this process where uploads are written (statfs: `bavail
   * * bsize`); absent where that is not known here (no reserve). Read at
   * each claim: it costs about 44 µs (an async op), far below what an
   * upload's request costs, so it is not cached, and what other programs
   * wrote meanwhile counts at once.
   */
  freeBytes?: () => Promise<number>;
}

/** Space set aside for one upload while it is written; free it after. */
export interface SpaceClaim extends Disposable {
  /** Gives the space back (again: nothing happens). */
  release(): void;
}

/**
 * Claims of uploads under way against the free space. Two uploads that
 * start together each see the other's claim: the check and the claim are
 * one synchronous step after the free space is read.
 */
export class DiskReserve {
  #reserveBytes: number;
  #freeBytes: (() => Promise<number>) | undefined;
  // Bytes claimed by uploads under way. A claim counts in full until it is
  // released, even the part already written (which statfs shows too): an
  // upload in flight is counted up to twice, erring towards refusing, and
  // a file system that reports written bytes late (delayed allocation
  // elsewhere than ext4) cannot let uploads past the reserve.
  #claimed = 0;
  #lastWarning = -Infinity;
  // Refusals since the last warning, told in the next one.
  #refused = 0;

  constructor(options: DiskReserveOptions) {
    this.#reserveBytes = options.freeBytes ? options.reserveBytes : 0;
    this.#freeBytes = options.freeBytes;
  }

  /** The bytes kept free (0: none). */
  get reserveBytes(): number {
    return this.#reserveBytes;
  }

  /**
   * Logs a warning when the disk already keeps less than the reserve free
   * (every upload would be refused); for the start, where an operator reads
   * the log. Errors reading the free space are left to the first upload.
   */
  async warnIfBelow(): Promise<void> {
    if (!this.#freeBytes || this.#reserveBytes === 0) return;
    const free = await this.#freeBytes().catch(() => undefined);
    if (free === undefined || free >= this.#reserveBytes) return;
    logger.warning(
      "The files folder's disk has {free} bytes free, less than --disk-reserve keeps ({reserve}): every upload will be refused (507) until space is freed, or --disk-reserve lowered",
      { free, reserve: this.#reserveBytes },
    );
  }

  /**
   * Sets aside `bytes` for an upload, or undefined when that would leave
   * less than the reserve free. Rejects when the free space cannot be
   * read (the upload then fails as `internal`, and the log says why).
   */
  async claim(bytes: number): Promise<SpaceClaim | undefined> {
    if (!this.#freeBytes || this.#reserveBytes === 0) return NOTHING_CLAIMED;
    const free = await this.#freeBytes();
    if (free - this.#claimed - bytes < this.#reserveBytes) {
      this.#refused++;
      const now = performance.now();
      if (now - this.#lastWarning >= WARN_EVERY_MS) {
        this.#lastWarning = now;
        logger.warning(
          "Uploads refused (507 insufficient_storage, {refused} since the last such line): the files folder's disk has {free} bytes free and --disk-reserve keeps {reserve}. Free some space, or lower --disk-reserve",
          { refused: this.#refused, free, reserve: this.#reserveBytes },
        );
        this.#refused = 0;
      }
      return undefined;
    }
    this.#claimed += bytes;
    let held = true;
    const release = () => {
      if (held) this.#claimed -= bytes;
      held = false;
    };
    return { release, [Symbol.dispose]: release };
  }
}

const NOTHING_CLAIMED: SpaceClaim = {
  release() {},
  [Symbol.dispose]() {},
};
