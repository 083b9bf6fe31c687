import type { StatementSync } from "node:sqlite";
import type { NewAuditEntry, StoredTotp, TotpStore } from "./mod.ts";
import { toTotp, type TotpRow } from "./rows.ts";
import { writeAuditEntry } from "./sqlite_audit.ts";
import type { SqliteContext } from "./sqlite_context.ts";

/**
 * The SQLite store's two-factor authentication (TotpStore): the `totp`
 * row of an account and its `totp_recovery_codes`, by the account's key.
 */
export class SqliteTotp implements TotpStore {
  #q: (sql: string) => StatementSync;
  #run: <T>(step: () => T) => Promise<T>;
  #transaction: <T>(body: () => T) => T;

  constructor(context: SqliteContext) {
    this.#q = (sql) => context.q(sql);
    this.#run = (step) => context.run(step);
    this.#transaction = (body) => context.transaction(body);
  }

  totpOf(userKey: string): Promise<StoredTotp | undefined> {
    return this.#run(() => {
      const row = this.#q(
        `SELECT secret, pending_secret, last_step,
           (SELECT count(*) FROM totp_recovery_codes c
            WHERE c.user_key = t.user_key) AS recovery_codes
         FROM totp t WHERE user_key = ?`,
      ).get(userKey) as TotpRow | undefined;
      return row && toTotp(row);
    });
  }

  setPendingTotp(userKey: string, secret: string): Promise<boolean> {
    return this.#run(() =>
      this.#q(
        `INSERT INTO totp (user_key, pending_secret)
         SELECT key, ?2 FROM accounts WHERE key = ?1
         ON CONFLICT (user_key) DO UPDATE SET pending_secret = ?2
         WHERE totp.secret IS NULL
         RETURNING 1`,
      ).get(userKey, secret) !== undefined
    );
  }

  enableTotp(
    userKey: string,
    enabled: { secret: string; step: number; recoveryHashes: string[] },
  ): Promise<boolean> {
    return this.#run(() =>
      this.#transaction(() => {
        const done = Number(
          this.#q(
            `UPDATE totp SET secret = pending_secret, pending_secret = NULL,
               last_step = ? WHERE user_key = ? AND secret IS NULL
             AND pending_secret = ?`,
          ).run(enabled.step, userKey, enabled.secret).changes,
        ) > 0;
        if (done) this.#setCodes(userKey, enabled.recoveryHashes);
        return done;
      })
    );
  }

  useTotpStep(userKey: string, step: number): Promise<boolean> {
    return this.#run(() =>
      Number(
        this.#q(
          `UPDATE totp SET last_step = ? WHERE user_key = ?
           AND secret IS NOT NULL AND last_step < ?`,
        ).run(step, userKey, step).changes,
      ) > 0
    );
  }

  useRecoveryCode(userKey: string, codeHash: string): Promise<boolean> {
    return this.#run(() =>
      Number(
        this.#q(
          `DELETE FROM totp_recovery_codes WHERE user_key = ? AND code_hash = ?`,
        ).run(userKey, codeHash).changes,
      ) > 0
    );
  }

  replaceRecoveryCodes(
    userKey: string,
    codeHashes: string[],
  ): Promise<boolean> {
    return this.#run(() =>
      this.#transaction(() => {
        const on = this.#q(
          "SELECT 1 FROM totp WHERE user_key = ? AND secret IS NOT NULL",
        ).get(userKey) !== undefined;
        if (on) this.#setCodes(userKey, codeHashes);
        return on;
      })
    );
  }

  disableTotp(userKey: string, audit?: NewAuditEntry): Promise<boolean> {
    return this.#run(() =>
      this.#transaction(() => {
        const on = this.#q(
          "DELETE FROM totp WHERE user_key = ? RETURNING secret",
        ).get(userKey) as { secret: string | null } | undefined;
        this.#q("DELETE FROM totp_recovery_codes WHERE user_key = ?").run(
          userKey,
        );
        const was = on?.secret != null;
        if (was && audit) writeAuditEntry(this.#q, audit);
        return was;
      })
    );
  }

  // Every recovery code of the account, in place of those it had.
  #setCodes(userKey: string, codeHashes: string[]): void {
    this.#q("DELETE FROM totp_recovery_codes WHERE user_key = ?").run(userKey);
    const insert = this.#q(
      `INSERT INTO totp_recovery_codes (user_key, code_hash) VALUES (?, ?)
       ON CONFLICT DO NOTHING`,
    );
    for (const hash of codeHashes) insert.run(userKey, hash);
  }
}
