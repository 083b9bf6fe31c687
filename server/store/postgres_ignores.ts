import type { IgnoredAccount, IgnoreStore } from "./mod.ts";
import type { PostgresContext } from "./postgres_context.ts";

/**
 * PostgresStore's ignores (IgnoreStore; postgres.ts lends it to the
 * store): whom each account ignores, and the rooms an account was added
 * to by another.
 */
export class PostgresIgnores implements IgnoreStore {
  #context: PostgresContext;

  constructor(context: PostgresContext) {
    this.#context = context;
  }

  ignore(
    userKey: string,
    target: { key: string; name: string; max: number },
  ): Promise<boolean | "full"> {
    return this.#context.run(async (sql) => {
      // Under the lock an invite of this account takes (chat_ignore): an
      // invite by the target checked before it commits first. The cap is
      // exact too.
      const [row] = await sql<{ outcome: string }[]>`
        SELECT chat_ignore(${userKey}, ${target.key}, ${target.name},
          ${Date.now()}, ${target.max}) AS outcome`;
      return row.outcome === "full" ? "full" : row.outcome === "added";
    });
  }

  unignore(userKey: string, targetKey: string): Promise<boolean> {
    return this.#context.run(async (sql) =>
      (await sql`
        DELETE FROM ignores
        WHERE user_key = ${userKey} AND ignored_key = ${targetKey}
        RETURNING 1`).length > 0
    );
  }

  listIgnored(userKey: string): Promise<IgnoredAccount[]> {
    return this.#context.run(async (sql) =>
      (await sql<{ key: string; name: string; at: string | number }[]>`
        SELECT ignored_key AS key, ignored_name AS name, at FROM ignores
        WHERE user_key = ${userKey} ORDER BY ignored_key COLLATE "C"`)
        .map((row) => ({ key: row.key, name: row.name, at: Number(row.at) }))
    );
  }

  isIgnoring(userKey: string, otherKey: string): Promise<boolean> {
    return this.#context.run(async (sql) =>
      (await sql`
        SELECT 1 FROM ignores
        WHERE user_key = ${userKey} AND ignored_key = ${otherKey}`).length > 0
    );
  }

  roomsInvitedBy(
    userKey: string,
    inviter: { key: string; since: number },
  ): Promise<string[]> {
    return this.#context.run(async (sql) =>
      (await sql<{ room_key: string }[]>`
        SELECT room_key FROM memberships
        WHERE user_key = ${userKey} AND invited_by = ${inviter.key}
          AND joined_at >= ${inviter.since}
        ORDER BY joined_at`).map((row) => row.room_key)
    );
  }
}
