import { dirname, join } from "node:path";
import type { FileContents } from "./mod.ts";

/**
 * Files in a folder, two levels by hash (`ab/abcd…`). Several nodes can
 * share it only through a shared or network file system.
 */
export class DiskFileContents implements FileContents {
  #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  get describe(): string {
    return `folder ${this.#dir}`;
  }

  async put(hash: string, bytes: Uint8Array<ArrayBuffer>): Promise<void> {
    const path = this.#path(hash);
    await Deno.mkdir(dirname(path), { recursive: true });
    // Write aside, then rename: a crash never leaves half a file under
    // the name of a whole one.
    const temporary = `${path}.${crypto.randomUUID()}.part`;
    await Deno.writeFile(temporary, bytes);
    await Deno.rename(temporary, path);
  }

  async get(hash: string): Promise<ReadableStream<Uint8Array> | undefined> {
    try {
      return (await Deno.open(this.#path(hash))).readable;
    } catch {
      return undefined;
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  #path(hash: string): string {
    return join(this.#dir, hash.slice(0, 2), hash);
  }
}
