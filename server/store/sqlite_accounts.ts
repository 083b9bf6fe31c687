import type { StatementSync } from "node:sqlite";
import { GENERAL_ROOM, type Role } from "../protocol/types.ts";
import { nameKey } from "../protocol/names.ts";
import { nameSkeleton } from "../protocol/skeleton.ts";
import {
  type Account,
  type AccountQuery,
  type AccountStore,
  ANONYMOUS_NAME,
  type Ban,
  type BanOptions,
  conversationKey,
  DELETED_OWNER,
  type DeletedAccount,
  type DeletedMessages,
  type NewAuditEntry,
  type PeopleQuery,
  prefixEnd,
  type Session,
} from "./mod.ts";
import { type AccountRow, type BanRow, toAccount, toBan } from "./rows.ts";
import { writeAuditEntry } from "./sqlite_audit.ts";
import { withoutVoter } from "../polls.ts";
import type { SqliteContext } from "./sqlite_context.ts";

/** What the accounts need of the store's own state (sqlite.ts). */
export interface SqliteAccountsOfStore {
  /**
   * The ban in force now of a name or an address, server-wide or in
   * `roomKey` ('' for none): the store's, which its appends ask too.
   */
  banOf(
    who: { userKey?: string; address?: string },
    roomKey: string,
  ): Ban | undefined;
  /** Sums a message's reactions up again into messages.reactions. */
  sumReactions(id: string): void;
}

/**
 * The SQLite store's accounts (AccountStore): accounts and their roles and
 * passwords, sessions, bans, password resets, and an account's deletion,
 * over the store's connection.
 */
export class SqliteAccounts implements AccountStore {
  #q: (sql: string) => StatementSync;
  #run: <T>(step: () => T) => Promise<T>;
  #transaction: <T>(body: () => T) => T;
  #banOf: SqliteAccountsOfStore["banOf"];
  #sumReactions: SqliteAccountsOfStore["sumReactions"];

  constructor(context: SqliteContext, store: SqliteAccountsOfStore) {
    this.#q = (sql) => context.q(sql);
    this.#run = (step) => context.run(step);
    this.#transaction = (body) => context.transaction(body);
    this.#banOf = (who, roomKey) => store.banOf(who, roomKey);
    this.#sumReactions = (id) => store.sumReactions(id);
  }

