/**
 * The files of a Slack workspace export, from its .zip or from the folder
 * it was unzipped into: `users.json`, `channels.json`, the optional
 * `groups.json`, `dms.json` and `mpims.json`, and one folder per
 * conversation of `YYYY-MM-DD.json` days. A zip is held as it is (its
 * bytes, compressed) and each JSON file inflated with fflate when it is
 * read, then let go: one day file unpacked at a time.
 */
import { join } from "node:path";
import {
  type AsyncFlateStreamHandler,
  Inflate,
  Unzip,
  unzipSync,
} from "fflate";

/** Why an export cannot be read: its sentence names the file. */
export class SlackExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SlackExportError";
  }
}

/**
 * The most one file of a zip may unpack to: past it, a zip bomb. V8's
 * longest string (2^29 - 24 units, 24 bytes short of 512 MiB): a longer
 * file's text fails TextDecoder with a TypeError that names no file.
 */
const MAX_FILE_BYTES = 2 ** 29 - 24;
/**
 * The most all of a zip's JSON files may unpack to, held at once: a
 * bomb of many files each under the cap above would take any memory.
 * A real export is far smaller (100,000 messages: 2.5 MB zipped, tens of
 * MB unpacked), and its rows take many times its JSON anyway.
 */
const MAX_TOTAL_BYTES = 2 * 1024 * 1024 * 1024;
const DAY = /^\d{4}-\d{2}-\d{2}\.json$/;

/**
 * A conversation's folder, as channels.json (a name) or dms.json (an id)
 * gives it: one name within the export. Slack's names and ids hold no
 * `/`, `\\` nor dot-only names; one that does is a hostile export, whose
 * `../elsewhere` would read another folder's day files as messages.
 */
function checkedFolder(folder: string): string {
  if (/[/\\]/.test(folder) || /^\.*$/.test(folder)) {
    throw new SlackExportError(
      `a conversation's folder is ${
        JSON.stringify(folder)
      }: not one name in the export`,
    );
  }
  return folder;
}

/** What the converter reads of an export, wherever it lies. */
export interface SlackFiles {
  /** Where it was read from, for messages. */
  readonly describe: string;
  /** A top-level file's JSON (`users.json`), or undefined when absent. */
  json(name: string): Promise<unknown | undefined>;
  /** The day files of one conversation's folder, oldest first. */
  days(folder: string): Promise<string[]>;
  /** A day file's JSON, by the path `days` gave. */
  day(path: string): Promise<unknown>;
}

/** Opens an export: a folder, else a .zip file. */
export async function openSlackExport(path: string): Promise<SlackFiles> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    throw new SlackExportError(
      `Cannot read '${path}': ${(error as Error).message}`,
    );
  }
  return info.isDirectory ? new FolderFiles(path) : zipFiles(path);
}

function parsed(text: string, where: string): unknown {
  try {
    // A byte order mark (a file saved again by a Windows editor): the
    // zip's TextDecoder drops it, Deno.readTextFile keeps it.
    return JSON.parse(text.startsWith("\uFEFF") ? text.slice(1) : text);
  } catch (error) {
    throw new SlackExportError(
      `${where} is not JSON (${(error as Error).message})`,
    );
  }
}

class FolderFiles implements SlackFiles {
  readonly describe: string;
  #root: string;

  constructor(root: string) {
    this.#root = root;
    this.describe = `folder ${root}`;
  }

  async json(name: string): Promise<unknown | undefined> {
    const text = await this.#text(name);
    return text === undefined ? undefined : parsed(text, name);
  }

  /**
   * A file's text, undefined when absent. Held to the zip's cap on one
   * file, V8's longest string: past it Deno.readTextFile throws a
   * TypeError that names no file.
   */
  async #text(name: string): Promise<string | undefined> {
    const path = join(this.#root, name);
    try {
      if ((await Deno.stat(path)).size > MAX_FILE_BYTES) {
        throw new SlackExportError(
          `${name} is more than ${MAX_FILE_BYTES} bytes`,
        );
      }
      return await Deno.readTextFile(path);
    } catch (error) {
      if (error instanceof SlackExportError) throw error;
      if (error instanceof Deno.errors.NotFound) return undefined;
      throw new SlackExportError(
        `Cannot read ${name}: ${(error as Error).message}`,
      );
    }
  }

