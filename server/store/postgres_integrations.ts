import type {
  Account,
  FoundHook,
  IntegrationStore,
  NewAuditEntry,
  StoredApiToken,
  StoredHook,
} from "./mod.ts";
import { auditStep } from "./postgres_audit.ts";
import type { PostgresContext } from "./postgres_context.ts";
import {
  type AccountRow,
  type ApiTokenRow,
  type FoundHookRow,
  type HookRow,
  toAccount,
  toApiToken,
  toFoundHook,
  toHook,
} from "./rows.ts";

/**
 * PostgresStore's integrations: API tokens, bots and incoming hooks
 * (postgres.ts lends these methods to the store).
 */
export class PostgresIntegrations implements IntegrationStore {
  #context: PostgresContext;

  constructor(context: PostgresContext) {
    this.#context = context;
  }

  createApiToken(token: StoredApiToken, audit?: NewAuditEntry): Promise<void> {
    return this.#context.run(async (sql) => {
      await sql`
        WITH made AS (
          INSERT INTO api_tokens (id, user_key, name, token_hash, created_at)
          VALUES (${token.id}, ${token.userKey}, ${token.name},
            ${token.tokenHash}, ${token.createdAt})
          RETURNING 1
        ) ${auditStep(sql, audit, sql`EXISTS (SELECT 1 FROM made)`)}
        SELECT 1 FROM made`;
    });
  }

  listApiTokens(userKey: string): Promise<StoredApiToken[]> {
    return this.#context.run(async (sql) =>
      (await sql<ApiTokenRow[]>`
        SELECT * FROM api_tokens WHERE user_key = ${userKey}
        ORDER BY created_at, id`).map(toApiToken)
    );
  }

  findApiToken(tokenHash: string): Promise<StoredApiToken | undefined> {
    return this.#context.run(async (sql) => {
      const [row] = await sql<ApiTokenRow[]>`
        SELECT * FROM api_tokens WHERE token_hash = ${tokenHash}`;
      return row ? toApiToken(row) : undefined;
    });
  }

  deleteApiToken(
    userKey: string,
    id: string,
    audit?: NewAuditEntry,
  ): Promise<boolean> {
    return this.#context.run(async (sql) =>
      (await sql`
        WITH gone AS (
          DELETE FROM api_tokens WHERE user_key = ${userKey} AND id = ${id}
          RETURNING 1
        ) ${auditStep(sql, audit, sql`EXISTS (SELECT 1 FROM gone)`)}
        SELECT 1 FROM gone`).length > 0
    );
  }

  listBots(): Promise<Account[]> {
    return this.#context.run(async (sql) =>
      (await sql<AccountRow[]>`
        SELECT key, username, password_hash, role, created_at, bot
        FROM accounts WHERE bot ORDER BY created_at, key`).map(toAccount)
    );
  }

  createHook(hook: StoredHook, audit?: NewAuditEntry): Promise<void> {
    return this.#context.run(async (sql) => {
      await sql`
        WITH made AS (
          INSERT INTO hooks
            (id, room_key, name, secret_hash, created_by, created_at)
          VALUES (${hook.id}, ${hook.roomKey}, ${hook.name},
            ${hook.secretHash}, ${hook.createdBy}, ${hook.createdAt})
          RETURNING 1
        ) ${auditStep(sql, audit, sql`EXISTS (SELECT 1 FROM made)`)}
        SELECT 1 FROM made`;
    });
  }

  listHooks(roomKey: string): Promise<StoredHook[]> {
    return this.#context.run(async (sql) =>
      (await sql<HookRow[]>`
        SELECT * FROM hooks WHERE room_key = ${roomKey}
        ORDER BY created_at, id`).map(toHook)
    );
  }

  findHook(secretHash: string): Promise<FoundHook | undefined> {
    return this.#context.run(async (sql) => {
      const [row] = await sql<FoundHookRow[]>`
        SELECT h.*, r.created_at AS room_created_at
        FROM hooks h JOIN rooms r ON r.key = h.room_key
        WHERE h.secret_hash = ${secretHash}`;
      return row ? toFoundHook(row) : undefined;
    });
  }

  findHookById(id: string): Promise<StoredHook | undefined> {
    return this.#context.run(async (sql) => {
      const [row] = await sql<HookRow[]>`SELECT * FROM hooks WHERE id = ${id}`;
      return row ? toHook(row) : undefined;
    });
  }

  deleteHook(id: string, audit?: NewAuditEntry): Promise<boolean> {
    return this.#context.run(async (sql) =>
      (await sql`
        WITH gone AS (DELETE FROM hooks WHERE id = ${id} RETURNING 1)
        ${auditStep(sql, audit, sql`EXISTS (SELECT 1 FROM gone)`)}
        SELECT 1 FROM gone`).length > 0
    );
  }
}
