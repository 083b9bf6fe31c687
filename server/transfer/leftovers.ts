/**
 * A refused import into SQLite leaves nothing it made: not the empty
 * database SQLite makes on opening a new path (a look at the folder would
 * find a database that never held anything, and a script that tests for
 * the file would think the import done), nor its -wal and -shm, nor the
 * files folder the import made for the bytes of files. What was there
 * before stays as it was.
 */
import { defaultFilesDir } from "../backends.ts";

/** Removes what the import made; nothing when it made nothing. */
export type Undo = () => Promise<void>;

/** Where an import into SQLite writes: as the server's flags name them. */
export interface SqlitePlaces {
  /** The SQLite file (`--db`). */
  db: string;
  /** The files folder (`--files-dir`), else the default beside `db`. */
  filesDir?: string;
}

const SIDE_FILES = ["-wal", "-shm", "-journal"];

/**
 * Notes, before the import opens anything, which of the database, its
 * side files and the files folder are not there yet; the answer removes
 * them. The side files go only with a database that is new: those of a
 * file that was there may be a running server's.
 */
export async function noteLeftovers(places: SqlitePlaces): Promise<Undo> {
  const made: string[] = [];
  if (places.db !== ":memory:" && !await exists(places.db)) {
    made.push(places.db, ...SIDE_FILES.map((suffix) => places.db + suffix));
  }
  // An in-memory database keeps files in a temporary folder, removed when
  // the import closes it.
  const filesDir = places.filesDir ??
    (places.db === ":memory:" ? undefined : defaultFilesDir(places.db));
  if (filesDir !== undefined && !await exists(filesDir)) made.push(filesDir);
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