  createAccount(
    account: Omit<Account, "createdAt" | "bot"> & { bot?: boolean },
    options: { firstRole?: Role; audit?: NewAuditEntry } = {},
  ): Promise<Account | null> {
    return this.#run(() =>
      this.#transaction(() => {
        const none = options.firstRole !== undefined &&
          this.#q("SELECT 1 FROM accounts LIMIT 1").get() === undefined;
        const role = none ? options.firstRole! : account.role;
        const skeleton = nameSkeleton(account.username);
        // Another account's look-alike, or a group's name or look-alike
        // (sqlite_groups.ts checks accounts so in its transaction).
        const lookalike = this.#q(
          `SELECT 1 FROM accounts WHERE skeleton = ?1 AND key <> ?2
           UNION ALL SELECT 1 FROM user_groups
             WHERE key = ?2 OR skeleton = ?1`,
        ).get(skeleton, account.key);
        if (lookalike) return null;
        const row = this.#q(
          `INSERT INTO accounts
             (key, username, password_hash, role, created_at, skeleton, bot)
           VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING RETURNING *`,
        ).get(
          account.key,
          account.username,
          account.passwordHash,
          role,
          Date.now(),
          skeleton,
          account.bot ? 1 : 0,
        ) as AccountRow | undefined;
        // Every account belongs to general from its creation, read to its
        // end, stored so: a bot that only ever uses the REST API (and so
        // never logs in, where a login used to write this row) is listed
        // and exported as a member as everyone else is.
        if (row) {
          this.#q(
            `INSERT INTO memberships (user_key, room_key, joined_at)
             SELECT ?, key, ? FROM rooms WHERE key = ?
             ON CONFLICT DO NOTHING`,
          ).run(row.key, row.created_at, GENERAL_ROOM);
          this.#q(
            `INSERT INTO read_positions (user_key, stream, last_read_seq)
             SELECT ?, key, last_seq FROM streams WHERE key = ?
             ON CONFLICT DO NOTHING`,
          ).run(row.key, GENERAL_ROOM);
        }
        this.#audited(row !== undefined, options.audit);
        return row ? toAccount(row) : null;
      })
    );
  }

  findAccount(key: string): Promise<Account | undefined> {
    return this.#run(() => {
      const row = this.#q("SELECT * FROM accounts WHERE key = ?").get(key) as
        | AccountRow
        | undefined;
      return row ? toAccount(row) : undefined;
    });
  }

  findAccountLookingLike(username: string): Promise<Account | undefined> {
    return this.#run(() => {
      const row = this.#q("SELECT * FROM accounts WHERE skeleton = ? LIMIT 1")
        .get(nameSkeleton(username)) as AccountRow | undefined;
      return row ? toAccount(row) : undefined;
    });
  }

  setRole(key: string, role: Role, audit?: NewAuditEntry): Promise<boolean> {
    return this.#run(() =>
      this.#transaction(() => {
        const set = Number(
          this.#q("UPDATE accounts SET role = ? WHERE key = ?").run(role, key)
            .changes,
        ) > 0;
        this.#audited(set, audit);
        return set;
      })
    );
  }

  // An action's audit entry, in its transaction, when it was done.
  #audited(done: boolean, audit: NewAuditEntry | undefined): void {
    if (done && audit) writeAuditEntry(this.#q, audit);
  }

  setPasswordHash(key: string, passwordHash: string): Promise<boolean> {
    return this.#run(() =>
      this.#transaction(() => {
        // A new password ends the links that would have set another.
        this.#q("DELETE FROM password_resets WHERE user_key = ?").run(key);
        return Number(
          this.#q("UPDATE accounts SET password_hash = ? WHERE key = ?")
            .run(passwordHash, key).changes,
        ) > 0;
      })
    );
  }

  createSession(tokenHash: string, session: Session): Promise<void> {
    return this.#run(() => {
      this.#q(
        "INSERT INTO sessions (token_hash, user_key, expires_at) VALUES (?, ?, ?)",
      ).run(tokenHash, session.userKey, session.expiresAt);
      // Expired sessions go as new ones come: no timer needed.
      this.#q("DELETE FROM sessions WHERE expires_at < ?").run(Date.now());
    });
  }

  findSession(tokenHash: string): Promise<Session | undefined> {
    return this.#run(() => {
      const row = this.#q(
        "SELECT user_key, expires_at FROM sessions WHERE token_hash = ?",
      ).get(tokenHash) as { user_key: string; expires_at: number } | undefined;
      return row
        ? { userKey: row.user_key, expiresAt: row.expires_at }
        : undefined;
    });
  }

  deleteSession(tokenHash: string): Promise<void> {
    return this.#run(() => {
      this.#q("DELETE FROM sessions WHERE token_hash = ?").run(tokenHash);
    });
  }

  deleteSessionsOf(userKey: string, exceptTokenHash = ""): Promise<number> {
    return this.#run(() =>
      Number(
        this.#q("DELETE FROM sessions WHERE user_key = ? AND token_hash <> ?")
          .run(userKey, exceptTokenHash).changes,
      )
    );
  }

  addBan(ban: Ban, options: BanOptions = {}): Promise<void> {
    return this.#run(() =>
      this.#transaction(() => {
        for (const address of [ban.address, ...options.addresses ?? []]) {
          this.#q(
            `INSERT INTO bans
               (user_key, address, room_key, reason, by_user, created_at,
                expires_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT DO UPDATE SET reason = excluded.reason,
               by_user = excluded.by_user, created_at = excluded.created_at,
               expires_at = excluded.expires_at`,
          ).run(
            ban.userKey,
            address ?? "",
            ban.roomKey ?? "",
            ban.reason,
            ban.by,
            ban.createdAt,
            ban.expiresAt ?? null,
          );
        }
        // A room ban ends the membership (as removeMember does).
        if (ban.roomKey !== undefined) {
          this.#q("DELETE FROM memberships WHERE user_key = ? AND room_key = ?")
            .run(ban.userKey, ban.roomKey);
          this.#q(
            "DELETE FROM read_positions WHERE user_key = ? AND stream = ?",
          ).run(ban.userKey, ban.roomKey);
          this.#q("DELETE FROM drafts WHERE user_key = ? AND stream = ?")
            .run(ban.userKey, ban.roomKey);
        }
        this.#audited(true, options.audit);
      })
    );
  }

  removeBans(
    userKey: string,
    roomKey?: string,
    audit?: NewAuditEntry,
  ): Promise<number> {
    return this.#run(() =>
      this.#transaction(() => {
        const lifted = Number(
          this.#q("DELETE FROM bans WHERE user_key = ? AND room_key = ?")
            .run(userKey, roomKey ?? "").changes,
        );
        this.#audited(lifted > 0, audit);
        return lifted;
      })
    );
  }

  findBan(
    who: { userKey?: string; address?: string },
    roomKey?: string,
  ): Promise<Ban | undefined> {
    return this.#run(() => this.#banOf(who, roomKey ?? ""));
  }

  listBans(now: number, limit: number): Promise<Ban[]> {
    return this.#run(() =>
      (this.#q(
        `SELECT * FROM bans WHERE expires_at IS NULL OR expires_at > ?
         ORDER BY created_at DESC, user_key LIMIT ?`,
      ).all(now, limit) as unknown as BanRow[]).map(toBan)
    );
  }

  listAccounts(query: AccountQuery): Promise<Account[]> {
    return this.#run(() =>
      (this.#q(
        `SELECT * FROM accounts WHERE instr(key, ?) > 0
         AND (? = 0 OR role <> 'user') ORDER BY key LIMIT ?`,
      ).all(
        nameKey(query.query ?? ""),
        query.staff ? 1 : 0,
        query.limit,
      ) as unknown as AccountRow[])
        .map(toAccount)
    );
  }

  findPeople(query: PeopleQuery): Promise<Account[]> {
    // The key range walks the accounts' primary key (or `among`, a probe
    // each); each one is kept unless a server ban in force holds its key
    // (the bans' primary key, user first), and by its first membership
    // (primary key, user first) in a public room or in one of the
    // viewer's (primary key again). A prefix most accounts share costs a
    // walk until `limit` are found.
    const among = query.among === undefined
      ? ""
      : "AND a.key IN (SELECT value FROM json_each(?))";
    return this.#run(() =>
      (this.#q(
        `SELECT a.* FROM accounts a
         WHERE a.key >= ? AND a.key < ? AND a.key <> ? ${among}
         AND NOT EXISTS (SELECT 1 FROM bans b
           WHERE b.user_key = a.key AND b.room_key = ''
           AND (b.expires_at IS NULL OR b.expires_at > ?))
         AND EXISTS (SELECT 1 FROM memberships m
           JOIN rooms r ON r.key = m.room_key
           WHERE m.user_key = a.key AND (r.private = 0 OR EXISTS (
             SELECT 1 FROM memberships v
             WHERE v.user_key = ? AND v.room_key = m.room_key)))
         ORDER BY a.key LIMIT ?`,
      ).all(
        query.prefix,
        prefixEnd(query.prefix),
        query.viewerKey,
        ...query.among === undefined ? [] : [JSON.stringify(query.among)],
        query.now ?? Date.now(),
        query.viewerKey,
        query.limit,
      ) as unknown as AccountRow[]).map(toAccount)
    );
  }

  // The account's votes go from every poll, whatever becomes of its
  // messages: a walk of the messages that carry a poll (messages_polls),
  // reading only those whose JSON names the key. Returns the ids of the
  // polls changed, whose readers are sent them again.
  #dropVotes(key: string): string[] {
    const rows = this.#q(
      `SELECT id, poll FROM messages INDEXED BY messages_polls
       WHERE poll IS NOT NULL AND instr(poll, ?) > 0`,
    ).all(JSON.stringify({ key }).slice(1, -1)) as {
      id: string;
      poll: string;
    }[];
    const changed: string[] = [];
    for (const row of rows) {
      const poll = withoutVoter(JSON.parse(row.poll), key);
      if (poll === undefined) continue;
      this.#q("UPDATE messages SET poll = ? WHERE id = ?")
        .run(JSON.stringify(poll), row.id);
      changed.push(row.id);
    }
    return changed;
  }

  deleteAccount(
    key: string,
    messages: DeletedMessages,
    audit?: NewAuditEntry,
  ): Promise<DeletedAccount | false> {
    return this.#run(() =>
      this.#transaction(() => {
        const gone = this.#q(
          "DELETE FROM accounts WHERE key = ? RETURNING created_at",
        ).get(key) as { created_at: number } | undefined;
        if (gone === undefined) return false;
        this.#audited(true, audit);
        this.#q("DELETE FROM memberships WHERE user_key = ?").run(key);
        this.#q("DELETE FROM read_positions WHERE user_key = ?").run(key);
        this.#q("DELETE FROM drafts WHERE user_key = ?").run(key);
        this.#q("DELETE FROM saved_messages WHERE user_key = ?").run(key);
        this.#q("DELETE FROM missed_messages WHERE user_key = ?").run(key);
        this.#q("DELETE FROM missed_mails WHERE user_key = ?").run(key);
        this.#q("DELETE FROM scheduled_messages WHERE user_key = ?").run(key);
        this.#q("DELETE FROM thread_follows WHERE user_key = ?").run(key);
        this.#q("DELETE FROM notification_levels WHERE user_key = ?").run(key);
        this.#q("DELETE FROM mentions WHERE user_key = ?").run(key);
        const polls = this.#dropVotes(key);
        // Whom it ignores and who ignores it: a later holder of the name
        // is someone else.
        this.#q("DELETE FROM ignores WHERE user_key = ? OR ignored_key = ?")
          .run(key, key);
        // Its own list of conversations; the other sides keep theirs,
        // marked: the account they wrote with is gone (found through its
        // own rows, a key probe each).
        this.#q(
          `UPDATE conversations SET with_deleted_at = ?
           WHERE with_key = ? AND user_key <> ? AND user_key IN
             (SELECT with_key FROM conversations WHERE user_key = ?)`,
        ).run(Date.now(), key, key, key);
        // Whom it wrote with, for the anonymised renaming below (its rows
        // go now).
        const partners = messages === "anonymise"
          ? (this.#q("SELECT with_key FROM conversations WHERE user_key = ?")
            .all(key) as { with_key: string }[]).map((r) => r.with_key)
          : [];
        this.#q("DELETE FROM conversations WHERE user_key = ?").run(key);
        this.#q("DELETE FROM messages WHERE pending_to = ?").run(key);
        this.#q("UPDATE rooms SET owner = ? WHERE owner = ?").run(
          DELETED_OWNER,
          key,
        );
        if (messages === "anonymise") {
          // Its messages' forwarded copies name it no more, as the
          // messages do (a blank copy names nobody); first, while its
          // messages still have its key. Cost: the forwards (along
          // messages_forwards) and a look-up of each one's original by id.
          this.#q(
            `UPDATE messages SET forwarded = json_set(forwarded, '$.user', ?)
             WHERE forwarded IS NOT NULL AND forwarded ->> '$.user' IS NOT NULL
               AND EXISTS (SELECT 1 FROM messages o
                 WHERE o.id = messages.forwarded ->> '$.id'
                   AND o.user_key = ?)`,
          ).run(ANONYMOUS_NAME, key);
          // And a copy of its conversations' messages made by the other
          // side, whose `with` names it (the other side of the forwarder's
          // conversation): its author renamed above, or the forwarder's
          // own message to it. The original's stream tells (`@a:b`; no key
          // holds '@' or ':'), the forwarder's key that it is not its own,
          // but in its notes to itself, whose copies it names whoever
          // forwarded them. Cost: as above, a second walk along
          // messages_forwards.
          this.#q(
            `UPDATE messages SET forwarded = json_set(forwarded, '$.with', ?1)
             WHERE forwarded IS NOT NULL AND forwarded ->> '$.with' IS NOT NULL
               AND EXISTS (SELECT 1 FROM messages o
                 WHERE o.id = messages.forwarded ->> '$.id'
                   AND (substr(o.stream, 1, length(?2) + 2) = '@' || ?2 || ':'
                     OR (substr(o.stream, 1, 1) = '@'
                       AND substr(o.stream, -length(?2) - 1) = ':' || ?2))
                   AND (messages.user_key <> ?2
                     OR o.stream = '@' || ?2 || ':' || ?2))`,
          ).run(ANONYMOUS_NAME, key);
          // The other sides' messages to it, written since it was made,
          // name it no more as their `to` (a forward of one made later
          // takes it as `with`): its side of each conversation reads
          // `deleted user`, whoever wrote, as the name may go to someone
          // else, whose conversation with the other side is the same
          // stream. Before its own lose their key (those name the other
          // side). A former holder's of the name keep theirs (the account's
          // creation is the floor, as history's). Cost: one pass over each
          // of its conversations' messages, along their stream.
          for (const partner of partners) {
            this.#q(
              `UPDATE messages SET to_user = ?
               WHERE stream = ? AND to_user IS NOT NULL AND ts >= ?
                 AND (user_key <> ? OR ? = ?)`,
            ).run(
              ANONYMOUS_NAME,
              conversationKey(key, partner),
              gone.created_at,
              key,
              partner,
              key,
            );
          }
          // The search index lists a message under its author's marker
          // (search_index_file.ts): they are listed again, under none of
          // this key, or a search `from` the name walked them and its
          // `next` told whose they were (security round 20). A row of
          // search_changes a message, as a room's privacy change writes.
          this.#q(
            `INSERT INTO search_changes (message)
             SELECT rowid FROM messages WHERE user_key = ?`,
          ).run(key);
          // The key goes too, so nobody who takes the name later owns them.
          this.#q(
            `UPDATE messages SET user = ?, user_key = '', client_id = NULL
             WHERE user_key = ?`,
          ).run(ANONYMOUS_NAME, key);
          // Its reactions too; each gets a key no account can have (a
          // name has no leading space), unique so two deleted users'
          // same emoji still count twice. UPDATE keeps the rowid order.
          const reacted = this.#q(
            `UPDATE reactions SET user = ?,
               user_key = ' deleted ' || lower(hex(randomblob(8)))
             WHERE user_key = ? RETURNING message_id`,
          ).all(ANONYMOUS_NAME, key) as { message_id: string }[];
          for (const id of new Set(reacted.map((r) => r.message_id))) {
            this.#sumReactions(id);
          }
        }
        return { polls };
      })
    );
  }

  createPasswordReset(
    tokenHash: string,
    reset: Session,
    audit?: NewAuditEntry,
  ): Promise<void> {
    return this.#run(() =>
      this.#transaction(() => {
        this.#q(
          `INSERT INTO password_resets (token_hash, user_key, expires_at)
           VALUES (?, ?, ?)`,
        ).run(tokenHash, reset.userKey, reset.expiresAt);
        this.#q("DELETE FROM password_resets WHERE expires_at < ?").run(
          Date.now(),
        );
        this.#audited(true, audit);
      })
    );
  }

  takePasswordReset(
    tokenHash: string,
    now: number,
  ): Promise<string | undefined> {
    return this.#run(() => {
      const row = this.#q(
        `DELETE FROM password_resets WHERE token_hash = ? RETURNING *`,
      ).get(tokenHash) as { user_key: string; expires_at: number } | undefined;
      return row && row.expires_at > now ? row.user_key : undefined;
    });
  }
}
