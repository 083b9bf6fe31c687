import postgres from "postgres";
import { messageIds } from "./message_ids.ts";
import { setImmediate } from "node:timers";
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
import { applyPollChange, type PollChange, type StoredPoll } from "../polls.ts";
import {
  type AccountStore,
  type AppendResult,
  type AuditStore,
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
  HERE_MENTION_KEY,
  isMarker,
  MAX_MENTIONS,
  mentionCandidates,
  mentionKeys,
  wideMentions,
} from "../mentions.ts";
import { POSTGRES_MIGRATIONS } from "./postgres_schema.ts";
import { mailboxKey } from "../protocol/mailbox_key.ts";
import { poolOptions, RenewingPool } from "./postgres_pool.ts";
import { nameSkeleton } from "../protocol/skeleton.ts";
import { type BanRow, type RoomRow, toBan, toRoom } from "./rows.ts";
import { searchWords } from "./search_text.ts";
import { messageOf, PostgresContext } from "./postgres_context.ts";
import { PostgresFiles } from "./postgres_files.ts";
import { PostgresOutbound } from "./postgres_outbound.ts";
import { auditStep, PostgresAudit } from "./postgres_audit.ts";
import { PostgresConversations } from "./postgres_conversations.ts";
import { PostgresIgnores } from "./postgres_ignores.ts";
import { PostgresIntegrations } from "./postgres_integrations.ts";
import { PostgresMemberships } from "./postgres_memberships.ts";
import { PostgresAccounts } from "./postgres_accounts.ts";
import { delegate } from "./parts.ts";
import { PostgresDrafts } from "./postgres_drafts.ts";
import { PostgresSaved } from "./postgres_saved.ts";
import { PostgresScheduled } from "./postgres_scheduled.ts";
import { PostgresMentions } from "./postgres_mentions.ts";
import { PostgresThreads } from "./postgres_threads.ts";
import { PostgresNotifyLevels } from "./postgres_notify_levels.ts";
import { PostgresSections } from "./postgres_sections.ts";
import { PostgresStars } from "./postgres_stars.ts";
import { PostgresDoNotDisturb } from "./postgres_do_not_disturb.ts";
import { PostgresEmail } from "./postgres_email.ts";
import { PostgresMissedMail } from "./postgres_missed_mail.ts";
import { PostgresStatus } from "./postgres_status.ts";
import { PostgresProfile } from "./postgres_profile.ts";
import { PostgresEmoji } from "./postgres_emoji.ts";
import { PostgresTotp } from "./postgres_totp.ts";
import { PostgresGroups } from "./postgres_groups.ts";
import { PostgresSearch } from "./postgres_search.ts";
import {
  MESSAGE_COLUMNS,
  type MessageRow,
  REPLY_JOIN,
  type Sql,
  toMessage,
} from "./postgres_rows.ts";

/** Options of {@link PostgresStore.open}. */
export interface PostgresStoreOptions {
  /** Rooms that must exist, created at open when missing (e.g. `general`). */
  permanentRooms?: { name: string; key: string }[];
}

// BIGINT columns (seqs, ms timestamps) arrive as numbers, not strings:
// every value we store is far below 2^53.
/** The driver's types: BIGINT as number (export and import share it). */
export const TYPES = {
  bigint: {
    to: 20,
    from: [20],
    serialize: (value: number) => String(value),
    parse: (raw: string) => Number(raw),
  },
};

// The key of the advisory lock migrations take: arbitrary, but fixed for
// every process sharing a database (chat_create_account uses "chat", 2).
const MIGRATION_LOCK = 0x63686174_01; // "chat", 1

// One group commit holds its rooms' row locks until it ends: bound it.
const MAX_APPENDS_PER_COMMIT = 256;

/** A message to append to a room (`to` absent) or a conversation. */
interface Append {
  stream: string;
  userKey: string;
  user: string;
  to?: string;
  text: string;
  clientId?: string;
  sender: string;
  attachments?: Attachment[];
  pendingTo?: string;
  waitingLimits?: WaitingLimits;
  replyTo?: string;
  /** MessageDraft.roomCreatedAt. */
  roomCreatedAt?: number;
  /** MessageDraft.roomWide. */
  roomWide?: boolean;
  /** MessageDraft.here. */
  here?: string[];
  /** MessageDraft.groups. */
  groups?: string[];
}

/** An append waiting for the next group commit. */
interface QueuedAppend {
  append: Append;
  resolve: (result: AppendResult<MessageBase> | MailboxFull) => void;
  reject: (error: unknown) => void;
}

/** What chat_append returns for one append: r_ and a message's columns. */
interface AppendRow {
  r_ord: number;
  /** Null when the room does not exist (the rest is then meaningless). */
  r_seq: number | null;
  r_id: string;
  r_user: string;
  r_room: string | null;
  r_to: string | null;
  r_text: string;
  r_ts: number;
  r_client_id: string | null;
  r_attachments: Attachment[] | null;
  r_edited_at: number | null;
  r_deleted: boolean;
  r_duplicate: boolean;
  /** A retry's message's version; null for a new message (0). */
  r_version: number | null;
  r_full: MailboxFull["full"] | null;
  r_reply_to: string | null;
  r_reactions: Reaction[] | null;
  r_pinned_at: number | null;
  r_reply_seq: number | null;
  r_reply_user: string | null;
  r_reply_text: string | null;
  r_reply_deleted: boolean | null;
  r_reply_sender: string | null;
  /** The sender's ban that refused the append (the rest is then meaningless). */
  r_ban: BanRow | null;
  /** The sender's account was deleted before the append: nothing stored. */
  r_gone: boolean;
  /** The room was archived before the append: nothing stored. */
  r_archived: boolean;
}

/** The slices PostgresStore's parts lend it (parts.ts). */
export interface PostgresStore
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
 * The shared store: PostgreSQL through a small connection pool, for
 * several server processes on one database. Seqs are handed out by the
 * database under the stream's row lock, so they stay gap-free and totally
 * ordered per room across processes; every write is committed before its
 * promise resolves. Each call is one statement; work that needs several
 * runs in the database's own functions (see postgres_schema.ts), so no
 * transaction stays open across round trips and a lost connection cannot
 * leave one half done. Rooms and private messages live here (they share the
 * append path); every other slice of `Store` is a part (postgres_files.ts
 * and its siblings) over the same PostgresContext.
 */
// Not `sql.begin()`: in postgres.js 3.4.9 a connection lost inside it makes
// the driver write its ROLLBACK to a closed socket from a setImmediate
// callback, an uncatchable TypeError that ends the process
// (porsager/postgres#1133, #1154, #1208; fixes not released).
export class PostgresStore implements Store {
  #appendCommits = 0;
  #context: PostgresContext;
  #files: PostgresFiles;
  #outbound: PostgresOutbound;
  #integrations: PostgresIntegrations;
  #audit: PostgresAudit;
  #conversations: PostgresConversations;
  #ignores: PostgresIgnores;
  #memberships: PostgresMemberships;
  #accounts: PostgresAccounts;
  #drafts: PostgresDrafts;
  #saved: PostgresSaved;
  #scheduled: PostgresScheduled;
  #mentions: PostgresMentions;
  #threads: PostgresThreads;
  #notifyLevels: PostgresNotifyLevels;
  #stars: PostgresStars;
  #sections: PostgresSections;
  #doNotDisturb: PostgresDoNotDisturb;
  #status: PostgresStatus;
  #email: PostgresEmail;
  #missedMail: PostgresMissedMail;
  #profile: PostgresProfile;
  #emoji: PostgresEmoji;
  #totp: PostgresTotp;
  #groups: PostgresGroups;
  #nextId = messageIds();
  #search = new PostgresSearch();
  #closing: Promise<void> | undefined;
  #queued: QueuedAppend[] = [];
  #flushing: Promise<void> | undefined;

  get appendCommits(): number {
    return this.#appendCommits;
  }

