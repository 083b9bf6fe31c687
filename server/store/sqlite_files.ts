import { randomBytes } from "node:crypto";
import type { StatementSync } from "node:sqlite";
import type {
  AvatarId,
  FileStore,
  SaveUploadOptions,
  StoredUpload,
  UploadBytes,
  UploadFacts,
} from "./mod.ts";
import { toStoredUpload, type UploadRow } from "./rows.ts";
import type { SqliteContext } from "./sqlite_context.ts";

/**
 * The ids of the uploads messages scheduled for later carry (a scheduled
 * message is sent up to a year on; its files, which no message carries
 * yet, would otherwise be forgotten after a day and the send refused):
 * one read of the scheduled messages with files a sweep, which SQLite
 * keeps as a set for the sweep's test of each upload.
 */
const SCHEDULED_UPLOADS = `SELECT substr(url, 8, instr(substr(url, 8), '/') - 1)
  FROM (SELECT json_extract(a.value, '$.url') AS url
    FROM scheduled_messages s, json_each(s.attachments) a
    WHERE s.attachments IS NOT NULL)
  WHERE url GLOB '/files/*/*'`;

/**
 * The SQLite store's shared files (FileStore): uploads, the messages that
 * carry them, and the server's secrets, over the store's connection.
 */
export class SqliteFiles implements FileStore {
  #q: (sql: string) => StatementSync;
  #run: <T>(step: () => T) => Promise<T>;
  #transaction: <T>(body: () => T) => T;

  constructor(context: SqliteContext) {
    this.#q = (sql) => context.q(sql);
    this.#run = (step) => context.run(step);
    this.#transaction = (body) => context.transaction(body);
  }

