/**
 * `chat-server backup` and `deno task backup`: flags -> backupSqlite, one
 * line on success, a clear error and an exit code otherwise (0 done, 1 the
 * backup failed, 2 bad usage, 130 interrupted). Ctrl-C or SIGTERM stop it
 * without leaving a partial file.
 */
import { parseArgs } from "node:util";
import { BackupError, backupSqlite } from "./backup.ts";
import { SettingError } from "./setting_kinds.ts";
import { SETTINGS } from "./settings.ts";
import { usageError } from "./usage_error.ts";

/** The text of `chat-server backup --help`. */
export const BACKUP_HELP =
  `Usage: chat-server backup [--db PATH] --to FILE [--db-busy-timeout MS]
       deno task backup --db chat.db --to backup.db

An online, consistent copy of the SQLite database, taken while the server
keeps serving. The copy is checked, then written to FILE, which must not exist.

Options:
  --db PATH               the SQLite file to copy (default ${SETTINGS.db.default})
  --to FILE               where to write the copy; never overwritten
  --db-busy-timeout MS    how long to wait for a lock another process holds
                          (default ${SETTINGS.dbBusyTimeoutMs.default})
  -h, --help              print this help

With --database-url (PostgreSQL) use pg_dump instead; README's "Back up" says
how, and how to keep the shared files.`;

/** Runs `backup` with its arguments and returns the exit code. */
export async function backupCommand(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        db: { type: "string", default: SETTINGS.db.default },
        to: { type: "string" },
        "db-busy-timeout": { type: "string" },
        "database-url": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return usage((error as Error).message);
  }
  if (values.help) {
    console.log(BACKUP_HELP);
    return 0;
  }
  if (values["database-url"] !== undefined) {
    return usage(
      'backup copies a SQLite database; for PostgreSQL use pg_dump (see README, "Back up")',
    );
  }
  if (values.to === undefined || values.to === "") {
    return usage("--to FILE is required: where to write the copy");
  }
  let busyTimeoutMs = SETTINGS.dbBusyTimeoutMs.default;
  try {
    const given = values["db-busy-timeout"];
    if (given !== undefined) {
      busyTimeoutMs = SETTINGS.dbBusyTimeoutMs.kind.parse(
        given,
        "db-busy-timeout",
      );
    }
  } catch (error) {
    if (!(error instanceof SettingError)) throw error;
    return usage(error.message);
  }

  const stop = new AbortController();
  const abort = () => stop.abort();
  Deno.addSignalListener("SIGINT", abort);
  Deno.addSignalListener("SIGTERM", abort);
  try {
    const report = await backupSqlite(values.db, values.to, {
      busyTimeoutMs,
      signal: stop.signal,
      onStart: () => console.error(`Backing up ${values.db} to ${values.to}`),
    });
    const { messages, bytes, ms } = report;
    const counted = `${messages} message${messages === 1 ? "" : "s"}`;
    const size = `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
    const took = `${(ms / 1000).toFixed(1)} s`;
    console.log(
      `Backed up ${values.db} to ${values.to}: ${counted}, ${size}, in ${took}`,
    );
    return 0;
  } catch (error) {
    if (!(error instanceof BackupError)) throw error;
    console.error(`error: ${error.message}`);
    return stop.signal.aborted ? 130 : 1;
  } finally {
    Deno.removeSignalListener("SIGINT", abort);
    Deno.removeSignalListener("SIGTERM", abort);
  }
}

function usage(message: string): number {
  console.error(usageError(message, "chat-server backup --help"));
  return 2;
}
