/**
 * The files of a Slack workspace export, from its .zip or from the folder
 * it was unzipped into: `users.json`, `channels.json`, the optional
 * `groups.json`, `dms.json` and `mpims.json`, and one folder per
 * conversation of `YYYY-MM-DD.json` days. A zip is unpacked with fflate in
 * memory, its JSON files only, each let go once read.
 */
import { join } from "node:path";
import { unzipSync } from "fflate";

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

async function zipFiles(path: string): Promise<SlackFiles> {
  const bytes = await Deno.readFile(path);
  // One pass unpacks every JSON file: fflate finds a file only by walking
  // the zip's whole directory, so a walk per day file would cost the
  // square of their number (tens of thousands in a large export).
  let unpacked: Record<string, Uint8Array>;
  // What the files kept so far unpack to: each is allocated at its size.
  let total = 0;
  try {
    unpacked = unzipSync(bytes, {
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
        return true;
      },
    });
  } catch (error) {
    if (error instanceof SlackExportError) throw error;
    throw new SlackExportError(
      `${path} is not a zip file nor a folder (${(error as Error).message})`,
    );
  }
  const names = Object.keys(unpacked);
  // Some exports put everything in one folder inside the zip.
  const users = names.filter((name) => /(^|\/)users\.json$/.test(name))
    .sort((a, b) => a.length - b.length)[0];
  const prefix = users ? users.slice(0, -"users.json".length) : "";
  // Each file is read once: its bytes go as it is read.
  const read = (name: string): unknown => {
    const text = new TextDecoder().decode(unpacked[name]);
    delete unpacked[name];
    return parsed(text, name.slice(prefix.length));
  };
  return {
    describe: `zip ${path}`,
    json(name) {
      const full = prefix + name;
      return Promise.resolve(full in unpacked ? read(full) : undefined);
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
      return Promise.resolve(read(name));
    },
  };
}
