import { join } from "node:path";
import pLimit from "p-limit";
import postgres from "postgres";
import { databaseFailed } from "../store/postgres_context.ts";
import { describeUrl } from "../store/postgres.ts";
import { poolOptions, RenewingPool } from "../store/postgres_pool.ts";
import type { FileContents, KeptFile } from "./mod.ts";

/** Rows of `file_contents` read at a time by `list`. */
const LIST_PAGE = 1000;

/**
 * Files in the database every node shares (table `file_contents`, made by
 * the store's migrations), so a file uploaded through one node downloads
 * through any other with no shared folder. A pool of its own keeps a
 * 10 MB transfer from holding up the connections that store messages.
 */
export class PostgresFileContents implements FileContents {
  #pool: RenewingPool<postgres.Sql>;
  #where: string;

  readonly stagingDir: string;
  // Made for this node alone (see stagingFolder): removed when it stops.
  #ownStaging: boolean;
  #inMemory = pLimit(2);

  /** `tempDir`: where the staging folder goes (the system's by default). */
  constructor(url: string, options: { tempDir?: string } = {}) {
    const staging = stagingFolder(options.tempDir ?? tempDir());
    this.stagingDir = staging.path;
    this.#ownStaging = staging.own;
    this.#where = describeUrl(url);
    this.#pool = RenewingPool.open(() =>
      postgres(url, poolOptions("chat-server files", { max: 4 }))
    );
  }

  get describe(): string {
    return "the database";
  }

  async put(hash: string, stagedPath: string): Promise<void> {
    try {
      // Whole in memory for the insert: a few at a time keeps that bounded.
      // The same bytes again are written anew, as a rename into a folder
      // writes a file anew: their time is now, so the daily walk leaves
      // them an hour, as it leaves an import's bytes placed before its
      // commit. The old bytes stay (the row's new version points at them).
      await this.#inMemory(async () => {
        const bytes = await Deno.readFile(stagedPath);
        try {
          await this.#pool.run((sql) =>
            sql`
            INSERT INTO file_contents (hash, bytes) VALUES (${hash}, ${bytes})
            ON CONFLICT (hash) DO UPDATE SET written_at = DEFAULT`
          );
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
      await this.#pool.run((sql) =>
        sql`
        DELETE FROM file_contents c WHERE c.hash = ${hash}
          AND NOT EXISTS (SELECT 1 FROM uploads u WHERE u.hash = c.hash)`
      );
    } catch (error) {
      throw databaseFailed(this.#where, error);
    }
  }

  // Paged by hash, each page its own statement: no transaction or cursor
  // is held open while the walk looks at the store. The size is read from
  // the value's header (no bytes are read).
  async *list(): AsyncIterable<KeptFile> {
    let after = "";
    for (;;) {
      let rows: { hash: string; size: number; written_at: string }[];
      try {
        rows = await this.#pool.run((sql) =>
          sql<{ hash: string; size: number; written_at: string }[]>`
          SELECT hash, octet_length(bytes) AS size, written_at
          FROM file_contents WHERE hash > ${after}
          ORDER BY hash LIMIT ${LIST_PAGE}`
        );
      } catch (error) {
        throw databaseFailed(this.#where, error);
      }
      for (const row of rows) {
        yield {
          hash: row.hash,
          size: Number(row.size),
          writtenAt: Number(row.written_at),
        };
      }
      if (rows.length < LIST_PAGE) return;
      after = rows[rows.length - 1].hash;
    }
  }

  async absent(hashes: string[]): Promise<string[]> {
    if (hashes.length === 0) return [];
    try {
      return (await this.#pool.run((sql) =>
        sql<{ hash: string }[]>`
        SELECT h.hash FROM jsonb_array_elements_text(${sql.json(hashes)})
          AS h(hash)
        WHERE NOT EXISTS (SELECT 1 FROM file_contents c WHERE c.hash = h.hash)`
      )).map((row) => row.hash);
    } catch (error) {
      throw databaseFailed(this.#where, error);
    }
  }

  async get(hash: string): Promise<ReadableStream<Uint8Array> | undefined> {
    let rows: { bytes: Uint8Array }[];
    try {
      rows = await this.#pool.run((sql) =>
        sql<{ bytes: Uint8Array }[]>`
        SELECT bytes FROM file_contents WHERE hash = ${hash}`
      );
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
    await this.#pool.end(5);
    if (this.#ownStaging) {
      await Deno.remove(this.stagingDir, { recursive: true }).catch(() => {});
    }
  }
}

function tempDir(): string {
  return Deno.env.get("TMPDIR") || "/tmp";
}

/**
 * Where a node stages uploads: one folder per user of the machine
 * (`chat-uploads-UID` in the temporary folder), shared by that user's nodes
 * and kept when they stop. A folder per process was left behind by every
 * node killed outright (SIGKILL, the OOM killer), one more each time; in
 * the shared one a crash leaves at most the upload it was receiving, which
 * the next node to start sweeps once old (FileStorage; files are named by
 * random UUIDs, so nodes never collide). A folder of that name that is not
 * this user's own, private directory (made by someone else first, a link,
 * readable by others) is not used: uploads may be private files. The node
 * then stages in a folder of its own, removed when it stops, as before.
 */
function stagingFolder(base: string): { path: string; own: boolean } {
  const uid = Deno.uid();
  if (uid !== null) {
    const path = join(base, `chat-uploads-${uid}`);
    try {
      Deno.mkdirSync(path, { mode: 0o700 });
    } catch {
      // There already, or not possible here: looked at next.
    }
    try {
      const info = Deno.lstatSync(path);
      if (
        info.isDirectory && info.uid === uid &&
        ((info.mode ?? 0) & 0o077) === 0
      ) {
        return { path, own: false };
      }
    } catch {
      // Not made: a folder of its own below says why, if it fails too.
    }
  }
  return {
    path: Deno.makeTempDirSync({ dir: base, prefix: "chat-uploads-" }),
    own: true,
  };
}
