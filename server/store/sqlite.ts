import {
  DatabaseSync,
  type SQLOutputValue,
  type StatementSync,
} from "node:sqlite";
import { messageIds } from "./message_ids.ts";
import { dirname } from "node:path";
import { setImmediate } from "node:timers";
import { accountCreatedAt } from "../accounts/identity.ts";
import { addressKey } from "../addresses.ts";
import { StoreUnavailableError } from "../protocol/errors.ts";
import type {
  Attachment,
  ChatMessage,
  DeletedForward,
  ForwardedMessage,
  MessageBase,
  PrivateMessage,
  Reaction,
} from "../protocol/types.ts";
import {
  MAX_KEPT_EDITS,
  MAX_PINS,
  MAX_REACTION_USERS,
  MAX_REACTIONS_PER_MESSAGE,
} from "../protocol/limits.ts";
import { applyPollChange, type PollChange } from "../polls.ts";
import {
  type AccountStore,
  type AppendResult,
  type AuditStore,
  type Ban,
  conversationKey,
  DAY_MS,
  type DeletedRoom,
  type DoNotDisturbStore,
  type DraftStore,
  type EmailStore,
  type EmojiStore,
  type FileStore,
  type GroupStore,
  type HistoryQuery,
  type IgnoreStore,
  type IntegrationStore,
  type LinkPreviewChange,
  type MailboxFull,
  type MarkResult,
  type MembershipStore,
  type MentionStore,
  type MessageChange,
  type MessageDraft,
  type MessageEdit,
  type MessageRecord,
  type MissedMailStore,
  type NewAuditEntry,
  type NotificationStore,
  type OutboundStore,
  pageLimit,
  type PollChoiceRow,
  type PollResult,
  type PrivateDraft,
  type PrivateStore,
  type ProfileStore,
  type ReactionChange,
  type ReactResult,
  type RepliesQuery,
  type RetryKey,
  RoomArchivedError,
  type RoomChange,
  RoomGoneError,
  type RoomOptions,
  type RoomPosting,
  type SavedStore,
  type ScheduledStore,
  type SearchPage,
  type SearchQuery,
  type SectionStore,
  SenderBannedError,
  SenderGoneError,
  type StarStore,
  type StatusStore,
  type Store,
  type StoredRoom,
  type ThreadStore,
  type TotpStore,
  type WaitingLimits,
} from "./mod.ts";
import {
  type BanRow,
  type RoomRow,
  toBan,
  toRoom,
  uploadIdsOf,
} from "./rows.ts";
import {
  InPlaceIndexer,
  NoIndexer,
  SEARCH_INDEX_INTERVAL_MS,
  type SearchIndexer,
  ThreadIndexer,
} from "./search_index.ts";
import { dropSearchIndex, searchIndexPath } from "./search_index_file.ts";
import { writeAuditEntry } from "./sqlite_audit.ts";
import { SqliteSearch } from "./sqlite_search.ts";
import {
  MESSAGE_COLUMNS,
  type MessageRow,
  messageRowOf,
  MESSAGES,
  toMessage,
} from "./sqlite_rows.ts";
import { SQLITE_MIGRATIONS } from "./sqlite_schema.ts";
import { mailboxKey } from "../protocol/mailbox_key.ts";
import { mentionKeys, wideMentions } from "../mentions.ts";
import { nameSkeleton } from "../protocol/skeleton.ts";
import { BackgroundCheckpoints, type CheckpointPass } from "./checkpoints.ts";
import { storageProblem } from "../disk_errors.ts";
import { delegate } from "./parts.ts";
import { SqliteDrafts } from "./sqlite_drafts.ts";
import { SqliteSaved } from "./sqlite_saved.ts";
import { SqliteScheduled } from "./sqlite_scheduled.ts";
import { SqliteMentions } from "./sqlite_mentions.ts";
import { SqliteThreads } from "./sqlite_threads.ts";
import { SqliteNotifyLevels } from "./sqlite_notify_levels.ts";
import { SqliteSections } from "./sqlite_sections.ts";
import { SqliteStars } from "./sqlite_stars.ts";
import { SqliteDoNotDisturb } from "./sqlite_do_not_disturb.ts";
import { SqliteEmail } from "./sqlite_email.ts";
import { SqliteMissedMail } from "./sqlite_missed_mail.ts";
import { SqliteStatus } from "./sqlite_status.ts";
import { SqliteProfile } from "./sqlite_profile.ts";
import { SqliteEmoji } from "./sqlite_emoji.ts";
import { SqliteTotp } from "./sqlite_totp.ts";
import { SqliteGroups } from "./sqlite_groups.ts";
import type { SqliteContext } from "./sqlite_context.ts";
import { SqliteAccounts } from "./sqlite_accounts.ts";
import { SqliteAudit } from "./sqlite_audit.ts";
import { SqliteFiles } from "./sqlite_files.ts";
import { SqliteIntegrations } from "./sqlite_integrations.ts";
import { refuseArchived, SqliteMemberships } from "./sqlite_memberships.ts";
import { SqliteConversations } from "./sqlite_conversations.ts";
import { SqliteIgnores } from "./sqlite_ignores.ts";
import { SqliteOutbound } from "./sqlite_outbound.ts";

/** Options of {@link SqliteStore}. */
export interface SqliteStoreOptions {
  /** Rooms that must exist, created at open when missing (e.g. `general`). */
  permanentRooms?: { name: string; key: string }[];
  /** How long to wait for a lock held by another process (`--db-busy-timeout`). */
  busyTimeoutMs: number;
  /**
   * A commit of fewer than 8 appends waits until this many ms after the
   * last one (`--db-commit-wait`), and the appends that come meanwhile
   * share it. 0 (the default here; the server's is 5): every turn's
   * appends commit at once.
   */
  commitWaitMs?: number;
  /**
   * Who writes the search index (search_index.ts). `mode`: "thread" (the
   * default for a file) writes `<db>-search` from a thread of its own;
   * "in_place" keeps the index in the database and indexes on this thread
   * (at open, `intervalMs` after appends, at once past a page and when a
   * search asks: `:memory:` always, and the one-file build, which cannot
   * start threads); "off" writes none (a
   * store opened only to bring the file's schema up to date: it is never
   * searched). `intervalMs`: time between the thread's passes when no
   * search asks and less than a page waits (SEARCH_INDEX_INTERVAL_MS); a
   * test that needs messages still unindexed a moment later sets it long
   * rather than racing the machine's speed.
   */
  searchIndex?: {
    mode?: "thread" | "in_place" | "off";
    intervalMs?: number;
    /** The thread's module (default: search_index_worker.ts); for tests. */
    workerUrl?: string;
    /** A thread the main thread started ({@link startSearchIndexThread}). */
    port?: MessagePort;
  };
  /**
   * Checkpoint the WAL on a thread of its own instead of inside commits
   * (store/checkpoints.ts), as the server's store does
   * (`BACKGROUND_CHECKPOINTS` of checkpoints.ts). Default: SQLite's automatic
   * checkpoints.
   */
  backgroundCheckpoints?: {
    /** Time between two passes of the checkpointing thread, in ms. */
    intervalMs: number;
    /** Past this many frames the writer lets a pass empty the WAL. */
    resetFrames: number;
    /**
     * The longest appends wait for that pass (default HOLD_FOR_RESET_MS);
     * tests give a patient one, so that what they check does not hang on
     * how soon a busy machine runs the pass.
     */
    holdMs?: number;
    /** The thread's module (default: checkpoint_worker.ts); for tests. */
    workerUrl?: string;
    /** A thread the main thread started ({@link startCheckpointThread}). */
    port?: MessagePort;
  };
}

// The longest appends wait for a pass that lets the WAL start over; a
// slower pass (a very busy disk) is let be, and the WAL starts over later.
const HOLD_FOR_RESET_MS = 50;

/** An append waiting for the next group commit. */
interface QueuedAppend {
  run: () => Appended<MessageBase> | Refused;
  resolve: (result: Appended<MessageBase>) => void;
  reject: (error: unknown) => void;
}

/** What one append did. */
type Appended<M extends MessageBase> = AppendResult<M> | MailboxFull;

/** What an append needs of its room, kept once read (#roomNames). */
interface CachedRoom {
  name: string;
  createdAt: number;
  archived: boolean;
}

/**
 * An append refused for its own reason, settled on its own without failing
 * the batch it shares a transaction with: a ban of its sender (rejected
 * with SenderBannedError), its sender's account deleted (SenderGoneError),
 * its room deleted meanwhile, perhaps made again (RoomGoneError), or
 * archived meanwhile (RoomArchivedError).
 */
type Refused =
  | { banned: Ban }
  | { gone: true }
  | { roomGone: string }
  | { roomArchived: string };

// With a commit wait (--db-commit-wait), a batch of this many appends is
// committed without waiting: it already shares its commit.
const FULL_COMMIT = 8;

/** The slices of the store its parts answer (see `delegate`). */
export interface SqliteStore
  extends
    FileStore,
    OutboundStore,
    IntegrationStore,
    AuditStore,
    MembershipStore,
    AccountStore,
    IgnoreStore,
    DraftStore,
    NotificationStore,
    StarStore,
    SectionStore,
    DoNotDisturbStore,
    StatusStore,
    EmailStore,
    MissedMailStore,
    ProfileStore,
    EmojiStore,
    TotpStore,
    GroupStore,
    SavedStore,
    ScheduledStore,
    MentionStore,
    ThreadStore,
    Pick<PrivateStore, "listConversations"> {}

/**
 * The embedded store: one SQLite file in WAL mode. Every write is committed
 * before its promise resolves, so an acknowledged message survives SIGKILL.
 * It keeps the connection, the group commits of appends and search
 * indexing, rooms and private conversations; each other slice of `Store`
 * is a part over the same connection (sqlite_files.ts...).
 */