  // PostgreSQL indexes its messages itself: no thread to start again.
  get searchIndexRestarts(): number {
    return 0;
  }

  private constructor(pool: RenewingPool<Sql>, where: string) {
    this.#context = new PostgresContext(pool, where);
    this.#files = new PostgresFiles(this.#context);
    this.#outbound = new PostgresOutbound(this.#context);
    this.#integrations = new PostgresIntegrations(this.#context);
    this.#audit = new PostgresAudit(this.#context);
    this.#conversations = new PostgresConversations(this.#context);
    this.#ignores = new PostgresIgnores(this.#context);
    this.#memberships = new PostgresMemberships(this.#context);
    this.#accounts = new PostgresAccounts(this.#context);
    this.#drafts = new PostgresDrafts(this.#context);
    this.#saved = new PostgresSaved(this.#context);
    this.#scheduled = new PostgresScheduled(this.#context);
    this.#mentions = new PostgresMentions(this.#context);
    this.#threads = new PostgresThreads(this.#context);
    this.#notifyLevels = new PostgresNotifyLevels(this.#context);
    this.#stars = new PostgresStars(this.#context);
    this.#sections = new PostgresSections(this.#context);
    this.#doNotDisturb = new PostgresDoNotDisturb(this.#context);
    this.#status = new PostgresStatus(this.#context);
    this.#email = new PostgresEmail(this.#context);
    this.#missedMail = new PostgresMissedMail(this.#context);
    this.#profile = new PostgresProfile(this.#context);
    this.#emoji = new PostgresEmoji(this.#context);
    this.#totp = new PostgresTotp(this.#context);
    this.#groups = new PostgresGroups(this.#context);
  }

