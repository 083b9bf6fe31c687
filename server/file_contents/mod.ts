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

/** Bytes kept under a hash, as {@link FileContents.list} finds them. */
export interface KeptFile {
  hash: string;
  /** Their length in bytes. */
  size: number;
  /** When they were last written (ms since the epoch). */
  writtenAt: number;
}

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
  /**
   * Every hash kept (staged uploads left out), for the walk that finds
   * bytes no upload names (FileStorage.removeUnnamed).
   */
  list(): AsyncIterable<KeptFile>;
  /**
   * Those of `hashes` that keep no bytes here, for the walk that finds
   * uploads whose bytes are gone (FileStorage.findMissing).
   */
  absent(hashes: string[]): Promise<string[]>;
  /** Releases what it holds open (connections). */
  close(): Promise<void>;
  /** Where the bytes are, for the log. */
  readonly describe: string;
}
