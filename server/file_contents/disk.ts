import { statfs } from "node:fs/promises";
import { dirname, join } from "node:path";
import { flushFile, flushFolder } from "../flush.ts";
import type { FileContents, KeptFile } from "./mod.ts";

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Files in a folder, two levels by hash (`ab/abcd…`), with uploads staged
 * in its `.staging` folder. Several nodes can share it only through a
 * shared or network file system.
 */
export class DiskFileContents implements FileContents {
  #dir: string;
  #temporary: boolean;
  readonly stagingDir: string;

  /**
   * `temporary`: the folder was made for this process alone (an in-memory
   * database's files) and `close` removes it with everything in it.
   */
  constructor(dir: string, options: { temporary?: boolean } = {}) {
    this.#dir = dir;
    this.#temporary = options.temporary ?? false;
    this.stagingDir = join(dir, ".staging");
  }

  get describe(): string {
    return `folder ${this.#dir}`;
  }

  /**
   * Makes the folder and writes a file in it, at start: a `--files-dir`
   * that cannot be a folder (under a file, not writable) is a clear error
   * then, not an `internal` answer to every upload while /healthz says ok.
   */
  async ready(): Promise<void> {
    try {
      await Deno.mkdir(this.#dir, { recursive: true });
      // Its name too, if it was just made: every file's name hangs on it.
      await flushFolder(dirname(this.#dir));
      await Deno.remove(await Deno.makeTempFile({ dir: this.#dir }));
    } catch (error) {
      throw new Error(
        `Cannot keep files in '${this.#dir}': ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  async put(hash: string, stagedPath: string): Promise<void> {
    const path = this.#path(hash);
    if (path === undefined) throw new Error(`Not a SHA-256 hash: ${hash}`);
    // Its bytes flushed before it is named, its name (and a folder made
    // for it) after: an upload is answered, and a message that carries it
    // acknowledged, only once a power cut cannot take the bytes away, as
    // the store's commits cannot take the message (before, neither was
    // flushed: the message came back from a cut, its file empty or gone).
    // Costs one fsync of the file and one of its folder per upload, and
    // one more for each of the 256 folders the first time.
    await flushFile(stagedPath, { dataOnly: true });
    const folder = dirname(path);
    const made = await makeFolder(folder);
    // A rename within one file system: a crash never leaves half a file
    // under the name of a whole one.
    await Deno.rename(stagedPath, path);
    await flushFolder(folder);
    if (made) await flushFolder(this.#dir);
  }

  async get(hash: string): Promise<ReadableStream<Uint8Array> | undefined> {
    const path = this.#path(hash);
    if (path === undefined) return undefined;
    try {
      return (await Deno.open(path)).readable;
    } catch {
      return undefined;
    }
  }

  async delete(hash: string): Promise<void> {
    const path = this.#path(hash);
    if (path === undefined) return;
    await Deno.remove(path).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
  }

  // A folder of two hex digits holding files named by their hash; a name
  // of any other shape is not the server's and stays. An entry removed
  // between the listing and the look at it is passed over.
  async *list(): AsyncIterable<KeptFile> {
    for (const folder of await namesIn(this.#dir)) {
      if (!/^[0-9a-f]{2}$/.test(folder)) continue;
      for (const name of await namesIn(join(this.#dir, folder))) {
        if (!SHA256_HEX.test(name) || !name.startsWith(folder)) continue;
        try {
          const info = await Deno.lstat(join(this.#dir, folder, name));
          if (!info.isFile) continue;
          yield {
            hash: name,
            size: info.size,
            // No time known: counted as new, so it stays.
            writtenAt: info.mtime?.getTime() ?? Date.now(),
          };
        } catch (error) {
          if (!(error instanceof Deno.errors.NotFound)) throw error;
        }
      }
    }
  }

  // One look at the file a hash: what it costs the daily walk.
  async absent(hashes: string[]): Promise<string[]> {
    const gone: string[] = [];
    for (const hash of hashes) {
      const path = this.#path(hash);
      if (path === undefined) {
        gone.push(hash);
        continue;
      }
      try {
        if (!(await Deno.lstat(path)).isFile) gone.push(hash);
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
        gone.push(hash);
      }
    }
    return gone;
  }

  async freeBytes(): Promise<number> {
    // A server makes the folder at start (ready), an export or import
    // with its first file: until then its file system is that of the
    // nearest folder above it that exists.
    for (let dir = this.#dir;; dir = dirname(dir)) {
      try {
        const { bavail, bsize } = await statfs(dir);
        return bavail * bsize;
      } catch (error) {
        const missing = (error as { code?: string }).code === "ENOENT";
        if (!missing || dirname(dir) === dir) throw error;
      }
    }
  }

  async close(): Promise<void> {
    if (this.#temporary) {
      await Deno.remove(this.#dir, { recursive: true }).catch(() => {});
    }
  }

  // Only a SHA-256 in hex names a file here: a stored hash is a path, and
  // one imported as "../../etc/passwd" was served to anyone who could read
  // its message, and deleted with it.
  #path(hash: string): string | undefined {
    if (!SHA256_HEX.test(hash)) return undefined;
    return join(this.#dir, hash.slice(0, 2), hash);
  }
}

// The names in a folder, sorted; none when it is not there (a server
// that never kept a file).
async function namesIn(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return names.sort();
}

// True when the folder was not there (and the files folder may not be
// either: an export or import makes it with its first file).
async function makeFolder(path: string): Promise<boolean> {
  try {
    await Deno.mkdir(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) return false;
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  await Deno.mkdir(path, { recursive: true });
  return true;
}
