/**
 * What export and import need of a store, apart from the Store interface
 * the server runs on: whole tables read page by page in one snapshot, and
 * rows written back as they were, ids and seqs included, in one
 * transaction. sqlite.ts and postgres.ts implement it; export.ts and
 * import.ts know no SQL.
 */
import type { Row, TableSpec } from "./format.ts";

/** Reads tables inside one consistent snapshot. */
export interface TableReader {
  /** How many rows a table holds (for progress). */
  count(spec: TableSpec): Promise<number>;
  /**
   * The next page of a table in key order: rows after `after` (the cursor
   * of the page before; none: from the start), each as a line holds it.
   */
  page(
    spec: TableSpec,
    after: unknown[] | undefined,
    limit: number,
  ): Promise<{ rows: Row[]; cursor: unknown[] | undefined }>;
}

/** A store an export reads. */
export interface ExportSource {
  /**
   * Runs `work` in one read snapshot: what it reads is the store at one
   * moment, however long it takes, while servers keep writing.
   */
  snapshot<T>(work: (reader: TableReader) => Promise<T>): Promise<T>;
  /** Where it reads, for messages (never a password). */
  readonly describe: string;
  close(): Promise<void>;
}

/** A row refused by the store: which one of a batch, and why. */
export class RowError extends Error {
  /** The index of the row in the batch given to `insert`. */
  readonly index: number;

  constructor(index: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.index = index;
    this.name = "RowError";
  }
}

/**
 * Tables an empty store has no row in: an import refuses a store with rows
 * here. Rooms, streams and secrets may hold what a first start creates.
 */
export const MUST_BE_EMPTY: readonly string[] = [
  "accounts",
  "sessions",
  "password_resets",
  "totp",
  "totp_recovery_codes",
  "memberships",
  "ignores",
  "notification_levels",
  "stars",
  "sidebar_sections",
  "sidebar_items",
  "read_positions",
  "drafts",
  "saved_messages",
  "scheduled_messages",
  "thread_follows",
  "invites",
  "bans",
  "uploads",
  "messages",
  "file_refs",
  "mentions",
  "reactions",
  "message_edits",
  "audit_log",
];

/**
 * An edit row whose message was never edited (no `edited_at`): no edit
 * leaves one, as every edit sets it (`TableWriter.strayEdit`).
 */
export interface StrayEdit {
  /** Its index among the edit rows, in the order they came in. */
  index: number;
  messageId: string;
}

/** What `TableWriter.settleEdits` changed. */
export interface SettledEdits {
  /** Edit rows dropped: a message's past its newest MAX_KEPT_EDITS. */
  dropped: number;
  /** Edit rows whose time was moved into its message's span. */
  retimed: number;
}

/** Writes tables inside one transaction. */
export interface TableWriter {
  /**
   * What the store holds already that an import would mix with (e.g.
   * "3 accounts"), or undefined when it is empty. Rooms without messages,
   * as a server creates at its first start, count as empty.
   */
  inUse(): Promise<string | undefined>;
  /** Removes what an empty store may hold (empty rooms, secrets). */
  clear(): Promise<void>;
  /** Inserts rows as they are; a refused row throws RowError. */
  insert(spec: TableSpec, rows: Row[]): Promise<void>;
  /**
   * Once every row is in: sums each message's reactions up again from its
   * reaction rows, as the store does at each reaction (`react`), and drops
   * those of deleted messages, as a deletion does (their edit histories
   * too: a dump's deleted message keeps no text). Returns how many
   * messages' summaries it changed; each such change counts as a change of
   * the message (its version one more, by the stores' trigger).
   */
  sumReactions(): Promise<number>;
  /**
   * The first edit row, in the order the rows came in, whose message was
   * never edited, or undefined; once the message and edit rows are in. A
   * deleted message's rows are not judged: `sumReactions` drops them.
   */
  strayEdit(): Promise<StrayEdit | undefined>;
  /**
   * Once every row is in, after `sumReactions`: each message's edit rows
   * as the store's edits leave them. Past its newest MAX_KEPT_EDITS the
   * oldest go, as the next edit drops them (PostgreSQL's store holds one
   * more a concurrent edit, so an honest dump may). Each row's time is
   * raised to its message's and to the row's above it, and lowered to the
   * message's last edit (`edited_at`): the history reads in order. Every
   * edit takes its time from the clock of the node that made it, so a
   * cluster's nodes a few ms apart leave rows out of order by as much.
   */
  settleEdits(): Promise<SettledEdits>;
  /**
   * What is inconsistent after the last insert (a message beyond its
   * stream's last seq, a stream without a room, a message with more
   * different reactions than `react` takes), or undefined.
   */
  check(): Promise<string | undefined>;
}

/** A store an import writes. */
export interface ImportTarget {
  /**
   * Runs `work` in one transaction, committed when it resolves and rolled
   * back when it throws: a failed import changes nothing.
   */
  transaction(work: (writer: TableWriter) => Promise<void>): Promise<void>;
  /** Where it writes, for messages (never a password). */
  readonly describe: string;
  close(): Promise<void>;
}
