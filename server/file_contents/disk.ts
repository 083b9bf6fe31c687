import { statfs } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { FileContents } from "./mod.ts";

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
    await Deno.mkdir(dirname(path), { recursive: true });
    // A rename within one file system: a crash never leaves half a file
    // under the name of a whole one.
    await Deno.rename(stagedPath, path);
  }

  async get(hash: string): Promise<ReadableStream<Uint8Array> | undefined> {
    try {
      return (await Deno.open(this.#path(hash))).readable;
    } catch {
      return undefined;
    }
  }

  async delete(hash: string): Promise<void> {
    await Deno.remove(this.#path(hash)).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
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

  #path(hash: string): string {
    return join(this.#dir, hash.slice(0, 2), hash);
  }
}