  static {
    delegate(PostgresStore, PostgresFiles, (store) => store.#files);
    delegate(PostgresStore, PostgresOutbound, (store) => store.#outbound);
    delegate(
      PostgresStore,
      PostgresIntegrations,
      (store) => store.#integrations,
    );
    delegate(PostgresStore, PostgresAudit, (store) => store.#audit);
    delegate(
      PostgresStore,
      PostgresConversations,
      (store) => store.#conversations,
    );
    delegate(PostgresStore, PostgresIgnores, (store) => store.#ignores);
    delegate(PostgresStore, PostgresMemberships, (store) => store.#memberships);
    delegate(PostgresStore, PostgresAccounts, (store) => store.#accounts);
    delegate(PostgresStore, PostgresDrafts, (store) => store.#drafts);
    delegate(PostgresStore, PostgresSaved, (store) => store.#saved);
    delegate(PostgresStore, PostgresScheduled, (store) => store.#scheduled);
    delegate(PostgresStore, PostgresMentions, (store) => store.#mentions);
    delegate(PostgresStore, PostgresThreads, (store) => store.#threads);
    delegate(
      PostgresStore,
      PostgresNotifyLevels,
      (store) => store.#notifyLevels,
    );
    delegate(PostgresStore, PostgresStars, (store) => store.#stars);
    delegate(PostgresStore, PostgresSections, (store) => store.#sections);
    delegate(
      PostgresStore,
      PostgresDoNotDisturb,
      (store) => store.#doNotDisturb,
    );
    delegate(PostgresStore, PostgresStatus, (store) => store.#status);
    delegate(PostgresStore, PostgresEmail, (store) => store.#email);
    delegate(PostgresStore, PostgresMissedMail, (store) => store.#missedMail);
    delegate(PostgresStore, PostgresProfile, (store) => store.#profile);
    delegate(PostgresStore, PostgresEmoji, (store) => store.#emoji);
    delegate(PostgresStore, PostgresTotp, (store) => store.#totp);
    delegate(PostgresStore, PostgresGroups, (store) => store.#groups);
  }

  /**
   * Connects, brings the schema up to date and creates the permanent
   * rooms. Throws StoreUnavailableError naming the database (never its
   * password) when any of it fails.
   */
  static async open(
    url: string,
    options: PostgresStoreOptions = {},
  ): Promise<PostgresStore> {
    const where = describeUrl(url);
    let pool: RenewingPool<Sql>;
    try {
      pool = RenewingPool.open(() =>
        postgres(url, {
          ...poolOptions("chat-server", { max: 10 }),
          types: TYPES,
        })
      );
    } catch (error) {
      throw new StoreUnavailableError(
        `Cannot open database '${where}': ${messageOf(error)}`,
        { cause: error },
      );
    }
    try {
      await pool.run(async (sql) => {
        await migrate(sql);
        await fillSkeletons(sql);
        await fillMailboxKeys(sql);
        await indexOlderMessages(sql);
        const now = Date.now();
        for (const room of options.permanentRooms ?? []) {
          await insertRoom(sql, room.key, room.name, now, {});
        }
      });
    } catch (error) {
      await pool.end(0).catch(() => {});
      throw new StoreUnavailableError(
        `Cannot open database '${where}': ${messageOf(error)}`,
        { cause: error },
      );
    }
    return new PostgresStore(pool, where);
  }

  listRooms(): Promise<StoredRoom[]> {
    return this.#context.run(async (sql) => {
      const rows = await sql<RoomRow[]>`
        SELECT key, name, created_at, private, owner, retention_days, topic, archived, posting FROM rooms
        ORDER BY created_at, position`;
      return rows.map(toRoom);
    });
  }

  createRoom(
    name: string,
    key: string,
    options: RoomOptions = {},
  ): Promise<StoredRoom | null> {
    return this.#context.run((sql) =>
      insertRoom(sql, key, name, Date.now(), options)
    );
  }

  deleteRoom(
    key: string,
    audit?: NewAuditEntry,
  ): Promise<DeletedRoom | false> {
    return this.#context.runRetryingConflicts(async (sql) => {
      // The function is volatile: run once, read twice.
      const [{ gone, unscheduled }] = await sql<
        { gone: boolean; unscheduled: DeletedRoom["unscheduled"] }[]
      >`
        WITH deleted AS (SELECT chat_delete_room(${key}) AS gone),
        -- Its members' drafts, as in sqlite.ts: the statement's snapshot
        -- still holds the memberships the room's deletion takes along.
        undrafted AS (
          DELETE FROM drafts WHERE stream = ${key} AND user_key IN (
            SELECT user_key FROM memberships WHERE room_key = ${key})
        ),
        -- Every account's level there, members or not (a level outlives a
        -- leave): a range of notification_levels_stream, as in sqlite.ts.
        unleveled AS (
          DELETE FROM notification_levels WHERE stream = ${key}
        ),
        -- Its stars, as in sqlite.ts.
        unstarred AS (
          DELETE FROM stars WHERE stream = ${key}
        ),
        -- Its items in sidebar sections, as in sqlite.ts.
        unsectioned AS (
          DELETE FROM sidebar_items WHERE stream = ${key}
        ),
        -- The messages scheduled to it, as in sqlite.ts.
        unscheduled AS (
          DELETE FROM scheduled_messages WHERE room_key = ${key}
          RETURNING user_key, id
        )
        ${auditStep(sql, audit, sql`(SELECT gone FROM deleted)`)}
        SELECT gone, (SELECT coalesce(json_agg(json_build_object(
            'userKey', user_key, 'id', id)), '[]') FROM unscheduled)
          AS unscheduled
        FROM deleted`;
      return gone && { unscheduled };
    });
  }

  renameRoom(
    key: string,
    newKey: string,
    newName: string,
    audit?: NewAuditEntry,
    change?: RoomChange,
  ): Promise<StoredRoom | "taken" | undefined> {
    return this.#context.run(async (sql) => {
      // With a change, one function makes both (a second statement would
      // be a second commit, and a CTE beside the rename would not see it).
      const renaming = change === undefined
        ? sql`chat_rename_room(${key}, ${newKey}, ${newName})`
        : sql`chat_rename_change_room(${key}, ${newKey}, ${newName},
            ${change.private ?? null}::boolean,
            ${change.owner !== undefined}, ${change.owner ?? null}::text,
            ${change.retentionDays !== undefined},
            ${change.retentionDays ?? null}::integer)`;
      const [{ outcome }] = await sql<{ outcome: string }[]>`
        WITH renamed AS (
          SELECT ${renaming} AS outcome
        ) ${auditStep(sql, audit, sql`(SELECT outcome FROM renamed) = 'done'`)}
        SELECT outcome FROM renamed`;
      if (outcome === "not_found") return undefined;
      if (outcome === "taken") return "taken";
      // The messages scheduled to it follow, its members' under its new
      // name, a former member's under the name it wrote (SQLiteStore's
      // renameRoom says why). A second statement (the rename is one
      // function's): one that fails after the rename leaves them to fail at
      // their time, as a room gone does.
      await sql`UPDATE scheduled_messages
        SET room_key = ${newKey},
          room = CASE WHEN user_key IN
            (SELECT user_key FROM memberships WHERE room_key = ${newKey})
          THEN ${newName} ELSE room END
        WHERE room_key = ${key}`;
      const [row] = await sql<RoomRow[]>`
        SELECT key, name, created_at, private, owner, retention_days, topic,
          archived, posting
        FROM rooms WHERE key = ${newKey}`;
      return row ? toRoom(row) : undefined;
    });
  }

  updateRoom(
    key: string,
    change: RoomChange,
    audit?: NewAuditEntry,
  ): Promise<StoredRoom | undefined> {
    return this.#context.run(async (sql) => {
      // One statement (see the class comment): `before` reads the room as
      // the statement's snapshot has it, before this change (not FOR
      // UPDATE: a row this very statement updates is then not returned).
      // Made private (it was public), the links made while anyone could
      // come in end with it.
      const [row] = await sql<RoomRow[]>`
        WITH before AS (
          SELECT private FROM rooms WHERE key = ${key}
        ), revoked AS (
          UPDATE invites SET revoked = true
          WHERE room_key = ${key} AND NOT revoked
            AND ${change.private === true}::boolean
            AND (SELECT NOT private FROM before)
        ), updated AS (
        UPDATE rooms SET
          private = coalesce(${change.private ?? null}::boolean, private),
          owner = CASE WHEN ${change.owner !== undefined} THEN ${
        change.owner ?? null
      }::text ELSE owner END,
          retention_days = CASE WHEN ${
        change.retentionDays !== undefined
      } THEN ${change.retentionDays ?? null}::integer ELSE retention_days END
        WHERE key = ${key}
        RETURNING key, name, created_at, private, owner, retention_days, topic,
          archived, posting
        ) ${auditStep(sql, audit, sql`EXISTS (SELECT 1 FROM updated)`)}
        SELECT * FROM updated`;
      return row ? toRoom(row) : undefined;
    });
  }

  setRoomArchived(
    key: string,
    archived: boolean,
    audit?: NewAuditEntry,
  ): Promise<StoredRoom | undefined> {
    return this.#context.run(async (sql) => {
      // One statement, the audit entry with it (see the class comment).
      // A change takes the room's stream row lock too, after the room's
      // (chat_rename_room's order), until it commits: an append to the
      // room holding it commits first, and one waiting for it reads the
      // flag once it is granted (chat_append). Its join makes it run.
      const [row] = await sql<RoomRow[]>`
        WITH updated AS (
          UPDATE rooms SET archived = ${archived}
          WHERE key = ${key} AND archived <> ${archived}
          RETURNING key, name, created_at, private, owner, retention_days, topic,
          archived, posting
        ), locked AS (
          SELECT s.key FROM streams s JOIN updated u ON u.key = s.key
          FOR UPDATE OF s
        ) ${auditStep(sql, audit, sql`EXISTS (SELECT 1 FROM updated)`)}
        SELECT u.* FROM updated u LEFT JOIN locked l ON l.key = u.key`;
      return row ? toRoom(row) : undefined;
    });
  }

  setRoomPosting(
    key: string,
    posting: RoomPosting,
    audit?: NewAuditEntry,
  ): Promise<StoredRoom | undefined> {
    return this.#context.run(async (sql) => {
      // One statement, the audit entry with it (see the class comment).
      const [row] = await sql<RoomRow[]>`
        WITH updated AS (
          UPDATE rooms SET posting = ${posting}
          WHERE key = ${key} AND posting <> ${posting}
          RETURNING key, name, created_at, private, owner, retention_days, topic,
          archived, posting
        ) ${auditStep(sql, audit, sql`EXISTS (SELECT 1 FROM updated)`)}
        SELECT * FROM updated`;
      return row ? toRoom(row) : undefined;
    });
  }

  setRoomTopic(
    key: string,
    topic: string | null,
    audit?: NewAuditEntry,
  ): Promise<StoredRoom | undefined> {
    return this.#context.run(async (sql) => {
      // One statement, the audit entry with it (see the class comment).
      // `ar` locks the room's row as the update would, first: it waits for
      // an archive under way and reads the flag that committed, which the
      // update's own re-check of `archived` reads too, so an archived room
      // is told apart from an absent one (archivedLock's reasons).
      const [row] = await sql<(RoomRow & { archived_room: string | null })[]>`
        WITH ar AS MATERIALIZED (
          SELECT key, archived FROM rooms WHERE key = ${key} FOR NO KEY UPDATE
        ), updated AS (
          UPDATE rooms SET topic = ${topic}::text
          WHERE key = ${key} AND NOT archived
          RETURNING key, name, created_at, private, owner, retention_days, topic,
          archived, posting
        ) ${auditStep(sql, audit, sql`EXISTS (SELECT 1 FROM updated)`)}
        SELECT ${sql.unsafe(ARCHIVED_ROOM)}, u.*
        FROM (SELECT 1) one LEFT JOIN updated u ON true`;
      if (row.archived_room !== null) {
        throw new RoomArchivedError(row.archived_room);
      }
      return row.key === null ? undefined : toRoom(row);
    });
  }

  appendMessage(draft: MessageDraft): Promise<AppendResult> {
    // Without waitingLimits an append is never refused.
    return this.#enqueue<AppendResult>({
      stream: draft.roomKey,
      userKey: draft.userKey,
      user: draft.user,
      text: draft.text,
      clientId: draft.clientId,
      sender: draft.sender ?? "",
      attachments: draft.attachments,
      replyTo: draft.replyTo,
      roomCreatedAt: draft.roomCreatedAt,
      roomWide: draft.roomWide,
      here: draft.here,
      groups: draft.groups,
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
    return this.#enqueue<AppendResult<PrivateMessage> | MailboxFull>({
      stream: conversationKey(draft.fromKey, draft.toKey),
      userKey: draft.fromKey,
      user: draft.from,
      to: draft.to,
      text: draft.text,
      clientId: draft.clientId,
      sender: draft.sender ?? "",
      attachments: draft.attachments,
      pendingTo: draft.delivered ? undefined : draft.toKey,
      waitingLimits: draft.waitingLimits,
      replyTo: draft.replyTo,
    });
  }

  // Group commit: appends made during one turn of the event loop share one
  // transaction, and appends made while it commits share the next. Each
  // promise resolves only once its commit is done, so an acknowledgement
  // still means "in the database".
  #enqueue<R extends AppendResult<MessageBase> | MailboxFull>(
    append: Append,
  ): Promise<R> {
    if (this.#context.closed) {
      return Promise.reject(new StoreUnavailableError("The store is closed."));
    }
    // PostgreSQL text cannot hold U+0000. Refused here, such an append
    // cannot fail the others of its group.
    if (
      [
        ...Object.values(append),
        ...(append.attachments ?? []).map((a) => a.name),
      ]
        .some((v) => typeof v === "string" && v.includes("\0"))
    ) {
      return Promise.reject(
        new StoreUnavailableError(
          "PostgreSQL cannot store the NUL character (U+0000).",
        ),
      );
    }
    return new Promise((resolve, reject) => {
      this.#queued.push({
        append,
        resolve: resolve as QueuedAppend["resolve"],
        reject,
      });
      this.#flushing ??= this.#flush();
    });
  }

