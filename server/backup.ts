/**
 * An online backup of the SQLite database (`chat-server backup`, `deno task
 * backup`): a consistent copy taken while the server keeps serving.
 *
 * SQLite's backup API (node:sqlite `backup()`) copies every page in one step,
 * inside one read transaction, so the copy is the database as it was at one
 * instant: every message acknowledged before the backup started is in it,
 * none half-written. In WAL mode a reader never blocks the writer, so sends
 * go on meanwhile; the cost is that the WAL grows until the copy ends
 * (checkpoints cannot pass the reader). One step, not many: a stepped copy
 * starts over whenever another connection writes, so under steady sends it
 * would never end. `VACUUM INTO` would do the same and compact, but Deno's
 * node:sqlite refuses it (and any ATTACH) without --allow-all, since it
 * writes a file the permissions cannot see.
 *
 * The copy is written beside the target under a hidden name, switched to
 * rollback mode (one self-contained file, no -wal or -shm to carry around),
 * checked (`PRAGMA quick_check`), flushed to disk, then linked to the target
 * name, which must not exist: a failure or an interruption leaves no file.
 * A kill leaves the hidden copy, which the next backup into the folder
 * removes (see removeAbandoned).
 */
import { backup, DatabaseSync } from "node:sqlite";
import { basename, dirname, join } from "node:path";
import { flushFile, flushFolder } from "./flush.ts";

/** A backup that cannot be made, with a message saying why. */
export class BackupError extends Error {
  override name = "BackupError";
}

/** What a backup copied. */
export interface BackupReport {
  /** Size of the copy, in bytes. */
  bytes: number;
  /** Messages in the copy (room and private). */
  messages: number;
  /** How long it took, in milliseconds. */
  ms: number;
}

/** Options of {@link backupSqlite}. */
export interface BackupOptions {
  /**
   * How long to wait for a lock another process holds (`--db-busy-timeout`);
   * the server's own writes never wait for the backup in WAL mode.
   */
  busyTimeoutMs: number;
  /** Stops the backup (removing the partial copy) at its next step. */
  signal?: AbortSignal;
  /** Told once the copy is about to start, e.g. to say so. */
  onStart?: () => void;
}

function isNotFound(error: unknown): boolean {
  return error instanceof Deno.errors.NotFound;
}

