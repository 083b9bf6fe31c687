/**
 * Rows of one table of a converted Slack export, written to a temporary
 * file as each conversation is converted and read back in order when the
 * import reads its lines: the converter holds one conversation's rows,
 * not the whole export's (a message row and its origin are about 700
 * bytes in memory, 100,000 messages 534 MiB at peak before,
 * docs/performance.md "Imports' memory"). The cost: each row written and
 * read once more, a few seconds a million.
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import type { Row } from "../format.ts";

/** Bytes gathered before a write to the file. */
const WRITE_BYTES = 256 * 1024;

/** One table's rows (or one string a row), in a temporary folder's file. */
export class RowSpool<T extends Row | string = Row> {
  #path: string;
  #file: Deno.FsFile;
  #pending: string[] = [];
  #pendingBytes = 0;
  #count = 0;
  #encoder = new TextEncoder();

  /** A spool in `dir` (a folder the caller removes), by `name`. */
  constructor(dir: string, name: string) {
    this.#path = `${dir}/${name}.jsonl`;
    this.#file = Deno.openSync(this.#path, {
      write: true,
      create: true,
      truncate: true,
    });
  }

  /** Rows written so far. */
  get count(): number {
    return this.#count;
  }

  /** Adds a row at the end. */
  push(row: T): void {
    const line = JSON.stringify(row);
    this.#pending.push(line);
    this.#pendingBytes += line.length + 1;
    this.#count++;
    if (this.#pendingBytes >= WRITE_BYTES) this.#flush();
  }

  #flush(): void {
    if (this.#pending.length === 0) return;
    const bytes = this.#encoder.encode(`${this.#pending.join("\n")}\n`);
    this.#pending = [];
    this.#pendingBytes = 0;
    for (let at = 0; at < bytes.length;) {
      at += this.#file.writeSync(bytes.subarray(at));
    }
  }

  /** The rows in the order written (the file is read from its start). */
  async *rows(): AsyncGenerator<T> {
    this.#flush();
    if (this.#count === 0) return;
    const lines = createInterface({
      input: createReadStream(this.#path),
      crlfDelay: Infinity,
    });
    try {
      for await (const line of lines) yield JSON.parse(line) as T;
    } finally {
      lines.close();
    }
  }

  /** The row at `index` (0-based), read from the file: for an error's note. */
  async at(index: number): Promise<T | undefined> {
    if (index < 0 || index >= this.#count) return undefined;
    let i = 0;
    for await (const row of this.rows()) {
      if (i++ === index) return row;
    }
    return undefined;
  }

  /** Lets the file go (its folder is removed by the caller). */
  close(): void {
    try {
      this.#file.close();
    } catch {
      // Closed already.
    }
  }
}