  async #flush(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    while (this.#queued.length > 0) {
      await this.#commit(this.#queued.splice(0, MAX_APPENDS_PER_COMMIT));
    }
    this.#flushing = undefined;
  }

  async #commit(batch: QueuedAppend[]): Promise<void> {
    // Every process takes the row locks of a commit's streams in the same
    // (key) order, so two commits never wait on each other in a cycle.
    // Appends to one stream keep the order they were made in (stable sort).
    const jobs = [...batch].sort((a, b) =>
      a.append.stream < b.append.stream
        ? -1
        : a.append.stream > b.append.stream
        ? 1
        : 0
    );
    try {
      const rows = await this.#appendAll(jobs.map((job) => job.append));
      jobs.forEach((job, i) => this.#settle(job, rows[i]));
    } catch (error) {
      if (!refusedData(error) || jobs.length === 1) {
        const failure = this.#context.unavailable(error);
        for (const job of jobs) job.reject(failure);
        return;
      }
      // The database refused the statement, so none of it was stored: one
      // at a time, only the append at fault fails.
      for (const [i, job] of jobs.entries()) {
        try {
          this.#settle(job, (await this.#appendAll([job.append]))[0]);
        } catch (error) {
          job.reject(this.#context.unavailable(error));
          if (!refusedData(error)) {
            const failure = this.#context.unavailable(error);
            for (const rest of jobs.slice(i + 1)) rest.reject(failure);
            return;
          }
        }
      }
    }
  }

  // One statement: chat_append takes each stream's row lock, bumps its
  // seq and inserts, or finds the first message of a retried clientId and
  // gives the seq back. Rows come back in the order of `appends`.
  async #appendAll(appends: Append[]): Promise<AppendRow[]> {
    const json = appends.map((a, ord) => {
      const ts = Date.now();
      return {
        ord,
        stream: a.stream,
        in_room: a.to === undefined,
        id: this.#nextId(ts),
        user_key: a.userKey,
        user_name: a.user,
        to_user: a.to ?? null,
        body: a.text,
        ts,
        client_id: a.clientId ?? null,
        sender: a.sender,
        attachments: a.attachments?.length ? a.attachments : null,
        pending_to: a.pendingTo ?? null,
        mentions: mentionKeys(
          a.text,
          a.userKey,
          a.roomWide,
          a.here,
          a.groups,
        ),
        max_for_recipient: a.waitingLimits?.perRecipient ?? null,
        max_from_sender: a.waitingLimits?.perSender ?? null,
        reply_to: a.replyTo ?? null,
        room_created_at: a.roomCreatedAt ?? null,
        words: wordsOf(a.text),
      };
    });
    // One statement, so one transaction: the mentions of the appends that
    // stored a message go in with them (chat_append ignores the field).
    const rows = await this.#context.pool.run((sql) => {
      const payload = sql.json(json as unknown as postgres.JSONValue);
      return sql<AppendRow[]>`
      WITH appended AS (SELECT * FROM chat_append(${payload})),
      noted AS (
        INSERT INTO mentions (user_key, stream, seq, message_id)
        SELECT DISTINCT x.key, a.stream, ap.r_seq, ap.r_id
        FROM appended ap
        JOIN jsonb_to_recordset(${payload}) AS a(ord integer, stream text,
          mentions text[]) ON a.ord = ap.r_ord
        CROSS JOIN unnest(a.mentions) AS x(key)
        -- A refused append (a full mailbox) keeps the seq of the row
        -- chat_append returned before it: never a mention of its own.
        WHERE ap.r_seq IS NOT NULL AND NOT ap.r_duplicate
          AND ap.r_full IS NULL
        ON CONFLICT DO NOTHING
      )
      -- A retry answers with the message as it is now, its version too
      -- (read in this statement's snapshot, maybe before an edit the
      -- function saw: lower, so the edit's own event still replaces it).
      -- New messages are at 0, and cost no look-up.
      SELECT ap.*, CASE WHEN ap.r_duplicate THEN
          (SELECT m.version FROM messages m WHERE m.id = ap.r_id)
        END AS r_version
      FROM appended ap ORDER BY r_ord`;
    });
    if (rows.length !== appends.length) {
      throw new Error(
        `chat_append returned ${rows.length} rows for ${appends.length} appends`,
      );
    }
    this.#appendCommits++;
    return rows;
  }

  #settle(job: QueuedAppend, row: AppendRow): void {
    if (row.r_archived) {
      job.reject(new RoomArchivedError(job.append.stream));
      return;
    }
    if (row.r_ban !== null) {
      job.reject(new SenderBannedError(toBan(row.r_ban)));
      return;
    }
    if (row.r_gone) {
      job.reject(new SenderGoneError());
      return;
    }
    if (row.r_full !== null) {
      job.resolve({ full: row.r_full });
      return;
    }
    if (row.r_seq === null) {
      job.reject(new RoomGoneError(job.append.stream));
      return;
    }
    job.resolve({
      message: toMessage({
        seq: row.r_seq,
        id: row.r_id,
        user_name: row.r_user,
        room: row.r_room,
        to_user: row.r_to,
        text: row.r_text,
        ts: row.r_ts,
        client_id: row.r_client_id,
        attachments: row.r_attachments,
        edited_at: row.r_edited_at,
        deleted: row.r_deleted,
        reply_to: row.r_reply_to,
        reactions: row.r_reactions,
        pinned_at: row.r_pinned_at,
        reply_seq: row.r_reply_seq,
        reply_user: row.r_reply_user,
        reply_text: row.r_reply_text,
        reply_deleted: row.r_reply_deleted,
        // A retry's first message had the same sender: it is in the key.
        sender: job.append.sender,
        reply_sender: row.r_reply_sender,
        version: row.r_version ?? 0,
        // As the append wrote its mentions (a retry: as the first did).
        wide_mentions: wideMentions(mentionKeys(
          job.append.text,
          job.append.userKey,
          job.append.roomWide,
          job.append.here,
        )),
      }),
      duplicate: row.r_duplicate,
    });
  }

  findMessage(id: string): Promise<MessageRecord | undefined> {
    return this.#context.run((sql) => findRecord(sql, id));
  }

  findFirstSent(
    stream: string,
    key: RetryKey,
  ): Promise<ChatMessage | PrivateMessage | undefined> {
    return this.#context.run(async (sql) => {
      // The unique index chat_append decides retries by answers it.
      const [row] = await sql<MessageRow[]>`
        SELECT ${sql.unsafe(MESSAGE_COLUMNS)}
        FROM messages m ${sql.unsafe(REPLY_JOIN)}
        WHERE m.stream = ${stream} AND m.user_key = ${key.userKey}
          AND m.sender = ${key.sender} AND m.client_id = ${key.clientId}`;
      return row ? toMessage(row) : undefined;
    });
  }

  expireMessages(
    before: number | undefined,
    limit: number,
    now = Date.now(),
  ): Promise<number> {
    return this.#context.runRetryingConflicts(async (sql) => {
      // As SQLite's: each stream's oldest messages up to its first one
      // stored at or after its cutoff (a room's own retention_days gives
      // its own), in one statement.
      const [{ n }] = await sql<{ n: number }[]>`
        WITH doomed AS (
          SELECT m.stream, m.seq
          FROM (SELECT s.key, s.last_seq,
                  CASE WHEN r.retention_days IS NULL THEN ${
        before ?? null
      }::bigint
                       WHEN r.retention_days = 0 THEN NULL
                       ELSE ${now}::bigint
                         - r.retention_days::bigint * ${DAY_MS}
                  END AS cutoff
                FROM streams s LEFT JOIN rooms r ON r.key = s.key) s
          JOIN messages m ON m.stream = s.key
          WHERE s.cutoff IS NOT NULL AND m.seq < coalesce(
            (SELECT x.seq FROM messages x
             WHERE x.stream = s.key AND x.ts >= s.cutoff
             ORDER BY x.seq LIMIT 1),
            s.last_seq + 1)
          LIMIT ${Math.trunc(limit)}
        ), gone AS (
          DELETE FROM messages m USING doomed d
          WHERE m.stream = d.stream AND m.seq = d.seq
          RETURNING m.stream, m.seq
        ), unmentioned AS (
          DELETE FROM mentions x USING gone g
          WHERE x.stream = g.stream AND x.seq = g.seq
        ), emptied AS (
          -- A conversation whose newest message went has none left to
          -- show: it leaves both sides' lists, as its history is empty.
          -- The statement sees the messages as before it, so the ones it
          -- deletes do not count as left. A send committed meanwhile
          -- moved last_seq: the row is checked again and stays.
          DELETE FROM conversations c USING gone g
          WHERE g.stream LIKE '@%' AND c.last_seq = g.seq
            AND ((c.user_key = split_part(substr(g.stream, 2), ':', 1)
                  AND c.with_key = split_part(g.stream, ':', 2))
              OR (c.user_key = split_part(g.stream, ':', 2)
                  AND c.with_key = split_part(substr(g.stream, 2), ':', 1)))
            AND NOT EXISTS (
              SELECT 1 FROM messages x
              WHERE x.stream = g.stream AND x.seq > g.seq
                AND NOT EXISTS (SELECT 1 FROM gone y
                  WHERE y.stream = x.stream AND y.seq = x.seq))
        )
        SELECT count(*)::bigint AS n FROM gone`;
      return n;
    });
  }

  setLinkPreviews(
    id: string,
    change: LinkPreviewChange,
  ): Promise<MessageBase | undefined> {
    return this.#context.run(async (sql) => {
      const [row] = "removed" in change
        ? await sql<MessageRow[]>`
          WITH m AS (
            UPDATE messages SET previews = '[]'::jsonb
            WHERE id = ${id} AND NOT deleted
              AND previews IS DISTINCT FROM '[]'::jsonb
            RETURNING *
          ) SELECT ${sql.unsafe(MESSAGE_COLUMNS)} FROM m ${
          sql.unsafe(REPLY_JOIN)
        }`
        : await sql<MessageRow[]>`
          WITH m AS (
            UPDATE messages SET previews = ${
          sql.json(change.previews as unknown as postgres.JSONValue)
        }
            WHERE id = ${id} AND NOT deleted AND text = ${change.text}
              AND previews IS NULL
            RETURNING *
          ) SELECT ${sql.unsafe(MESSAGE_COLUMNS)} FROM m ${
          sql.unsafe(REPLY_JOIN)
        }`;
      return row ? toMessage(row) : undefined;
    });
  }

  updateMessage(
    id: string,
    change: MessageChange,
    audit?: NewAuditEntry,
  ): Promise<MessageBase | undefined> {
    // One statement each; the join reads the answered message, which the
    // update does not touch, so the statement's snapshot serves. A delete
    // that loses a deadlock (its reply's root, postgres_schema.ts's
    // chat_reply_left) runs again.
    const refuse = !("deleted" in change) || change.refuseArchived === true;
    return this.#context.runRetryingConflicts(async (sql) => {
      const audited = auditStep(sql, audit, sql`EXISTS (SELECT 1 FROM m)`);
      if ("deleted" in change) {
        const [row] = await sql<ArchivableRow[]>`
          WITH ${archivedLock(sql, id, refuse)}, gone AS (
            DELETE FROM reactions WHERE message_id = ${id}
              AND NOT EXISTS (SELECT 1 FROM ar WHERE ar.archived)
          ), unedited AS (
            -- Its history goes with its text: a moderator's delete of
            -- what an edit hid keeps none of it.
            DELETE FROM message_edits WHERE message_id = ${id}
              AND NOT EXISTS (SELECT 1 FROM ar WHERE ar.archived)
          ), m AS (
            -- Its forwards' copies lose its text in this commit too
            -- (trigger messages_original_deleted, postgres_schema.ts).
            UPDATE messages SET deleted = true, text = '', attachments = NULL,
              reply_to = NULL, reactions = NULL, pinned_at = NULL,
              search = NULL, previews = NULL, poll = NULL, forwarded = NULL
            WHERE id = ${id}
              AND NOT EXISTS (SELECT 1 FROM ar WHERE ar.archived)
            RETURNING *
          ) ${audited}
          SELECT ${sql.unsafe(ARCHIVED_ROOM)}, ${sql.unsafe(MESSAGE_COLUMNS)}
          FROM (SELECT 1) one LEFT JOIN m ON true ${sql.unsafe(REPLY_JOIN)}`;
        // Its marker goes with the text (this statement's snapshot still
        // sees it).
        return found(row) ? toMessage({ ...row, wide_mentions: 0 }) : undefined;
      }
      // An edit may add or drop mentions: they follow the new text, in the
      // same statement. The author's key is known only from the row, so
      // the author's own name is dropped in SQL, before the cap: one name
      // more is sent, so that the author's never takes another's place.
      // The members an @here notifies (no author among them) are added to
      // the names, uncapped, unless @room counts for them all.
      const keys = mentionCandidates(change.text, change.roomWide, change.here);
      // The markers come first and take no name's place.
      const markers = keys.filter(isMarker).length;
      // The members its @groups notify too, beside @room as names are.
      const here = [
        // The @here marker first: no @room marker before it.
        ...keys[0] === HERE_MENTION_KEY ? change.here ?? [] : [],
        ...change.groups ?? [],
      ];
      // The rows the old text had and the new one keeps are left alone:
      // a delete and an insert of one key in the same statement both see
      // the row as it was, so the insert found it there (ON CONFLICT DO
      // NOTHING) and the delete took it away, and an edit that kept a
      // mention lost it.
      // The text it replaces is read under the row's lock (`b`, which the
      // update joins, so it runs first): a concurrent edit committed
      // meanwhile is read as it now is, and no replaced text is lost.
      // Past MAX_KEPT_EDITS the oldest go; the statement's snapshot does
      // not see a concurrent edit's row, which the next edit trims.
      const [row] = await sql<ArchivableRow[]>`
        WITH ${archivedLock(sql, id, refuse)}, b AS MATERIALIZED (
          SELECT id, text, coalesce(edited_at, ts) AS ts FROM messages
          WHERE id = ${id} AND NOT deleted FOR NO KEY UPDATE
        ), m AS (
          UPDATE messages SET text = ${change.text}, edited_at = ${Date.now()},
            previews = NULL, search = array_to_tsvector(
              string_to_array(${wordsOf(change.text)}::text, ' '))
          FROM b WHERE messages.id = b.id AND NOT messages.deleted
            AND NOT EXISTS (SELECT 1 FROM ar WHERE ar.archived)
          RETURNING messages.*
        ), kept AS (
          -- An edit that changed no word leaves no version to show.
          INSERT INTO message_edits (message_id, text, ts)
          SELECT b.id, b.text, b.ts FROM b JOIN m ON m.id = b.id
          WHERE b.text <> m.text
          RETURNING ord
        ), trimmed AS (
          DELETE FROM message_edits x
          WHERE x.message_id = ${id} AND EXISTS (SELECT 1 FROM kept)
            AND x.ord NOT IN (SELECT y.ord FROM message_edits y
              WHERE y.message_id = ${id}
              ORDER BY y.ord DESC LIMIT ${MAX_KEPT_EDITS - 1})
        ), k AS ((
            SELECT x.key
            FROM m
            CROSS JOIN jsonb_array_elements_text(${sql.json(keys)})
              WITH ORDINALITY AS x(key, ord)
            WHERE x.key <> m.user_key
            ORDER BY x.ord LIMIT ${MAX_MENTIONS + markers}
          ) UNION SELECT jsonb_array_elements_text(${sql.json(here)})
        ), dropped AS (
          DELETE FROM mentions n USING m
          WHERE n.stream = m.stream AND n.seq = m.seq
            AND n.user_key NOT IN (SELECT k.key FROM k)
        ), noted AS (
          INSERT INTO mentions (user_key, stream, seq, message_id)
          SELECT k.key, m.stream, m.seq, m.id FROM m CROSS JOIN k
          ON CONFLICT (user_key, stream, seq) DO NOTHING
        ) ${audited}
        SELECT ${sql.unsafe(ARCHIVED_ROOM)}, ${sql.unsafe(MESSAGE_COLUMNS)}
        FROM (SELECT 1) one LEFT JOIN m ON true ${sql.unsafe(REPLY_JOIN)}`;
      // The snapshot sees the mentions before `noted`: the new text's own.
      const wide = wideMentions(keys);
      return found(row)
        ? toMessage({ ...row, wide_mentions: wide })
        : undefined;
    });
  }

  // The newest MAX_KEPT_EDITS: two edits at once may have left one more
  // (updateMessage), which the next edit trims.
  listEdits(id: string): Promise<MessageEdit[]> {
    return this.#context.run(async (sql) =>
      (await sql<{ text: string; ts: string | number }[]>`
        SELECT text, ts FROM (
          SELECT ord, text, ts FROM message_edits WHERE message_id = ${id}
          ORDER BY ord DESC LIMIT ${MAX_KEPT_EDITS}
        ) newest ORDER BY ord`).map((row) => ({
        text: row.text,
        ts: Number(row.ts),
      }))
    );
  }

  // Read, changed here (polls.ts), written back only while the message's
  // version is still the one read: a change committed meanwhile (another
  // vote, the delete, an account's votes taken away) bumped it, and the
  // poll is read again. No transaction across round trips (see the class
  // comment); the cost is a read more per vote, and one more round per
  // vote that lost a race.
  changePoll(id: string, change: PollChange): Promise<PollResult> {
    const createdAt = change.kind === "vote"
      ? change.accountCreatedAt ?? null
      : null;
    const userKey = change.kind === "vote" ? change.userKey : "";
    return this.#context.run(async (sql) => {
      for (let attempt = 1;; attempt++) {
        const [row] = await sql<
          {
            deleted: boolean;
            poll: StoredPoll | null;
            version: number;
            gone: boolean;
          }[]
        >`
          SELECT deleted, poll, version,
            ${createdAt}::bigint IS NOT NULL AND NOT EXISTS (
              SELECT 1 FROM accounts
              WHERE key = ${userKey} AND created_at = ${createdAt}::bigint
            ) AS gone
          FROM messages WHERE id = ${id}`;
        // As a reaction (react): an account deleted since votes no more.
        if (row?.gone) return { status: "gone" };
        if (!row || row.deleted) return { status: "not_found" };
        const result = applyPollChange(row.poll, change);
        if (result.status !== "done") return result;
        if (!result.changed) {
          const record = await findRecord(sql, id);
          if (!record || record.message.deleted) return { status: "not_found" };
          return { status: "done", message: record.message, changed: false };
        }
        // As a reaction: a vote or a close through a node whose flag had
        // not heard of another node's archive is refused here (the room's
        // row locked against the archive); a poll's creation follows its
        // message's append, which the archive refused already.
        const [updated] = await sql<ArchivableRow[]>`
          WITH ${archivedLock(sql, id, change.kind !== "create")}, m AS (
            UPDATE messages SET poll = ${
          sql.json(result.poll as unknown as postgres.JSONValue)
        }
            WHERE id = ${id} AND version = ${row.version} AND NOT deleted
              AND NOT EXISTS (SELECT 1 FROM ar WHERE ar.archived)
              -- The account's deletion may have committed since the read:
              -- its votes' removal ran then, so this one must not land.
              AND (${createdAt}::bigint IS NULL OR EXISTS (
                SELECT 1 FROM accounts
                WHERE key = ${userKey} AND created_at = ${createdAt}::bigint
              ))
            RETURNING *
          ) SELECT ${sql.unsafe(ARCHIVED_ROOM)}, ${sql.unsafe(MESSAGE_COLUMNS)}
          FROM (SELECT 1) one LEFT JOIN m ON true ${sql.unsafe(REPLY_JOIN)}`;
        if (found(updated)) {
          return { status: "done", message: toMessage(updated), changed: true };
        }
        if (attempt >= POLL_ATTEMPTS) {
          throw new StoreUnavailableError(
            `Cannot count a vote on message '${id}': it kept changing.`,
          );
        }
      }
    });
  }

  pollChoices(
    userKey: string,
    ids: readonly string[],
  ): Promise<PollChoiceRow[]> {
    // One probe of the ids' unique index each; the choice is picked out of
    // the poll's JSON here, so the voters' names never leave the server.
    return this.#context.run(async (sql) =>
      (await sql<
        { id: string; stream: string; ts: string | number; options: number[] }[]
      >`
        SELECT m.id, m.stream, m.ts, coalesce((
          SELECT jsonb_agg(o.n - 1 ORDER BY o.n)
          FROM jsonb_array_elements(m.poll -> 'options') WITH ORDINALITY o(v, n)
          WHERE o.v -> 'voters' @> jsonb_build_array(
            jsonb_build_object('key', ${userKey}::text))
        ), '[]') AS options
        FROM messages m
        WHERE m.id = ANY(ARRAY(SELECT jsonb_array_elements_text(${
        sql.json(ids as string[])
      })))
          AND NOT m.deleted AND m.poll IS NOT NULL`).map((row) => ({
        id: row.id,
        stream: row.stream,
        ts: Number(row.ts),
        options: row.options,
      }))
    );
  }

  setForwarded(
    id: string,
    forwarded: ForwardedMessage | DeletedForward,
  ): Promise<ChatMessage | PrivateMessage | undefined> {
    // Run again if it loses a deadlock: a bulk delete that holds the new
    // forward and wants the original (its forwarder's account going).
    return this.#context.runRetryingConflicts(async (sql) => {
      // The original's row first (FOR SHARE: its delete's update and this
      // wait for each other): a copy of an original deleted meanwhile
      // is written blank, and one written first is seen by the delete's
      // blanking (trigger messages_original_deleted). An original already
      // gone (its room, retention) leaves a blank too, as reads show it.
      await sql`
        WITH o AS MATERIALIZED (
          SELECT 1 FROM messages
          WHERE id = ${forwarded.id} AND NOT deleted FOR SHARE
        )
        UPDATE messages SET forwarded = CASE WHEN EXISTS (SELECT 1 FROM o)
          THEN ${sql.json(forwarded as unknown as postgres.JSONValue)}::jsonb
          ELSE jsonb_build_object('id', ${forwarded.id}::text, 'deleted', true)
          END
        WHERE id = ${id} AND NOT deleted AND forwarded IS NULL`;
      const record = await findRecord(sql, id);
      return record?.message.deleted ? undefined : record?.message;
    });
  }

  findReplies(id: string, limit: number): Promise<MessageBase[]> {
    return this.#context.run(async (sql) => {
      const rows = await sql<MessageRow[]>`
        SELECT ${sql.unsafe(MESSAGE_COLUMNS)}
        FROM messages m ${sql.unsafe(REPLY_JOIN)}
        WHERE m.reply_to = ${id} ORDER BY m.seq DESC LIMIT ${limit}`;
      return rows.map((row) => toMessage(row));
    });
  }

  findForwards(id: string, limit: number): Promise<MessageRecord[]> {
    return this.#context.run(async (sql) => {
      // Along messages_forwards, whose expression this repeats; newest
      // by id (a ULID: its time first, monotonic within a millisecond).
      const rows = await sql<
        (MessageRow & { user_key: string; stream: string })[]
      >`
        SELECT ${sql.unsafe(MESSAGE_COLUMNS)}, m.user_key, m.stream
        FROM messages m ${sql.unsafe(REPLY_JOIN)}
        WHERE m.forwarded ->> 'id' = ${id} AND m.forwarded IS NOT NULL
          AND NOT m.deleted
        ORDER BY m.id DESC LIMIT ${limit}`;
      return rows.map((row) => ({
        message: toMessage(row),
        userKey: row.user_key,
        stream: row.stream,
      }));
    });
  }

  listReplies(id: string, query: RepliesQuery): Promise<MessageBase[]> {
    return this.#context.run(async (sql) => {
      // Both pages run along messages_reply_seq (reply_to, seq).
      if (query.before === undefined) {
        const rows = await sql<MessageRow[]>`
          SELECT ${sql.unsafe(MESSAGE_COLUMNS)}
          FROM messages m ${sql.unsafe(REPLY_JOIN)}
          WHERE m.reply_to = ${id} AND m.seq > ${query.after ?? 0}
          ORDER BY m.seq LIMIT ${query.limit}`;
        return rows.map((row) => toMessage(row));
      }
      const rows = await sql<MessageRow[]>`
        SELECT ${sql.unsafe(MESSAGE_COLUMNS)}
        FROM messages m ${sql.unsafe(REPLY_JOIN)}
        WHERE m.reply_to = ${id} AND m.seq < ${query.before}
        ORDER BY m.seq DESC LIMIT ${query.limit}`;
      return rows.reverse().map((row) => toMessage(row));
    });
  }

  // Two statements: the function's changes, then the message as it is
  // after them (a statement cannot read what a function it calls wrote).
  react(change: ReactionChange): Promise<ReactResult> {
    return this.#context.run(async (sql) => {
      const [{ status, archived_room }] = await sql<StatusRow[]>`
        WITH ${archivedLock(sql, change.id, true)}
        SELECT ${sql.unsafe(ARCHIVED_ROOM)},
          CASE WHEN EXISTS (SELECT 1 FROM ar WHERE ar.archived) THEN NULL
          ELSE chat_react_as(${change.accountCreatedAt ?? null}::bigint,
            ${change.id}, ${change.userKey}, ${change.user}, ${change.emoji},
            ${change.on}, ${MAX_REACTIONS_PER_MESSAGE}, ${MAX_REACTION_USERS})
          END AS status`;
      if (archived_room !== null) throw new RoomArchivedError(archived_room);
      if (status === "gone") return { status };
      return await marked(sql, change.id, status);
    });
  }

  pin(id: string, on: boolean): Promise<MarkResult> {
    return this.#context.run(async (sql) => {
      const [{ status, archived_room }] = await sql<StatusRow[]>`
        WITH ${archivedLock(sql, id, true)}
        SELECT ${sql.unsafe(ARCHIVED_ROOM)},
          CASE WHEN EXISTS (SELECT 1 FROM ar WHERE ar.archived) THEN NULL
          ELSE chat_pin(${id}, ${on}, ${MAX_PINS}, ${Date.now()}) END
          AS status`;
      if (archived_room !== null) throw new RoomArchivedError(archived_room);
      return await marked(sql, id, status);
    });
  }

  listPins(stream: string): Promise<MessageBase[]> {
    return this.#context.run(async (sql) => {
      const rows = await sql<MessageRow[]>`
        SELECT ${sql.unsafe(MESSAGE_COLUMNS)}
        FROM messages m ${sql.unsafe(REPLY_JOIN)}
        WHERE m.stream = ${stream} AND m.pinned_at IS NOT NULL
        ORDER BY m.pinned_at DESC LIMIT ${MAX_PINS}`;
      return rows.map((row) => toMessage(row));
    });
  }

  search(query: SearchQuery): Promise<SearchPage> {
    const { scope } = query;
    if (scope.roomKeys.length === 0 && scope.conversations === undefined) {
      return Promise.resolve({ records: [] });
    }
    return this.#context.run((sql) => this.#search.page(sql, query));
  }

  history(roomKey: string, query: HistoryQuery): Promise<ChatMessage[]> {
    return this.#context.run((sql) => page<ChatMessage>(sql, roomKey, query));
  }

  conversation(
    userKey: string,
    otherKey: string,
    query: HistoryQuery,
  ): Promise<PrivateMessage[]> {
    return this.#context.run((sql) =>
      page<PrivateMessage>(sql, conversationKey(userKey, otherKey), query)
    );
  }

  takeUndelivered(userKey: string): Promise<PrivateMessage[]> {
    // One statement: two processes logging the same user in take each
    // message once between them.
    return this.#context.run(async (sql) => {
      const rows = await sql<MessageRow[]>`
        WITH m AS (
          UPDATE messages SET pending_to = NULL WHERE pending_to = ${userKey}
          RETURNING *
        )
        SELECT ${sql.unsafe(MESSAGE_COLUMNS)} FROM m ${sql.unsafe(REPLY_JOIN)}
        ORDER BY m.ts, m.seq`;
      return rows.map((row) => toMessage<PrivateMessage>(row));
    });
  }

  returnUndelivered(userKey: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return Promise.resolve();
    return this.#context.run(async (sql) => {
      await sql`
        UPDATE messages SET pending_to = ${userKey}
        WHERE id IN ${sql(ids)} AND room IS NULL AND pending_to IS NULL`;
    });
  }

  ping(): Promise<void> {
    return this.#context.run(async (sql) => {
      await sql`SELECT 1`;
    });
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#context.closed = true;
      // Appends already accepted are committed before the pool closes.
      await this.#flushing;
      await this.#context.pool.end(5);
    })();
    return this.#closing;
  }
}

