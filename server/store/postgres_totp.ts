import type { NewAuditEntry, StoredTotp, TotpStore } from "./mod.ts";
import { auditStep } from "./postgres_audit.ts";
import { toTotp, type TotpRow } from "./rows.ts";
import type { PostgresContext } from "./postgres_context.ts";
import type postgres from "postgres";

/**
 * PostgresStore's two-factor authentication (TotpStore; postgres.ts lends
 * it to the store): the `totp` row of an account and its
 * `totp_recovery_codes`, by the account's key, each call one statement
 * or one transaction.
 */
export class PostgresTotp implements TotpStore {
  #context: PostgresContext;

  constructor(context: PostgresContext) {
    this.#context = context;
  }

  totpOf(userKey: string): Promise<StoredTotp | undefined> {
    return this.#context.run(async (sql) => {
      const [row] = await sql<TotpRow[]>`
        SELECT secret, pending_secret, last_step,
          (SELECT count(*) FROM totp_recovery_codes c
           WHERE c.user_key = t.user_key) AS recovery_codes
        FROM totp t WHERE user_key = ${userKey}`;
      return row && toTotp(row);
    });
  }

  setPendingTotp(userKey: string, secret: string): Promise<boolean> {
    return this.#context.run(async (sql) =>
      (await sql`
        INSERT INTO totp (user_key, pending_secret)
        SELECT key, ${secret} FROM accounts WHERE key = ${userKey}
        ON CONFLICT (user_key) DO UPDATE SET pending_secret = ${secret}
        WHERE totp.secret IS NULL
        RETURNING 1`).length > 0
    );
  }

  enableTotp(
    userKey: string,
    enabled: { secret: string; step: number; recoveryHashes: string[] },
  ): Promise<boolean> {
    return this.#context.run((sql) =>
      sql.begin(async (tx) => {
        const done = await tx`
          UPDATE totp SET secret = pending_secret, pending_secret = NULL,
            last_step = ${enabled.step}
          WHERE user_key = ${userKey} AND secret IS NULL
          AND pending_secret = ${enabled.secret}`;
        if (done.count === 0) return false;
        await setCodes(tx, userKey, enabled.recoveryHashes);
        return true;
      }) as Promise<boolean>
    );
  }

  useTotpStep(userKey: string, step: number): Promise<boolean> {
    return this.#context.run(async (sql) =>
      (await sql`
        UPDATE totp SET last_step = ${step} WHERE user_key = ${userKey}
        AND secret IS NOT NULL AND last_step < ${step}`).count > 0
    );
  }

  useRecoveryCode(userKey: string, codeHash: string): Promise<boolean> {
    return this.#context.run(async (sql) =>
      (await sql`
        DELETE FROM totp_recovery_codes
        WHERE user_key = ${userKey} AND code_hash = ${codeHash}`).count > 0
    );
  }

  replaceRecoveryCodes(
    userKey: string,
    codeHashes: string[],
  ): Promise<boolean> {
    return this.#context.run((sql) =>
      sql.begin(async (tx) => {
        // Locks the row: a disable meanwhile waits, and leaves no codes.
        const [on] = await tx`
          SELECT 1 FROM totp WHERE user_key = ${userKey}
          AND secret IS NOT NULL FOR UPDATE`;
        if (!on) return false;
        await setCodes(tx, userKey, codeHashes);
        return true;
      }) as Promise<boolean>
    );
  }

  disableTotp(userKey: string, audit?: NewAuditEntry): Promise<boolean> {
    return this.#context.run(async (sql) =>
      (await sql`
        WITH gone AS (
          DELETE FROM totp WHERE user_key = ${userKey} RETURNING secret
        ), codes AS (
          DELETE FROM totp_recovery_codes WHERE user_key = ${userKey}
        ) ${
        auditStep(
          sql,
          audit,
          sql`EXISTS (SELECT 1 FROM gone WHERE secret IS NOT NULL)`,
        )
      }
        SELECT 1 FROM gone WHERE secret IS NOT NULL`).length > 0
    );
  }
}

// Every recovery code of the account, in place of those it had.
async function setCodes(
  tx: postgres.TransactionSql<{ bigint: number }>,
  userKey: string,
  codeHashes: string[],
): Promise<void> {
  await tx`DELETE FROM totp_recovery_codes WHERE user_key = ${userKey}`;
  await tx`
    INSERT INTO totp_recovery_codes (user_key, code_hash)
    SELECT ${userKey}, jsonb_array_elements_text(${tx.json(codeHashes)})
    ON CONFLICT DO NOTHING`;
}
