import type { StatementSync } from "node:sqlite";
import type { DoNotDisturbStore } from "./mod.ts";
import type { SqliteContext } from "./sqlite_context.ts";

/**
 * The SQLite store's "do not disturb" (DoNotDisturbStore): a column of the
 * account's row, read by its key.
 */
export class SqliteDoNotDisturb implements DoNotDisturbStore {
  #q: (sql: string) => StatementSync;
  #run: <T>(step: () => T) => Promise<T>;

  constructor(context: SqliteContext) {
    this.#q = (sql) => context.q(sql);
    this.#run = (step) => context.run(step);
  }

  setDoNotDisturb(userKey: string, until: number | null): Promise<boolean> {
    return this.#run(() =>
      Number(
        this.#q(
          "UPDATE accounts SET do_not_disturb_until = ? WHERE key = ?",
        ).run(until, userKey).changes,
      ) > 0
    );
  }

  doNotDisturb(userKey: string): Promise<number | null> {
    return this.#run(() => {
      const row = this.#q(
        "SELECT do_not_disturb_until AS until FROM accounts WHERE key = ?",
      ).get(userKey) as { until: number | null } | undefined;
      return row?.until ?? null;
    });
  }
}
