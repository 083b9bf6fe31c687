import type {
  AddEmojiOptions,
  EmojiStore,
  NewAuditEntry,
  NewEmoji,
  StoredEmoji,
  StoredUpload,
} from "./mod.ts";
import { auditStep } from "./postgres_audit.ts";
import type { PostgresContext } from "./postgres_context.ts";
import { recordUpload } from "./postgres_files.ts";
import { toStoredUpload, type UploadRow } from "./rows.ts";
import { type EmojiRow, toEmoji } from "./sqlite_emoji.ts";

// The advisory lock of additions ("emoj"): the count and the insert of one
// are not interleaved with another's, on any node.
const EMOJI_LOCK = 1701670762;

/**
 * PostgresStore's custom emoji (EmojiStore; postgres.ts lends it to the
 * store), as SQLite's: a row each, its upload forgotten with it.
 */
export class PostgresEmoji implements EmojiStore {
  #context: PostgresContext;

  constructor(context: PostgresContext) {
    this.#context = context;
  }

  addEmoji(
    emoji: NewEmoji,
    options: AddEmojiOptions,
  ): Promise<"added" | "exists" | "too_many" | "gone"> {
    return this.#context.runRetryingConflicts((sql) =>
      sql.begin(async (tx) => {
        await tx`SELECT pg_advisory_xact_lock(${EMOJI_LOCK})`;
        // Locked against the account's deletion until the commit.
        const [account] = await tx<{ created_at: string }[]>`
          SELECT created_at FROM accounts WHERE key = ${emoji.authorKey}
          FOR KEY SHARE`;
        if (
          !account ||
          (options.authorCreatedAt !== undefined &&
            Number(account.created_at) !== options.authorCreatedAt)
        ) return "gone";
        const [taken] = await tx`
          SELECT 1 FROM custom_emoji WHERE name = ${emoji.name}`;
        if (taken) return "exists";
        const [{ n }] = await tx<{ n: string }[]>`
          SELECT count(*) AS n FROM custom_emoji`;
        if (Number(n) >= options.max) return "too_many";
        await recordUpload(tx, emoji.upload);
        await tx`
          INSERT INTO custom_emoji (name, upload_id, author_key, created_at)
          VALUES (${emoji.name}, ${emoji.upload.id}, ${emoji.authorKey},
            ${emoji.createdAt})`;
        return "added";
      }) as Promise<"added" | "exists" | "too_many" | "gone">
    );
  }

  removeEmoji(name: string, audit?: NewAuditEntry): Promise<boolean> {
    // Its upload goes with the row (the trigger custom_emoji_gone).
    return this.#context.run(async (sql) =>
      (await sql`
        WITH gone AS (
          DELETE FROM custom_emoji WHERE name = ${name} RETURNING 1)
        ${auditStep(sql, audit, sql`EXISTS (SELECT 1 FROM gone)`)}
        SELECT 1 FROM gone`).length > 0
    );
  }

  listEmoji(): Promise<StoredEmoji[]> {
    return this.#context.run(async (sql) =>
      (await sql<EmojiRow[]>`
        SELECT e.name, e.upload_id, e.author_key, a.username AS author,
          e.created_at
        FROM custom_emoji e LEFT JOIN accounts a ON a.key = e.author_key
        ORDER BY e.name COLLATE "C"`).map(toEmoji)
    );
  }

  findEmoji(
    name: string,
  ): Promise<(StoredEmoji & { upload: StoredUpload }) | undefined> {
    return this.#context.run(async (sql) => {
      const [row] = await sql<(EmojiRow & { upload: UploadRow | null })[]>`
        SELECT e.name, e.upload_id, e.author_key, a.username AS author,
          e.created_at, to_jsonb(u) AS upload
        FROM custom_emoji e LEFT JOIN accounts a ON a.key = e.author_key
          JOIN uploads u ON u.id = e.upload_id
        WHERE e.name = ${name}`;
      if (!row?.upload) return undefined;
      return { ...toEmoji(row), upload: toStoredUpload(row.upload) };
    });
  }
}
