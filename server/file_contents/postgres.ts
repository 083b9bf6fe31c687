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

  constructor(url: string) {
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

  async put(hash: string, bytes: Uint8Array<ArrayBuffer>): Promise<void> {
    try {
      await this.#sql`
        INSERT INTO file_contents (hash, bytes) VALUES (${hash}, ${bytes})
        ON CONFLICT (hash) DO NOTHING`;
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
  }
}
