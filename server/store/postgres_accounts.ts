import { addressKey } from "../addresses.ts";
import { GENERAL_ROOM, type Role } from "../protocol/types.ts";
import { MAX_REACTION_USERS } from "../protocol/limits.ts";
import { nameKey } from "../protocol/names.ts";
import { nameSkeleton } from "../protocol/skeleton.ts";
import {
  type Account,
  type AccountQuery,
  type AccountStore,
  ANONYMOUS_NAME,
  type Ban,
  type BanOptions,
  DELETED_OWNER,
  type DeletedAccount,
  type DeletedMessages,
  type NewAuditEntry,
  type PeopleQuery,
  prefixEnd,
  type Session,
} from "./mod.ts";
import { auditStep } from "./postgres_audit.ts";
import type { PostgresContext } from "./postgres_context.ts";
import { type AccountRow, type BanRow, toAccount, toBan } from "./rows.ts";

const BAN_COLUMNS =
  "user_key, address, room_key, reason, by_user, created_at, expires_at";

/**
 * PostgresStore's accounts: accounts and their roles and passwords,
 * sessions, bans, deletion, password resets (postgres.ts lends these
 * methods to the store).
 */
export class PostgresAccounts implements AccountStore {
  #context: PostgresContext;

  constructor(context: PostgresContext) {
    this.#context = context;
  }

