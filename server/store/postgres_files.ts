import { randomBytes } from "node:crypto";
import type { FileStore, SaveUploadOptions, StoredUpload } from "./mod.ts";
import type { PostgresContext } from "./postgres_context.ts";
import { toStoredUpload, type UploadRow } from "./rows.ts";

/**
 * PostgresStore's files: uploads, their quota and references, and the
 * server's secrets (postgres.ts lends these methods to the store).
 */
export class PostgresFiles implements FileStore {
  #context: PostgresContext;

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
    return this.#context.run(async (sql) => {
      await sql`DELETE FROM uploads WHERE id = ${id}`;
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
    // no upload left standing uses.
    return this.#context.run(async (sql) =>
      (await sql<{ hash: string }[]>`
        WITH gone AS (
          DELETE FROM uploads u
          WHERE NOT EXISTS (SELECT 1 FROM file_refs f
              JOIN messages m ON m.id = f.message_id
              WHERE f.upload_id = u.id AND NOT m.deleted)
            AND (u.created_at < ${unattachedBefore}
              OR EXISTS (SELECT 1 FROM file_refs f WHERE f.upload_id = u.id))
          RETURNING u.id, u.hash
        ), refs AS (
          DELETE FROM file_refs f USING gone WHERE f.upload_id = gone.id
        )
        SELECT DISTINCT gone.hash FROM gone
        WHERE NOT EXISTS (SELECT 1 FROM uploads u
          WHERE u.hash = gone.hash
            AND u.id NOT IN (SELECT id FROM gone))`).map((row) => row.hash)
    );
  }

  hashInUse(hash: string): Promise<boolean> {
    return this.#context.run(async (sql) =>
      (await sql`SELECT 1 FROM uploads WHERE hash = ${hash} LIMIT 1`)
        .length > 0
    );
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
