import type { StatementSync } from "node:sqlite";
import type {
  Account,
  FoundHook,
  IntegrationStore,
  NewAuditEntry,
  StoredApiToken,
  StoredHook,
} from "./mod.ts";
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
import { runAudited } from "./sqlite_audit.ts";
import type { SqliteContext } from "./sqlite_context.ts";

/**
 * The SQLite store's integrations (IntegrationStore): API tokens, bots and
 * incoming hooks, over the store's connection.
 */
export class SqliteIntegrations implements IntegrationStore {
  #q: (sql: string) => StatementSync;
  #run: <T>(step: () => T) => Promise<T>;
  #context: SqliteContext;

  constructor(context: SqliteContext) {
    this.#q = (sql) => context.q(sql);
    this.#run = (step) => context.run(step);
    this.#context = context;
  }

  async createApiToken(
    token: StoredApiToken,
    audit?: NewAuditEntry,
  ): Promise<void> {
    await runAudited(this.#context, () => {
      this.#q(
        `INSERT INTO api_tokens (id, user_key, name, token_hash, created_at)
         VALUES (?, ?, ?, ?, ?)`,
      ).run(
        token.id,
        token.userKey,
        token.name,
        token.tokenHash,
        token.createdAt,
      );
      return true;
    }, audit);
  }

  listApiTokens(userKey: string): Promise<StoredApiToken[]> {
    return this.#run(() =>
      (this.#q(
        "SELECT * FROM api_tokens WHERE user_key = ? ORDER BY created_at, id",
      ).all(userKey) as unknown as ApiTokenRow[]).map(toApiToken)
    );
  }

  findApiToken(tokenHash: string): Promise<StoredApiToken | undefined> {
    return this.#run(() => {
      const row = this.#q("SELECT * FROM api_tokens WHERE token_hash = ?")
        .get(tokenHash) as ApiTokenRow | undefined;
      return row ? toApiToken(row) : undefined;
    });
  }

  deleteApiToken(
    userKey: string,
    id: string,
    audit?: NewAuditEntry,
  ): Promise<boolean> {
    return runAudited(this.#context, () =>
      Number(
        this.#q("DELETE FROM api_tokens WHERE user_key = ? AND id = ?")
          .run(userKey, id).changes,
      ) > 0, audit);
  }

  listBots(): Promise<Account[]> {
    return this.#run(() =>
      (this.#q(
        "SELECT * FROM accounts WHERE bot = 1 ORDER BY created_at, key",
      ).all() as unknown as AccountRow[]).map(toAccount)
    );
  }

  async createHook(hook: StoredHook, audit?: NewAuditEntry): Promise<void> {
    await runAudited(this.#context, () => {
      this.#q(
        `INSERT INTO hooks
           (id, room_key, name, secret_hash, created_by, created_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ).run(
        hook.id,
        hook.roomKey,
        hook.name,
        hook.secretHash,
        hook.createdBy,
        hook.createdAt,
      );
      return true;
    }, audit);
  }

  listHooks(roomKey: string): Promise<StoredHook[]> {
    return this.#run(() =>
      (this.#q(
        "SELECT * FROM hooks WHERE room_key = ? ORDER BY created_at, id",
      ).all(roomKey) as unknown as HookRow[]).map(toHook)
    );
  }

  findHook(secretHash: string): Promise<FoundHook | undefined> {
    return this.#run(() => {
      const row = this.#q(
        `SELECT h.*, r.created_at AS room_created_at
         FROM hooks h JOIN rooms r ON r.key = h.room_key
         WHERE h.secret_hash = ?`,
      ).get(secretHash) as FoundHookRow | undefined;
      return row ? toFoundHook(row) : undefined;
    });
  }

  findHookById(id: string): Promise<StoredHook | undefined> {
    return this.#run(() => {
      const row = this.#q("SELECT * FROM hooks WHERE id = ?").get(id) as
        | HookRow
        | undefined;
      return row ? toHook(row) : undefined;
    });
  }

  deleteHook(id: string, audit?: NewAuditEntry): Promise<boolean> {
    return runAudited(
      this.#context,
      () =>
        Number(this.#q("DELETE FROM hooks WHERE id = ?").run(id).changes) > 0,
      audit,
    );
  }
}