export class SqliteStore implements Store {
  #appendCommits = 0;
  // Rows changed by group commits of appends that succeeded (see writes).
  #appendChanges = 0;
  #writes = 0;
  #db: DatabaseSync;
  #nextId = messageIds();
  #closed = false;
  #closing?: Promise<void>;
  #sql: Record<string, StatementSync> = {};
  #queued: QueuedAppend[] = [];
  // This process owns the file, so it keeps each stream's last seq and each
  // room's name, creation time and archived flag once read: an append is
  // then one INSERT, and a stream's counter is written once per group
  // commit (#touched), not per message. What changes a room's row drops its
  // entry, to be read again by the next append.
  #lastSeq = new Map<string, number>();
  #roomNames = new Map<string, CachedRoom>();
  #touched = new Set<string>();
  // What the parts and search use of this connection.
  #context: SqliteContext = {
    q: (sql) => this.#q(sql),
    arrays: (sql) => this.#arrays(sql),
    transaction: (body) => this.#transaction(body),
    run: (step) => this.#run(step),
  };
  // Search pages: the messages through this connection's statements, the
  // index through #indexContext's (this connection's too, in place).
  #search: SqliteSearch;
  #indexer: SearchIndexer;
  // Settles once the index can be read (the thread started).
  #indexStarted: Promise<void> = Promise.resolve();
  #indexDb?: DatabaseSync;
  #indexSql: Record<string, StatementSync> = {};
  // Messages whose text changed (or that took a rowid given again) and
  // whose change the index may not have applied yet, by id, with the
  // change's number: a search checks their text as it is now
  // (SqliteSearch.page). Forgotten as the thread's change mark passes them.
  #changedTexts = new Map<string, number>();
  // Applied changes up to here are trimmed from search_changes by the
  // next append commit (no commit of their own), and were up to here.
  #changesApplied = 0;
  #changesTrimmed = 0;
  #files = new SqliteFiles(this.#context);
  #outbound = new SqliteOutbound(this.#context);
  #integrations = new SqliteIntegrations(this.#context);
  #audit = new SqliteAudit(this.#context);
  #conversations = new SqliteConversations(this.#context);
  #ignores = new SqliteIgnores(this.#context);
  #drafts = new SqliteDrafts(this.#context);
  #saved = new SqliteSaved(this.#context);
  #scheduled = new SqliteScheduled(this.#context);
  #mentions = new SqliteMentions(this.#context);
  #threads = new SqliteThreads(this.#context);
  #notifyLevels = new SqliteNotifyLevels(this.#context);
  #stars = new SqliteStars(this.#context);
  #sections = new SqliteSections(this.#context);
  #doNotDisturb = new SqliteDoNotDisturb(this.#context);
  #status = new SqliteStatus(this.#context);
  #email = new SqliteEmail(this.#context);
  #missedMail = new SqliteMissedMail(this.#context);
  #profile = new SqliteProfile(this.#context);
  #emoji = new SqliteEmoji(this.#context);
  #totp = new SqliteTotp(this.#context);
  #groups = new SqliteGroups(this.#context);
  #memberships = new SqliteMemberships(
    this.#context,
    (stream) => this.#lastSeqOf(stream),
  );
  #accounts = new SqliteAccounts(this.#context, {
    banOf: (who, roomKey) => this.#banOf(who, roomKey),
    sumReactions: (id) => this.#sumReactions(id),
  });
  // The highest rowid the batch being committed gave, the highest this
  // store gave (or found at open), and the batch's messages given a rowid
  // at or below that one: SQLite gives the newest deleted rowids again,
  // and until the index thread applies their deletion it may hold the
  // deleted messages' words under them (#changedTexts).
  #batchTop = 0;
  #highestRowid = 0;
  #rowidsAgain: string[] = [];
  #checkpoints?: BackgroundCheckpoints;
  #resetFrames = Infinity;
  // Appends wait (queued) while a pass empties the WAL, for so long.
  #held = false;
  #holdTimer?: ReturnType<typeof setTimeout>;
  #holdMs = HOLD_FOR_RESET_MS;
  #commitWaitMs: number;
  // When the last commit of appends began (performance.now()).
  #lastCommitAt = -Infinity;
  #commitTimer?: ReturnType<typeof setTimeout>;
  #path: string;
  // The last commit failed for want of space (or a read-only disk) and
  // none has succeeded since. A tiny write such as ping's may still fit in
  // pages SQLite already owns, so ping then probes the disk itself.
  #storageError?: Error;

  static {
    delegate(SqliteStore, SqliteFiles, (store) => store.#files);
    delegate(SqliteStore, SqliteOutbound, (store) => store.#outbound);
    delegate(SqliteStore, SqliteIntegrations, (store) => store.#integrations);
    delegate(SqliteStore, SqliteAudit, (store) => store.#audit);
    delegate(
      SqliteStore,
      SqliteConversations,
      (store) => store.#conversations,
    );
    delegate(SqliteStore, SqliteIgnores, (store) => store.#ignores);
    delegate(SqliteStore, SqliteMemberships, (store) => store.#memberships);
    delegate(SqliteStore, SqliteAccounts, (store) => store.#accounts);
    delegate(SqliteStore, SqliteDrafts, (store) => store.#drafts);
    delegate(SqliteStore, SqliteSaved, (store) => store.#saved);
    delegate(SqliteStore, SqliteScheduled, (store) => store.#scheduled);
    delegate(SqliteStore, SqliteMentions, (store) => store.#mentions);
    delegate(SqliteStore, SqliteThreads, (store) => store.#threads);
    delegate(SqliteStore, SqliteNotifyLevels, (store) => store.#notifyLevels);
    delegate(SqliteStore, SqliteStars, (store) => store.#stars);
    delegate(SqliteStore, SqliteSections, (store) => store.#sections);
    delegate(SqliteStore, SqliteDoNotDisturb, (store) => store.#doNotDisturb);
    delegate(SqliteStore, SqliteStatus, (store) => store.#status);
    delegate(SqliteStore, SqliteEmail, (store) => store.#email);
    delegate(SqliteStore, SqliteMissedMail, (store) => store.#missedMail);
    delegate(SqliteStore, SqliteProfile, (store) => store.#profile);
    delegate(SqliteStore, SqliteEmoji, (store) => store.#emoji);
    delegate(SqliteStore, SqliteTotp, (store) => store.#totp);
    delegate(SqliteStore, SqliteGroups, (store) => store.#groups);
  }

  get appendCommits(): number {
    return this.#appendCommits;
  }

  get searchIndexRestarts(): number {
    return this.#indexer.restarts;
  }

  /**
   * Rows this connection changed since the store opened, appends to
   * messages aside. Equal readings mean every page of history reads as it
   * did, but for messages appended since (this process owns the file, as
   * the seq counters already assume); the recent pages the server keeps of
   * its rooms (store/recent_pages.ts) rest on it. Read with every batch of
   * the store's thread: 0.4 µs (PRAGMA data_version, for other
   * connections' commits, would cost 10).
   */
  get writes(): number {
    // Once closed (the worker still sends its last batch) the file is gone.
    if (!this.#closed) {
      this.#writes = this.#totalChanges() - this.#appendChanges;
    }
    return this.#writes;
  }

  #totalChanges(): number {
    const [changes] = this.#arrays("SELECT total_changes()")
      .get() as unknown as [
        number,
      ];
    return changes;
  }

  /**
   * Opens the store and resolves once its checkpoint thread runs (see
   * {@link BackgroundCheckpoints.started}); a thread that cannot start
   * fails the open with `StoreUnavailableError`, before the server listens.
   */
  static async open(
    path: string,
    options: SqliteStoreOptions,
  ): Promise<SqliteStore> {
    const store = new SqliteStore(path, options);
    for (
      const [thread, started] of [
        ["checkpoint", store.#checkpoints?.started()],
        ["search index", store.#indexStarted],
      ] as const
    ) {
      try {
        await started;
      } catch (error) {
        await store.close();
        throw new StoreUnavailableError(
          `Cannot start the ${thread} thread of '${path}': ${
            (error as Error).message
          }`,
          { cause: error },
        );
      }
    }
    return store;
  }

  constructor(path: string, options: SqliteStoreOptions) {
    this.#path = path;
    this.#commitWaitMs = options.commitWaitMs ?? 0;
    let opened: DatabaseSync | undefined;
    try {
      this.#db = opened = new DatabaseSync(path);
      this.#db.exec("PRAGMA journal_mode = WAL");
      // FULL: the WAL is fsynced at every commit, so an acknowledged message
      // survives power loss too, not only a crash of the process (NORMAL).
      // Group commits make it one fsync per batch of appends, not per message
      // (docs/performance.md has the cost).
      this.#db.exec("PRAGMA synchronous = FULL");
      this.#db.exec("PRAGMA wal_autocheckpoint = 10000");
      // SQLite waits synchronously: keep this short, it stalls the server.
      this.#db.exec(
        `PRAGMA busy_timeout = ${Math.trunc(options.busyTimeoutMs)}`,
      );
      this.#db.exec("PRAGMA foreign_keys = ON");
      this.#migrate();
      this.#fillSkeletons();
      this.#fillMailboxKeys();
      [this.#highestRowid] = this.#arrays(
        "SELECT coalesce(max(rowid), 0) FROM messages",
      ).get() as unknown as [number];
      this.#indexer = this.#startIndexer(path, options);
      this.#search = new SqliteSearch(this.#context, this.#indexContext);
      const now = Date.now();
      for (const room of options.permanentRooms ?? []) {
        this.#insertRoom(room.key, room.name, now, {});
      }
      if (options.backgroundCheckpoints && path !== ":memory:") {
        this.#checkpointInBackground(path, {
          ...options.backgroundCheckpoints,
          busyTimeoutMs: options.busyTimeoutMs,
        });
      }
    } catch (error) {
      // Opened and then refused (a newer schema): not left open.
      try {
        opened?.close();
      } catch {
        // Already closed, or never opened.
      }
      throw new StoreUnavailableError(
        `Cannot open database '${path}': ${
          opened ? (error as Error).message : whyNotOpened(path, error)
        }`,
        { cause: error },
      );
    }
  }

  #checkpointInBackground(
    path: string,
    options: {
      intervalMs: number;
      resetFrames: number;
      holdMs?: number;
      busyTimeoutMs: number;
      workerUrl?: string;
      port?: MessagePort;
    },
  ): void {
    // No checkpoint inside a commit any more; the WAL file is cut back to
    // its reset size when it starts over after a burst.
    this.#db.exec("PRAGMA wal_autocheckpoint = 0");
    const { page_size } = this.#db.prepare("PRAGMA page_size").get() as {
      page_size: number;
    };
    this.#db.exec(
      `PRAGMA journal_size_limit = ${options.resetFrames * page_size}`,
    );
    this.#resetFrames = options.resetFrames;
    this.#holdMs = options.holdMs ?? HOLD_FOR_RESET_MS;
    this.#checkpoints = new BackgroundCheckpoints(path, {
      workerUrl: options.workerUrl,
      port: options.port,
      intervalMs: options.intervalMs,
      busyTimeoutMs: options.busyTimeoutMs,
      onPass: (pass) => this.#afterCheckpointPass(pass),
      onError: (message) => {
        // The next pass tries again; meanwhile the WAL grows.
        console.error(`Background checkpoint failed: ${message}`);
      },
    });
  }

  // A WAL past its reset size. A pass checkpoints the WAL as it was when
  // the pass began; under steady writes a commit lands during nearly every
  // pass, so no commit finds the WAL whole checkpointed (what starting it
  // over needs) and it grew without end: 700 MB in 10 s of the bench's
  // history scenario, each new block zeroed by the kernel as it was
  // written (6% of the server's CPU there). With appends held for one more
  // pass (a few ms, about once a second at 25,000 messages a second), that
  // pass copies the tail and leaves the whole WAL checkpointed, so the next
  // commit starts it over.
  #afterCheckpointPass(pass: CheckpointPass): void {
    if (this.#closed || this.#held || !this.#checkpoints) return;
    if (pass.log < this.#resetFrames) return;
    this.#held = true;
    const release = () => {
      if (!this.#held) return;
      this.#release();
      if (!this.#closed) this.#commitQueued();
    };
    this.#holdTimer = setTimeout(release, this.#holdMs);
    this.#checkpoints.passNow().then(release);
  }

  #release(): void {
    clearTimeout(this.#holdTimer);
    this.#held = false;
  }

  #migrate(): void {
    const { user_version } = this.#db.prepare("PRAGMA user_version").get() as {
      user_version: number;
    };
    // An operator going back to the version before an upgrade: this code
    // does not know the tables the newer one made or changed, and would
    // write rows that version then misreads. PostgreSQL's migrate refuses
    // the same (postgres.ts); `bringUpToDate` does for the commands.
    if (user_version > SQLITE_MIGRATIONS.length) {
      throw new Error(
        `it was written by a newer chat-server (schema ${user_version}, this one knows ${SQLITE_MIGRATIONS.length}): run that version, or restore the backup taken before the upgrade`,
      );
    }
    for (let v = user_version; v < SQLITE_MIGRATIONS.length; v++) {
      this.#transaction(() => {
        this.#db.exec(SQLITE_MIGRATIONS[v]);
        this.#db.exec(`PRAGMA user_version = ${v + 1}`);
      });
    }
  }

  // Accounts and groups from before skeletons were stored get theirs
  // (once).
  #fillSkeletons(): void {
    for (
      const [table, name] of [["accounts", "username"], ["user_groups", "name"]]
    ) {
      const rows = this.#db.prepare(
        `SELECT key, ${name} AS name FROM ${table} WHERE skeleton IS NULL`,
      ).all() as { key: string; name: string }[];
      if (rows.length === 0) continue;
      const update = this.#db.prepare(
        `UPDATE ${table} SET skeleton = ? WHERE key = ?`,
      );
      this.#transaction(() => {
        for (const row of rows) update.run(nameSkeleton(row.name), row.key);
      });
    }
  }

  // Addresses from before their mailbox key was kept (or imported from
  // a file, which does not carry it) get theirs: a probe of nothing once
  // every address has one.
  #fillMailboxKeys(): void {
    const rows = this.#db.prepare(
      `SELECT key, email FROM accounts
       WHERE email IS NOT NULL AND email_key IS NULL`,
    ).all() as { key: string; email: string }[];
    if (rows.length === 0) return;
    const update = this.#db.prepare(
      "UPDATE accounts SET email_key = ? WHERE key = ?",
    );
    this.#transaction(() => {
      for (const row of rows) update.run(mailboxKey(row.email), row.key);
    });
  }

  // The search index's writer: a thread over `<db>-search`, or the pass
  // in this connection for a `:memory:` store (search_index.ts). The
  // thread's file is read here on a read-only connection once it runs.
  #startIndexer(path: string, options: SqliteStoreOptions): SearchIndexer {
    const onError = (message: string) =>
      console.error(`Indexing messages for search failed: ${message}`);
    const onMarks = (marks: { change: number }) =>
      this.#indexedUpTo(marks.change);
    const intervalMs = options.searchIndex?.intervalMs ??
      SEARCH_INDEX_INTERVAL_MS;
    const mode = path === ":memory:"
      ? "in_place"
      : options.searchIndex?.mode ?? "thread";
    if (mode === "off") return new NoIndexer();
    if (mode === "in_place") {
      // Its writes count as appends': no page of history reads otherwise.
      return new InPlaceIndexer(this.#db, (body) => {
        const before = this.#totalChanges();
        this.#transaction(body);
        this.#appendChanges += this.#totalChanges() - before;
      }, { onMarks, onError, intervalMs });
    }
    // An index a one-file build kept here (in_place) is the thread's
    // file's now: its tables go.
    if (
      this.#q(
        "SELECT 1 FROM sqlite_schema WHERE name = 'search_marks'",
      ).get()
    ) {
      this.#transaction(() => dropSearchIndex(this.#db));
    }
    const indexer = new ThreadIndexer(path, {
      workerUrl: options.searchIndex?.workerUrl,
      port: options.searchIndex?.port,
      intervalMs,
      busyTimeoutMs: options.busyTimeoutMs,
      onMarks,
      onError,
      // A thread started again may have made its file again (it could not
      // read it: search_index_worker.ts' openIndex), a new file where the
      // old one was: a connection left on the old one read it, unlinked
      // and never indexed again, until the server restarted. Opened anew
      // at every restart, which the back-off keeps rare.
      onRestarted: () => this.#openIndexReader(path, options.busyTimeoutMs),
    });
    this.#indexStarted = indexer.started().then(() =>
      this.#openIndexReader(path, options.busyTimeoutMs)
    );
    // Whoever opens the store awaits it (open); a search only waits.
    this.#indexStarted.catch(() => {});
    return indexer;
  }

  // The index file's reader, opened (again) once its thread runs; its
  // statements are the connection's, so they go with it.
  #openIndexReader(path: string, busyTimeoutMs: number): void {
    if (this.#closed) return;
    this.#indexDb?.close();
    this.#indexSql = {};
    this.#indexDb = new DatabaseSync(searchIndexPath(path), { readOnly: true });
    this.#indexDb.exec(`PRAGMA busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
  }

  // The thread applied the changes up to `change`: the next append commit
  // trims them, and a search need not check those messages' text.
  #indexedUpTo(change: number): void {
    this.#changesApplied = Math.max(this.#changesApplied, change);
    for (const [id, seq] of this.#changedTexts) {
      if (seq <= change) this.#changedTexts.delete(id);
    }
  }

  // The number of the last change written to search_changes.
  #lastChange(): number {
    const row = this.#arrays(
      "SELECT seq FROM sqlite_sequence WHERE name = 'search_changes'",
    ).get() as unknown as [number] | undefined;
    return row?.[0] ?? 0;
  }

  // The index's statements: the index file's connection, or this one.
  #indexContext = {
    q: (sql: string) => this.#indexStatement(sql, false),
    arrays: (sql: string) => this.#indexStatement(sql, true),
  };

  #indexStatement(sql: string, arrays: boolean): StatementSync {
    const db = this.#indexDb;
    if (!db) return arrays ? this.#arrays(sql) : this.#q(sql);
    const key = `${arrays ? "arrays:" : ""}${sql}`;
    let statement = this.#indexSql[key];
    if (!statement) {
      statement = db.prepare(sql);
      if (arrays) {
        (statement as StatementSync & { setReturnArrays(on: boolean): void })
          .setReturnArrays(true);
      }
      this.#indexSql[key] = statement;
    }
    return statement;
  }

  // Statements are prepared on first use and kept.
  #q(sql: string): StatementSync {
    let statement = this.#sql[sql];
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#sql[sql] = statement;
    }
    return statement;
  }

  // A statement whose rows come as arrays of values, kept apart from #q's.
  #arrays(sql: string): StatementSync {
    const key = `arrays:${sql}`;
    let statement = this.#sql[key];
    if (!statement) {
      statement = this.#db.prepare(sql);
      // Deno 2.9.6's node:sqlite has it; its type definitions do not yet.
      (statement as StatementSync & { setReturnArrays(on: boolean): void })
        .setReturnArrays(true);
      this.#sql[key] = statement;
    }
    return statement;
  }

  // An action's audit entry, in its transaction, when it was done; `done`.
  #audited(done: boolean, audit: NewAuditEntry | undefined): boolean {
    if (done && audit) writeAuditEntry((sql) => this.#q(sql), audit);
    return done;
  }

  #transaction<T>(body: () => T): T {
    this.#q("BEGIN IMMEDIATE").run();
    try {
      const result = body();
      this.#q("COMMIT").run();
      return result;
    } catch (error) {
      if (this.#db.isTransaction) this.#db.exec("ROLLBACK");
      throw error;
    }
  }

  // Created at `now`, or just past the last room made if that is later
  // (room_clock): no two rooms ever share a creation time, so a room made
  // again under a name within a millisecond is another incarnation.
  #insertRoom(
    key: string,
    name: string,
    now: number,
    options: RoomOptions,
  ): StoredRoom | null {
    return this.#transaction(() => {
      // WHERE true: SQLite reads ON CONFLICT after a bare SELECT as a join's.
      const row = this.#q(
        `INSERT INTO rooms (key, name, created_at, private, owner)
         SELECT ?, ?, max(last + 1, ?), ?, ? FROM room_clock WHERE true
         ON CONFLICT (key) DO NOTHING
         RETURNING key, name, created_at, private, owner, retention_days, topic,
           archived, posting`,
      ).get(
        key,
        name,
        now,
        options.private ? 1 : 0,
        options.owner ?? null,
      ) as RoomRow | undefined;
      if (!row) return null;
      this.#q("UPDATE room_clock SET last = ?").run(row.created_at);
      this.#q(
        `INSERT INTO streams (key) VALUES (?)
         ON CONFLICT (key) DO UPDATE SET last_seq = 0`,
      ).run(key);
      this.#lastSeq.delete(key);
      this.#roomNames.delete(key);
      return toRoom(row);
    });
  }

  listRooms(): Promise<StoredRoom[]> {
    return this.#run(() =>
      (this.#q(
        `SELECT key, name, created_at, private, owner, retention_days, topic, archived, posting FROM rooms
         ORDER BY created_at, rowid`,
      ).all() as unknown as RoomRow[]).map(toRoom)
    );
  }

  createRoom(
    name: string,
    key: string,
    options: RoomOptions = {},
  ): Promise<StoredRoom | null> {
    return this.#run(() => this.#insertRoom(key, name, Date.now(), options));
  }

  deleteRoom(
    key: string,
    audit?: NewAuditEntry,
  ): Promise<DeletedRoom | false> {
    return this.#run(() =>
      this.#transaction(() => {
        // Its members' drafts, found through the memberships' index before
        // the memberships go with the room (a draft needs a membership).
        this.#q(
          `DELETE FROM drafts WHERE stream = ? AND user_key IN (
             SELECT user_key FROM memberships WHERE room_key = ?)`,
        ).run(key, key);
        // Every account's level there, members or not (a level outlives a
        // leave), so a room made again under the name starts at the
        // default: a range of notification_levels_stream.
        this.#q("DELETE FROM notification_levels WHERE stream = ?").run(key);
        // Its stars, members' or not (a star outlives a leave): a range of
        // stars_stream.
        this.#q("DELETE FROM stars WHERE stream = ?").run(key);
        // Its items in sidebar sections, members' or not: a range of
        // sidebar_items_stream.
        this.#q("DELETE FROM sidebar_items WHERE stream = ?").run(key);
        // The messages scheduled to it: a range of scheduled_messages_room.
        const unscheduled = this.#q(
          `DELETE FROM scheduled_messages WHERE room_key = ?
           RETURNING user_key AS userKey, id`,
        ).all(key) as DeletedRoom["unscheduled"];
        const gone = this.#q("DELETE FROM rooms WHERE key = ?").run(key);
        // Their reactions go with them (ON DELETE CASCADE), their words
        // from the index by search_changes (its trigger).
        this.#q("DELETE FROM messages WHERE stream = ?").run(key);
        this.#q("DELETE FROM streams WHERE key = ?").run(key);
        this.#q("DELETE FROM bans WHERE room_key = ?").run(key);
        this.#lastSeq.delete(key);
        this.#roomNames.delete(key);
        return this.#audited(Number(gone.changes) > 0, audit) &&
          { unscheduled: unscheduled.map((row) => ({ ...row })) };
      })
    );
  }

  renameRoom(
    key: string,
    newKey: string,
    newName: string,
    audit?: NewAuditEntry,
    change?: RoomChange,
  ): Promise<StoredRoom | "taken" | undefined> {
    return this.#run(() =>
      this.#transaction(() => {
        const exists = this.#q("SELECT 1 FROM rooms WHERE key = ?").get(key);
        if (!exists) return undefined;
        if (newKey !== key) {
          // A copy under the new key first: memberships, invites and
          // webhooks (outgoing and incoming) reference rooms(key), so the
          // old row goes last.
          const copied = this.#q(
            `INSERT INTO rooms (key, name, created_at, private, owner,
               retention_days, topic, archived, posting)
             SELECT ?, name, created_at, private, owner, retention_days, topic,
               archived, posting
             FROM rooms WHERE key = ?
             ON CONFLICT (key) DO NOTHING`,
          ).run(newKey, key);
          if (Number(copied.changes) === 0) return "taken";
          // A stream a deleted room of that name left holds nothing.
          this.#q("DELETE FROM streams WHERE key = ?").run(newKey);
          this.#q("UPDATE streams SET key = ? WHERE key = ?").run(newKey, key);
          this.#q("UPDATE messages SET stream = ? WHERE stream = ?").run(
            newKey,
            key,
          );
          // A private room's words are listed under its key in the search
          // index (search_index_file.ts): its messages are listed again
          // under the new one, or no search of the room found them and a
          // private room made under the old name had its pages bounded
          // over them (security round 20). A row of search_changes a
          // message, as a privacy change writes; a public room's are
          // listed under no key.
          this.#q(
            `INSERT INTO search_changes (message)
             SELECT rowid FROM messages WHERE stream = ?
               AND EXISTS (SELECT 1 FROM rooms WHERE key = ? AND private <> 0)`,
          ).run(newKey, newKey);
          for (
            const table of [
              "memberships",
              "invites",
              "webhooks",
              "hooks",
              "bans",
            ]
          ) {
            this.#q(`UPDATE ${table} SET room_key = ? WHERE room_key = ?`)
              .run(newKey, key);
          }
          for (const table of ["read_positions", "mentions", "file_refs"]) {
            this.#q(`UPDATE ${table} SET stream = ? WHERE stream = ?`)
              .run(newKey, key);
          }
          // Drafts, notification levels, stars and sidebar sections'
          // items follow (a muted room stays muted). Rows under the new
          // key, which no room has, would collide on the primary key: they
          // go first.
          for (
            const table of [
              "drafts",
              "notification_levels",
              "stars",
              "sidebar_items",
            ]
          ) {
            this.#q(`DELETE FROM ${table} WHERE stream = ?`).run(newKey);
            this.#q(`UPDATE ${table} SET stream = ? WHERE stream = ?`)
              .run(newKey, key);
          }
          this.#q("DELETE FROM rooms WHERE key = ?").run(key);
        }
        // The messages scheduled to it follow (its deletion takes them
        // along): its members' under its new name; a former member's keep
        // the name it wrote, else list_scheduled and scheduled_failed told
        // it a private room's new name. Theirs fail at their time (the name
        // is no longer that room's). A range of scheduled_messages_room.
        this.#q(
          `UPDATE scheduled_messages SET room_key = ?,
             room = CASE WHEN user_key IN
               (SELECT user_key FROM memberships WHERE room_key = ?)
             THEN ? ELSE room END
           WHERE room_key = ?`,
        ).run(newKey, newKey, newName, key);
        this.#q("UPDATE messages SET room = ? WHERE stream = ?").run(
          newName,
          newKey,
        );
        let row = this.#q(
          `UPDATE rooms SET name = ? WHERE key = ?
           RETURNING key, name, created_at, private, owner, retention_days, topic,
           archived, posting`,
        ).get(newName, newKey) as RoomRow | undefined;
        if (row && change) row = this.#changeRoom(newKey, change);
        for (const k of [key, newKey]) {
          this.#lastSeq.delete(k);
          this.#roomNames.delete(k);
        }
        this.#audited(row !== undefined, audit);
        return row ? toRoom(row) : undefined;
      })
    );
  }

  updateRoom(
    key: string,
    change: RoomChange,
    audit?: NewAuditEntry,
  ): Promise<StoredRoom | undefined> {
    return this.#run(() =>
      this.#transaction(() => {
        const row = this.#changeRoom(key, change);
        this.#audited(row !== undefined, audit);
        return row ? toRoom(row) : undefined;
      })
    );
  }

  setRoomArchived(
    key: string,
    archived: boolean,
    audit?: NewAuditEntry,
  ): Promise<StoredRoom | undefined> {
    return this.#run(() =>
      this.#transaction(() => {
        const row = this.#q(
          `UPDATE rooms SET archived = ? WHERE key = ? AND archived <> ?
           RETURNING key, name, created_at, private, owner, retention_days, topic,
           archived, posting`,
        ).get(archived ? 1 : 0, key, archived ? 1 : 0) as RoomRow | undefined;
        // Read again by the next append, in its commit: an append queued
        // before this one that commits after it is refused.
        this.#roomNames.delete(key);
        this.#audited(row !== undefined, audit);
        return row ? toRoom(row) : undefined;
      })
    );
  }

  setRoomPosting(
    key: string,
    posting: RoomPosting,
    audit?: NewAuditEntry,
  ): Promise<StoredRoom | undefined> {
    return this.#run(() =>
      this.#transaction(() => {
        const row = this.#q(
          `UPDATE rooms SET posting = ? WHERE key = ? AND posting <> ?
           RETURNING key, name, created_at, private, owner, retention_days, topic,
           archived, posting`,
        ).get(posting, key, posting) as RoomRow | undefined;
        this.#audited(row !== undefined, audit);
        return row ? toRoom(row) : undefined;
      })
    );
  }

  setRoomTopic(
    key: string,
    topic: string | null,
    audit?: NewAuditEntry,
  ): Promise<StoredRoom | undefined> {
    return this.#run(() =>
      this.#transaction(() => {
        refuseArchived((sql) => this.#q(sql), key);
        const row = this.#q(
          `UPDATE rooms SET topic = ? WHERE key = ?
           RETURNING key, name, created_at, private, owner, retention_days, topic,
           archived, posting`,
        ).get(topic, key) as RoomRow | undefined;
        this.#audited(row !== undefined, audit);
        return row ? toRoom(row) : undefined;
      })
    );
  }

  // updateRoom's change, inside the caller's transaction (renameRoom makes
  // it too, so a rename with settings is one commit).
  #changeRoom(key: string, change: RoomChange): RoomRow | undefined {
    const before = this.#q("SELECT private FROM rooms WHERE key = ?")
      .get(key) as { private: number } | undefined;
    const row = this.#q(
      `UPDATE rooms SET
         private = coalesce(?, private),
         owner = CASE WHEN ? THEN ? ELSE owner END,
         retention_days = CASE WHEN ? THEN ? ELSE retention_days END
       WHERE key = ?
       RETURNING key, name, created_at, private, owner, retention_days, topic,
           archived, posting`,
    ).get(
      change.private === undefined ? null : change.private ? 1 : 0,
      change.owner === undefined ? 0 : 1,
      change.owner ?? null,
      change.retentionDays === undefined ? 0 : 1,
      change.retentionDays ?? null,
      key,
    ) as RoomRow | undefined;
    // Made private: the links made while anyone could come in end with it
    // (the owner makes new ones for the people it wants).
    if (row && change.private && before?.private === 0) {
      this.#q(
        "UPDATE invites SET revoked = 1 WHERE room_key = ? AND revoked = 0",
      ).run(key);
    }
    return row;
  }

  appendMessage(draft: MessageDraft): Promise<AppendResult> {
    return this.#enqueue(() => {
      let room = this.#roomNames.get(draft.roomKey);
      if (room === undefined) {
        const row = this.#q(
          "SELECT name, created_at, archived FROM rooms WHERE key = ?",
        ).get(draft.roomKey) as
          | { name: string; created_at: number; archived: number }
          | undefined;
        if (!row) return { roomGone: draft.roomKey };
        room = {
          name: row.name,
          createdAt: row.created_at,
          archived: row.archived === 1,
        };
        this.#roomNames.set(draft.roomKey, room);
      }
      // Another incarnation of the name: the sender's room was deleted
      // since (the insert and delete of rooms clear this cache).
      if (
        draft.roomCreatedAt !== undefined &&
        draft.roomCreatedAt !== room.createdAt
      ) {
        return { roomGone: draft.roomKey };
      }
      // Read in this commit, on the one connection that writes: an archive
      // that resolved before the commit began is seen, one made later
      // commits after it. A retry of a message stored before the archive
      // is no new message: it gets its first copy, as any retry does.
      if (room.archived) {
        return this.#firstCopy<ChatMessage>(draft.roomKey, {
          userKey: draft.userKey,
          sender: draft.sender ?? "",
          clientId: draft.clientId,
        }) ?? { roomArchived: draft.roomKey };
      }
      const name = room.name;
      // Without waitingLimits no mailbox is ever full (a ban still refuses).
      return this.#append<ChatMessage>(draft.roomKey, {
        userKey: draft.userKey,
        user: draft.user,
        room: name,
        text: draft.text,
        roomWide: draft.roomWide,
        here: draft.here,
        groups: draft.groups,
        clientId: draft.clientId,
        sender: draft.sender ?? "",
        attachments: draft.attachments,
        replyTo: draft.replyTo,
      }) as AppendResult | Refused;
    });
  }

  appendPrivate(
    draft: PrivateDraft & { waitingLimits?: undefined },
  ): Promise<AppendResult<PrivateMessage>>;
  appendPrivate(
    draft: PrivateDraft,
  ): Promise<AppendResult<PrivateMessage> | MailboxFull>;
  appendPrivate(
    draft: PrivateDraft,
  ): Promise<AppendResult<PrivateMessage> | MailboxFull> {
    return this.#enqueue(() => {
      const stream = conversationKey(draft.fromKey, draft.toKey);
      if (!this.#lastSeq.has(stream)) {
        this.#q("INSERT INTO streams (key) VALUES (?) ON CONFLICT DO NOTHING")
          .run(stream);
      }
      return this.#append<PrivateMessage>(stream, {
        userKey: draft.fromKey,
        user: draft.from,
        to: draft.to,
        text: draft.text,
        clientId: draft.clientId,
        sender: draft.sender ?? "",
        attachments: draft.attachments,
        replyTo: draft.replyTo,
        pendingTo: draft.delivered ? undefined : draft.toKey,
        waitingLimits: draft.waitingLimits,
      });
    });
  }

  // Group commit: appends made during one turn of the event loop share one
  // transaction, committed after the turn's I/O; each promise resolves
  // only once its commit is done, so an acknowledgement still means "on
  // disk". Should one append fail, the batch is rolled back and each append
  // retried in a transaction of its own, so one bad append fails alone.
  #enqueue<R extends Appended<MessageBase>>(
    run: () => R | Refused,
  ): Promise<R> {
    if (this.#closed) {
      return Promise.reject(new StoreUnavailableError("The store is closed."));
    }
    return new Promise((resolve, reject) => {
      if (this.#queued.length === 0) setImmediate(() => this.#commitSoon());
      this.#queued.push({
        run,
        resolve: resolve as QueuedAppend["resolve"],
        reject,
      });
      // Filled while it waited: no reason to wait longer.
      if (
        this.#commitTimer !== undefined && this.#queued.length >= FULL_COMMIT
      ) {
        clearTimeout(this.#commitTimer);
        this.#commitTimer = undefined;
        setImmediate(() => this.#commitQueued());
      }
    });
  }

  // After the turn's I/O. With a commit wait, a batch still small then (a
  // chat message or two) waits until that long after the last commit, for
  // more to share it; one that filled in the turn (clients with several
  // messages in flight) commits at once, as does any on a store that has
  // been idle for that long.
  #commitSoon(): void {
    const wait = this.#lastCommitAt + this.#commitWaitMs - performance.now();
    if (wait > 0 && this.#queued.length < FULL_COMMIT) {
      this.#commitTimer ??= setTimeout(() => this.#commitQueued(), wait);
      return;
    }
    this.#commitQueued();
  }

  #commitQueued(): void {
    clearTimeout(this.#commitTimer);
    this.#commitTimer = undefined;
    // Held: the release commits what queued meanwhile.
    if (this.#held) return;
    const batch = this.#queued;
    this.#queued = [];
    if (batch.length === 0) return;
    this.#lastCommitAt = performance.now();
    if (this.#closed) {
      const closed = new StoreUnavailableError("The store is closed.");
      for (const job of batch) job.reject(closed);
      return;
    }
    let results: (Appended<MessageBase> | Refused)[];
    try {
      results = this.#appendAll(batch);
    } catch (error) {
      if (batch.length === 1) {
        batch[0].reject(unavailable(error));
        return;
      }
      for (const job of batch) {
        try {
          settle(job, this.#appendAll([job])[0]);
        } catch (error) {
          job.reject(unavailable(error));
        }
      }
      return;
    }
    batch.forEach((job, i) => settle(job, results[i]));
  }

  // One transaction: the appends, then each touched stream's counter. On
  // failure the counters read during it are forgotten (they were rolled
  // back with it) and read again next time.
  #appendAll(jobs: QueuedAppend[]): (Appended<MessageBase> | Refused)[] {
    const before = this.#totalChanges();
    const trimTo = this.#changesApplied;
    try {
      const results = this.#transaction(() => {
        const results = jobs.map((job) => job.run());
        const write = this.#q("UPDATE streams SET last_seq = ? WHERE key = ?");
        for (const stream of this.#touched) {
          write.run(this.#lastSeq.get(stream)!, stream);
        }
        // The changes the index applied go in this commit, not one of
        // their own (with its fsync).
        if (trimTo > this.#changesTrimmed) {
          this.#q("DELETE FROM search_changes WHERE seq <= ?").run(trimTo);
        }
        return results;
      });
      // Only now: a COMMIT that fails (a full disk) must forget them too.
      this.#touched.clear();
      this.#changesTrimmed = Math.max(this.#changesTrimmed, trimTo);
      this.#indexer.appended(this.#batchTop);
      this.#highestRowid = Math.max(this.#highestRowid, this.#batchTop);
      if (this.#rowidsAgain.length > 0) {
        const change = this.#lastChange();
        for (const id of this.#rowidsAgain) this.#changedTexts.set(id, change);
        this.#rowidsAgain = [];
      }
      // A failed batch's changes are not taken off: they count as writes.
      this.#appendChanges += this.#totalChanges() - before;
      this.#appendCommits++;
      this.#storageError = undefined;
      return results;
    } catch (error) {
      for (const stream of this.#touched) this.#lastSeq.delete(stream);
      this.#touched.clear();
      this.#rowidsAgain = [];
      if (storageProblem(error)) this.#storageError = error as Error;
      throw error;
    }
  }

  #nextSeq(stream: string): number {
    let last = this.#lastSeq.get(stream);
    if (last === undefined) {
      const row = this.#q("SELECT last_seq FROM streams WHERE key = ?").get(
        stream,
      ) as { last_seq: number } | undefined;
      if (!row) throw new Error(`No stream '${stream}'`);
      last = row.last_seq;
      this.#lastSeq.set(stream, last);
    }
    return last + 1;
  }

  // Inside a transaction: the idempotency check, the next seq, the insert.
  #append<M extends MessageBase>(stream: string, m: {
    userKey: string;
    user: string;
    room?: string;
    to?: string;
    text: string;
    clientId?: string;
    sender: string;
    attachments?: Attachment[];
    replyTo?: string;
    pendingTo?: string;
    waitingLimits?: WaitingLimits;
    roomWide?: boolean;
    here?: string[];
    groups?: string[];
  }): Appended<M> | Refused {
    // Read here, inside the commit's transaction on the one connection that
    // writes: every addBan that resolved before this commit began is seen,
    // however long ago the append was queued, and a ban added after it
    // runs after this commit (this thread runs one at a time). A primary-key
    // probe per message (docs/security.md).
    const ban = this.#banOf(
      { userKey: m.userKey },
      m.to === undefined ? stream : "",
    );
    if (ban) {
      // A ban refuses new messages only: the retry of one stored before it
      // gets that first copy, as any retry does. Looked for only once a ban
      // is found, so an unbanned sender's append costs no extra probe.
      return this.#firstCopy<M>(stream, m) ?? { banned: ban };
    }
    // The account deleted before this commit: its deletion anonymised (or
    // kept) what had committed, and this would stay under its name and key.
    // Read here for the reason the ban is: a deletion that resolved before
    // the commit began is seen. Another primary-key probe per account
    // message (docs/security.md).
    if (this.#accountGone(m.userKey, accountCreatedAt(m.sender))) {
      return { gone: true };
    }
    if (m.pendingTo !== undefined && m.waitingLimits !== undefined) {
      // A retry is answered first: it takes no room in the mailbox.
      const first = this.#firstCopy<M>(stream, m);
      if (first) return first;
      const full = this.#mailboxFull(m.pendingTo, m.userKey, m.waitingLimits);
      if (full) return full;
    }
    const seq = this.#nextSeq(stream);
    const ts = Date.now();
    const id = this.#nextId(ts);
    const attachments = m.attachments?.length
      ? JSON.stringify(m.attachments)
      : null;
    // The unique index on (stream, user, sender, client_id) decides
    // idempotency: a retry inserts nothing and gets the first message back.
    const inserted = this.#q(
      `INSERT INTO messages (stream, seq, id, user_key, user, room, to_user,
         text, ts, client_id, pending_to, attachments, sender, reply_to)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    ).run(
      stream,
      seq,
      id,
      m.userKey,
      m.user,
      m.room ?? null,
      m.to ?? null,
      m.text,
      ts,
      m.clientId ?? null,
      m.pendingTo ?? null,
      attachments,
      m.sender,
      m.replyTo ?? null,
    );
    if (Number(inserted.changes) === 0) {
      const first = this.#first(stream, m.userKey, m.sender, m.clientId);
      if (!first) throw new Error(`Message ${seq} of '${stream}' not stored`);
      return { message: toMessage<M>(first), duplicate: true };
    }
    const refer = this.#q(
      "INSERT OR IGNORE INTO file_refs (upload_id, message_id, stream) VALUES (?, ?, ?)",
    );
    for (const upload of uploadIdsOf(m.attachments)) {
      refer.run(upload, id, stream);
    }
    this.#batchTop = Number(inserted.lastInsertRowid);
    if (this.#batchTop <= this.#highestRowid) this.#rowidsAgain.push(id);
    this.#lastSeq.set(stream, seq);
    this.#touched.add(stream);
    const mentioned = mentionKeys(
      m.text,
      m.userKey,
      m.roomWide,
      m.here,
      m.groups,
    );
    if (mentioned.length > 0) {
      this.#noteMentions(stream, seq, id, mentioned);
    }
    const reply = m.replyTo === undefined ? undefined : this.#q(
      `SELECT seq AS reply_seq, user AS reply_user, text AS reply_text,
           deleted AS reply_deleted, sender AS reply_sender
         FROM messages WHERE id = ?`,
    ).get(m.replyTo) as Partial<MessageRow> | undefined;
    return {
      message: toMessage<M>({
        seq,
        id,
        user: m.user,
        room: m.room ?? null,
        to_user: m.to ?? null,
        text: m.text,
        ts,
        client_id: m.clientId ?? null,
        attachments,
        edited_at: null,
        deleted: 0,
        reply_to: m.replyTo ?? null,
        reactions: null,
        pinned_at: null,
        reply_seq: reply?.reply_seq ?? null,
        reply_user: reply?.reply_user ?? null,
        reply_text: reply?.reply_text ?? null,
        reply_deleted: reply?.reply_deleted ?? null,
        sender: m.sender,
        reply_sender: reply?.reply_sender ?? null,
        version: 0,
        wide_mentions: wideMentions(mentioned),
        reply_count: 0,
        last_reply_seq: null,
        replies_gone: 0,
      }),
      duplicate: false,
    };
  }

  #noteMentions(
    stream: string,
    seq: number,
    id: string,
    keys: string[],
  ): void {
    const insert = this.#q(
      `INSERT INTO mentions (user_key, stream, seq, message_id)
       VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    );
    for (const key of keys) insert.run(key, stream, seq, id);
  }

  // The message a (stream, user, sender, clientId) was first stored as.
  // The answer to a retry the append refuses otherwise (a ban, an archive,
  // a full mailbox): the first message sent under its retry key, as the
  // insert's conflict would give it; undefined for a new message.
  #firstCopy<M extends MessageBase>(
    stream: string,
    key: { userKey: string; sender: string; clientId?: string },
  ): AppendResult<M> | undefined {
    if (key.clientId === undefined) return undefined;
    const first = this.#first(stream, key.userKey, key.sender, key.clientId);
    return first && { message: toMessage<M>(first), duplicate: true };
  }

  #first(
    stream: string,
    userKey: string,
    sender: string,
    clientId: string | undefined,
  ): MessageRow | undefined {
    return this.#q(
      `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGES}
       WHERE m.stream = ? AND m.user_key = ? AND m.sender = ? AND m.client_id = ?`,
    ).get(stream, userKey, sender, clientId ?? null) as MessageRow | undefined;
  }

  // Counted inside the append's transaction, so appends of one group commit
  // see each other. Each count stops at its limit.
  #mailboxFull(
    toKey: string,
    fromKey: string,
    limits: WaitingLimits,
  ): MailboxFull | undefined {
    const count = (sql: string, key: string, limit: number) =>
      (this.#q(`SELECT count(*) AS n FROM (${sql} LIMIT ?)`).get(
        key,
        limit,
      ) as { n: number }).n;
    if (
      count(
        "SELECT 1 FROM messages WHERE pending_to = ?",
        toKey,
        limits.perRecipient,
      ) >= limits.perRecipient
    ) return { full: "recipient" };
    if (
      count(
        "SELECT 1 FROM messages WHERE user_key = ? AND pending_to IS NOT NULL",
        fromKey,
        limits.perSender,
      ) >= limits.perSender
    ) return { full: "sender" };
    return undefined;
  }

  findMessage(id: string): Promise<MessageRecord | undefined> {
    return this.#run(() => this.#record(id));
  }

  findFirstSent(
    stream: string,
    key: RetryKey,
  ): Promise<ChatMessage | PrivateMessage | undefined> {
    return this.#run(() => {
      const row = this.#first(stream, key.userKey, key.sender, key.clientId);
      return row ? toMessage(row) : undefined;
    });
  }

  // Whether the account created at `createdAt` under this key is gone
  // (deleted, perhaps registered again since); a guest (no time) never is.
  #accountGone(userKey: string, createdAt: number | undefined): boolean {
    return createdAt !== undefined &&
      this.#arrays("SELECT 1 FROM accounts WHERE key = ? AND created_at = ?")
          .get(userKey, createdAt) === undefined;
  }

  #record(id: string): MessageRecord | undefined {
    const row = this.#q(
      `SELECT ${MESSAGE_COLUMNS}, m.user_key, m.stream FROM ${MESSAGES}
       WHERE m.id = ?`,
    ).get(id) as
      | (MessageRow & { user_key: string; stream: string })
      | undefined;
    return row
      ? { message: toMessage(row), userKey: row.user_key, stream: row.stream }
      : undefined;
  }

  expireMessages(
    before: number | undefined,
    limit: number,
    now = Date.now(),
  ): Promise<number> {
    return this.#run(() =>
      this.#transaction(() => {
        // Each stream's oldest messages up to its first one stored at or
        // after its cutoff, found by walking its (stream, seq) index. A
        // room's own retention_days gives its cutoff; a stream without
        // one (NULL) is spared.
        const doomed = this.#q(
          `SELECT m.rowid AS id, m.stream, m.seq
           FROM (SELECT s.key, s.last_seq,
                   CASE WHEN r.retention_days IS NULL THEN ?
                        WHEN r.retention_days = 0 THEN NULL
                        ELSE ? - r.retention_days * ${DAY_MS} END AS cutoff
                 FROM streams s LEFT JOIN rooms r ON r.key = s.key) s
           JOIN messages m ON m.stream = s.key
           WHERE s.cutoff IS NOT NULL AND m.seq < coalesce(
             (SELECT n.seq FROM messages n
              WHERE n.stream = s.key AND n.ts >= s.cutoff
              ORDER BY n.seq LIMIT 1),
             s.last_seq + 1)
           LIMIT ?`,
        ).all(before ?? null, now, Math.trunc(limit)) as {
          id: number;
          stream: string;
          seq: number;
        }[];
        const message = this.#q("DELETE FROM messages WHERE rowid = ?");
        const mentions = this.#q(
          "DELETE FROM mentions WHERE stream = ? AND seq = ?",
        );
        // Their words leave the index by search_changes (its trigger).
        for (const row of doomed) {
          message.run(row.id);
          mentions.run(row.stream, row.seq);
        }
        // A conversation whose newest message went has none left to show:
        // it leaves both sides' lists, as its history is empty.
        const emptied = this.#q(
          `DELETE FROM conversations
           WHERE last_seq = ? AND NOT EXISTS
             (SELECT 1 FROM messages WHERE stream = ? AND seq > ?)
             AND ((user_key = ? AND with_key = ?)
               OR (user_key = ? AND with_key = ?))`,
        );
        for (const row of doomed) {
          if (!row.stream.startsWith("@")) continue;
          const [a, b] = row.stream.slice(1).split(":");
          emptied.run(row.seq, row.stream, row.seq, a, b, b, a);
        }
        return doomed.length;
      })
    );
  }

  updateMessage(
    id: string,
    change: MessageChange,
    audit?: NewAuditEntry,
  ): Promise<MessageBase | undefined> {
    return this.#run(() =>
      this.#transaction(() => {
        if (!("deleted" in change) || change.refuseArchived) {
          this.#refuseArchivedOf(id);
        }
        const row = ("deleted" in change
          ? this.#q(
            `UPDATE messages SET deleted = 1, text = '', attachments = NULL,
               reply_to = NULL, reactions = NULL, pinned_at = NULL,
               previews = NULL, poll = NULL, forwarded = NULL
             WHERE id = ? RETURNING rowid, stream, seq, user_key`,
          ).get(id)
          : this.#edited(id, change.text)) as
            | { rowid: number; stream: string; seq: number; user_key: string }
            | undefined;
        if (!row) return undefined;
        this.#audited(true, audit);
        // Its words change in the index by search_changes (its trigger).
        if ("deleted" in change) {
          this.#q("DELETE FROM reactions WHERE message_id = ?").run(id);
          // Its forwards' copies lose its text in this commit (reads blank
          // them anyway, sqlite_rows.ts): forwarded abuse is not kept on
          // disk past a moderator's delete. Along messages_forwards.
          this.#q(
            `UPDATE messages
             SET forwarded = json_object('id', ?, 'deleted', json('true'))
             WHERE forwarded ->> '$.id' = ? AND forwarded IS NOT NULL`,
          ).run(id, id);
          // Its history goes with its text: a moderator's delete of what
          // an edit hid keeps none of it.
          this.#q("DELETE FROM message_edits WHERE message_id = ?").run(id);
        } else {
          this.#changedTexts.set(id, this.#lastChange());
          // An edit may add or drop mentions: they follow the new text.
          this.#q("DELETE FROM mentions WHERE stream = ? AND seq = ?")
            .run(row.stream, row.seq);
          this.#noteMentions(
            row.stream,
            row.seq,
            id,
            mentionKeys(
              change.text,
              row.user_key,
              change.roomWide,
              change.here,
              change.groups,
            ),
          );
        }
        return this.#record(id)?.message;
      })
    );
  }

  // An edit's new text, the text it replaced kept in message_edits (the
  // oldest dropped past MAX_KEPT_EDITS): the row the edit changed, or
  // undefined for no such message.
  #edited(id: string, text: string): unknown {
    const before = this.#q(
      `SELECT text, coalesce(edited_at, ts) AS ts FROM messages
       WHERE id = ? AND deleted = 0`,
    ).get(id) as { text: string; ts: number } | undefined;
    if (!before) return undefined;
    const row = this.#q(
      `UPDATE messages SET text = ?, edited_at = ?, previews = NULL
       WHERE id = ? RETURNING rowid, stream, seq, user_key`,
    ).get(text, Date.now(), id);
    // An edit that changed no word leaves no version to show.
    if (before.text === text) return row;
    this.#q("INSERT INTO message_edits (message_id, text, ts) VALUES (?, ?, ?)")
      .run(id, before.text, before.ts);
    // A range of message_edits_message; past the bound, one row goes.
    this.#q(
      `DELETE FROM message_edits WHERE message_id = ? AND rowid NOT IN
         (SELECT rowid FROM message_edits WHERE message_id = ?
          ORDER BY rowid DESC LIMIT ?)`,
    ).run(id, id, MAX_KEPT_EDITS);
    return row;
  }

  listEdits(id: string): Promise<MessageEdit[]> {
    return this.#run(() =>
      (this.#q(
        `SELECT text, ts FROM message_edits WHERE message_id = ?
         ORDER BY rowid`,
      ).all(id) as unknown as MessageEdit[]).map((row) => ({
        text: row.text,
        ts: row.ts,
      }))
    );
  }

  setLinkPreviews(
    id: string,
    change: LinkPreviewChange,
  ): Promise<MessageBase | undefined> {
    return this.#run(() =>
      this.#transaction(() => {
        const { changes } = "removed" in change
          ? this.#q(
            `UPDATE messages SET previews = '[]'
             WHERE id = ? AND deleted = 0 AND previews IS NOT '[]'`,
          ).run(id)
          : this.#q(
            `UPDATE messages SET previews = ?
             WHERE id = ? AND deleted = 0 AND text = ? AND previews IS NULL`,
          ).run(JSON.stringify(change.previews), id, change.text);
        return Number(changes) > 0 ? this.#record(id)?.message : undefined;
      })
    );
  }

  changePoll(id: string, change: PollChange): Promise<PollResult> {
    return this.#run(() =>
      this.#transaction((): PollResult => {
        // As a reaction (react): an account deleted before this commit
        // votes no more.
        if (
          change.kind === "vote" &&
          this.#accountGone(change.userKey, change.accountCreatedAt)
        ) return { status: "gone" };
        // As a reaction: a vote or a close through a node whose flag had
        // not heard of another node's archive. A poll's creation follows
        // its message's append, which the archive refused already.
        if (change.kind !== "create") this.#refuseArchivedOf(id);
        const row = this.#q("SELECT deleted, poll FROM messages WHERE id = ?")
          .get(id) as { deleted: number; poll: string | null } | undefined;
        if (!row || row.deleted) return { status: "not_found" };
        const result = applyPollChange(
          row.poll === null ? null : JSON.parse(row.poll),
          change,
        );
        if (result.status !== "done") return result;
        if (result.changed) {
          this.#q("UPDATE messages SET poll = ? WHERE id = ?")
            .run(JSON.stringify(result.poll), id);
        }
        return {
          status: "done",
          message: this.#record(id)!.message,
          changed: result.changed,
        };
      })
    );
  }

  pollChoices(
    userKey: string,
    ids: readonly string[],
  ): Promise<PollChoiceRow[]> {
    // One probe of the ids' unique index each; the choice is picked out of
    // the poll's JSON here, so the voters' names never leave the store.
    return this.#run(() =>
      (this.#q(
        `SELECT m.id, m.stream, m.ts, (
           SELECT json_group_array(o.key) FROM json_each(m.poll, '$.options') o
           WHERE EXISTS (SELECT 1 FROM json_each(o.value, '$.voters') v
                         WHERE v.value ->> 'key' = ?)
         ) AS options
         FROM messages m
         WHERE m.id IN (SELECT value FROM json_each(?))
           AND m.deleted = 0 AND m.poll IS NOT NULL`,
      ).all(userKey, JSON.stringify(ids)) as {
        id: string;
        stream: string;
        ts: number;
        options: string;
      }[]).map((row) => ({
        id: row.id,
        stream: row.stream,
        ts: row.ts,
        options: (JSON.parse(row.options) as number[]).sort((a, b) => a - b),
      }))
    );
  }

  setForwarded(
    id: string,
    forwarded: ForwardedMessage | DeletedForward,
  ): Promise<ChatMessage | PrivateMessage | undefined> {
    return this.#run(() => {
      // An original deleted (or gone) since the forwarder read it leaves
      // a blank copy, as its delete would have made it.
      this.#q(
        `UPDATE messages SET forwarded = CASE WHEN EXISTS (
           SELECT 1 FROM messages o WHERE o.id = ? AND o.deleted = 0)
           THEN ? ELSE json_object('id', ?, 'deleted', json('true')) END
         WHERE id = ? AND deleted = 0 AND forwarded IS NULL`,
      ).run(forwarded.id, JSON.stringify(forwarded), forwarded.id, id);
      const message = this.#record(id)?.message;
      return message?.deleted ? undefined : message;
    });
  }

  findReplies(id: string, limit: number): Promise<MessageBase[]> {
    return this.#run(() =>
      (this.#q(
        `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGES}
         WHERE m.reply_to = ? ORDER BY m.seq DESC LIMIT ?`,
      ).all(id, limit) as unknown as MessageRow[]).map((row) => toMessage(row))
    );
  }

  findForwards(id: string, limit: number): Promise<MessageRecord[]> {
    return this.#run(() =>
      // Along messages_forwards, whose expression this repeats.
      (this.#q(
        `SELECT ${MESSAGE_COLUMNS}, m.user_key, m.stream FROM ${MESSAGES}
         WHERE m.forwarded ->> '$.id' = ? AND m.forwarded IS NOT NULL
           AND m.deleted = 0
         ORDER BY m.rowid DESC LIMIT ?`,
      ).all(id, limit) as unknown as (
        MessageRow & { user_key: string; stream: string }
      )[]).map((row) => ({
        message: toMessage(row),
        userKey: row.user_key,
        stream: row.stream,
      }))
    );
  }

  listReplies(id: string, query: RepliesQuery): Promise<MessageBase[]> {
    return this.#run(() => {
      // Both pages run along messages_reply_seq (reply_to, seq).
      const rows = query.before === undefined
        ? this.#q(
          `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGES}
           WHERE m.reply_to = ? AND m.seq > ? ORDER BY m.seq LIMIT ?`,
        ).all(id, query.after ?? 0, query.limit)
        : this.#q(
          `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGES}
           WHERE m.reply_to = ? AND m.seq < ? ORDER BY m.seq DESC LIMIT ?`,
        ).all(id, query.before, query.limit).reverse();
      return (rows as unknown as MessageRow[]).map((row) => toMessage(row));
    });
  }

  // refuseArchived (sqlite_memberships.ts) for the room of the message `id`.
  #refuseArchivedOf(id: string): void {
    const row = this.#q(
      `SELECT r.key FROM messages m JOIN rooms r ON r.key = m.stream
       WHERE m.id = ? AND r.archived = 1`,
    ).get(id) as { key: string } | undefined;
    if (row) throw new RoomArchivedError(row.key);
  }

  /** Sums a message's reactions up again into messages.reactions. */
  #sumReactions(id: string): void {
    const rows = this.#q(
      `SELECT emoji, user FROM reactions WHERE message_id = ?
       ORDER BY rowid`,
    ).all(id) as { emoji: string; user: string }[];
    const summary = summarizeReactions(rows);
    this.#q("UPDATE messages SET reactions = ? WHERE id = ?").run(
      summary.length > 0 ? JSON.stringify(summary) : null,
      id,
    );
  }

  react(change: ReactionChange): Promise<ReactResult> {
    return this.#run(() =>
      this.#transaction((): ReactResult => {
        // As an append does (#append): an account deleted before this
        // commit reacts no more.
        if (this.#accountGone(change.userKey, change.accountCreatedAt)) {
          return { status: "gone" };
        }
        this.#refuseArchivedOf(change.id);
        const target = this.#q("SELECT deleted FROM messages WHERE id = ?")
          .get(change.id) as { deleted: number } | undefined;
        if (!target || target.deleted) return { status: "not_found" };
        let changes: number | bigint;
        if (change.on) {
          const known = this.#q(
            "SELECT 1 FROM reactions WHERE message_id = ? AND emoji = ? LIMIT 1",
          ).get(change.id, change.emoji);
          const { emoji } = this.#q(
            `SELECT count(DISTINCT emoji) AS emoji FROM reactions
             WHERE message_id = ?`,
          ).get(change.id) as { emoji: number };
          if (!known && emoji >= MAX_REACTIONS_PER_MESSAGE) {
            return { status: "full" };
          }
          changes = this.#q(
            `INSERT INTO reactions (message_id, emoji, user_key, user)
             VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
          ).run(change.id, change.emoji, change.userKey, change.user).changes;
        } else {
          changes = this.#q(
            `DELETE FROM reactions
             WHERE message_id = ? AND emoji = ? AND user_key = ?`,
          ).run(change.id, change.emoji, change.userKey).changes;
        }
        if (Number(changes) > 0) this.#sumReactions(change.id);
        return {
          status: "done",
          message: this.#record(change.id)!.message,
          changed: Number(changes) > 0,
        };
      })
    );
  }

  pin(id: string, on: boolean): Promise<MarkResult> {
    return this.#run(() =>
      this.#transaction((): MarkResult => {
        this.#refuseArchivedOf(id);
        const target = this.#q(
          "SELECT stream, deleted, pinned_at FROM messages WHERE id = ?",
        ).get(id) as
          | { stream: string; deleted: number; pinned_at: number | null }
          | undefined;
        if (!target || target.deleted) return { status: "not_found" };
        const changed = on !== (target.pinned_at !== null);
        if (changed && on) {
          const { pins, latest } = this.#q(
            `SELECT count(*) AS pins, max(pinned_at) AS latest FROM messages
             WHERE stream = ? AND pinned_at IS NOT NULL`,
          ).get(target.stream) as { pins: number; latest: number | null };
          if (pins >= MAX_PINS) return { status: "full" };
          // Strictly increasing in a stream: the latest pin lists first.
          const at = Math.max(Date.now(), (latest ?? 0) + 1);
          this.#q("UPDATE messages SET pinned_at = ? WHERE id = ?").run(at, id);
        } else if (changed) {
          this.#q("UPDATE messages SET pinned_at = NULL WHERE id = ?").run(id);
        }
        return { status: "done", message: this.#record(id)!.message, changed };
      })
    );
  }

  listPins(stream: string): Promise<MessageBase[]> {
    return this.#run(() =>
      (this.#q(
        `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGES}
         WHERE m.stream = ? AND m.pinned_at IS NOT NULL
         ORDER BY m.pinned_at DESC LIMIT ?`,
      ).all(stream, MAX_PINS) as unknown as MessageRow[]).map((row) =>
        toMessage(row)
      )
    );
  }

  async search(query: SearchQuery): Promise<SearchPage> {
    if (this.#closed) throw new StoreUnavailableError("The store is closed.");
    // Every acknowledged message is found: the index is brought up to
    // every commit so far first (the thread's pass at once, a few ms).
    // Should that fail (a full disk), the search still answers, without
    // the messages it missed.
    await this.#indexStarted.catch(() => {});
    await this.#indexer.catchUp();
    return this.#run(() =>
      this.#search.page(
        query,
        this.#changedTexts.size === 0
          ? undefined
          : (id) => this.#changedTexts.has(id),
      )
    );
  }

  history(roomKey: string, query: HistoryQuery): Promise<ChatMessage[]> {
    return this.#run(() => this.#page<ChatMessage>(roomKey, query));
  }

  conversation(
    userKey: string,
    otherKey: string,
    query: HistoryQuery,
  ): Promise<PrivateMessage[]> {
    return this.#run(() =>
      this.#page<PrivateMessage>(conversationKey(userKey, otherKey), query)
    );
  }

  #page<M extends MessageBase>(stream: string, query: HistoryQuery): M[] {
    const limit = pageLimit(query);
    const since = query.since ?? 0;
    if (query.aroundSeq !== undefined) {
      const older = Math.floor(limit / 2);
      return [
        ...(older > 0
          ? this.#page<M>(stream, {
            beforeSeq: query.aroundSeq,
            limit: older,
            since,
          })
          : []),
        ...this.#page<M>(stream, {
          afterSeq: query.aroundSeq - 1,
          limit: limit - older,
          since,
        }),
      ];
    }
    const before = query.beforeSeq ?? Number.MAX_SAFE_INTEGER;
    const rows = query.afterSeq !== undefined
      ? this.#arrays(
        `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGES}
         WHERE m.stream = ? AND m.seq > ? AND m.seq < ? AND m.ts >= ?
         ORDER BY m.seq LIMIT ?`,
      ).all(stream, query.afterSeq, before, since, limit)
      : this.#arrays(
        `SELECT * FROM (SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGES}
           WHERE m.stream = ? AND m.seq < ? AND m.ts >= ?
           ORDER BY m.seq DESC LIMIT ?)
         ORDER BY seq`,
      ).all(stream, before, since, limit);
    return (rows as unknown as SQLOutputValue[][]).map((row) =>
      toMessage<M>(messageRowOf(row))
    );
  }

  takeUndelivered(userKey: string): Promise<PrivateMessage[]> {
    return this.#run(() =>
      this.#transaction(() => {
        const rows = this.#q(
          `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGES} WHERE m.pending_to = ?
           ORDER BY m.ts, m.seq`,
        ).all(userKey) as unknown as MessageRow[];
        if (rows.length > 0) {
          this.#q("UPDATE messages SET pending_to = NULL WHERE pending_to = ?")
            .run(userKey);
        }
        return rows.map((row) => toMessage<PrivateMessage>(row));
      })
    );
  }

  returnUndelivered(userKey: string, ids: string[]): Promise<void> {
    return this.#run(() =>
      this.#transaction(() => {
        // Only private messages (no room), and only ones taken already.
        const update = this.#q(
          `UPDATE messages SET pending_to = ?
           WHERE id = ? AND room IS NULL AND pending_to IS NULL`,
        );
        for (const id of ids) update.run(userKey, id);
      })
    );
  }

  // The ban in force now of a name or an address, server-wide or in
  // `roomKey` ('' for none), the server's first. An append asks it for its
  // sender's name alone ('' for a private message: room bans do not apply
  // there): address bans stop guests at login and are added with a ban of
  // the name, which this finds.
  #banOf(
    who: { userKey?: string; address?: string },
    roomKey: string,
  ): Ban | undefined {
    // A name's bans all have its key first in the primary key, and nearly
    // every sender has none: one probe of that prefix answers them. The
    // query below (an OR of two indexes, then a sort) cost 8 µs a message
    // inside an append's commit, as much as the message's INSERT; the probe
    // about 1 (docs/performance.md, "CPU per stored message, profiled").
    if (
      who.address === undefined &&
      this.#arrays("SELECT 1 FROM bans WHERE user_key = ? LIMIT 1")
          .get(who.userKey ?? null) === undefined
    ) return undefined;
    // An address ban names an IPv6 address by its /64 (addressKey), or,
    // made before that, by the address itself: both in one probe of the
    // address index.
    const row = this.#q(
      `SELECT * FROM bans
       WHERE room_key IN ('', ?)
         AND ((address = '' AND user_key = ?)
           OR (address <> '' AND address IN (?, ?)))
         AND (expires_at IS NULL OR expires_at > ?)
       ORDER BY room_key LIMIT 1`,
    ).get(
      roomKey,
      who.userKey ?? null,
      who.address ?? null,
      who.address === undefined ? null : addressKey(who.address),
      Date.now(),
    ) as
      | BanRow
      | undefined;
    return row ? toBan(row) : undefined;
  }

  // The committed newest seq of a stream (0 for one without messages).
  #lastSeqOf(stream: string): number {
    const cached = this.#lastSeq.get(stream);
    if (cached !== undefined && !this.#touched.has(stream)) return cached;
    const row = this.#q("SELECT last_seq FROM streams WHERE key = ?").get(
      stream,
    ) as { last_seq: number } | undefined;
    return row?.last_seq ?? 0;
  }

  // Commits a one-row write: a database another process keeps locked, on
  // a full disk or a read-only one, is not healthy even though reads work
  // (taking the write lock alone succeeds on a full disk).
  async ping(): Promise<void> {
    if (this.#storageError) await this.#probeDisk();
    return this.#run(() =>
      this.#transaction(() => {
        this.#q(
          `INSERT INTO health (id, checked_at) VALUES (1, ?)
           ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at`,
        ).run(Date.now());
      })
    );
  }

  // Writes (and removes) a MiB beside the database: more than the pages
  // SQLite may hold spare, so success means messages fit again. Only run
  // after a commit failed for storage, so a healthy store never pays it.
  async #probeDisk(): Promise<void> {
    const probe = `${this.#path}-space-probe`;
    try {
      await Deno.writeFile(probe, new Uint8Array(1024 * 1024));
    } catch (error) {
      await Deno.remove(probe).catch(() => {});
      throw unavailable(storageProblem(error) ? error : this.#storageError);
    }
    await Deno.remove(probe).catch(() => {});
    this.#storageError = undefined;
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      // Appends already accepted are committed before the file closes;
      // the index thread's next start reads them from its marks.
      this.#release();
      this.#commitQueued();
      this.#closed = true;
      // The readers first, then the writers: each file's last close
      // checkpoints what is left and removes its WAL (a read-only one
      // cannot). The index's reader is opened no more once closed.
      this.#indexDb?.close();
      this.#indexDb = undefined;
      await this.#indexer.stop();
      await this.#indexStarted.catch(() => {});
      await this.#checkpoints?.stop();
      this.#db.close();
    })();
    return this.#closing;
  }

  // Runs a synchronous database step as a promise, turning every driver
  // error into StoreUnavailableError so callers need one catch.
  #run<T>(step: () => T): Promise<T> {
    if (this.#closed) {
      return Promise.reject(new StoreUnavailableError("The store is closed."));
    }
    try {
      return Promise.resolve(step());
    } catch (error) {
      // A refusal, not a failure: handlers answer it (room_archived).
      if (error instanceof RoomArchivedError) return Promise.reject(error);
      return Promise.reject(
        new StoreUnavailableError((error as Error).message, { cause: error }),
      );
    }
  }
}

