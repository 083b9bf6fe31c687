import type postgres from "postgres";
import {
  askedSeqs,
  type MarkedRead,
  MAX_UNREAD,
  type MembershipStore,
  pageStart,
  prefixEnd,
  RoomArchivedError,
  type RoomMembersOptions,
  type StoredInvite,
  type StreamReadState,
} from "./mod.ts";
import type { PostgresContext } from "./postgres_context.ts";
import type { Sql } from "./postgres_rows.ts";
import { type InviteRow, toStoredInvite } from "./rows.ts";
import { GENERAL_ROOM } from "../protocol/types.ts";
import { ROOM_MENTION_KEY } from "../mentions.ts";

/**
 * PostgresStore's memberships: who belongs to which room, read positions
 * and their counts, invite links (postgres.ts lends these methods to the
 * store).
 */
export class PostgresMemberships implements MembershipStore {
  #context: PostgresContext;

  constructor(context: PostgresContext) {
    this.#context = context;
  }

  addMember(
    userKey: string,
    roomKey: string,
    max = 0,
    invitedBy?: string,
  ): Promise<boolean | "full" | "ignored"> {
    // An invite checks the ignores under the lock chat_ignore takes: see
    // chat_invite_member. It is a write to its room, refused while the room
    // is archived as sends are (archivedRoomLock); a join is not.
    return this.#context.run(async (sql) => {
      const [row] = await sql<{ added: string | null; archived: boolean }[]>`${
        invitedBy === undefined
          ? sql`SELECT chat_add_member(${userKey}, ${roomKey}, ${Date.now()},
              ${max}) AS added, false AS archived`
          : sql`WITH ${archivedRoomLock(sql, roomKey)}
              SELECT CASE WHEN NOT ${
            sql.unsafe(ARCHIVED)
          } THEN chat_invite_member(
                ${userKey}, ${roomKey}, ${Date.now()}, ${max}, ${invitedBy})
              END AS added, ${sql.unsafe(ARCHIVED)} AS archived`
      }`;
      if (row.archived) throw new RoomArchivedError(roomKey);
      if (row.added === "full" || row.added === "ignored") return row.added;
      return row.added === "added";
    });
  }

  removeMember(userKey: string, roomKey: string): Promise<boolean> {
    return this.#context.run(async (sql) => {
      const rows = await sql`
        WITH gone AS (
          DELETE FROM memberships
          WHERE user_key = ${userKey} AND room_key = ${roomKey}
          RETURNING room_key
        ), forgotten AS (
          DELETE FROM read_positions
          WHERE user_key = ${userKey} AND stream = ${roomKey}
        ), undrafted AS (
          -- As in sqlite_memberships.ts: nothing shows it any more.
          DELETE FROM drafts
          WHERE user_key = ${userKey} AND stream = ${roomKey}
        )
        SELECT room_key FROM gone`;
      return rows.length > 0;
    });
  }

  isMember(userKey: string, roomKey: string): Promise<boolean> {
    return this.#context.run(async (sql) =>
      (await sql`
        SELECT 1 FROM memberships
        WHERE user_key = ${userKey} AND room_key = ${roomKey}`).length > 0
    );
  }

  memberRooms(userKey: string): Promise<string[]> {
    return this.#context.run(async (sql) =>
      (await sql<{ room_key: string }[]>`
        SELECT room_key FROM memberships WHERE user_key = ${userKey}
        ORDER BY joined_at, room_key`).map((row) => row.room_key)
    );
  }

  roomMembers(
    roomKey: string,
    prefix: string,
    limit: number,
    options: RoomMembersOptions = {},
  ): Promise<string[]> {
    // Keys by code point (COLLATE "C"), as SQLite orders them. `general`
    // reads a range of accounts_key_bytes, stopping at `limit`. With
    // starts_with, the generic plan a prepared statement settles on after
    // five runs (the prefix unknown) walked the whole index and filtered:
    // at 100,000 accounts 362 ms of execution for "zz", 0.07 ms now
    // (docs/performance.md, "The user directory at 100,000 accounts").
    // Another room reads a range of memberships_room_bytes the same way:
    // it used to read every membership of the room, probe each account and
    // sort them (a room of 1,000 members: 9.8 ms of execution for "", now
    // 0.12; bench/read_counts.ts).
    // One lower bound, so that a later page starts where the last ended.
    const start = pageStart(prefix, options.after);
    return this.#context.run(async (sql) => {
      const rows = roomKey === GENERAL_ROOM
        ? await sql<{ username: string }[]>`
          SELECT username FROM accounts
          WHERE key COLLATE "C" >= ${start}
          AND key COLLATE "C" < ${prefixEnd(prefix)}
          ORDER BY key COLLATE "C" LIMIT ${limit}`
        : await sql<{ username: string }[]>`
          SELECT a.username FROM memberships m
          JOIN accounts a ON a.key = m.user_key
          WHERE m.room_key = ${roomKey}
          AND m.user_key COLLATE "C" >= ${start}
          AND m.user_key COLLATE "C" < ${prefixEnd(prefix)}
          ORDER BY m.user_key COLLATE "C" LIMIT ${limit}`;
      return rows.map((row) => row.username);
    });
  }

  mentionedAt(
    userKey: string,
    stream: string,
    seqs: readonly number[],
  ): Promise<number[]> {
    if (seqs.length === 0) return Promise.resolve([]);
    return this.#context.run(async (sql) =>
      askedSeqs(
        await sql<{ seq: number }[]>`
          SELECT seq FROM mentions
          WHERE user_key = ${userKey} AND stream = ${stream}
          AND seq BETWEEN ${seqs[0]} AND ${seqs.at(-1)!}`,
        seqs,
      )
    );
  }

  markRead(
    userKey: string,
    stream: string,
    seq: number,
    since = 0,
  ): Promise<MarkedRead> {
    // One statement: the row is written only when the position moves (the
    // conflict's WHERE, under the row's lock), and the counts are read from
    // the new position, or from the stored one (the statement's snapshot,
    // from before the write) when it did not move. A former holder's
    // messages past the position (stored before `since`) are skipped as
    // in sqlite.ts: one probe when there are none, else one read of them.
    return this.#context.run(async (sql) => {
      const [row] = await sql<(ReadRow & { moved: boolean })[]>`
        WITH stored AS (
          SELECT coalesce((
            SELECT last_read_seq FROM read_positions
            WHERE user_key = ${userKey} AND stream = ${stream}
          ), 0) AS seq
        ), former AS (
          SELECT CASE WHEN ${since}::bigint > 0 AND (
              SELECT m.ts FROM messages m
              WHERE m.stream = ${stream} AND m.seq > s.seq
              ORDER BY m.seq LIMIT 1
            ) < ${since}::bigint
            THEN (SELECT max(m.seq) FROM messages m
              WHERE m.stream = ${stream} AND m.seq > s.seq
                AND m.ts < ${since}::bigint)
            ELSE 0 END AS seq
          FROM stored s
        ), target AS (
          SELECT GREATEST(f.seq, LEAST(${seq}::bigint, coalesce(
            (SELECT last_seq FROM streams WHERE key = ${stream}), 0))) AS seq
          FROM former f
        ), marked AS (
          INSERT INTO read_positions AS p (user_key, stream, last_read_seq)
          SELECT ${userKey}, ${stream}, t.seq FROM target t WHERE t.seq > 0
          ON CONFLICT (user_key, stream) DO UPDATE
            SET last_read_seq = excluded.last_read_seq
            WHERE p.last_read_seq < excluded.last_read_seq
          RETURNING last_read_seq
        ), position AS (
          SELECT coalesce((SELECT last_read_seq FROM marked), (
            SELECT last_read_seq FROM read_positions
            WHERE user_key = ${userKey} AND stream = ${stream}
          )) AS last_read_seq
        )
        SELECT r.*, EXISTS (SELECT 1 FROM marked) AS moved
        FROM position p CROSS JOIN LATERAL (${
        countsFrom(sql, userKey, sql`${stream}::text`, sql`p.last_read_seq`)
      }) r`;
      return { moved: row.moved, state: toReadState(row) };
    });
  }

  markUnread(
    userKey: string,
    stream: string,
    seq: number,
    since = 0,
  ): Promise<MarkedRead> {
    // One statement, as markRead: the row is written only when the
    // position moves back (the UPDATE's WHERE, under the row's lock), the
    // counts read from the new position or the stored one. A former
    // holder's messages past the target stay read, as in sqlite.ts.
    const from = Math.max(0, seq - 1);
    return this.#context.run(async (sql) => {
      const [row] = await sql<(ReadRow & { moved: boolean })[]>`
        WITH target AS (
          SELECT GREATEST(${from}::bigint, CASE WHEN ${since}::bigint > 0 AND (
              SELECT m.ts FROM messages m
              WHERE m.stream = ${stream} AND m.seq > ${from}::bigint
              ORDER BY m.seq LIMIT 1
            ) < ${since}::bigint
            THEN (SELECT max(m.seq) FROM messages m
              WHERE m.stream = ${stream} AND m.seq > ${from}::bigint
                AND m.ts < ${since}::bigint)
            ELSE 0 END) AS seq
        ), marked AS (
          UPDATE read_positions p SET last_read_seq = t.seq
          FROM target t
          WHERE p.user_key = ${userKey} AND p.stream = ${stream}
            AND p.last_read_seq > t.seq
          RETURNING p.last_read_seq
        ), position AS (
          SELECT coalesce((SELECT last_read_seq FROM marked), (
            SELECT last_read_seq FROM read_positions
            WHERE user_key = ${userKey} AND stream = ${stream}
          )) AS last_read_seq
        )
        SELECT r.*, EXISTS (SELECT 1 FROM marked) AS moved
        FROM position p CROSS JOIN LATERAL (${
        countsFrom(sql, userKey, sql`${stream}::text`, sql`p.last_read_seq`)
      }) r`;
      return { moved: row.moved, state: toReadState(row) };
    });
  }

  readState(userKey: string, stream: string): Promise<StreamReadState> {
    return this.#context.run(async (sql) => {
      const [row] = await sql<ReadRow[]>`
        SELECT r.* FROM (SELECT (
          SELECT last_read_seq FROM read_positions
          WHERE user_key = ${userKey} AND stream = ${stream}
        ) AS last_read_seq) p CROSS JOIN LATERAL (${
        countsFrom(sql, userKey, sql`${stream}::text`, sql`p.last_read_seq`)
      }) r`;
      return toReadState(row);
    });
  }

  // One statement for every stream, whatever the budget: the counting runs
  // in PostgreSQL's processes, never on this thread, and a login costs one
  // round trip.
  readStates(
    userKey: string,
    streams: readonly string[],
  ): Promise<StreamReadState[]> {
    return this.#context.run(async (sql) => {
      const rows = await sql<ReadRow[]>`
        SELECT r.*
        FROM jsonb_array_elements_text(${sql.json([...streams])})
          WITH ORDINALITY AS w(stream, ord)
        LEFT JOIN read_positions p
          ON p.user_key = ${userKey} AND p.stream = w.stream
        CROSS JOIN LATERAL (${
        countsFrom(sql, userKey, sql`w.stream`, sql`p.last_read_seq`)
      }) r
        ORDER BY w.ord`;
      return rows.map(toReadState);
    });
  }

  createInvite(invite: Omit<StoredInvite, "uses" | "revoked">): Promise<void> {
    return this.#context.run(async (sql) => {
      const [row] = await sql<{ archived: boolean }[]>`
        WITH ${archivedRoomLock(sql, invite.roomKey)}, made AS (
          INSERT INTO invites (code, room_key, created_by, created_at,
            expires_at, max_uses)
          SELECT ${invite.code}, ${invite.roomKey}, ${invite.createdBy},
            ${invite.createdAt}, ${invite.expiresAt ?? null},
            ${invite.maxUses ?? null}
          WHERE NOT ${sql.unsafe(ARCHIVED)}
        )
        SELECT ${sql.unsafe(ARCHIVED)} AS archived`;
      if (row.archived) throw new RoomArchivedError(invite.roomKey);
    });
  }

  findInvite(code: string): Promise<StoredInvite | undefined> {
    return this.#context.run(async (sql) => {
      const [row] = await sql<InviteRow[]>`
        SELECT * FROM invites WHERE code = ${code}`;
      return row ? toStoredInvite(row) : undefined;
    });
  }

  useInvite(code: string, now: number): Promise<StoredInvite | undefined> {
    return this.#context.run(async (sql) => {
      const [row] = await sql<InviteRow[]>`
        UPDATE invites SET uses = uses + 1
        WHERE code = ${code} AND NOT revoked
          AND (expires_at IS NULL OR expires_at > ${now})
          AND (max_uses IS NULL OR uses < max_uses)
        RETURNING *`;
      return row ? toStoredInvite(row) : undefined;
    });
  }

  returnInvite(code: string): Promise<void> {
    return this.#context.run(async (sql) => {
      await sql`
        UPDATE invites SET uses = uses - 1 WHERE code = ${code} AND uses > 0`;
    });
  }

  revokeInvite(code: string): Promise<boolean> {
    return this.#context.run(async (sql) =>
      (await sql`UPDATE invites SET revoked = true WHERE code = ${code}`)
        .count > 0
    );
  }

  deleteDeadInvites(roomKey: string, now: number): Promise<number> {
    return this.#context.run(async (sql) =>
      (await sql`
        DELETE FROM invites
        WHERE room_key = ${roomKey} AND (revoked
          OR (expires_at IS NOT NULL AND expires_at <= ${now})
          OR (max_uses IS NOT NULL AND uses >= max_uses))`).count
    );
  }

  listInvites(roomKey: string, now: number): Promise<StoredInvite[]> {
    return this.#context.run(async (sql) => {
      const rows = await sql<InviteRow[]>`
        SELECT * FROM invites
        WHERE room_key = ${roomKey} AND NOT revoked
          AND (expires_at IS NULL OR expires_at > ${now})
          AND (max_uses IS NULL OR uses < max_uses)
        ORDER BY created_at, code`;
      return rows.map(toStoredInvite);
    });
  }
}