  createAccount(
    account: Omit<Account, "createdAt" | "bot"> & { bot?: boolean },
    options: { firstRole?: Role; audit?: NewAuditEntry } = {},
  ): Promise<Account | null> {
    return this.#context.run(async (sql) => {
      const [row] = await sql<AccountRow[]>`
        WITH made AS (
          SELECT key, username, password_hash, role, created_at, bot
          FROM chat_create_account_flagged(${account.key},
            ${account.username}, ${account.passwordHash}, ${account.role},
            ${options.firstRole ?? null}::text, ${Date.now()},
            ${nameSkeleton(account.username)}, ${account.bot ?? false})
        ),
        -- Every account belongs to general from its creation, read to its
        -- end, stored so: a bot that only ever uses the REST API (and so
        -- never logs in, where a login used to write this row) is listed
        -- and exported as a member as everyone else is.
        joined AS (
          INSERT INTO memberships (user_key, room_key, joined_at)
          SELECT m.key, r.key, m.created_at FROM made m, rooms r
          WHERE r.key = ${GENERAL_ROOM}
          ON CONFLICT DO NOTHING
          RETURNING user_key, room_key
        ),
        positioned AS (
          INSERT INTO read_positions (user_key, stream, last_read_seq)
          SELECT j.user_key, s.key, s.last_seq FROM joined j
          JOIN streams s ON s.key = j.room_key
          ON CONFLICT DO NOTHING
        ) ${auditStep(sql, options.audit, sql`EXISTS (SELECT 1 FROM made)`)}
        SELECT * FROM made`;
      return row ? toAccount(row) : null;
    });
  }

  findAccount(key: string): Promise<Account | undefined> {
    return this.#context.run(async (sql) => {
      const [row] = await sql<AccountRow[]>`
        SELECT key, username, password_hash, role, created_at, bot
        FROM accounts WHERE key = ${key}`;
      return row ? toAccount(row) : undefined;
    });
  }

  findAccountLookingLike(username: string): Promise<Account | undefined> {
    return this.#context.run(async (sql) => {
      const [row] = await sql<AccountRow[]>`
        SELECT key, username, password_hash, role, created_at, bot
        FROM accounts WHERE skeleton = ${nameSkeleton(username)} LIMIT 1`;
      return row ? toAccount(row) : undefined;
    });
  }

  setRole(key: string, role: Role, audit?: NewAuditEntry): Promise<boolean> {
    return this.#context.run(async (sql) =>
      (await sql`
        WITH set AS (
          UPDATE accounts SET role = ${role} WHERE key = ${key} RETURNING key
        ) ${auditStep(sql, audit, sql`EXISTS (SELECT 1 FROM set)`)}
        SELECT key FROM set`).length > 0
    );
  }

  setPasswordHash(key: string, passwordHash: string): Promise<boolean> {
    // A new password ends the links that would have set another; one
    // statement, so both happen or neither.
    return this.#context.run(async (sql) =>
      (await sql`
        WITH gone AS (
          DELETE FROM password_resets WHERE user_key = ${key}
        )
        UPDATE accounts SET password_hash = ${passwordHash} WHERE key = ${key}`)
        .count > 0
    );
  }

  createSession(tokenHash: string, session: Session): Promise<void> {
    return this.#context.run(async (sql) => {
      await sql`
        INSERT INTO sessions (token_hash, user_key, expires_at)
        VALUES (${tokenHash}, ${session.userKey}, ${session.expiresAt})`;
      // Expired sessions go as new ones come: no timer needed.
      await sql`DELETE FROM sessions WHERE expires_at < ${Date.now()}`;
    });
  }

  findSession(tokenHash: string): Promise<Session | undefined> {
    return this.#context.run(async (sql) => {
      const [row] = await sql<{ user_key: string; expires_at: number }[]>`
        SELECT user_key, expires_at FROM sessions WHERE token_hash = ${tokenHash}`;
      return row
        ? { userKey: row.user_key, expiresAt: row.expires_at }
        : undefined;
    });
  }

  deleteSession(tokenHash: string): Promise<void> {
    return this.#context.run(async (sql) => {
      await sql`DELETE FROM sessions WHERE token_hash = ${tokenHash}`;
    });
  }

  deleteSessionsOf(userKey: string, exceptTokenHash = ""): Promise<number> {
    return this.#context.run(async (sql) =>
      (await sql`
        DELETE FROM sessions
        WHERE user_key = ${userKey} AND token_hash <> ${exceptTokenHash}`)
        .count
    );
  }

  addBan(ban: Ban, options: BanOptions = {}): Promise<void> {
    const addresses = [ban.address ?? "", ...options.addresses ?? []];
    const roomKey = ban.roomKey ?? "";
    return this.#context.run(async (sql) => {
      // One statement: the bans, each after the name's lock so that no
      // append of it commits after this one (postgres_schema.ts,
      // chat_add_ban), a room ban's end of the membership (as
      // removeMember), and the audit entry. The function is volatile: it
      // runs once per address, and `banned` is read whole.
      await sql`
        WITH banned AS (
          SELECT chat_add_ban(${ban.userKey}, a.address, ${roomKey},
            ${ban.reason}, ${ban.by}, ${ban.createdAt},
            ${ban.expiresAt ?? null}::bigint)
          FROM jsonb_array_elements_text(${sql.json(addresses)}) AS a(address)
        ), left_room AS (
          DELETE FROM memberships
          WHERE ${roomKey} <> '' AND user_key = ${ban.userKey}
            AND room_key = ${roomKey}
        ), forgotten AS (
          DELETE FROM read_positions
          WHERE ${roomKey} <> '' AND user_key = ${ban.userKey}
            AND stream = ${roomKey}
        ), undrafted AS (
          DELETE FROM drafts
          WHERE ${roomKey} <> '' AND user_key = ${ban.userKey}
            AND stream = ${roomKey}
        ) ${auditStep(sql, options.audit, sql`true`)}
        SELECT count(*) FROM banned`;
    });
  }

  removeBans(
    userKey: string,
    roomKey?: string,
    audit?: NewAuditEntry,
  ): Promise<number> {
    return this.#context.run(async (sql) => {
      const [{ n }] = await sql<{ n: number }[]>`
        WITH lifted AS (
          DELETE FROM bans WHERE user_key = ${userKey} AND room_key = ${
        roomKey ?? ""
      }
          RETURNING 1
        ) ${auditStep(sql, audit, sql`EXISTS (SELECT 1 FROM lifted)`)}
        SELECT count(*)::bigint AS n FROM lifted`;
      return n;
    });
  }

  findBan(
    who: { userKey?: string; address?: string },
    roomKey?: string,
  ): Promise<Ban | undefined> {
    // An address ban names an IPv6 address by its /64 (addressKey), or,
    // made before that, by the address itself: both in one query.
    const key = who.address === undefined ? null : addressKey(who.address);
    return this.#context.run(async (sql) => {
      const [row] = await sql<BanRow[]>`
        SELECT ${sql.unsafe(BAN_COLUMNS)}
        FROM bans
        WHERE room_key IN ('', ${roomKey ?? ""})
          AND ((address = '' AND user_key = ${who.userKey ?? null}::text)
            OR (address <> '' AND address IN (${who.address ?? null}::text,
              ${key}::text)))
          AND (expires_at IS NULL OR expires_at > ${Date.now()})
        ORDER BY room_key LIMIT 1`;
      return row ? toBan(row) : undefined;
    });
  }

  listBans(now: number, limit: number): Promise<Ban[]> {
    return this.#context.run(async (sql) =>
      (await sql<BanRow[]>`
        SELECT ${sql.unsafe(BAN_COLUMNS)} FROM bans
        WHERE expires_at IS NULL OR expires_at > ${now}
        ORDER BY created_at DESC, user_key LIMIT ${limit}`).map(toBan)
    );
  }

  listAccounts(query: AccountQuery): Promise<Account[]> {
    return this.#context.run(async (sql) =>
      (await sql<AccountRow[]>`
        SELECT key, username, password_hash, role, created_at FROM accounts
        WHERE strpos(key, ${nameKey(query.query ?? "")}) > 0
        AND (${!query.staff} OR role <> 'user')
        ORDER BY key COLLATE "C" LIMIT ${query.limit}`).map(toAccount)
    );
  }

  findPeople(query: PeopleQuery): Promise<Account[]> {
    // A range of accounts_key_bytes (keys in byte order, whatever the
    // database's collation), or a probe of each key `among`; each account
    // kept unless a server ban in force holds its key (the bans' primary
    // key, user first), and by its memberships (primary key, user first)
    // in a public room or one of the viewer's.
    const now = query.now ?? Date.now();
    return this.#context.run(async (sql) =>
      (await sql<AccountRow[]>`
        SELECT a.key, a.username, a.password_hash, a.role, a.created_at, a.bot
        FROM accounts a
        WHERE a.key COLLATE "C" >= ${query.prefix}
        AND a.key COLLATE "C" < ${prefixEnd(query.prefix)}
        AND a.key <> ${query.viewerKey} ${
        query.among === undefined ? sql`` : sql`AND a.key = ANY(ARRAY(
              SELECT jsonb_array_elements_text(${sql.json(query.among)})))`
      }
        AND NOT EXISTS (SELECT 1 FROM bans b
          WHERE b.user_key = a.key AND b.room_key = ''
          AND (b.expires_at IS NULL OR b.expires_at > ${now}))
        AND EXISTS (SELECT 1 FROM memberships m
          JOIN rooms r ON r.key = m.room_key
          WHERE m.user_key = a.key AND (NOT r.private OR EXISTS (
            SELECT 1 FROM memberships v
            WHERE v.user_key = ${query.viewerKey} AND v.room_key = m.room_key)))
        ORDER BY a.key COLLATE "C" LIMIT ${query.limit}`).map(toAccount)
    );
  }

  async deleteAccount(
    key: string,
    messages: DeletedMessages,
    audit?: NewAuditEntry,
  ): Promise<DeletedAccount | false> {
    const gone = await this.#context.runRetryingConflicts(async (sql) => {
      const anonymous = messages === "anonymise" ? ANONYMOUS_NAME : null;
      // One statement: the function (volatile, so run once) and the rooms
      // it leaves without their owner, only when the account was there.
      const [{ gone }] = await sql<{ gone: boolean }[]>`
        WITH deleted AS (
          SELECT chat_delete_account(${key}, ${anonymous}::text,
            ${MAX_REACTION_USERS}) AS gone
        ), owned AS (
          UPDATE rooms SET owner = ${DELETED_OWNER}
          WHERE owner = ${key} AND (SELECT gone FROM deleted)
        ), marked AS (
          -- The other sides keep their rows, marked: the account they
          -- wrote with is gone (found through its own rows, a key probe
          -- each; the snapshot still has them).
          UPDATE conversations SET with_deleted_at = ${Date.now()}
          WHERE with_key = ${key} AND user_key <> ${key}
            AND user_key IN
              (SELECT with_key FROM conversations WHERE user_key = ${key})
            AND (SELECT gone FROM deleted)
        ), unignored AS (
          -- Whom it ignores and who ignores it: a later holder of the
          -- name is someone else.
          DELETE FROM ignores
          WHERE (user_key = ${key} OR ignored_key = ${key})
            AND (SELECT gone FROM deleted)
        ), drafted AS (
          DELETE FROM drafts
          WHERE user_key = ${key} AND (SELECT gone FROM deleted)
        ), unsaved AS (
          DELETE FROM saved_messages
          WHERE user_key = ${key} AND (SELECT gone FROM deleted)
        ), unmissed AS (
          DELETE FROM missed_messages
          WHERE user_key = ${key} AND (SELECT gone FROM deleted)
        ), unmailed AS (
          DELETE FROM missed_mails
          WHERE user_key = ${key} AND (SELECT gone FROM deleted)
        ), unscheduled AS (
          DELETE FROM scheduled_messages
          WHERE user_key = ${key} AND (SELECT gone FROM deleted)
        ), unfollowed AS (
          DELETE FROM thread_follows
          WHERE user_key = ${key} AND (SELECT gone FROM deleted)
        ), unleveled AS (
          DELETE FROM notification_levels
          WHERE user_key = ${key} AND (SELECT gone FROM deleted)
        ), listed AS (
          -- Its own list of conversations.
          DELETE FROM conversations
          WHERE user_key = ${key} AND (SELECT gone FROM deleted)
        ) ${auditStep(sql, audit, sql`(SELECT gone FROM deleted)`)}
        SELECT gone FROM deleted`;
      return gone;
    });
    // Its votes go from every poll (polls.ts), in a statement of their own:
    // the function above may rewrite the same messages (an anonymised
    // author's poll), and two updates of one row in one statement keep
    // only one. Retried on its own: retried with the deletion, a lost
    // deadlock ran the deletion again, which found no account and
    // answered false (the admin told user_not_found, the votes kept). Run
    // again, it finds what is left. The polls it changed are sent again
    // to their readers (handlers/admin.ts).
    if (!gone) return false;
    return await this.#context.runRetryingConflicts(async (sql) => {
      const polls = await sql<{ id: string }[]>`
          UPDATE messages SET poll = jsonb_set(poll, '{options}', (
            SELECT jsonb_agg(jsonb_set(o, '{voters}', coalesce((
              SELECT jsonb_agg(v ORDER BY i)
              FROM jsonb_array_elements(o -> 'voters') WITH ORDINALITY x(v, i)
              WHERE v ->> 'key' <> ${key}), '[]'::jsonb)) ORDER BY n)
            FROM jsonb_array_elements(poll -> 'options') WITH ORDINALITY y(o, n)))
          WHERE poll IS NOT NULL
            AND jsonb_path_exists(poll,
              '$.options[*].voters[*] ? (@.key == $k)',
              jsonb_build_object('k', ${key}::text))
          RETURNING id`;
      return { polls: polls.map((row) => row.id) };
    });
  }

  createPasswordReset(
    tokenHash: string,
    reset: Session,
    audit?: NewAuditEntry,
  ): Promise<void> {
    return this.#context.run(async (sql) => {
      await sql`
        WITH made AS (
          INSERT INTO password_resets (token_hash, user_key, expires_at)
          VALUES (${tokenHash}, ${reset.userKey}, ${reset.expiresAt})
          RETURNING 1
        ) ${auditStep(sql, audit, sql`EXISTS (SELECT 1 FROM made)`)}
        SELECT 1 FROM made`;
      await sql`DELETE FROM password_resets WHERE expires_at < ${Date.now()}`;
    });
  }

  takePasswordReset(
    tokenHash: string,
    now: number,
  ): Promise<string | undefined> {
    return this.#context.run(async (sql) => {
      const [row] = await sql<{ user_key: string; expires_at: number }[]>`
        DELETE FROM password_resets WHERE token_hash = ${tokenHash}
        RETURNING user_key, expires_at`;
      return row && row.expires_at > now ? row.user_key : undefined;
    });
  }
}
