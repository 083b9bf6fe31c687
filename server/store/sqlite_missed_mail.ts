import type { StatementSync } from "node:sqlite";
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
import { writeAuditEntry } from "./sqlite_audit.ts";
import type { SqliteContext } from "./sqlite_context.ts";
import { claimDue } from "./sqlite_leases.ts";

/**
 * The SQLite store's missed-message mails (MissedMailStore): the setting in
 * the account's row, the queue in two tables, each step one transaction of
 * the one writer.
 */
export class SqliteMissedMail implements MissedMailStore {
  #context: SqliteContext;
  #q: (sql: string) => StatementSync;
  #run: <T>(step: () => T) => Promise<T>;

  constructor(context: SqliteContext) {
    this.#context = context;
    this.#q = (sql) => context.q(sql);
    this.#run = (step) => context.run(step);
  }

  missedMailSetting(userKey: string): Promise<MissedMailSetting | undefined> {
    return this.#run(() => {
      const row = this.#q(
        "SELECT missed_mail, mail_language FROM accounts WHERE key = ?",
      ).get(userKey) as
        | { missed_mail: number; mail_language: string | null }
        | undefined;
      return row && missedSetting(row);
    });
  }

  setMissedMail(
    userKey: string,
    change: Partial<MissedMailSetting>,
    audit?: NewAuditEntry,
  ): Promise<MissedMailSetting | undefined> {
    return this.#run(() =>
      this.#context.transaction(() => {
        const before = this.#q(
          "SELECT missed_mail FROM accounts WHERE key = ?",
        ).get(userKey) as { missed_mail: number } | undefined;
        const row = this.#q(
          `UPDATE accounts SET missed_mail = coalesce(?, missed_mail),
             mail_language = coalesce(?, mail_language)
           WHERE key = ? RETURNING missed_mail, mail_language`,
        ).get(
          change.enabled === undefined ? null : change.enabled ? 1 : 0,
          change.language ?? null,
          userKey,
        ) as { missed_mail: number; mail_language: string | null } | undefined;
        if (row === undefined) return undefined;
        const setting = missedSetting(row);
        if (!setting.enabled) this.#forget(userKey);
        if (audit && Boolean(before?.missed_mail) !== setting.enabled) {
          writeAuditEntry(this.#q, audit);
        }
        return setting;
      })
    );
  }

  #forget(userKey: string): void {
    this.#q("DELETE FROM missed_messages WHERE user_key = ?").run(userKey);
    this.#q("DELETE FROM missed_mails WHERE user_key = ?").run(userKey);
  }

  missedMailTargets(userKeys: readonly string[]): Promise<string[]> {
    if (userKeys.length === 0) return Promise.resolve([]);
    return this.#run(() =>
      (this.#q(
        `SELECT key FROM accounts
         WHERE key IN (SELECT value FROM json_each(?))
           AND email IS NOT NULL AND email_verified = 1 AND missed_mail = 1`,
      ).all(JSON.stringify(userKeys)) as { key: string }[]).map((row) =>
        row.key
      )
    );
  }

  queueMissed(
    userKey: string,
    missed: MissedMessage,
    dueAt: number,
    max: number,
  ): Promise<boolean> {
    return this.#run(() =>
      this.#context.transaction(() => {
        const { n } = this.#q(
          "SELECT count(*) AS n FROM missed_messages WHERE user_key = ?",
        ).get(userKey) as { n: number };
        if (n >= max) {
          // Full: counted, unless queued already.
          const queued = this.#q(
            `SELECT 1 FROM missed_messages
             WHERE user_key = ? AND message_id = ?`,
          ).get(userKey, missed.id);
          if (queued === undefined) {
            this.#q(
              "UPDATE missed_mails SET more = more + 1 WHERE user_key = ?",
            ).run(userKey);
          }
          return false;
        }
        const added = Number(
          this.#q(
            `INSERT INTO missed_messages (user_key, message_id, stream, at)
             VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
          ).run(userKey, missed.id, missed.stream, missed.at).changes,
        ) > 0;
        if (added) {
          this.#q(
            `INSERT INTO missed_mails (user_key, due_at) VALUES (?, ?)
             ON CONFLICT DO NOTHING`,
          ).run(userKey, dueAt);
        }
        return added;
      })
    );
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
    return this.#run(() =>
      (this.#q(
        `SELECT message_id, stream, at FROM missed_messages
         WHERE user_key = ? ORDER BY at, message_id`,
      ).all(userKey) as unknown as MissedSqlRow[]).map(missedMessage)
    );
  }

  missedMore(userKey: string): Promise<number> {
    return this.#run(() => {
      const row = this.#q(
        "SELECT more FROM missed_mails WHERE user_key = ?",
      ).get(userKey) as { more: number } | undefined;
      return row?.more ?? 0;
    });
  }

  confirmMissedMail(
    userKey: string,
    ids: readonly string[],
    nextDue: number,
    told = 0,
  ): Promise<void> {
    return this.#run(() =>
      this.#context.transaction(() => {
        this.#q(
          `DELETE FROM missed_messages WHERE user_key = ?
           AND message_id IN (SELECT value FROM json_each(?))`,
        ).run(userKey, JSON.stringify(ids));
        const left = this.#q(
          "SELECT 1 FROM missed_messages WHERE user_key = ? LIMIT 1",
        ).get(userKey);
        if (left === undefined) {
          this.#q("DELETE FROM missed_mails WHERE user_key = ?").run(userKey);
        } else {
          this.#q(
            `INSERT INTO missed_mails (user_key, due_at) VALUES (?, ?)
             ON CONFLICT (user_key) DO UPDATE SET due_at = excluded.due_at,
               lease = NULL, more = max(0, more - ?)`,
          ).run(userKey, nextDue, told);
        }
      })
    );
  }
}
