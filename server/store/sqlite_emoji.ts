import type { StatementSync } from "node:sqlite";
import type {
  AddEmojiOptions,
  EmojiStore,
  NewAuditEntry,
  NewEmoji,
  StoredEmoji,
  StoredUpload,
} from "./mod.ts";
import { toStoredUpload, type UploadRow } from "./rows.ts";
import { runAudited } from "./sqlite_audit.ts";
import type { SqliteContext } from "./sqlite_context.ts";
import { recordUpload } from "./sqlite_files.ts";

/** A custom emoji's row, with its author's display name. */
interface EmojiRow {
  name: string;
  upload_id: string;
  author_key: string | null;
  author: string | null;
  created_at: number;
}

/**
 * The SQLite store's custom emoji (EmojiStore): a row each, naming the
 * upload of its picture (the trigger custom_emoji_gone forgets it).
 */
export class SqliteEmoji implements EmojiStore {
  #q: (sql: string) => StatementSync;
  #run: <T>(step: () => T) => Promise<T>;
  #transaction: <T>(body: () => T) => T;
  #context: SqliteContext;

  constructor(context: SqliteContext) {
    this.#context = context;
    this.#q = (sql) => context.q(sql);
    this.#run = (step) => context.run(step);
    this.#transaction = (body) => context.transaction(body);
  }

  addEmoji(
    emoji: NewEmoji,
    options: AddEmojiOptions,
  ): Promise<"added" | "exists" | "too_many" | "gone"> {
    // One BEGIN IMMEDIATE: the count and the insert see no other writer.
    return this.#run(() =>
      this.#transaction(() => {
        const account = this.#q(
          "SELECT created_at FROM accounts WHERE key = ?",
        ).get(emoji.authorKey) as { created_at: number } | undefined;
        if (
          !account ||
          (options.authorCreatedAt !== undefined &&
            Number(account.created_at) !== options.authorCreatedAt)
        ) return "gone";
        if (
          this.#q("SELECT 1 FROM custom_emoji WHERE name = ?").get(
            emoji.name,
          )
        ) return "exists";
        const { n } = this.#q("SELECT count(*) AS n FROM custom_emoji")
          .get() as { n: number };
        if (Number(n) >= options.max) return "too_many";
        recordUpload(this.#q, emoji.upload);
        this.#q(
          `INSERT INTO custom_emoji (name, upload_id, author_key, created_at)
           VALUES (?, ?, ?, ?)`,
        ).run(emoji.name, emoji.upload.id, emoji.authorKey, emoji.createdAt);
        return "added";
      })
    );
  }

  removeEmoji(name: string, audit?: NewAuditEntry): Promise<boolean> {
    // Its upload goes with the row (the trigger custom_emoji_gone).
    return runAudited(
      this.#context,
      () =>
        Number(
          this.#q("DELETE FROM custom_emoji WHERE name = ?").run(name).changes,
        ) === 1,
      audit,
    );
  }

  listEmoji(): Promise<StoredEmoji[]> {
    return this.#run(() =>
      (this.#q(
        `SELECT e.name, e.upload_id, e.author_key, a.username AS author,
           e.created_at
         FROM custom_emoji e LEFT JOIN accounts a ON a.key = e.author_key
         ORDER BY e.name`,
      ).all() as unknown as EmojiRow[]).map(toEmoji)
    );
  }

  findEmoji(
    name: string,
  ): Promise<(StoredEmoji & { upload: StoredUpload }) | undefined> {
    return this.#run(() => {
      const row = this.#q(
        `SELECT e.name, e.upload_id, e.author_key, a.username AS author,
           e.created_at
         FROM custom_emoji e LEFT JOIN accounts a ON a.key = e.author_key
         WHERE e.name = ?`,
      ).get(name) as EmojiRow | undefined;
      if (!row) return undefined;
      const upload = this.#q("SELECT * FROM uploads WHERE id = ?").get(
        row.upload_id,
      ) as UploadRow | undefined;
      return upload
        ? { ...toEmoji(row), upload: toStoredUpload(upload) }
        : undefined;
    });
  }
}

/** A custom emoji from its row (both stores). */
export function toEmoji(row: EmojiRow): StoredEmoji {
  return {
    name: row.name,
    uploadId: row.upload_id,
    authorKey: row.author_key,
    author: row.author,
    createdAt: Number(row.created_at),
  };
}

export type { EmojiRow };
