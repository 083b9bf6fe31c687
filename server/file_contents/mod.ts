/**
 * Where the bytes of shared files live, by SHA-256: a folder on one
 * machine, or the database when several nodes share one. Names, types and
 * sizes are the store's (`FileStore`); this holds the bytes only.
 */
export interface FileContents {
  /** Keeps the bytes under their hash; the same hash again is a no-op. */
  put(hash: string, bytes: Uint8Array<ArrayBuffer>): Promise<void>;
  /** The bytes kept under this hash, or undefined. */
  get(hash: string): Promise<ReadableStream<Uint8Array> | undefined>;
  /** Releases what it holds open (connections). */
  close(): Promise<void>;
  /** Where the bytes are, for the log. */
  readonly describe: string;
}
