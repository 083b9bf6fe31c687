import type { FileContents } from "./file_contents/mod.ts";
import { log } from "./log.ts";
import type { Attachment } from "./protocol/types.ts";
import type { FileStore } from "./store/mod.ts";

const logger = log("files");

/** Image types shown inline; everything else (SVG and HTML too) downloads. */
export const INLINE_TYPES = new Set([
  "image/png",
  "image/jpeg",
  "image/gif",
  "image/webp",
]);

const HASH = /^[0-9a-f]{64}$/;

/** Options of {@link FileStorage}. */
export interface FileStorageOptions {
  /** Where the bytes are kept, by content hash. */
  contents: FileContents;
  /** Metadata of every file. */
  store: FileStore;
}

/**
 * Shared files: the bytes under their SHA-256 (the same file shared twice
 * is kept once), the name and type in the store.
 */
export class FileStorage {
  #contents: FileContents;
  #store: FileStore;

  constructor(options: FileStorageOptions) {
    this.#contents = options.contents;
    this.#store = options.store;
  }

  /** Stores an uploaded file and returns how messages refer to it. */
  async save(
    bytes: Uint8Array<ArrayBuffer>,
    meta: { name: string; type: string; uploader: string },
  ): Promise<Attachment> {
    const digest = await crypto.subtle.digest("SHA-256", bytes);
    const hash = [...new Uint8Array(digest)]
      .map((b) => b.toString(16).padStart(2, "0")).join("");
    // Bytes first: a record never names a file that is not there.
    await this.#contents.put(hash, bytes);
    const name = cleanFileName(meta.name);
    const type = cleanType(meta.type);
    await this.#store.saveFile({
      hash,
      name,
      size: bytes.byteLength,
      type,
      uploader: meta.uploader,
      createdAt: Date.now(),
    });
    logger.info("{user} shared {name} ({size} bytes)", {
      user: meta.uploader,
      name,
      size: bytes.byteLength,
    });
    return (await this.describe(
      `/files/${hash}/${encodeURIComponent(name)}`,
    ))!;
  }

  /**
   * The attachment a URL refers to: size and type from the store's own
   * record (never what a client claims), the name from the URL that the
   * upload returned (the same bytes shared twice may carry two names), or
   * undefined for an unknown file.
   */
  async describe(url: string): Promise<Attachment | undefined> {
    const match = /^\/files\/([0-9a-f]{64})\/([^/?#]*)$/.exec(url);
    if (!match) return undefined;
    const [, hash, segment] = match;
    const file = await this.#store.findFile(hash);
    if (!file) return undefined;
    let name = file.name;
    try {
      if (segment !== "") name = cleanFileName(decodeURIComponent(segment));
    } catch {
      // Not valid percent-encoding: keep the recorded name.
    }
    return {
      url: `/files/${hash}/${encodeURIComponent(name)}`,
      name,
      size: file.size,
      type: file.type,
    };
  }

  /** Opens a stored file for reading, with its record. */
  async open(
    hash: string,
  ): Promise<
    { body: ReadableStream<Uint8Array>; attachment: Attachment } | undefined
  > {
    if (!HASH.test(hash)) return undefined;
    const attachment = await this.describe(`/files/${hash}/`);
    if (!attachment) return undefined;
    const body = await this.#contents.get(hash);
    return body ? { body, attachment } : undefined;
  }

  /** Releases what holds the bytes (a database pool). */
  close(): Promise<void> {
    return this.#contents.close();
  }
}

/** A file name safe to show and to send back in a header. */
export function cleanFileName(raw: string): string {
  const base = raw.split(/[\\/]/).pop() ?? "";
  // Control and bidi-override characters could disguise "exe.png".
  const name = base.replace(/[\p{Cc}\u202a-\u202e\u2066-\u2069]/gu, "")
    .trim().slice(0, 200);
  return name === "" || name === "." || name === ".." ? "file" : name;
}

function cleanType(raw: string): string {
  const type = raw.split(";")[0].trim().toLowerCase();
  return /^[a-z0-9.+-]+\/[a-z0-9.+-]+$/.test(type)
    ? type
    : "application/octet-stream";
}