/**
 * Gives accounts and groups from before skeletons were stored theirs.
 * Idempotent, so nodes starting together may both run it.
 */
async function fillSkeletons(sql: Sql): Promise<void> {
  for (
    const [table, name] of [["accounts", "username"], ["user_groups", "name"]]
  ) {
    const rows = await sql<{ key: string; name: string }[]>`
      SELECT key, ${sql(name)} AS name FROM ${sql(table)}
      WHERE skeleton IS NULL`;
    // A thousand a statement: a migration has every account's computed
    // again, and one round trip each made a large server's start wait.
    for (let at = 0; at < rows.length; at += 1000) {
      const batch = rows.slice(at, at + 1000).map((row) => ({
        key: row.key,
        skeleton: nameSkeleton(row.name),
      }));
      await sql`UPDATE ${sql(table)} t SET skeleton = v.skeleton
        FROM jsonb_to_recordset(${sql.json(batch)})
          AS v(key TEXT, skeleton TEXT)
        WHERE t.key = v.key`;
    }
  }
}

/**
 * Gives addresses from before their mailbox key was kept (or imported from
 * a file, which does not carry it) theirs (protocol/mailbox_key.ts: no SQL
 * function folds as it does). Idempotent, as fillSkeletons.
 */
async function fillMailboxKeys(sql: Sql): Promise<void> {
  const rows = await sql<{ key: string; email: string }[]>`
    SELECT key, email FROM accounts
    WHERE email IS NOT NULL AND email_key IS NULL`;
  for (let at = 0; at < rows.length; at += 1000) {
    const batch = rows.slice(at, at + 1000).map((row) => ({
      key: row.key,
      email_key: mailboxKey(row.email),
    }));
    await sql`UPDATE accounts a SET email_key = v.email_key
      FROM jsonb_to_recordset(${sql.json(batch)})
        AS v(key TEXT, email_key TEXT)
      WHERE a.key = v.key`;
  }
}