  saveUpload(
    upload: StoredUpload,
    options: SaveUploadOptions = {},
  ): Promise<boolean> {
    const quota = options.quotaBytes ?? 0;
    // One statement: in WAL mode its write cannot commit on a snapshot
    // another process wrote after, so the sum it checks is the latest; the
    // trigger adds the upload to that sum in the same statement.
    return this.#run(() => {
      const inserted = this.#q(
        `INSERT INTO uploads (id, hash, name, type, size, uploader, width,
           height, frames, created_at)
         SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
         WHERE ? = 0 OR ? + coalesce((SELECT bytes FROM upload_usage
                                      WHERE uploader = ?), 0) <= ?`,
      ).run(
        ...uploadValues(upload),
        quota,
        upload.size,
        upload.uploader,
        quota,
      );
      return Number(inserted.changes) === 1;
    });
  }

  uploadedBytes(uploader: string): Promise<number> {
    return this.#run(() =>
      (this.#q(
        "SELECT bytes FROM upload_usage WHERE uploader = ?",
      ).get(uploader) as { bytes: number } | undefined)?.bytes ?? 0
    );
  }

  findUpload(id: string): Promise<StoredUpload | undefined> {
    return this.#run(() => {
      const row = this.#q("SELECT * FROM uploads WHERE id = ?").get(id) as
        | UploadRow
        | undefined;
      return row ? toStoredUpload(row) : undefined;
    });
  }

  deleteUpload(id: string): Promise<void> {
    return this.#run(() =>
      this.#transaction(() => {
        const gone = this.#q("DELETE FROM uploads WHERE id = ? RETURNING hash")
          .get(id) as { hash: string } | undefined;
        if (gone) this.#recordIfUnused([gone.hash]);
      })
    );
  }

  uploadStreams(id: string): Promise<{ stream: string; ts: number }[]> {
    return this.#run(() =>
      (this.#q(
        `SELECT f.stream, max(m.ts) AS ts FROM file_refs f
         JOIN messages m ON m.id = f.message_id
         WHERE f.upload_id = ? AND m.deleted = 0
         GROUP BY f.stream`,
      ).all(id) as { stream: string; ts: number }[]).map((row) => ({
        stream: row.stream,
        ts: row.ts,
      }))
    );
  }

  uploadCarried(id: string): Promise<boolean> {
    return this.#run(() =>
      this.#q(`SELECT 1 FROM file_refs WHERE upload_id = ? LIMIT 1`).get(id) !==
        undefined
    );
  }

  sweepUploads(unattachedBefore: number): Promise<string[]> {
    return this.#run(() =>
      this.#transaction(() => {
        const gone = this.#q(
          `DELETE FROM uploads AS u
           WHERE NOT EXISTS (SELECT 1 FROM file_refs f
               JOIN messages m ON m.id = f.message_id
               WHERE f.upload_id = u.id AND m.deleted = 0)
             AND (u.created_at < ?
               OR EXISTS (SELECT 1 FROM file_refs f WHERE f.upload_id = u.id))
             AND NOT EXISTS (SELECT 1 FROM avatars a WHERE a.upload_id = u.id)
             AND NOT EXISTS (SELECT 1 FROM custom_emoji e
               WHERE e.upload_id = u.id)
             AND u.id NOT IN (${SCHEDULED_UPLOADS})
           RETURNING hash`,
        ).all(unattachedBefore) as { hash: string }[];
        if (gone.length === 0) return [];
        this.#q(
          `DELETE FROM file_refs
           WHERE upload_id NOT IN (SELECT id FROM uploads)`,
        ).run();
        return this.#recordIfUnused(gone.map((row) => row.hash));
      })
    );
  }

  // Inside a write transaction: the hashes no upload uses, recorded for
  // deletion with the deletion of their last upload.
  #recordIfUnused(hashes: string[]): string[] {
    const used = this.#q("SELECT 1 FROM uploads WHERE hash = ? LIMIT 1");
    const record = this.#q(
      "INSERT INTO file_deletions (hash) VALUES (?) ON CONFLICT DO NOTHING",
    );
    const unused = [...new Set(hashes)]
      .filter((hash) => used.get(hash) === undefined);
    for (const hash of unused) record.run(hash);
    return unused;
  }

  recordFileDeletions(hashes: string[]): Promise<void> {
    return this.#run(() =>
      this.#transaction(() => {
        const record = this.#q(
          "INSERT INTO file_deletions (hash) VALUES (?) ON CONFLICT DO NOTHING",
        );
        for (const hash of hashes) record.run(hash);
      })
    );
  }

  pendingFileDeletions(after: string, limit: number): Promise<string[]> {
    return this.#run(() =>
      (this.#q(
        "SELECT hash FROM file_deletions WHERE hash > ? ORDER BY hash LIMIT ?",
      ).all(after, limit) as { hash: string }[]).map((row) => row.hash)
    );
  }

  // The turn across processes is FileStorage's turn per hash: a SQLite
  // database has one server (the export and backup commands upload
  // nothing), and its writes take turns, so what is read here is the last
  // committed.
  claimFileDeletion(hash: string): Promise<boolean> {
    return this.#run(() =>
      this.#transaction(() => {
        if (
          this.#q("SELECT 1 FROM file_deletions WHERE hash = ?").get(hash) ===
            undefined
        ) return false;
        if (
          this.#q("SELECT 1 FROM uploads WHERE hash = ? LIMIT 1").get(hash) ===
            undefined
        ) return true;
        this.#q("DELETE FROM file_deletions WHERE hash = ?").run(hash);
        return false;
      })
    );
  }

  finishFileDeletion(hash: string, deleted: boolean): Promise<void> {
    return this.#run(() => {
      if (deleted) {
        this.#q("DELETE FROM file_deletions WHERE hash = ?").run(hash);
      }
    });
  }

  setAvatar(
    userKey: string,
    upload: StoredUpload,
    accountCreatedAt?: number,
  ): Promise<boolean> {
    // The upload replaced goes with its row (the trigger avatars_replaced);
    // the new one's row may be there already (FileStorage records it
    // before its bytes are written).
    return this.#run(() =>
      this.#transaction(() => {
        const account = this.#q(
          "SELECT created_at FROM accounts WHERE key = ?",
        ).get(userKey) as { created_at: number } | undefined;
        if (
          !account ||
          (accountCreatedAt !== undefined &&
            Number(account.created_at) !== accountCreatedAt)
        ) return false;
        recordUpload(this.#q, upload);
        this.#q(
          `INSERT INTO avatars (user_key, upload_id) VALUES (?, ?)
           ON CONFLICT (user_key) DO UPDATE SET upload_id = excluded.upload_id`,
        ).run(userKey, upload.id);
        return true;
      })
    );
  }

  removeAvatar(userKey: string): Promise<boolean> {
    // Its upload goes with the row (the trigger avatars_gone).
    return this.#run(() =>
      Number(
        this.#q("DELETE FROM avatars WHERE user_key = ?").run(userKey).changes,
      ) === 1
    );
  }

  findAvatar(userKey: string): Promise<StoredUpload | undefined> {
    return this.#run(() => {
      const row = this.#q(
        `SELECT u.* FROM avatars a JOIN uploads u ON u.id = a.upload_id
         WHERE a.user_key = ?`,
      ).get(userKey) as UploadRow | undefined;
      return row ? toStoredUpload(row) : undefined;
    });
  }

  avatarIds(userKeys: readonly string[]): Promise<AvatarId[]> {
    return this.#run(() =>
      (this.#q(
        `SELECT a.user_key, a.upload_id FROM json_each(?) k
         JOIN avatars a ON a.user_key = k.value`,
      ).all(JSON.stringify(userKeys)) as {
        user_key: string;
        upload_id: string;
      }[]).map((row) => ({ userKey: row.user_key, uploadId: row.upload_id }))
    );
  }

  hashInUse(hash: string): Promise<boolean> {
    return this.#run(() =>
      this.#q("SELECT 1 FROM uploads WHERE hash = ? LIMIT 1").get(hash) !==
        undefined
    );
  }

  listUploads(after: string, limit: number): Promise<UploadBytes[]> {
    return this.#run(() =>
      (this.#q(
        `SELECT id, hash, created_at FROM uploads WHERE id > ?
         ORDER BY id LIMIT ?`,
      ).all(after, limit) as { id: string; hash: string; created_at: number }[])
        .map((row) => ({
          id: row.id,
          hash: row.hash,
          createdAt: Number(row.created_at),
        }))
    );
  }

  uploadsToReread(after: string, limit: number): Promise<StoredUpload[]> {
    return this.#run(() =>
      (this.#q(
        `SELECT u.* FROM upload_rereads r JOIN uploads u ON u.id = r.id
         WHERE r.id > ? ORDER BY r.id LIMIT ?`,
      ).all(after, limit) as unknown as UploadRow[]).map(toStoredUpload)
    );
  }

  finishReread(id: string, facts: UploadFacts): Promise<string[]> {
    return this.#run(() =>
      this.#transaction(() => {
        const changed = writeFacts(this.#q, id, facts);
        this.#q("DELETE FROM upload_rereads WHERE id = ?").run(id);
        return changed;
      })
    );
  }

  secret(name: string, fresh?: string): Promise<string> {
    return this.#run(() => {
      const existing = this.#q("SELECT value FROM secrets WHERE name = ?")
        .get(name) as { value: string } | undefined;
      if (existing) return existing.value;
      this.#q(
        "INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT DO NOTHING",
      ).run(name, fresh ?? randomBytes(32).toString("base64url"));
      return (this.#q("SELECT value FROM secrets WHERE name = ?").get(
        name,
      ) as { value: string }).value;
    });
  }
}

