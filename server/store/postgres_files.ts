import { randomBytes } from "node:crypto";
import type {
  AvatarId,
  FileStore,
  SaveUploadOptions,
  StoredUpload,
  UploadBytes,
  UploadFacts,
} from "./mod.ts";
import type { TransactionSql } from "postgres";
import type { PostgresContext } from "./postgres_context.ts";
import { toStoredUpload, type UploadRow } from "./rows.ts";

/**
 * The class of the advisory locks of file deletions ("file"), the other
 * key a hash's hashtext: chat_save_upload takes the same one.
 */
const FILE_LOCK = 1718185061;

/**
 * PostgresStore's files: uploads, their quota and references, and the
 * server's secrets (postgres.ts lends these methods to the store).
 */
export class PostgresFiles implements FileStore {
  #context: PostgresContext;
  // The deletion turns this process holds: per hash, the end of the
  // transaction that holds the hash's advisory lock, from
  // claimFileDeletion to finishFileDeletion. A process that dies loses its
  // connections, and their locks with them: no turn outlives its holder.
  #turns = new Map<
    string,
    { end: (deleted: boolean) => void; done: Promise<unknown> }
  >();

  constructor(context: PostgresContext) {
    this.#context = context;
  }

  saveUpload(
    upload: StoredUpload,
    options: SaveUploadOptions = {},
  ): Promise<boolean> {
    // The quota's check and the insert under a lock of the uploader's
    // usage row: one function (postgres_schema.ts), one round trip.
    return this.#context.run(async (sql) => {
      const [row] = await sql<{ saved: boolean }[]>`
        SELECT chat_save_upload(${upload.id}, ${upload.hash}, ${upload.name},
          ${upload.type}, ${upload.size}, ${upload.uploader},
          ${upload.width ?? null}, ${upload.height ?? null},
          ${upload.frames ?? null}, ${upload.createdAt},
          ${options.quotaBytes ?? 0}) AS saved`;
      return row.saved;
    });
  }

  uploadedBytes(uploader: string): Promise<number> {
    return this.#context.run(async (sql) => {
      const [row] = await sql<{ bytes: number }[]>`
        SELECT bytes FROM upload_usage WHERE uploader = ${uploader}`;
      return row?.bytes ?? 0;
    });
  }

  findUpload(id: string): Promise<StoredUpload | undefined> {
    return this.#context.run(async (sql) => {
      const [row] = await sql<UploadRow[]>`
        SELECT id, hash, name, type, size, uploader, width, height, frames,
          created_at
        FROM uploads WHERE id = ${id}`;
      return row ? toStoredUpload(row) : undefined;
    });
  }

  deleteUpload(id: string): Promise<void> {
    // One statement: the upload, and its hash recorded when no other
    // upload uses it.
    return this.#context.run(async (sql) => {
      await sql`
        WITH gone AS (DELETE FROM uploads WHERE id = ${id} RETURNING id, hash)
        INSERT INTO file_deletions (hash)
        SELECT hash FROM gone
        WHERE NOT EXISTS (SELECT 1 FROM uploads u
          WHERE u.hash = gone.hash AND u.id <> gone.id)
        ON CONFLICT DO NOTHING`;
    });
  }

  uploadStreams(id: string): Promise<{ stream: string; ts: number }[]> {
    return this.#context.run(async (sql) =>
      (await sql<{ stream: string; ts: number }[]>`
        SELECT f.stream, max(m.ts) AS ts FROM file_refs f
        JOIN messages m ON m.id = f.message_id
        WHERE f.upload_id = ${id} AND NOT m.deleted
        GROUP BY f.stream`).map((row) => ({ stream: row.stream, ts: row.ts }))
    );
  }

  uploadCarried(id: string): Promise<boolean> {
    return this.#context.run(async (sql) =>
      (await sql`SELECT 1 FROM file_refs WHERE upload_id = ${id} LIMIT 1`)
        .length > 0
    );
  }

  sweepUploads(unattachedBefore: number): Promise<string[]> {
    // One statement: the uploads, then their references, then the hashes
    // no upload left standing uses, recorded for deletion. An upload of
    // one of them committed meanwhile is not seen here: the deletion's
    // claim sees it, and clears the record.
    return this.#context.run(async (sql) =>
      (await sql<{ hash: string }[]>`
        WITH gone AS (
          DELETE FROM uploads u
          WHERE NOT EXISTS (SELECT 1 FROM file_refs f
              JOIN messages m ON m.id = f.message_id
              WHERE f.upload_id = u.id AND NOT m.deleted)
            AND (u.created_at < ${unattachedBefore}
              OR EXISTS (SELECT 1 FROM file_refs f WHERE f.upload_id = u.id))
            AND NOT EXISTS (SELECT 1 FROM avatars a WHERE a.upload_id = u.id)
            AND NOT EXISTS (SELECT 1 FROM custom_emoji e
              WHERE e.upload_id = u.id)
            -- Those messages scheduled for later carry, as in sqlite_files.ts.
            AND u.id NOT IN (
              SELECT split_part(a->>'url', '/', 3)
              FROM scheduled_messages s,
                jsonb_array_elements(s.attachments) a
              WHERE s.attachments IS NOT NULL
                AND a->>'url' LIKE '/files/%/%')
          RETURNING u.id, u.hash
        ), refs AS (
          DELETE FROM file_refs f USING gone WHERE f.upload_id = gone.id
        ), unused AS (
          SELECT DISTINCT gone.hash FROM gone
          WHERE NOT EXISTS (SELECT 1 FROM uploads u
            WHERE u.hash = gone.hash
              AND u.id NOT IN (SELECT id FROM gone))
        ), recorded AS (
          INSERT INTO file_deletions (hash) SELECT hash FROM unused
          ON CONFLICT DO NOTHING
        )
        SELECT hash FROM unused`).map((row) => row.hash)
    );
  }

  recordFileDeletions(hashes: string[]): Promise<void> {
    return this.#context.run(async (sql) => {
      await sql`
        INSERT INTO file_deletions (hash)
        SELECT DISTINCT jsonb_array_elements_text(${sql.json(hashes)})
        ON CONFLICT DO NOTHING`;
    });
  }

  pendingFileDeletions(after: string, limit: number): Promise<string[]> {
    return this.#context.run(async (sql) =>
      (await sql<{ hash: string }[]>`
        SELECT hash FROM file_deletions WHERE hash > ${after}
        ORDER BY hash LIMIT ${limit}`).map((row) => row.hash)
    );
  }

  // The turn is a transaction's advisory lock, the transaction left open
  // until finishFileDeletion (one per deletion under way, and a process
  // deletes one at a time: a connection of the pool for milliseconds). An
  // upload takes the same lock in its transaction (chat_save_upload), so
  // it is recorded either before the lock is held (the check below, a
  // statement started after, sees it) or after the turn ends (its bytes
  // are put after its commit): never bytes deleted under an upload,
  // whichever nodes do each.
  claimFileDeletion(hash: string): Promise<boolean> {
    return this.#context.run(async (sql) => {
      const claimed = Promise.withResolvers<boolean>();
      const ended = Promise.withResolvers<boolean>();
      const done = sql.begin(async (tx) => {
        const [{ locked }] = await tx<{ locked: boolean }[]>`
          SELECT pg_try_advisory_xact_lock(${FILE_LOCK}, hashtext(${hash}))
            AS locked`;
        if (!locked) return claimed.resolve(false);
        // Cleared, with the commit, when an upload uses the bytes again.
        const [row] = await tx<{ pending: boolean; used: boolean }[]>`
          WITH state AS (
            SELECT
              EXISTS (SELECT 1 FROM file_deletions WHERE hash = ${hash})
                AS pending,
              EXISTS (SELECT 1 FROM uploads WHERE hash = ${hash}) AS used
          ), cleared AS (
            DELETE FROM file_deletions
            WHERE hash = ${hash} AND (SELECT used FROM state)
          )
          SELECT pending, used FROM state`;
        if (!row.pending || row.used) return claimed.resolve(false);
        claimed.resolve(true);
        if (await ended.promise) {
          await tx`DELETE FROM file_deletions WHERE hash = ${hash}`;
        }
      });
      // A connection lost during the turn fails its end, never the process:
      // the transaction is then left waiting for good (the driver would
      // write its next statement to the closed socket, an uncaught error).
      let lost = false;
      done.catch((error) => {
        lost = true;
        claimed.reject(error);
      });
      const kept = await claimed.promise;
      if (kept) {
        const end = (deleted: boolean) => {
          if (!lost) ended.resolve(deleted);
        };
        this.#turns.set(hash, { end, done });
      } else await done;
      return kept;
    });
  }

  async finishFileDeletion(hash: string, deleted: boolean): Promise<void> {
    const turn = this.#turns.get(hash);
    if (!turn) return;
    this.#turns.delete(hash);
    turn.end(deleted);
    try {
      await turn.done;
    } catch (error) {
      throw this.#context.unavailable(error);
    }
  }

  setAvatar(
    userKey: string,
    upload: StoredUpload,
    accountCreatedAt?: number,
  ): Promise<boolean> {
    // chat_save_upload takes the hash's deletion lock (no quota: 0), for
    // an upload not recorded yet (FileStorage records it before its bytes
    // are written); the upload replaced goes with its row (the trigger
    // avatars_gone). The account's row is locked against its deletion
    // until the commit.
    return this.#context.runRetryingConflicts((sql) =>
      sql.begin(async (tx) => {
        const [account] = await tx<{ created_at: string }[]>`
          SELECT created_at FROM accounts WHERE key = ${userKey}
          FOR KEY SHARE`;
        if (
          !account ||
          (accountCreatedAt !== undefined &&
            Number(account.created_at) !== accountCreatedAt)
        ) return false;
        await recordUpload(tx, upload);
        await tx`
          INSERT INTO avatars (user_key, upload_id) VALUES (${userKey}, ${upload.id})
          ON CONFLICT (user_key) DO UPDATE SET upload_id = excluded.upload_id`;
        return true;
      }) as Promise<boolean>
    );
  }

  removeAvatar(userKey: string): Promise<boolean> {
    // Its upload goes with the row (the trigger avatars_gone).
    return this.#context.run(async (sql) =>
      (await sql`DELETE FROM avatars WHERE user_key = ${userKey}`).count === 1
    );
  }

  avatarIds(userKeys: readonly string[]): Promise<AvatarId[]> {
    return this.#context.run(async (sql) =>
      (await sql<{ user_key: string; upload_id: string }[]>`
        SELECT user_key, upload_id FROM avatars
        WHERE user_key = ANY(ARRAY(SELECT jsonb_array_elements_text(${
        sql.json(userKeys as string[])
      })))`).map((row) => ({
        userKey: row.user_key,
        uploadId: row.upload_id,
      }))
    );
  }

  findAvatar(userKey: string): Promise<StoredUpload | undefined> {
    return this.#context.run(async (sql) => {
      const [row] = await sql<UploadRow[]>`
        SELECT u.id, u.hash, u.name, u.type, u.size, u.uploader, u.width,
          u.height, u.frames, u.created_at
        FROM avatars a JOIN uploads u ON u.id = a.upload_id
        WHERE a.user_key = ${userKey}`;
      return row ? toStoredUpload(row) : undefined;
    });
  }

  hashInUse(hash: string): Promise<boolean> {
    return this.#context.run(async (sql) =>
      (await sql`SELECT 1 FROM uploads WHERE hash = ${hash} LIMIT 1`)
        .length > 0
    );
  }

  listUploads(after: string, limit: number): Promise<UploadBytes[]> {
    return this.#context.run(async (sql) =>
      (await sql<{ id: string; hash: string; created_at: string }[]>`
        SELECT id, hash, created_at FROM uploads WHERE id > ${after}
        ORDER BY id LIMIT ${limit}`).map((row) => ({
        id: row.id,
        hash: row.hash,
        createdAt: Number(row.created_at),
      }))
    );
  }

  uploadsToReread(after: string, limit: number): Promise<StoredUpload[]> {
    return this.#context.run(async (sql) =>
      (await sql<UploadRow[]>`
        SELECT u.id, u.hash, u.name, u.type, u.size, u.uploader, u.width,
          u.height, u.frames, u.created_at
        FROM upload_rereads r JOIN uploads u ON u.id = r.id
        WHERE r.id > ${after} ORDER BY r.id LIMIT ${limit}`).map(toStoredUpload)
    );
  }

  finishReread(id: string, facts: UploadFacts): Promise<string[]> {
    // One statement, one commit: the row, the messages' attachments (the
    // keys the facts leave out dropped; the version trigger counts the
    // change) and the mark; it answers with the messages changed.
    return this.#context.run(async (sql) => {
      const patch = {
        type: facts.type,
        ...(facts.width !== undefined ? { width: facts.width } : {}),
        ...(facts.height !== undefined ? { height: facts.height } : {}),
        ...(facts.frames !== undefined ? { frames: facts.frames } : {}),
      };
      const changed = await sql<{ id: string }[]>`
        WITH upload AS (
          UPDATE uploads SET type = ${facts.type},
            width = ${facts.width ?? null}, height = ${facts.height ?? null},
            frames = ${facts.frames ?? null}
          WHERE id = ${id}
        ), carried AS (
          UPDATE messages m SET attachments = (
            SELECT jsonb_agg(CASE
              WHEN a.value ->> 'url' LIKE '/files/' || ${id}::text || '/%'
              THEN (a.value - 'width' - 'height' - 'frames') ||
                ${sql.json(patch)}::jsonb
              ELSE a.value END ORDER BY a.ord)
            FROM jsonb_array_elements(m.attachments) WITH ORDINALITY
              a(value, ord))
          WHERE jsonb_typeof(m.attachments) = 'array' AND m.id IN (
            SELECT message_id FROM file_refs WHERE upload_id = ${id})
          RETURNING m.id
        ), mark AS (
          DELETE FROM upload_rereads WHERE id = ${id}
        )
        SELECT id FROM carried`;
      return changed.map((row) => row.id);
    });
  }

  secret(name: string, fresh?: string): Promise<string> {
    return this.#context.run(async (sql) => {
      const [existing] = await sql<{ value: string }[]>`
        SELECT value FROM secrets WHERE name = ${name}`;
      if (existing) return existing.value;
      const value = fresh ?? randomBytes(32).toString("base64url");
      const [row] = await sql<{ value: string }[]>`
        WITH fresh AS (
          INSERT INTO secrets (name, value)
          VALUES (${name}, ${value})
          ON CONFLICT (name) DO NOTHING
          RETURNING value
        )
        SELECT value FROM fresh
        UNION ALL SELECT value FROM secrets WHERE name = ${name}
        LIMIT 1`;
      if (row) return row.value;
      // Another process inserted it after this statement's snapshot.
      const [theirs] = await sql<{ value: string }[]>`
        SELECT value FROM secrets WHERE name = ${name}`;
      return theirs.value;
    });
  }
}

/**
 * Records an upload with no quota check (chat_save_upload with 0, which
 * takes the hash's deletion lock), unless it is recorded already
 * (FileStorage records it before its bytes are written): in the
 * transaction of a profile picture or a custom emoji that names it.
 */
export async function recordUpload(
  tx: TransactionSql<{ bigint: number }>,
  upload: StoredUpload,
): Promise<void> {
  await tx`
    SELECT chat_save_upload(${upload.id}, ${upload.hash}, ${upload.name},
      ${upload.type}, ${upload.size}, ${upload.uploader},
      ${upload.width ?? null}, ${upload.height ?? null},
      ${upload.frames ?? null}, ${upload.createdAt}, 0)
    WHERE NOT EXISTS (SELECT 1 FROM uploads WHERE id = ${upload.id})`;
}
