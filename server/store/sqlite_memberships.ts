import type { StatementSync } from "node:sqlite";
import {
  askedSeqs,
  type MarkedRead,
  MAX_UNREAD,
  type MembershipStore,
  pageStart,
  RoomArchivedError,
  type RoomMembersOptions,
  type StoredInvite,
  type StreamReadState,
} from "./mod.ts";
import { type InviteRow, toStoredInvite } from "./rows.ts";
import type { SqliteContext } from "./sqlite_context.ts";
import { GENERAL_ROOM } from "../protocol/types.ts";
import { ROOM_MENTION_KEY } from "../mentions.ts";

/**
 * The SQLite store's memberships (MembershipStore): who is in which room,
 * read positions with their unread and mention counts, and invites, over
 * the store's connection.
 */
export class SqliteMemberships implements MembershipStore {
  #q: (sql: string) => StatementSync;
  #run: <T>(step: () => T) => Promise<T>;
  #transaction: <T>(body: () => T) => T;
  #lastSeqOf: (stream: string) => number;

  /**
   * `lastSeqOf` gives a stream's committed newest seq (0 for one without
   * messages): the store keeps it, and its group commit moves it.
   */
  constructor(
    context: SqliteContext,
    lastSeqOf: (stream: string) => number,
  ) {
    this.#q = (sql) => context.q(sql);
    this.#run = (step) => context.run(step);
    this.#transaction = (body) => context.transaction(body);
    this.#lastSeqOf = lastSeqOf;
  }

