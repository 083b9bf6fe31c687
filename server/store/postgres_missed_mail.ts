import {
  dueMissedMail,
  type DueMissedSqlRow,
  MISSED_MAILS,
  missedMessage,
  missedSetting,
  type MissedSqlRow,
} from "./missed_mail_rows.ts";
import type {
  DueMissedMail,
  MissedMailSetting,
  MissedMailStore,
  MissedMessage,
  NewAuditEntry,
} from "./mod.ts";
import { auditValues } from "./postgres_audit.ts";
import type { PostgresContext } from "./postgres_context.ts";
import { claimDue } from "./postgres_leases.ts";

/**
 * PostgresStore's missed-message mails (MissedMailStore): the setting in
 * the account's row, the queue in two tables. A queue's step is one
 * transaction; the account's row, locked first, orders two nodes queueing
 * for one account at once, so that its cap holds.
 */
export class PostgresMissedMail implements MissedMailStore {
  #context: PostgresContext;

  constructor(context: PostgresContext) {
    this.#context = context;
  }

  missedMailSetting(userKey: string): Promise<MissedMailSetting | undefined> {
    return this.#context.run(async (sql) => {
      const [row] = await sql<
        { missed_mail: boolean; mail_language: string | null }[]
      >`SELECT missed_mail, mail_language FROM accounts WHERE key = ${userKey}`;
      return row && missedSetting(row);
    });
  }

  setMissedMail(
    userKey: string,
    change: Partial<MissedMailSetting>,
    audit?: NewAuditEntry,
  ): Promise<MissedMailSetting | undefined> {
    return this.#context.run(async (sql) => {
      let setting: MissedMailSetting | undefined;
      await sql.begin(async (tx) => {
        // Locked, so that two changes at once each see the other's result.
        const [before] = await tx<{ missed_mail: boolean }[]>`
          SELECT missed_mail FROM accounts WHERE key = ${userKey} FOR UPDATE`;
        const [row] = await tx<
          { missed_mail: boolean; mail_language: string | null }[]
        >`UPDATE accounts
          SET missed_mail = coalesce(${
          change.enabled ?? null
        }::boolean, missed_mail),
            mail_language = coalesce(${
          change.language ?? null
        }::text, mail_language)
          WHERE key = ${userKey} RETURNING missed_mail, mail_language`;
        if (row === undefined) return;
        setting = missedSetting(row);
        if (!setting.enabled) {
          await tx`DELETE FROM missed_messages WHERE user_key = ${userKey}`;
          await tx`DELETE FROM missed_mails WHERE user_key = ${userKey}`;
        }
        if (audit && before?.missed_mail !== setting.enabled) {
          await tx`INSERT INTO audit_log
            (at, by_user, action, target, room, reason, address, details)
            ${auditValues(tx, audit)}`;
        }
      });
      return setting;
    });
  }

  missedMailTargets(userKeys: readonly string[]): Promise<string[]> {
    if (userKeys.length === 0) return Promise.resolve([]);
    return this.#context.run(async (sql) =>
      (await sql<{ key: string }[]>`SELECT key FROM accounts
        WHERE key = ANY(ARRAY(SELECT jsonb_array_elements_text(${
        sql.json([...userKeys])
      })))
          AND email IS NOT NULL AND email_verified AND missed_mail`)
        .map((row) => row.key)
    );
  }

  queueMissed(
    userKey: string,
    missed: MissedMessage,
    dueAt: number,
    max: number,
  ): Promise<boolean> {
    return this.#context.run(async (sql) => {
      let added = false;
      await sql.begin(async (tx) => {
        const [account] = await tx`SELECT 1 FROM accounts
          WHERE key = ${userKey} FOR UPDATE`;
        if (account === undefined) return;
        const [{ n }] = await tx<{ n: number }[]>`SELECT count(*)::int AS n
          FROM missed_messages WHERE user_key = ${userKey}`;
        if (n >= max) {
          // Full: counted, unless queued already.
          await tx`UPDATE missed_mails SET more = more + 1
            WHERE user_key = ${userKey} AND NOT EXISTS (
              SELECT 1 FROM missed_messages
              WHERE user_key = ${userKey} AND message_id = ${missed.id})`;
          return;
        }
        const inserted = await tx`INSERT INTO missed_messages
            (user_key, message_id, stream, at)
          VALUES (${userKey}, ${missed.id}, ${missed.stream}, ${missed.at})
          ON CONFLICT DO NOTHING`;
        added = inserted.count > 0;
        if (added) {
          await tx`INSERT INTO missed_mails (user_key, due_at)
            VALUES (${userKey}, ${dueAt}) ON CONFLICT DO NOTHING`;
        }
      });
      return added;
    });
  }

  claimDueMissedMails(
    now: number,
    limit: number,
    until: number,
  ): Promise<DueMissedMail[]> {
    return claimDue<DueMissedSqlRow>(this.#context, {
      table: MISSED_MAILS,
      now,
      limit,
      until,
    }).then((due) => due.map(dueMissedMail));
  }

  missedMessages(userKey: string): Promise<MissedMessage[]> {
    return this.#context.run(async (sql) =>
      (await sql<MissedSqlRow[]>`SELECT message_id, stream, at
        FROM missed_messages WHERE user_key = ${userKey}
        ORDER BY at, message_id`).map(missedMessage)
    );
  }

  missedMore(userKey: string): Promise<number> {
    return this.#context.run(async (sql) => {
      const [row] = await sql<{ more: number }[]>`SELECT more
        FROM missed_mails WHERE user_key = ${userKey}`;
      return row?.more ?? 0;
    });
  }

  confirmMissedMail(
    userKey: string,
    ids: readonly string[],
    nextDue: number,
    told = 0,
  ): Promise<void> {
    return this.#context.run(async (sql) => {
      await sql.begin(async (tx) => {
        // The account's row first, as queueMissed: a message queued at once
        // is either cleared here or finds the mail due again.
        await tx`SELECT 1 FROM accounts WHERE key = ${userKey} FOR UPDATE`;
        await tx`DELETE FROM missed_messages
          WHERE user_key = ${userKey} AND message_id = ANY(ARRAY(
            SELECT jsonb_array_elements_text(${sql.json([...ids])})))`;
        const [left] = await tx`SELECT 1 FROM missed_messages
          WHERE user_key = ${userKey} LIMIT 1`;
        if (left === undefined) {
          await tx`DELETE FROM missed_mails WHERE user_key = ${userKey}`;
        } else {
          await tx`INSERT INTO missed_mails (user_key, due_at)
            VALUES (${userKey}, ${nextDue})
            ON CONFLICT (user_key) DO UPDATE
            SET due_at = excluded.due_at, lease = NULL,
              more = greatest(0, missed_mails.more - ${told})`;
        }
      });
    });
  }
}