// The room `key`'s row read with FOR SHARE, which an archive's update of
// it (setRoomArchived) waits for until the statement commits, and which
// waits for an archive under way, then reads the flag it committed: a
// write to the room either commits before the archive's reply or is
// refused (postgres.ts archivedLock, for a message's room). A primary-key
// probe and a share lock on the row. MATERIALIZED: read once, first.
function archivedRoomLock(sql: Sql, key: string) {
  return sql`ar AS MATERIALIZED (
    SELECT r.archived FROM rooms r WHERE r.key = ${key} FOR SHARE
  )`;
}

// Whether the room archivedRoomLock read is archived (false when absent).
const ARCHIVED = "coalesce((SELECT ar.archived FROM ar), false)";

/** What `countsFrom` selects. */
interface ReadRow {
  last_read_seq: number;
  unread: number;
  mentions: number;
  last_seq: number;
}

// The read state of one stream from a read position (NULL: nothing read):
// two index ranges, the unread messages (capped) and the account's
// mentions after the position (its own rows and the room's `@room` ones,
// two ranges of the primary key; not the account's own `@room`; a marker
// beside a row of its own, a name's, counted once: one probe of the key a
// marker), to use
// in a LATERAL join. Neither counts the messages of accounts it ignores:
// an anti-join with the account's ignores, which the planner makes a hash of its ignored keys, built once
// a statement and probed once a message. Comparing each author with an
// ARRAY of them instead cost one text comparison per ignored key per
// message: at 100 rooms of 1000 unread, a login's counts took 449 ms for
// an account ignoring 21 others against 333 for one ignoring nobody, now
// 305 against 279 (bench/read_counts.ts, medians of three runs on a loaded
// machine). For the mentions that comparison also made the planner scan
// every unread message and probe the mentions with each (440 ms instead
// of 81; the anti-join 85).
function countsFrom(
  sql: Sql,
  userKey: string,
  stream: postgres.PendingQuery<postgres.Row[]>,
  lastRead: postgres.PendingQuery<postgres.Row[]>,
) {
  return sql`
    SELECT coalesce(${lastRead}, 0) AS last_read_seq,
      (SELECT count(*)::int FROM (
        SELECT 1 FROM messages x
        WHERE x.stream = ${stream} AND x.seq > coalesce(${lastRead}, 0)
          AND x.user_key <> ${userKey} AND NOT x.deleted
          AND NOT EXISTS (SELECT 1 FROM ignores i
            WHERE i.user_key = ${userKey} AND i.ignored_key = x.user_key)
        LIMIT ${MAX_UNREAD}) u) AS unread,
      (SELECT count(*)::int FROM (
        SELECT 1 FROM mentions n
        JOIN messages x ON x.stream = n.stream AND x.seq = n.seq
        WHERE n.user_key IN (${userKey}, ${ROOM_MENTION_KEY})
          AND n.stream = ${stream} AND n.seq > coalesce(${lastRead}, 0)
          AND (n.user_key = ${userKey} OR NOT EXISTS (SELECT 1 FROM mentions o
            WHERE o.user_key = ${userKey} AND o.stream = n.stream
              AND o.seq = n.seq))
          AND x.user_key <> ${userKey} AND NOT x.deleted
          AND NOT EXISTS (SELECT 1 FROM ignores i
            WHERE i.user_key = ${userKey} AND i.ignored_key = x.user_key)
        LIMIT ${MAX_UNREAD}) c) AS mentions,
      coalesce((SELECT s.last_seq FROM streams s WHERE s.key = ${stream}), 0)
        AS last_seq`;
}

function toReadState(row: ReadRow): StreamReadState {
  return {
    lastReadSeq: row.last_read_seq,
    unread: row.unread,
    mentions: row.mentions,
    lastSeq: row.last_seq,
  };
}
