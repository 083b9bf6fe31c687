import { statfs } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { FileContents } from "./mod.ts";

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
    await Deno.mkdir(dirname(path), { recursive: true });
    // A rename within one file system: a crash never leaves half a file
    // under the name of a whole one.
    await Deno.rename(stagedPath, path);
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

  // Only what `put` names (`ab/abcd…`): anything else in the folder
  // (`.staging`, an operator's notes) is not a file of ours.
  async *hashes(): AsyncIterable<string> {
    for (const prefix of await names(this.#dir, "folder")) {
      if (!/^[0-9a-f]{2}$/.test(prefix)) continue;
      for (const name of await names(join(this.#dir, prefix), "file")) {
        if (SHA256_HEX.test(name) && name.startsWith(prefix)) yield name;
      }
    }
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

// The names of a folder's entries of one kind, read in full before any is
// acted on (removing entries while a folder is read may skip others);
// none when there is no folder.
async function names(dir: string, kind: "file" | "folder"): Promise<string[]> {
  const found: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (kind === "file" ? entry.isFile : entry.isDirectory) {
        found.push(entry.name);
      }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return found;
}
