/**
 * Where the bytes of shared files are, as a node, an export and an import
 * choose it: a module of its own, apart from backends.ts, so that
 * `chat-server import` and `import-slack` open their files folder without
 * loading the server's store, log and fan-out modules (they cost an
 * import's small heap about 5 MiB before a line is read,
 * docs/performance.md "Imports' memory").
 */
import { dirname, join } from "node:path";
import type { Config } from "../config.ts";
import { DiskFileContents } from "./disk.ts";
import type { FileContents } from "./mod.ts";

/**
 * Where the bytes of shared files are: the database with `databaseUrl`
 * (unless `filesDir` names a folder), else a folder (`filesDir`, or
 * `files` beside the SQLite file). Export and import choose as a node does.
 * Uploads to the database stage in a folder in `tempDir` (default: the
 * system's temporary folder).
 */
export async function openFileContents(
  config: Pick<Config, "databaseUrl" | "filesDir" | "db">,
  { tempDir }: { tempDir?: string } = {},
): Promise<FileContents> {
  return config.databaseUrl && filesInDatabase(config)
    ? new (await import("./postgres.ts")).PostgresFileContents(
      config.databaseUrl,
      { tempDir },
    )
    : config.filesDir === undefined && config.db === ":memory:"
    ? new DiskFileContents(
      Deno.makeTempDirSync({ prefix: "chat-files-" }),
      { temporary: true },
    )
    : new DiskFileContents(config.filesDir ?? defaultFilesDir(config.db));
}

export function filesInDatabase(
  config: Pick<Config, "databaseUrl" | "filesDir">,
): boolean {
  return config.databaseUrl !== undefined && config.filesDir === undefined;
}

/**
 * Where a SQLite server keeps shared files without `--files-dir`: beside
 * the database. An in-memory database gets a temporary folder instead
 * (openFileContents), removed when the server stops: its files go with
 * the process, like its messages.
 */
export function defaultFilesDir(db: string): string {
  return join(dirname(db), "files");
}
