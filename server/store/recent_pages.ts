/**
 * The newest page of recently read rooms, kept on the main thread beside
 * the store's worker (store/worker_store.ts), as the JSON text the worker
 * sent: `join_room` answers with that page, and reading it from here
 * saves the round trip to the store's thread and the query (about half of
 * a join's CPU, docs/performance.md "Reads of the history").
 *
 * Exact, not "fresh enough": a page is kept only with the two readings it
 * was read under, and served only while both still hold:
 * - the store's `writes` (SqliteStore): every change to the database other
 *   than appends, this process's or another's (edits, deletes, reactions,
 *   pins, expiry, a room deleted...), as of the worker's last batch;
 * - the room's appends whose outcomes came back here.
 * A page is kept with the readings its read started under, so one that
 * either moved while it was under way is never served. A
 * change the worker made but whose batch has not arrived yet is one this
 * thread has not acknowledged nor published either, so a page served
 * meanwhile is one read just before it; whoever joined is in the room when
 * its event goes out.
 * Only a store that reports `writes` gets one (SQLite, owned by this
 * process); PostgreSQL, shared by several nodes, has no such reading.
 */

// Rooms kept: a page of 50 is about 12 KB of text, so at most 3 MB.
const MAX_ROOMS = 256;

/** The readings a read starts under, given back to {@link RecentPages.keep}. */
export interface PageTicket {
  writes: unknown;
  appends: number;
}

interface Kept extends PageTicket {
  text: string;
}

/** See the module comment. */
export class RecentPages {
  #pages = new Map<string, Kept>();
  #appends = new Map<string, number>();
  #hits = 0;

  /** Pages served from here so far (for tests and the bench). */
  get hits(): number {
    return this.#hits;
  }

  /** The room's newest page as JSON text, if kept and still exact. */
  read(roomKey: string, writes: unknown): string | undefined {
    const kept = this.#pages.get(roomKey);
    if (kept === undefined) return undefined;
    if (
      kept.writes !== writes || kept.appends !== this.#appendsTo(roomKey)
    ) {
      this.#pages.delete(roomKey);
      return undefined;
    }
    // Least recently read last, so the first is the one to drop.
    this.#pages.delete(roomKey);
    this.#pages.set(roomKey, kept);
    this.#hits++;
    return kept.text;
  }

  /** What a read of the room's newest page starts under. */
  ticket(roomKey: string, writes: unknown): PageTicket {
    return { writes, appends: this.#appendsTo(roomKey) };
  }

  /**
   * Keeps a page read under `ticket`: with the readings the read started
   * under, so that a change made while it was under way makes it stale.
   */
  keep(roomKey: string, text: string, ticket: PageTicket): void {
    this.#pages.delete(roomKey);
    this.#pages.set(roomKey, { text, ...ticket });
    if (this.#pages.size > MAX_ROOMS) {
      this.#pages.delete(this.#pages.keys().next().value!);
    }
  }

  /** An append to the room came back from the store. */
  appended(roomKey: string): void {
    // Counted for rooms not kept too: a read under way must see it.
    this.#appends.set(roomKey, this.#appendsTo(roomKey) + 1);
  }

  #appendsTo(roomKey: string): number {
    return this.#appends.get(roomKey) ?? 0;
  }
}