  addMember(
    userKey: string,
    roomKey: string,
    max = 0,
    invitedBy?: string,
  ): Promise<boolean | "full" | "ignored"> {
    return this.#run(() =>
      this.#transaction((): boolean | "full" | "ignored" => {
        // An invitation is a write to its room, refused while archived as
        // sends are; a join is not.
        if (invitedBy !== undefined) refuseArchived(this.#q, roomKey);
        // One writer at a time: an ignore cannot commit between this check
        // and the insert, nor the count change before it.
        if (
          invitedBy !== undefined &&
          this.#q(
              "SELECT 1 FROM ignores WHERE user_key = ? AND ignored_key = ?",
            ).get(userKey, invitedBy) !== undefined
        ) return "ignored";
        // The primary key's prefix makes it a range of at most `max` rows.
        if (max > 0) {
          const { n, member } = this.#q(
            `SELECT count(*) AS n, coalesce(max(room_key = ?), 0) AS member
             FROM memberships WHERE user_key = ?`,
          ).get(roomKey, userKey) as { n: number; member: number };
          if (member === 0 && n >= max) return "full";
        }
        // Strictly increasing for an account: memberships list the oldest
        // first, and two joined in one millisecond would list by name.
        const added = this.#q(
          `INSERT INTO memberships (user_key, room_key, joined_at, invited_by)
           SELECT ?, key, max(?, coalesce(
             (SELECT max(joined_at) + 1 FROM memberships WHERE user_key = ?),
             0)), ?
           FROM rooms WHERE key = ?
           ON CONFLICT DO NOTHING`,
        ).run(userKey, Date.now(), userKey, invitedBy ?? null, roomKey);
        if (Number(added.changes) === 0) return false;
        this.#q(
          `INSERT INTO read_positions (user_key, stream, last_read_seq)
           VALUES (?, ?, ?)
           ON CONFLICT DO UPDATE SET last_read_seq = excluded.last_read_seq`,
        ).run(userKey, roomKey, this.#lastSeqOf(roomKey));
        return true;
      })
    );
  }

  removeMember(userKey: string, roomKey: string): Promise<boolean> {
    return this.#run(() =>
      this.#transaction(() => {
        const gone = this.#q(
          "DELETE FROM memberships WHERE user_key = ? AND room_key = ?",
        ).run(userKey, roomKey);
        this.#q("DELETE FROM read_positions WHERE user_key = ? AND stream = ?")
          .run(userKey, roomKey);
        // Its draft there too: nothing shows it any more, and a room made
        // again under the name would show it to its new member.
        this.#q("DELETE FROM drafts WHERE user_key = ? AND stream = ?")
          .run(userKey, roomKey);
        return Number(gone.changes) > 0;
      })
    );
  }

  isMember(userKey: string, roomKey: string): Promise<boolean> {
    return this.#run(() =>
      this.#q(
        "SELECT 1 FROM memberships WHERE user_key = ? AND room_key = ?",
      ).get(userKey, roomKey) !== undefined
    );
  }

  memberRooms(userKey: string): Promise<string[]> {
    return this.#run(() =>
      (this.#q(
        `SELECT room_key FROM memberships WHERE user_key = ?
         ORDER BY joined_at, room_key`,
      ).all(userKey) as { room_key: string }[]).map((row) => row.room_key)
    );
  }

  roomMembers(
    roomKey: string,
    prefix: string,
    limit: number,
    options: RoomMembersOptions = {},
  ): Promise<string[]> {
    // A range of keys, not LIKE, whose "_" would match any character: a
    // key that starts with the prefix sorts below prefix + U+10FFFF. One
    // lower bound, so that a later page starts where the last one ended.
    const start = pageStart(prefix, options.after);
    const end = `${prefix}\u{10ffff}`;
    return this.#run(() => {
      const rows = roomKey === GENERAL_ROOM
        ? this.#q(
          `SELECT username FROM accounts WHERE key >= ? AND key < ?
           ORDER BY key LIMIT ?`,
        ).all(start, end, limit)
        : this.#q(
          `SELECT a.username FROM memberships m
           JOIN accounts a ON a.key = m.user_key
           WHERE m.room_key = ? AND m.user_key >= ? AND m.user_key < ?
           ORDER BY m.user_key LIMIT ?`,
        ).all(roomKey, start, end, limit);
      return (rows as { username: string }[]).map((row) => row.username);
    });
  }

  markRead(
    userKey: string,
    stream: string,
    seq: number,
    since = 0,
  ): Promise<MarkedRead> {
    return this.#run(() => {
      const target = Math.max(
        Math.min(seq, this.#lastSeqOf(stream)),
        this.#formerHoldersEnd(userKey, stream, since),
      );
      // No row stands for 0: a position of 0 or less never moves.
      const changes = target <= 0 ? 0 : this.#q(
        `INSERT INTO read_positions (user_key, stream, last_read_seq)
         VALUES (?, ?, ?)
         ON CONFLICT DO UPDATE SET last_read_seq = excluded.last_read_seq
         WHERE excluded.last_read_seq > read_positions.last_read_seq`,
      ).run(userKey, stream, target).changes;
      return {
        moved: Number(changes) > 0,
        state: this.#readStateOf(userKey, stream),
      };
    });
  }

  markUnread(
    userKey: string,
    stream: string,
    seq: number,
    since = 0,
  ): Promise<MarkedRead> {
    return this.#run(() => {
      // Never below a former holder's messages: they stay read, as
      // markRead leaves them.
      const from = Math.max(0, seq - 1);
      const target = Math.max(
        from,
        this.#formerHoldersEnd(userKey, stream, since, from),
      );
      const changes = this.#q(
        `UPDATE read_positions SET last_read_seq = ?
         WHERE user_key = ? AND stream = ? AND last_read_seq > ?`,
      ).run(target, userKey, stream, target).changes;
      return {
        moved: Number(changes) > 0,
        state: this.#readStateOf(userKey, stream),
      };
    });
  }

  // The newest seq of the stream stored before `since` past `from` (by
  // default the account's position; 0: none). Its common answer, nothing,
  // costs one probe: the first message past it is from `since` on. Else
  // the old messages past it are read once (400,000 of them: 8 ms, warm)
  // and the position then stands past them.
  #formerHoldersEnd(
    userKey: string,
    stream: string,
    since: number,
    start?: number,
  ): number {
    if (since <= 0) return 0;
    const position = start !== undefined ? undefined : this.#q(
      `SELECT last_read_seq FROM read_positions
       WHERE user_key = ? AND stream = ?`,
    ).get(userKey, stream) as { last_read_seq: number } | undefined;
    const from = start ?? position?.last_read_seq ?? 0;
    const next = this.#q(
      `SELECT ts FROM messages WHERE stream = ? AND seq > ?
       ORDER BY seq LIMIT 1`,
    ).get(stream, from) as { ts: number } | undefined;
    if (next === undefined || next.ts >= since) return 0;
    const row = this.#q(
      `SELECT max(seq) AS seq FROM messages
       WHERE stream = ? AND seq > ? AND ts < ?`,
    ).get(stream, from, since) as { seq: number };
    return row.seq;
  }

  readState(userKey: string, stream: string): Promise<StreamReadState> {
    return this.#run(() => this.#readStateOf(userKey, stream));
  }

  // Counted here, on the calling thread: a budget makes it one slice.
  readStates(
    userKey: string,
    streams: readonly string[],
    rowBudget = Infinity,
  ): Promise<StreamReadState[]> {
    return this.#run(() => {
      const states: StreamReadState[] = [];
      const ignoring = this.#ignoresAnyone(userKey);
      let rows = 0;
      for (const stream of streams) {
        if (states.length > 0 && rows >= rowBudget) break;
        const state = this.#readStateOf(userKey, stream, ignoring);
        states.push(state);
        rows += 1 + state.unread + state.mentions;
      }
      return states;
    });
  }

  mentionedAt(
    userKey: string,
    stream: string,
    seqs: readonly number[],
  ): Promise<number[]> {
    return this.#run(() => {
      if (seqs.length === 0) return [];
      const rows = this.#q(
        `SELECT seq FROM mentions
         WHERE user_key = ? AND stream = ? AND seq BETWEEN ? AND ?`,
      ).all(userKey, stream, seqs[0], seqs.at(-1)!) as { seq: number }[];
      return askedSeqs(rows, seqs);
    });
  }

  #readStateOf(
    userKey: string,
    stream: string,
    ignoring = this.#ignoresAnyone(userKey),
  ): StreamReadState {
    const row = this.#q(
      `SELECT last_read_seq FROM read_positions
       WHERE user_key = ? AND stream = ?`,
    ).get(userKey, stream) as { last_read_seq: number } | undefined;
    return this.#countFrom(userKey, stream, row?.last_read_seq ?? 0, ignoring);
  }

  // Whether an account ignores anyone: one probe of the ignores' primary
  // key. Most ignore nobody, and their counts then skip the ignores'
  // check, which costs about 30 % more even when it finds none (277 ms
  // instead of 212 for 100 rooms of 1000 unread; medians, a loaded
  // machine).
  #ignoresAnyone(userKey: string): boolean {
    return this.#q("SELECT 1 FROM ignores WHERE user_key = ? LIMIT 1")
      .get(userKey) !== undefined;
  }

  // Two index ranges: the unread messages of a stream (capped), and the
  // account's mentions after its read position (two ranges of the
  // primary key: its own rows and the room's `@room` ones, mentions.ts;
  // the author's own `@room` is not its mention; a marker beside a row of
  // its own, a name's, counts once: one probe of the key a marker). With
  // `ignoring`, neither
  // counts the messages of accounts it ignores: their list is read once a
  // statement (SQLite makes an ephemeral index of an uncorrelated IN), and
  // each message of the range is one probe of it; the covering index
  // messages_stream_seq_author holds the author and whether the message
  // is deleted, so neither count reads a message's row. At 100
  // rooms of 1000 unread each, a login's counts took 417 ms instead of
  // 228 (medians, a loaded machine). Other shapes cost the same a message
  // (the unread of those 100 rooms, medians of 15: 194 ms so; 198 with
  // NOT EXISTS probing the ignores' key; 175 with the keys bound as a
  // list; 171 from json_each; 74 with no check). Counting all, then
  // subtracting the ignored authors' unread, needs an index of messages
  // by (stream, author, seq): 60 ms against 88 (and 40 with no check), for
  // one more index written with every message of every account, and a
  // count that reads all of an ignored spammer's messages. Not taken.
  #countFrom(
    userKey: string,
    stream: string,
    lastReadSeq: number,
    ignoring: boolean,
  ): StreamReadState {
    const lastSeq = this.#lastSeqOf(stream);
    if (lastReadSeq >= lastSeq) {
      return { lastReadSeq, unread: 0, mentions: 0, lastSeq };
    }
    const notIgnored = (author: string) =>
      ignoring
        ? `AND ${author} NOT IN (
             SELECT i.ignored_key FROM ignores i WHERE i.user_key = ?1)`
        : "";
    const { unread } = this.#q(
      `SELECT count(*) AS unread FROM (
         SELECT 1 FROM messages
         WHERE stream = ?2 AND seq > ?3 AND user_key <> ?1 AND deleted = 0
           ${notIgnored("user_key")}
         LIMIT ?4)`,
    ).get(userKey, stream, lastReadSeq, MAX_UNREAD) as { unread: number };
    const { mentions } = this.#q(
      `SELECT count(*) AS mentions FROM (
         SELECT 1 FROM mentions n
         JOIN messages m ON m.stream = n.stream AND m.seq = n.seq
         WHERE n.user_key IN (?1, '${ROOM_MENTION_KEY}') AND n.stream = ?2
           AND n.seq > ?3 AND m.user_key <> ?1
           AND m.deleted = 0 ${notIgnored("m.user_key")}
           AND (n.user_key = ?1 OR NOT EXISTS (SELECT 1 FROM mentions o
             WHERE o.user_key = ?1 AND o.stream = n.stream AND o.seq = n.seq))
         LIMIT ?4)`,
    ).get(userKey, stream, lastReadSeq, MAX_UNREAD) as { mentions: number };
    return { lastReadSeq, unread, mentions, lastSeq };
  }

  createInvite(invite: Omit<StoredInvite, "uses" | "revoked">): Promise<void> {
    return this.#run(() => {
      refuseArchived(this.#q, invite.roomKey);
      this.#q(
        `INSERT INTO invites (code, room_key, created_by, created_at,
           expires_at, max_uses) VALUES (?, ?, ?, ?, ?, ?)`,
      ).run(
        invite.code,
        invite.roomKey,
        invite.createdBy,
        invite.createdAt,
        invite.expiresAt ?? null,
        invite.maxUses ?? null,
      );
    });
  }

  findInvite(code: string): Promise<StoredInvite | undefined> {
    return this.#run(() => {
      const row = this.#q("SELECT * FROM invites WHERE code = ?").get(code) as
        | InviteRow
        | undefined;
      return row ? toStoredInvite(row) : undefined;
    });
  }

  useInvite(code: string, now: number): Promise<StoredInvite | undefined> {
    return this.#run(() => {
      const row = this.#q(
        `UPDATE invites SET uses = uses + 1
         WHERE code = ? AND revoked = 0
           AND (expires_at IS NULL OR expires_at > ?)
           AND (max_uses IS NULL OR uses < max_uses)
         RETURNING *`,
      ).get(code, now) as InviteRow | undefined;
      return row ? toStoredInvite(row) : undefined;
    });
  }

  returnInvite(code: string): Promise<void> {
    return this.#run(() => {
      this.#q("UPDATE invites SET uses = uses - 1 WHERE code = ? AND uses > 0")
        .run(code);
    });
  }

  revokeInvite(code: string): Promise<boolean> {
    return this.#run(() =>
      Number(
        this.#q("UPDATE invites SET revoked = 1 WHERE code = ?").run(code)
          .changes,
      ) > 0
    );
  }

  deleteDeadInvites(roomKey: string, now: number): Promise<number> {
    return this.#run(() =>
      Number(
        this.#q(
          `DELETE FROM invites
           WHERE room_key = ? AND (revoked = 1
             OR (expires_at IS NOT NULL AND expires_at <= ?)
             OR (max_uses IS NOT NULL AND uses >= max_uses))`,
        ).run(roomKey, now).changes,
      )
    );
  }

  listInvites(roomKey: string, now: number): Promise<StoredInvite[]> {
    return this.#run(() =>
      (this.#q(
        `SELECT * FROM invites
         WHERE room_key = ? AND revoked = 0
           AND (expires_at IS NULL OR expires_at > ?)
           AND (max_uses IS NULL OR uses < max_uses)
         ORDER BY created_at, code`,
      ).all(roomKey, now) as unknown as InviteRow[]).map(toStoredInvite)
    );
  }
}

/**
 * Throws RoomArchivedError when the room `key` is archived: read in the
 * caller's step on the one connection that writes, so an archive that
 * resolved before it is seen and one made later commits after it. A
 * primary-key probe per write (none for a conversation). For the writes
 * an archive refuses: sends (sqlite.ts), invitations and invite links.
 */
export function refuseArchived(
  q: (sql: string) => StatementSync,
  key: string,
): void {
  const row = q("SELECT archived FROM rooms WHERE key = ?").get(key) as
    | { archived: number }
    | undefined;
  if (row?.archived === 1) throw new RoomArchivedError(key);
}