  async days(folder: string): Promise<string[]> {
    const found: string[] = [];
    try {
      for await (
        const entry of Deno.readDir(join(this.#root, checkedFolder(folder)))
      ) {
        if (entry.isFile && DAY.test(entry.name)) {
          found.push(`${folder}/${entry.name}`);
        }
      }
    } catch (error) {
      // A conversation without a message has no folder; a file of its
      // name is none either, as in a zip.
      if (
        error instanceof Deno.errors.NotFound ||
        error instanceof Deno.errors.NotADirectory
      ) return [];
      throw new SlackExportError(
        `Cannot read the folder ${folder}: ${(error as Error).message}`,
      );
    }
    return found.sort();
  }

  async day(path: string): Promise<unknown> {
    const text = await this.#text(path);
    if (text === undefined) throw new SlackExportError(`${path} went away`);
    return parsed(text, path);
  }
}

/**
 * Hands on a deflated entry's bytes as they are (fflate's streaming Unzip
 * inflates with the decoder registered for the method): each is inflated
 * when the converter reads its file.
 */
class Deflated {
  static compression = 8;
  ondata!: AsyncFlateStreamHandler;

  push(chunk: Uint8Array<ArrayBuffer>, final: boolean): void {
    this.ondata(null, chunk, final);
  }
}

/** A JSON file of a zip, its bytes as they lie in it. */
interface Entry {
  compression: number;
  chunks: Uint8Array[];
  /** What the zip's directory says it unpacks to. */
  size: number;
}

/**
 * The zip's bytes pushed to fflate's Unzip in pieces of this size: it
 * calls itself once per entry a piece holds (a piece of 16 KiB holds at
 * most ~500 empty entries, well within the stack).
 */
const PIECE = 16 * 1024;

function joined(chunks: Uint8Array[]): Uint8Array {
  const all = new Uint8Array(chunks.reduce((n, chunk) => n + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.length;
  }
  return all;
}

/**
 * Compressed bytes fed to the inflater at a time: one piece inflates to at
 * most about a thousand times itself (deflate's best), 16 MiB.
 */
const INFLATE_PIECE = 16 * 1024;

/**
 * A deflated file's bytes, at most `size` (what the directory said, the
 * caps held on it): inflating stops as soon as there are more. fflate's
 * inflateSync into a buffer of that size dropped the rest but inflated it
 * all: a users.json said to be 2 bytes that inflated to 256 MiB (a zip of
 * 256 KiB) took 13.7 s, 100 MB of such zip hours (round 18).
 */
function inflated(raw: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  const inflater = new Inflate((chunk) => {
    const room = size - at;
    out.set(chunk.length > room ? chunk.subarray(0, room) : chunk, at);
    at += Math.min(chunk.length, room);
    if (chunk.length > room) throw new Overflow();
  });
  try {
    for (let from = 0; from < raw.length; from += INFLATE_PIECE) {
      inflater.push(
        raw.subarray(from, from + INFLATE_PIECE),
        from + INFLATE_PIECE >= raw.length,
      );
    }
  } catch (error) {
    // The bytes past the size, cut as unzipSync cut them.
    if (!(error instanceof Overflow)) throw error;
  }
  return at === size ? out : out.subarray(0, at);
}

/** Thrown from the inflater's callback to stop it. */
class Overflow extends Error {}

async function zipFiles(path: string): Promise<SlackFiles> {
  const bytes = await Deno.readFile(path);
  // The directory first, nothing inflated: the caps hold on what it says
  // each JSON file unpacks to, before any is.
  const sizes = new Map<string, number>();
  // What the files kept so far unpack to: each is allocated at its size.
  let total = 0;
  try {
    unzipSync(bytes, {
      filter(file) {
        if (!file.name.endsWith(".json")) return false;
        if (file.originalSize > MAX_FILE_BYTES) {
          throw new SlackExportError(
            `${file.name} unpacks to more than ${MAX_FILE_BYTES} bytes`,
          );
        }
        total += file.originalSize;
        if (total > MAX_TOTAL_BYTES) {
          throw new SlackExportError(
            `${path}'s JSON files unpack to more than ${MAX_TOTAL_BYTES} bytes`,
          );
        }
        sizes.set(file.name, file.originalSize);
        return false;
      },
    });
  } catch (error) {
    if (error instanceof SlackExportError) throw error;
    throw new SlackExportError(
      `${path} is not a zip file nor a folder (${(error as Error).message})`,
    );
  }
  // Then where each lies: one pass of fflate's streaming Unzip keeps each
  // JSON file's compressed bytes (views of the zip's), so that reading a
  // day file costs its own inflating, not a walk of the whole directory
  // (tens of thousands of day files in a large export).
  const entries = new Map<string, Entry>();
  try {
    const unzip = new Unzip((file) => {
      const size = sizes.get(file.name);
      if (size === undefined || entries.has(file.name)) return;
      const entry: Entry = { compression: file.compression, chunks: [], size };
      entries.set(file.name, entry);
      file.ondata = (error, chunk) => {
        if (error) throw error;
        if (chunk.length > 0) entry.chunks.push(chunk);
      };
      file.start();
    });
    unzip.register(Deflated);
    for (let at = 0; at < bytes.length; at += PIECE) {
      unzip.push(bytes.subarray(at, at + PIECE), at + PIECE >= bytes.length);
    }
  } catch (error) {
    throw new SlackExportError(
      `${path} is not a zip file nor a folder (${(error as Error).message})`,
    );
  }
  const names = [...entries.keys()];
  // Some exports put everything in one folder inside the zip.
  const users = names.filter((name) => /(^|\/)users\.json$/.test(name))
    .sort((a, b) => a.length - b.length)[0];
  const prefix = users ? users.slice(0, -"users.json".length) : "";
  // A file is inflated each time it is read, and its bytes let go: the
  // converter reads a day file twice (convert.ts dayGroups), and what an
  // entry keeps is views of the zip's bytes, held anyway.
  const read = (name: string): unknown => {
    const entry = entries.get(name)!;
    const where = name.slice(prefix.length);
    const raw = entry.chunks.length === 1
      ? entry.chunks[0]
      : joined(entry.chunks);
    let unpacked: Uint8Array;
    try {
      // At most the size the directory said (and the caps held): the
      // bytes of a file that says less are cut there, as unzipSync cut them.
      unpacked = entry.compression === 0
        ? raw.subarray(0, entry.size)
        : entry.compression === 8
        ? inflated(raw, entry.size)
        : new Uint8Array(0);
    } catch (error) {
      throw new SlackExportError(
        `${where} cannot be unpacked (${(error as Error).message})`,
      );
    }
    if (entry.compression !== 0 && entry.compression !== 8) {
      throw new SlackExportError(
        `${where} is compressed by a method fflate does not read (${entry.compression})`,
      );
    }
    return parsed(new TextDecoder().decode(unpacked), where);
  };
  return {
    describe: `zip ${path}`,
    json(name) {
      const full = prefix + name;
      return Promise.resolve(entries.has(full) ? read(full) : undefined);
    },
    days(folder) {
      const start = `${prefix}${checkedFolder(folder)}/`;
      return Promise.resolve(
        names.filter((name) =>
          name.startsWith(start) && DAY.test(name.slice(start.length))
        ).sort(),
      );
    },
    day(name) {
      if (!entries.has(name)) {
        throw new SlackExportError(`${name.slice(prefix.length)} went away`);
      }
      return Promise.resolve(read(name));
    },
  };
}
