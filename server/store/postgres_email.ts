import { mailboxKey } from "../protocol/mailbox_key.ts";
import type { EmailStore, EmailVerification, StoredEmail } from "./mod.ts";
import type { PostgresContext } from "./postgres_context.ts";

/**
 * PostgresStore's email addresses (EmailStore; postgres.ts lends it to the
 * store): columns of the account's row, the link's token found by its
 * partial index.
 */
export class PostgresEmail implements EmailStore {
  #context: PostgresContext;

  constructor(context: PostgresContext) {
    this.#context = context;
  }

  setEmail(
    userKey: string,
    address: string | null,
    verification?: EmailVerification,
  ): Promise<boolean> {
    const token = address === null ? undefined : verification;
    return this.#context.run(async (sql) => {
      // A reset link mailed to the old address would still hand the
      // account to whoever reads that mailbox: it ends with the address,
      // in the same statement.
      const written = await sql`
        WITH gone AS (
          DELETE FROM password_resets WHERE user_key = ${userKey}
        )
        UPDATE accounts SET email = ${address},
          email_key = ${address === null ? null : mailboxKey(address)},
          email_verified = false,
          email_token_hash = ${token?.tokenHash ?? null},
          email_token_expires = ${token?.expiresAt ?? null}
        WHERE key = ${userKey}`;
      return written.count > 0;
    });
  }

  emailOf(userKey: string): Promise<StoredEmail | undefined> {
    return this.#context.run(async (sql) => {
      const [row] = await sql<{ email: string; email_verified: boolean }[]>`
        SELECT email, email_verified FROM accounts
        WHERE key = ${userKey} AND email IS NOT NULL`;
      return row && { address: row.email, verified: row.email_verified };
    });
  }

  verifyEmail(
    tokenHash: string,
    now: number,
  ): Promise<{ userKey: string; address: string } | undefined> {
    return this.#context.run(async (sql) => {
      // One statement: two uses of one link race to it, one wins.
      const [row] = await sql<{ key: string; email: string }[]>`
        UPDATE accounts SET email_verified = true, email_token_hash = NULL,
          email_token_expires = NULL
        WHERE email_token_hash = ${tokenHash}
          AND email_token_expires > ${now}
        RETURNING key, email`;
      return row && { userKey: row.key, address: row.email };
    });
  }

  verifiedEmailAccounts(address: string, limit: number): Promise<string[]> {
    return this.#context.run(async (sql) => {
      const rows = await sql<{ key: string }[]>`
        SELECT key FROM accounts
        WHERE email_key = ${mailboxKey(address)} AND email_verified
        ORDER BY created_at, key LIMIT ${limit}`;
      return rows.map((row) => row.key);
    });
  }
}