/**
 * Brings the schema up to date, one migration per transaction (one DO
 * statement each). Processes starting together take turns on an advisory
 * lock and read the version once they hold it, so every step runs once.
 */
async function migrate(sql: Sql): Promise<void> {
  for (let version = 0; version < POSTGRES_MIGRATIONS.length; version++) {
    const body = POSTGRES_MIGRATIONS[version];
    if (body.includes("$migration$")) {
      throw new Error(`migration ${version + 1} contains '$migration$'`);
    }
    await sql.unsafe(`
      DO $step$
      BEGIN
        PERFORM pg_advisory_xact_lock(${MIGRATION_LOCK});
        CREATE TABLE IF NOT EXISTS schema_version (
          version    INTEGER PRIMARY KEY,
          applied_at BIGINT NOT NULL
        );
        IF (SELECT coalesce(max(version), 0) FROM schema_version) = ${version}
        THEN
          EXECUTE $migration$${body}$migration$;
          INSERT INTO schema_version (version, applied_at)
          VALUES (${version + 1},
            (extract(epoch FROM clock_timestamp()) * 1000)::bigint);
        END IF;
      END
      $step$`);
  }
  const [{ version }] = await sql<{ version: number }[]>`
    SELECT max(version) AS version FROM schema_version`;
  if (version > POSTGRES_MIGRATIONS.length) {
    throw new Error(
      `the schema is at version ${version}, newer than this server ` +
        `knows (${POSTGRES_MIGRATIONS.length}); upgrade the server`,
    );
  }
}

