import type { StatementSync } from "node:sqlite";
import { mailboxKey } from "../protocol/mailbox_key.ts";
import type { EmailStore, EmailVerification, StoredEmail } from "./mod.ts";
import type { SqliteContext } from "./sqlite_context.ts";

/**
 * The SQLite store's email addresses (EmailStore): columns of the
 * account's row, the link's token found by its partial index.
 */
export class SqliteEmail implements EmailStore {
  #q: (sql: string) => StatementSync;
  #run: <T>(step: () => T) => Promise<T>;
  #transaction: <T>(body: () => T) => T;

  constructor(context: SqliteContext) {
    this.#q = (sql) => context.q(sql);
    this.#run = (step) => context.run(step);
    this.#transaction = (body) => context.transaction(body);
  }

  setEmail(
    userKey: string,
    address: string | null,
    verification?: EmailVerification,
  ): Promise<boolean> {
    return this.#run(() =>
      this.#transaction(() => {
        // A reset link mailed to the old address would still hand the
        // account to whoever reads that mailbox: it ends with the address.
        this.#q("DELETE FROM password_resets WHERE user_key = ?").run(userKey);
        return Number(
          this.#q(
            `UPDATE accounts SET email = ?, email_key = ?, email_verified = 0,
               email_token_hash = ?, email_token_expires = ? WHERE key = ?`,
          ).run(
            address,
            address === null ? null : mailboxKey(address),
            address === null ? null : verification?.tokenHash ?? null,
            address === null ? null : verification?.expiresAt ?? null,
            userKey,
          ).changes,
        ) > 0;
      })
    );
  }

  emailOf(userKey: string): Promise<StoredEmail | undefined> {
    return this.#run(() => {
      const row = this.#q(
        `SELECT email, email_verified FROM accounts
         WHERE key = ? AND email IS NOT NULL`,
      ).get(userKey) as { email: string; email_verified: number } | undefined;
      return row && { address: row.email, verified: row.email_verified === 1 };
    });
  }

  verifyEmail(
    tokenHash: string,
    now: number,
  ): Promise<{ userKey: string; address: string } | undefined> {
    return this.#run(() => {
      // One statement: two uses of one link race to it, one wins.
      const row = this.#q(
        `UPDATE accounts SET email_verified = 1, email_token_hash = NULL,
           email_token_expires = NULL
         WHERE email_token_hash = ? AND email_token_expires > ?
         RETURNING key, email`,
      ).get(tokenHash, now) as { key: string; email: string } | undefined;
      return row && { userKey: row.key, address: row.email };
    });
  }

  verifiedEmailAccounts(address: string, limit: number): Promise<string[]> {
    return this.#run(() =>
      (this.#q(
        `SELECT key FROM accounts INDEXED BY accounts_verified_email_key
         WHERE email_key = ? AND email_verified = 1
         ORDER BY created_at, key LIMIT ?`,
      ).all(mailboxKey(address), limit) as { key: string }[]).map((row) =>
        row.key
      )
    );
  }
}
