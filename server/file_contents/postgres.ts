import pLimit from "p-limit";
import postgres from "postgres";
import { databaseFailed, describeUrl } from "../store/postgres.ts";
import type { FileContents } from "./mod.ts";

/**
 * Files in the database every node shares (table `file_contents`, made by
 * the store's migrations), so a file uploaded through one node downloads
 * through any other with no shared folder. A pool of its own keeps a
 * 10 MB transfer from holding up the connections that store messages.
 */
export class PostgresFileContents implements FileContents {
  #sql: postgres.Sql;
  #where: string;

  readonly stagingDir: string;
  #inMemory = pLimit(2);

  constructor(url: string) {
    this.stagingDir = Deno.makeTempDirSync({ prefix: "chat-uploads-" });
    this.#where = describeUrl(url);
    this.#sql = postgres(url, {
      max: 4,
      connect_timeout: 5,
      idle_timeout: 30,
      fetch_types: false,
      onnotice: () => {},
      connection: { application_name: "chat-server files" },
    });
  }

  get describe(): string {
    return "the database";
  }

  async put(hash: string, stagedPath: string): Promise<void> {
    try {
      // Whole in memory for the insert: a few at a time keeps that bounded.
      await this.#inMemory(async () => {
        const bytes = await Deno.readFile(stagedPath);
        try {
          await this.#sql`
            INSERT INTO file_contents (hash, bytes) VALUES (${hash}, ${bytes})
            ON CONFLICT (hash) DO NOTHING`;
        } catch (error) {
          throw databaseFailed(this.#where, error);
        }
      });
    } finally {
      await Deno.remove(stagedPath).catch(() => {});
    }
  }

  async delete(hash: string): Promise<void> {
    try {
      // An upload of the same bytes recorded meanwhile keeps them.
      await this.#sql`
        DELETE FROM file_contents c WHERE c.hash = ${hash}
          AND NOT EXISTS (SELECT 1 FROM uploads u WHERE u.hash = c.hash)`;
    } catch (error) {
      throw databaseFailed(this.#where, error);
    }
  }

  async get(hash: string): Promise<ReadableStream<Uint8Array> | undefined> {
    let rows: { bytes: Uint8Array }[];
    try {
      rows = await this.#sql<{ bytes: Uint8Array }[]>`
        SELECT bytes FROM file_contents WHERE hash = ${hash}`;
    } catch (error) {
      throw databaseFailed(this.#where, error);
    }
    if (rows.length === 0) return undefined;
    const bytes = rows[0].bytes;
    return new ReadableStream({
      start(controller) {
        controller.enqueue(bytes);
        controller.close();
      },
    });
  }

  async close(): Promise<void> {
    await this.#sql.end({ timeout: 5 });
    await Deno.remove(this.stagingDir, { recursive: true }).catch(() => {});
  }
}