// One statement: the room and its stream appear together or not at all.
async function insertRoom(
  sql: Sql,
  key: string,
  name: string,
  now: number,
  options: RoomOptions,
): Promise<StoredRoom | null> {
  // Created at `now`, or just past the last room made if that is later
  // (room_clock, whose row lock orders the nodes' creations): no two rooms
  // ever share a creation time, so a room made again under a name within a
  // millisecond is another incarnation. A name taken moves the clock too.
  const [row] = await sql<RoomRow[]>`
    WITH clock AS (
      UPDATE room_clock SET last = greatest(last + 1, ${now}) RETURNING last
    ), room AS (
      INSERT INTO rooms (key, name, created_at, private, owner)
      SELECT ${key}, ${name}, clock.last, ${options.private ?? false},
        ${options.owner ?? null}
      FROM clock
      ON CONFLICT (key) DO NOTHING
      RETURNING key, name, created_at, private, owner, retention_days, topic,
          archived, posting
    ), stream AS (
      INSERT INTO streams (key) SELECT key FROM room
      ON CONFLICT (key) DO UPDATE SET last_seq = 0
    )
    SELECT key, name, created_at, private, owner, retention_days, topic, archived, posting FROM room`;
  return row ? toRoom(row) : null;
}

async function page<M extends MessageBase>(
  sql: Sql,
  stream: string,
  query: HistoryQuery,
): Promise<M[]> {
  const limit = pageLimit(query);
  const since = query.since ?? 0;
  if (query.aroundSeq !== undefined) {
    const older = Math.floor(limit / 2);
    return [
      ...(older > 0
        ? await page<M>(sql, stream, {
          beforeSeq: query.aroundSeq,
          limit: older,
          since,
        })
        : []),
      ...await page<M>(sql, stream, {
        afterSeq: query.aroundSeq - 1,
        limit: limit - older,
        since,
      }),
    ];
  }
  const before = query.beforeSeq ?? Number.MAX_SAFE_INTEGER;
  const rows = query.afterSeq !== undefined
    ? await sql<MessageRow[]>`
      SELECT ${sql.unsafe(MESSAGE_COLUMNS)}
      FROM messages m ${sql.unsafe(REPLY_JOIN)}
      WHERE m.stream = ${stream} AND m.seq > ${query.afterSeq}
        AND m.seq < ${before} AND m.ts >= ${since}
      ORDER BY m.seq LIMIT ${limit}`
    : await sql<MessageRow[]>`
      SELECT * FROM (
        SELECT ${sql.unsafe(MESSAGE_COLUMNS)}
        FROM messages m ${sql.unsafe(REPLY_JOIN)}
        WHERE m.stream = ${stream} AND m.seq < ${before} AND m.ts >= ${since}
        ORDER BY m.seq DESC LIMIT ${limit}
      ) newest ORDER BY seq`;
  return rows.map((row) => toMessage<M>(row));
}

