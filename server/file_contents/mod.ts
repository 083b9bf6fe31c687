/**
 * Where the bytes of shared files live, by SHA-256: a folder on one
 * machine, or the database when several nodes share one. Names, types and
 * sizes are the store's (`FileStore`); this holds the bytes only.
 */
/**
 * How the list of the hashes an import placed ends its name, in the
 * staging folder: a server's start has those no upload refers to deleted.
 */
export const PLACED_LIST = ".placed";

export interface FileContents {
  /**
   * A folder where an upload is written while it arrives, from which `put`
   * takes it (on the same file system as a folder of files, so `put` is a
   * rename).
   */
  readonly stagingDir: string;
  /**
   * Keeps the bytes of a staged file under their hash and removes the
   * staged file; the same hash again keeps the bytes once.
   */
  put(hash: string, stagedPath: string): Promise<void>;
  /** The bytes kept under this hash, or undefined. */
  get(hash: string): Promise<ReadableStream<Uint8Array> | undefined>;
  /** Removes the bytes kept under this hash (none: nothing happens). */
  delete(hash: string): Promise<void>;
  /**
   * Bytes free to this process on the file system where the bytes are
   * kept, for `--disk-reserve`; absent where they are not on this
   * machine's disk (the database's is not ours to look at).
   */
  freeBytes?(): Promise<number>;
  /** Releases what it holds open (connections). */
  close(): Promise<void>;
  /** Where the bytes are, for the log. */
  readonly describe: string;
}