// An upload's facts into its row and into its attachment in each message
// that carries it (json_patch drops the keys the facts leave out); the
// messages' version trigger counts the change. Returns the ids of the
// messages changed.
function writeFacts(
  q: (sql: string) => StatementSync,
  id: string,
  facts: UploadFacts,
): string[] {
  q(
    "UPDATE uploads SET type = ?, width = ?, height = ?, frames = ? WHERE id = ?",
  ).run(
    facts.type,
    facts.width ?? null,
    facts.height ?? null,
    facts.frames ?? null,
    id,
  );
  const patch = JSON.stringify({
    type: facts.type,
    width: facts.width ?? null,
    height: facts.height ?? null,
    frames: facts.frames ?? null,
  });
  return q(
    `UPDATE messages SET attachments = (
       SELECT json_group_array(CASE
         WHEN a.value ->> 'url' LIKE '/files/' || ?1 || '/%'
         THEN json_patch(a.value, ?2) ELSE json(a.value) END ORDER BY a.key)
       FROM json_each(messages.attachments) a)
     WHERE json_type(attachments) = 'array' AND id IN (
       SELECT message_id FROM file_refs WHERE upload_id = ?1)
     RETURNING id`,
  ).all(id, patch).map((row) => String(row.id));
}

/**
 * Records an upload with no quota check, unless it is recorded already
 * (FileStorage records it before its bytes are written): in the commit of
 * a profile picture or a custom emoji that names it.
 */
export function recordUpload(
  q: (sql: string) => StatementSync,
  upload: StoredUpload,
): void {
  q(
    `INSERT INTO uploads (id, hash, name, type, size, uploader, width,
       height, frames, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO NOTHING`,
  ).run(...uploadValues(upload));
}

// An upload's columns in the order the inserts name them.
function uploadValues(upload: StoredUpload): (string | number | null)[] {
  return [
    upload.id,
    upload.hash,
    upload.name,
    upload.type,
    upload.size,
    upload.uploader,
    upload.width ?? null,
    upload.height ?? null,
    upload.frames ?? null,
    upload.createdAt,
  ];
}
