/**
 * A refused import leaves nothing it made on disk. Into SQLite: not the
 * empty database SQLite makes on opening a new path (a look at the folder
 * would find a database that never held anything, and a script that tests
 * for the file would think the import done), nor its -wal and -shm, nor
 * the files folder the import made for the bytes of files. Into
 * PostgreSQL: not the `--files-dir` folder it made (the rows, and bytes
 * kept in the database, go with the rolled-back transaction). What was
 * there before stays as it was.
 */
import { defaultFilesDir } from "../file_contents/open.ts";

/** Removes what the import made; nothing when it made nothing. */
export type Undo = () => Promise<void>;

/** Where an import writes: as the server's flags name them. */
export interface ImportPlaces {
  /** The SQLite file (`--db`); unused with `databaseUrl`. */
  db: string;
  /** PostgreSQL instead (`--database-url`): no file of `db` is touched. */
  databaseUrl?: string;
  /**
   * The files folder (`--files-dir`), else with SQLite the default beside
   * `db`, with PostgreSQL the database itself.
   */
  filesDir?: string;
}

const SIDE_FILES = ["-wal", "-shm", "-journal"];

/**
 * Notes, before the import opens anything, which of the SQLite database,
 * its side files and the files folder are not there yet; the answer
 * removes them. The side files go only with a database that is new: those
 * of a file that was there may be a running server's.
 */
export async function noteLeftovers(places: ImportPlaces): Promise<Undo> {
  const made: string[] = [];
  if (places.databaseUrl !== undefined) {
    if (places.filesDir !== undefined && !await exists(places.filesDir)) {
      made.push(places.filesDir);
    }
    return undo(made);
  }
  if (places.db !== ":memory:" && !await exists(places.db)) {
    made.push(places.db, ...SIDE_FILES.map((suffix) => places.db + suffix));
  }
  // An in-memory database keeps files in a temporary folder, removed when
  // the import closes it.
  const filesDir = places.filesDir ??
    (places.db === ":memory:" ? undefined : defaultFilesDir(places.db));
  if (filesDir !== undefined && !await exists(filesDir)) made.push(filesDir);
  return undo(made);
}

function undo(made: string[]): Undo {
  return async () => {
    for (const path of made) {
      try {
        await Deno.remove(path, { recursive: true });
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
    }
  };
}

// Anything but "not found" (no permission to look) counts as there, so
// it is never removed.
async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    return !(error instanceof Deno.errors.NotFound);
  }
}