async function findRecord(
  sql: Sql,
  id: string,
): Promise<MessageRecord | undefined> {
  const [row] = await sql<
    (MessageRow & { user_key: string; stream: string })[]
  >`
    SELECT ${sql.unsafe(MESSAGE_COLUMNS)}, m.user_key, m.stream
    FROM messages m ${sql.unsafe(REPLY_JOIN)} WHERE m.id = ${id}`;
  return row
    ? { message: toMessage(row), userKey: row.user_key, stream: row.stream }
    : undefined;
}

// What chat_react or chat_pin said, with the message as it now is.
// An archived room refuses edits, authors' deletes, reactions and pins as
// they commit, as chat_append refuses sends: `ar` takes the message's room
// row with FOR SHARE (when `refuse`), which the archive's update of that
// row (setRoomArchived) waits for until this statement commits, and which
// waits for an archive under way and then reads the flag it committed.
// So a change either commits before the archive's reply or is refused.
// The order of locks is the archive's and a room deletion's: the room
// first, then the stream or the message (chat_pin takes the stream's row
// after it). Cost: a primary-key probe of rooms per change and a share
// lock on its row (a write to the row's header; none for a conversation).
// MATERIALIZED: evaluated once, before the changes that read it.
function archivedLock(sql: Sql, id: string, refuse: boolean) {
  return sql`ar AS MATERIALIZED (
    SELECT r.key, r.archived FROM messages x JOIN rooms r ON r.key = x.stream
    WHERE x.id = ${id} AND ${refuse} FOR SHARE OF r
  )`;
}

// The room `ar` found archived, or null: the first column of a statement
// that has archivedLock.
const ARCHIVED_ROOM =
  "(SELECT ar.key FROM ar WHERE ar.archived) AS archived_room";

/** A status of chat_react_as or chat_pin, null when refused so. */
type StatusRow = { status: string; archived_room: string | null };

/** A message as an update answers it, beside ARCHIVED_ROOM. */
type ArchivableRow = MessageRow & { archived_room: string | null };

// Whether an update found its message: throws for one `ar` refused; false
// for no such message (the LEFT JOIN's row of nulls).
function found(row: ArchivableRow): boolean {
  if (row.archived_room !== null) {
    throw new RoomArchivedError(row.archived_room);
  }
  return (row.id as string | null) !== null;
}

// Rounds of changePoll's read and conditional write before it gives up:
// each lost round is another change committed to the message meanwhile.
const POLL_ATTEMPTS = 50;

async function marked(
  sql: Sql,
  id: string,
  status: string,
): Promise<MarkResult> {
  if (status === "not_found" || status === "full") return { status };
  const record = await findRecord(sql, id);
  // Deleted or gone with its room between the two statements.
  if (!record || record.message.deleted) return { status: "not_found" };
  return {
    status: "done",
    message: record.message,
    changed: status === "done",
  };
}

// Messages stored before search existed get their
// words, a page at a time; several nodes starting together share the work
// harmlessly (each page only takes rows still unindexed).
async function indexOlderMessages(sql: Sql): Promise<void> {
  for (;;) {
    const rows = await sql<{ id: string; text: string }[]>`
      SELECT id, text FROM messages
      WHERE search IS NULL AND NOT deleted LIMIT 2000`;
    if (rows.length === 0) return;
    const indexed = rows.map((r) => ({ id: r.id, words: wordsOf(r.text) }));
    await sql`
      UPDATE messages m
      SET search = array_to_tsvector(string_to_array(w.words, ' '))
      FROM jsonb_to_recordset(${sql.json(indexed)}) AS w(id text, words text)
      WHERE m.id = w.id`;
  }
}

// The words to index, as chat_append and the updates take them: distinct,
// separated by spaces (no word holds one).
function wordsOf(text: string): string {
  return [...new Set(searchWords(text))].join(" ");
}

// True when the server refused a statement for what it carried (bad
// data, a constraint, a limit, a deadlock) rather than for its own state:
// then the same appends sent one at a time can succeed.
function refusedData(error: unknown): boolean {
  return error instanceof postgres.PostgresError &&
    /^(22|23|40|54)/.test(error.code);
}

// The database as logs and errors may show it: no password.
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = "";
    parsed.search = "";
    return parsed.href;
  } catch {
    return "(unparsable database URL)";
  }
}
