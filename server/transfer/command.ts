/**
 * `chat-server export` and `chat-server import` (and `deno task export`,
 * `deno task import`): flags -> a source or target -> exportStore or
 * importStore. Lines go to stdout and come from stdin; progress and errors
 * go to stderr. Exit codes: 0 done, 1 failed (nothing imported), 2 bad
 * usage; an import stopped by Ctrl-C or SIGTERM 130 or 143 (nothing
 * imported).
 *
 * The store's module (PostgreSQL's or SQLite's, with the server's store
 * each builds on) is loaded once the flags chose it: an import under a
 * small heap does not carry the other's, nor either before its flags
 * are checked (docs/performance.md "Imports' memory").
 */
import { parseArgs } from "node:util";
import { openFileContents } from "../file_contents/open.ts";
import { SettingError } from "../setting_kinds.ts";
import { SETTINGS } from "../settings.ts";
import { exportStore } from "./export.ts";
import { ImportError, importStore, linesOf } from "./import.ts";
import { Interrupted, Interruption } from "./interruption.ts";
import { noteLeftovers } from "./leftovers.ts";
import { usageError } from "../usage_error.ts";

/** The store flags' lines of a command's help. */
export const WHERE =
  `  --db PATH               the SQLite file (default ${SETTINGS.db.default})
  --database-url URL      PostgreSQL instead (or DATABASE_URL)
  --files-dir DIR         where the server keeps shared files (default: files/
                          beside the SQLite file; with --database-url, the
                          database)
  --db-busy-timeout MS    how long to wait for a lock a server holds
                          (default ${SETTINGS.dbBusyTimeoutMs.default})`;

/** The text of `chat-server export --help`. */
export const EXPORT_HELP =
  `Usage: chat-server export [--db PATH | --database-url URL] [options] > chat.jsonl
       deno task export --db chat.db > chat.jsonl

Writes the whole store as JSON Lines on stdout: accounts, rooms,
memberships, read positions, drafts, invites, bans, files (as references),
room and private messages with their edits, reactions, link previews and
mentions, and the audit log. One consistent snapshot, while servers keep serving; memory stays
small whatever the size. Progress on stderr. Exit code 1 when it fails, 2
for a wrong command line.

Options:
${WHERE}
  --include-secrets       also password hashes, sessions, reset and invite
                          links, two-factor secrets and recovery codes,
                          access and bot tokens, incoming and
                          outgoing webhooks, push subscriptions and the
                          server's keys (keep the file as safe as the
                          database); without them people log in again and
                          tokens and webhooks are made again
  --include-files DIR     copy the bytes of every file into DIR (a file
                          whose bytes are gone is left out, with a warning)
  -h, --help              print this help`;

/** The text of `chat-server import --help`. */
export const IMPORT_HELP =
  `Usage: chat-server import [--db PATH | --database-url URL] [options] < chat.jsonl
       deno task import --database-url postgres://… < chat.jsonl

Reads an export from stdin into an empty store, every id and seq as it was,
so clients resume where they were. One transaction: the first bad line
stops it with its number and nothing is imported (a new SQLite file, and
a files folder it made, with SQLite or PostgreSQL, are removed again).
Ctrl-C or SIGTERM stops it the same way: nothing imported, nothing it
made left, exit code 130 (Ctrl-C) or 143 (SIGTERM); other failures exit
with 1.

Options:
${WHERE}
  --include-files DIR     the folder the export copied the bytes of files into
  -h, --help              print this help

With --include-files, each file's bytes are checked against its line:
their SHA-256 must be the file's hash and their length its size (bytes
missing from DIR, or not the file's, stop the import at that line, and
nothing is imported); its type, width, height and frames are read again
from the bytes, whatever the line says, and so are those of the
attachments that carry it (a warning counts what was corrected). An
export made with --include-files is refused without it. Of an export made
without it, the file lines are taken at their word and their bytes are
copied into the files folder by hand: images are marked, and a server
started on this store reads their bytes again in the background and
corrects their dimensions and previews (until then, as the lines said;
one whose bytes are not there yet is tried again at each hourly sweep).

Without --include-secrets at export, accounts have no password: each logs in
again with a reset link an admin makes for it. Admins act only on lower
ranks: an admin of the file gets a link from the operator's command,
chat-server reset-password NAME (--help says how).`;

/** Where an import or export reads or writes, as its flags name it. */
export interface StorePlace {
  db: string;
  databaseUrl?: string;
  filesDir?: string;
  busyTimeoutMs: number;
  includeFiles?: string;
}

interface Parsed extends StorePlace {
  includeSecrets: boolean;
  help: boolean;
}

/** The flags that name a store, for `parseArgs` (`WHERE` says them). */
export const STORE_FLAGS = {
  db: { type: "string", default: SETTINGS.db.default },
  "database-url": { type: "string" },
  "files-dir": { type: "string" },
  "db-busy-timeout": { type: "string" },
} as const;