async function removeIfThere(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

function why(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function checkSource(db: string): Promise<void> {
  if (db === "" || db === ":memory:" || db.startsWith("file:")) {
    throw new BackupError(`Cannot back up '${db}': give the path of a file`);
  }
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(db);
  } catch (error) {
    throw new BackupError(
      isNotFound(error)
        ? `Cannot back up '${db}': no such file`
        : `Cannot back up '${db}': ${why(error)}`,
    );
  }
  if (!info.isFile) {
    throw new BackupError(`Cannot back up '${db}': not a file`);
  }
}

async function checkTarget(to: string): Promise<void> {
  try {
    await Deno.lstat(to);
  } catch (error) {
    if (isNotFound(error)) return;
    throw new BackupError(`Cannot write '${to}': ${why(error)}`);
  }
  throw new BackupError(
    `Cannot write '${to}': it already exists (a backup never overwrites; choose a new name)`,
  );
}

// Opens the database without ever creating or changing it.
function openSource(db: string, busyTimeoutMs: number): DatabaseSync {
  try {
    const source = new DatabaseSync(db, {
      readOnly: true,
      timeout: busyTimeoutMs,
    });
    // Reading the schema is what finds out that a file is no database.
    source.prepare("SELECT count(*) FROM sqlite_schema").get();
    return source;
  } catch (error) {
    throw new BackupError(`Cannot read database '${db}': ${why(error)}`);
  }
}

// Makes the copy one self-contained file, checks it from end to end and
// counts its messages.
function seal(path: string, db: string): number {
  const copy = new DatabaseSync(path);
  try {
    copy.exec("PRAGMA journal_mode = DELETE");
    const check = copy.prepare("PRAGMA quick_check").all() as {
      quick_check: string;
    }[];
    if (check.length !== 1 || check[0].quick_check !== "ok") {
      throw new BackupError(
        `The copy of '${db}' failed its check: ${
          check.map((row) => row.quick_check).join("; ")
        }`,
      );
    }
    const table = copy.prepare(
      "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'messages'",
    ).get();
    if (!table) return 0;
    const { n } = copy.prepare("SELECT count(*) AS n FROM messages").get() as {
      n: number;
    };
    return n;
  } finally {
    copy.close();
  }
}

// Gives the finished copy its name, refusing to replace a file that
// appeared meanwhile (a hard link fails if the name is taken).
async function publish(partial: string, to: string): Promise<void> {
  try {
    await Deno.link(partial, to);
  } catch {
    // Taken meanwhile (this says so), or no hard links on this file system:
    // then rename, checked just before.
    await checkTarget(to);
    await Deno.rename(partial, to);
    return;
  }
  await Deno.remove(partial);
}

/**
 * Copies the SQLite database `db` to the new file `to`, consistently, while
 * other processes keep writing to it; throws a BackupError saying what is
 * wrong (missing database, existing or unwritable target, not a database),
 * leaving no file behind.
 */
export async function backupSqlite(
  db: string,
  to: string,
  options: BackupOptions,
): Promise<BackupReport> {
  const started = performance.now();
  await checkSource(db);
  await checkTarget(to);
  const folder = dirname(to);
  const partial = join(
    folder,
    `.${basename(to)}.partial-${crypto.randomUUID().slice(0, 8)}`,
  );
  await removeAbandoned(folder);
  // Held (flock) until the copy has its name: what tells another backup
  // that this one is under way.
  let held: Deno.FsFile;
  try {
    // Made empty first (an empty file is an empty database): an unwritable
    // folder is found before any copying.
    held = await Deno.open(partial, { createNew: true, write: true });
    await held.lock(true);
  } catch (error) {
    throw new BackupError(
      isNotFound(error)
        ? `Cannot write '${to}': no folder '${folder}'`
        : error instanceof Deno.errors.PermissionDenied
        ? `Cannot write '${to}': permission denied in '${folder}'`
        : `Cannot write '${to}': ${why(error)}`,
    );
  }
  const stopIfAsked = () => {
    if (options.signal?.aborted) {
      throw new BackupError(`Backup of '${db}' interrupted; nothing written`);
    }
  };
  try {
    const source = openSource(db, options.busyTimeoutMs);
    try {
      stopIfAsked();
      options.onStart?.();
      // rate -1: every page in one step, one read transaction.
      await backup(source, partial, { rate: -1 });
    } catch (error) {
      if (error instanceof BackupError) throw error;
      throw new BackupError(`Cannot copy '${db}': ${why(error)}`);
    } finally {
      source.close();
    }
    stopIfAsked();
    const messages = seal(partial, db);
    await flushFile(partial);
    stopIfAsked();
    await publish(partial, to);
    await flushFolder(folder);
    const { size } = await Deno.stat(to);
    return { bytes: size, messages, ms: performance.now() - started };
  } catch (error) {
    await removePartial(partial);
    throw error instanceof BackupError
      ? error
      : new BackupError(`Cannot back up '${db}': ${why(error)}`);
  } finally {
    // Only now: closing any descriptor of a file drops the locks SQLite's
    // own hold on it (POSIX), and its connections are closed by now.
    held.close();
  }
}

async function removePartial(partial: string): Promise<void> {
  for (const suffix of ["", "-journal", "-wal", "-shm"]) {
    await removeIfThere(partial + suffix).catch(() => {});
  }
}

const PARTIAL = /^\..+\.partial-[0-9a-f]{8}$/;

/**
 * Removes the partial copies of backups that were killed outright
 * (SIGKILL, the OOM killer, a power cut), which no cleanup of theirs
 * removed: whole hidden copies of the database, left beside the backups
 * for good (a later backup, under a new name, never looked at them). One
 * whose lock is held is a backup under way, and stays.
 */
async function removeAbandoned(folder: string): Promise<void> {
  let names: string[];
  try {
    names = [...Deno.readDirSync(folder)]
      .filter((entry) => entry.isFile && PARTIAL.test(entry.name))
      .map((entry) => entry.name);
  } catch {
    return; // No folder: said when the copy is made.
  }
  for (const name of names) {
    const path = join(folder, name);
    try {
      using file = await Deno.open(path, { read: true });
      if (await file.tryLock(true)) await removePartial(path);
    } catch {
      // Gone meanwhile, or not ours to open: left as it is.
    }
  }
}