/**
 * A message's reactions summed up as messages.reactions keeps them: one
 * entry per emoji, in the order each was first used, from the rows in the
 * order they came in (an import sums a dump's up so too: transfer/sqlite.ts).
 */
export function summarizeReactions(
  rows: { emoji: string; user: string }[],
): Reaction[] {
  const byEmoji = new Map<string, Reaction>();
  for (const { emoji, user } of rows) {
    let reaction = byEmoji.get(emoji);
    if (!reaction) {
      reaction = { emoji, count: 0, users: [] };
      byEmoji.set(emoji, reaction);
    }
    reaction.count++;
    if (reaction.users.length < MAX_REACTION_USERS) reaction.users.push(user);
  }
  return [...byEmoji.values()];
}

// Resolves an append's promise with what it did, or rejects it when a ban
// (or its sender's account deleted, its room gone or archived) refused it.
function settle(job: QueuedAppend, result: Appended<MessageBase> | Refused) {
  if ("banned" in result) job.reject(new SenderBannedError(result.banned));
  else if ("gone" in result) job.reject(new SenderGoneError());
  else if ("roomGone" in result) job.reject(new RoomGoneError(result.roomGone));
  else if ("roomArchived" in result) {
    job.reject(new RoomArchivedError(result.roomArchived));
  } else job.resolve(result);
}

function unavailable(error: unknown): StoreUnavailableError {
  return new StoreUnavailableError((error as Error).message, { cause: error });
}

// SQLite says only "unable to open database file" when the file's folder
// is not there (`--db /var/lib/chat/chat.db` before the folder is made):
// name the folder, as a backup does for its target. The folder is not
// made here: a mistyped folder would hold a new, empty chat.
function whyNotOpened(path: string, error: unknown): string {
  const message = (error as Error).message;
  if (path === ":memory:") return message;
  try {
    Deno.statSync(dirname(path));
  } catch (missing) {
    if (missing instanceof Deno.errors.NotFound) {
      return `no folder '${dirname(path)}'`;
    }
  }
  return message;
}