/** The store `STORE_FLAGS` named (and DATABASE_URL). */
export function storePlace(
  values: Record<string, string | boolean | undefined>,
): StorePlace {
  const given = values["db-busy-timeout"];
  return {
    db: values.db as string,
    databaseUrl: (values["database-url"] as string | undefined) ||
      Deno.env.get("DATABASE_URL") || undefined,
    filesDir: values["files-dir"] as string | undefined,
    busyTimeoutMs: given === undefined
      ? SETTINGS.dbBusyTimeoutMs.default
      : SETTINGS.dbBusyTimeoutMs.kind.parse(given as string, "db-busy-timeout"),
    includeFiles: values["include-files"] as string | undefined,
  };
}

function parse(args: string[], exporting: boolean): Parsed {
  const { values } = parseArgs({
    args,
    options: {
      ...STORE_FLAGS,
      ...(exporting ? { "include-secrets": { type: "boolean" as const } } : {}),
      "include-files": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
    allowPositionals: false,
  });
  return {
    ...storePlace(values),
    includeSecrets: values["include-secrets"] === true,
    help: values.help === true,
  };
}

function usage(message: string, command: string): number {
  console.error(usageError(message, `${command} --help`));
  return 2;
}

function say(line: string): void {
  console.error(line);
}

/** Runs `export` with its arguments and returns the exit code. */
export async function exportCommand(args: string[]): Promise<number> {
  let options: Parsed;
  try {
    options = parse(args, true);
  } catch (error) {
    return usage((error as Error).message, "chat-server export");
  }
  if (options.help) {
    console.log(EXPORT_HELP);
    return 0;
  }
  // An export holds every message (and with --include-secrets, password
  // hashes): not for a terminal's scrollback; a forgotten `>` says so.
  if (Deno.stdout.isTerminal()) {
    return usage(
      "the export goes to stdout, not a terminal: chat-server export > chat.jsonl",
      "chat-server export",
    );
  }
  const contents = options.includeFiles !== undefined
    ? await openFileContents(options)
    : undefined;
  let source;
  try {
    source = options.databaseUrl
      ? await (await import("./postgres.ts")).PostgresSource.open(
        options.databaseUrl,
      )
      : await (await import("./sqlite.ts")).SqliteSource.open(
        options.db,
        options,
      );
  } catch (error) {
    await contents?.close();
    console.error(`error: ${(error as Error).message}`);
    return 1;
  }
  const writer = Deno.stdout.writable.getWriter();
  const encoder = new TextEncoder();
  try {
    say(`Exporting ${source.describe}`);
    await exportStore(source, (text) => writer.write(encoder.encode(text)), {
      includeSecrets: options.includeSecrets,
      filesDir: options.includeFiles,
      contents,
      progress: say,
    });
    return 0;
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    return 1;
  } finally {
    writer.releaseLock();
    await source.close();
    await contents?.close();
  }
}

/** Runs `import` with its arguments and returns the exit code. */
export async function importCommand(args: string[]): Promise<number> {
  let options: Parsed;
  try {
    options = parse(args, false);
  } catch (error) {
    if (error instanceof SettingError || error instanceof TypeError) {
      return usage(error.message, "chat-server import");
    }
    throw error;
  }
  if (options.help) {
    console.log(IMPORT_HELP);
    return 0;
  }
  // A forgotten `<` would wait, silent, for an export typed by hand.
  if (Deno.stdin.isTerminal()) {
    return usage(
      "the import reads the export on stdin, not a terminal: chat-server import < chat.jsonl",
      "chat-server import",
    );
  }
  const lines = linesOf(Deno.stdin.readable);
  return await importInto(options, lines);
}

/**
 * Imports `input` into the store `options` names, as `chat-server import`
 * does: one transaction, progress and errors on stderr, and what it made
 * removed when it fails. Returns the exit code. `origin` names where a
 * line came from, for an error about it (the Slack export's file).
 */
export async function importInto(
  options: StorePlace,
  input: AsyncIterable<string>,
  origin?: (line: number) => Promise<string | undefined>,
): Promise<number> {
  const undo = await noteLeftovers(options);
  // From here a signal rolls back and removes what the import made.
  using interruption = new Interruption();
  let target;
  try {
    target = options.databaseUrl
      ? await (await import("./postgres.ts")).PostgresTarget.open(
        options.databaseUrl,
      )
      : await (await import("./sqlite.ts")).SqliteTarget.open(
        options.db,
        options,
      );
  } catch (error) {
    await undo().catch(() => {});
    console.error(`error: ${(error as Error).message}`);
    return 1;
  }
  const contents = await openFileContents(options);
  let imported = false;
  try {
    interruption.check();
    say(`Importing into ${target.describe}`);
    const lines = interruption.lines(input);
    await importStore(lines, target, {
      filesDir: options.includeFiles,
      contents,
      progress: say,
    });
    imported = true;
    return 0;
  } catch (error) {
    // An ImportError names the line; anything else (the database went
    // away) rolled the transaction back all the same.
    const from = error instanceof ImportError && error.line > 0
      ? await origin?.(error.line).catch(() => undefined)
      : undefined;
    const where = from === undefined ? "" : ` (${from})`;
    console.error(
      `error: ${(error as Error).message}${where}; nothing was imported`,
    );
    return error instanceof Interrupted ? error.code : 1;
  } finally {
    await target.close();
    await contents.close();
    // Closed first: SQLite writes no more to a file it no longer holds.
    if (!imported) {
      await undo().catch((error) =>
        say(`error: could not remove what it made: ${error.message}`)
      );
    }
  }
}
