/**
 * `chat-server reset-password NAME` and `deno task reset-password NAME`:
 * prints a one-time password reset link for an account, the link an admin
 * makes on the admin page (accounts/password_reset.ts), for an operator
 * with no admin left to make it (every admin forgot their password, or an
 * import without secrets). It runs beside a serving server (SQLite's WAL,
 * or PostgreSQL as one more client) and is written to the audit log, by
 * `the operator`. Exit codes: 0 printed, 1 the store failed, 2 bad usage
 * or no such account.
 */
import { parseArgs } from "node:util";
import {
  createPasswordReset,
  resetLinkPath,
} from "./accounts/password_reset.ts";
import { auditEntry, OPERATOR_ACTOR } from "./handlers/audit.ts";
import { isFailure } from "./protocol/errors.ts";
import { nameKey } from "./protocol/names.ts";
import { reasonText } from "./protocol/schemas.ts";
import { SettingError } from "./setting_kinds.ts";
import { SETTINGS } from "./settings.ts";
import type { AccountStore } from "./store/mod.ts";
import { usageError } from "./usage_error.ts";

/** The text of `chat-server reset-password --help`. */
export const RESET_HELP =
  `Usage: chat-server reset-password NAME [--db PATH | --database-url URL] [...]
       deno task reset-password root --db chat.db --url https://chat.example.org

Prints a one-time link with which NAME's owner chooses a new password, the
link an admin makes on the admin page: valid for 24 hours, it works once,
and ends the account's sessions when used. Hand it over a channel you
trust. Works while the server runs; written to the audit log as
reset_password by "the operator". An unknown NAME, or a bot's, exits with
code 2.

Options:
  --db PATH               the SQLite file (default ${SETTINGS.db.default})
  --database-url URL      PostgreSQL instead (or DATABASE_URL)
  --url URL               the server's address as people open it
                          (https://chat.example.org): the link is printed
                          whole; without it, its path (/reset#…) is printed,
                          to put after that address
  --reason TEXT           why, for the audit log
  --db-busy-timeout MS    how long to wait for a lock a server holds
                          (default ${SETTINGS.dbBusyTimeoutMs.default})
  -h, --help              print this help`;

/** What the command needs of a store, on either backend. */
type ResetStore =
  & Pick<AccountStore, "findAccount" | "createPasswordReset">
  & { close(): Promise<void> | void };

interface Parsed {
  name: string;
  db: string;
  databaseUrl?: string;
  origin?: string;
  reason?: string;
  busyTimeoutMs: number;
}

/** Runs `reset-password` with its arguments and returns the exit code. */
export async function resetCommand(args: string[]): Promise<number> {
  let parsed: Parsed | "help";
  try {
    parsed = parse(args);
  } catch (error) {
    if (error instanceof SettingError || error instanceof TypeError) {
      return usage(error.message);
    }
    throw error;
  }
  if (parsed === "help") {
    console.log(RESET_HELP);
    return 0;
  }
  let store: ResetStore;
  try {
    store = await openStore(parsed);
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    return 1;
  }
  try {
    const account = await store.findAccount(nameKey(parsed.name));
    if (!account) {
      console.error(
        `error: no account is called '${parsed.name}' (a guest's name has no password to reset)`,
      );
      return 2;
    }
    // The reset and its audit entry are one commit, and the link is
    // printed after it: a command killed before leaves neither. A bot is
    // refused there, as the admin's reset_password refuses it.
    const reset = await createPasswordReset(
      store,
      account,
      auditEntry(OPERATOR_ACTOR, "", {
        action: "reset_password",
        target: account.username,
        reason: parsed.reason,
      }),
    );
    if (isFailure(reset)) {
      console.error(`error: ${reset.message}`);
      return 2;
    }
    const path = resetLinkPath(reset.token);
    console.log(parsed.origin ? `${parsed.origin}${path}` : path);
    const until = new Date(reset.expiresAt).toISOString();
    console.error(
      `A one-time password reset link for ${account.username} (${account.role}), valid until ${until}.` +
        (parsed.origin
          ? ""
          : " Put the server's address before it, or pass --url."),
    );
    return 0;
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    return 1;
  } finally {
    await store.close();
  }
}

function parse(args: string[]): Parsed | "help" {
  const { values, positionals } = parseArgs({
    args,
    options: {
      db: { type: "string", default: SETTINGS.db.default },
      "database-url": { type: "string" },
      "db-busy-timeout": { type: "string" },
      url: { type: "string" },
      reason: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
    allowPositionals: true,
  });
  if (values.help) return "help";
  if (positionals.length !== 1 || positionals[0].trim() === "") {
    throw new TypeError("name one account: chat-server reset-password NAME");
  }
  const given = values["db-busy-timeout"];
  const reason = values.reason?.trim() || undefined;
  // The admin's reset_password holds its reason to this rule: one line,
  // read in the audit log beside theirs.
  const checked = reason === undefined
    ? undefined
    : reasonText.safeParse(reason);
  if (checked?.success === false) {
    throw new TypeError(`--reason: ${checked.error.issues[0].message}`);
  }
  return {
    name: positionals[0],
    db: values.db,
    databaseUrl: values["database-url"] || Deno.env.get("DATABASE_URL") ||
      undefined,
    origin: values.url === undefined ? undefined : originOf(values.url),
    reason,
    busyTimeoutMs: given === undefined
      ? SETTINGS.dbBusyTimeoutMs.default
      : SETTINGS.dbBusyTimeoutMs.kind.parse(given, "db-busy-timeout"),
  };
}

// Only the origin: the server serves the reset form at its root.
function originOf(raw: string): string {
  let url;
  try {
    url = new URL(raw);
  } catch {
    throw new TypeError(`--url ${raw} is not a URL (https://chat.example.org)`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new TypeError(`--url ${raw} must be an http or https address`);
  }
  return url.origin;
}

// The PostgreSQL driver and the SQLite parts load only for the one chosen.
async function openStore(options: Parsed): Promise<ResetStore> {
  if (options.databaseUrl) {
    const { PostgresStore } = await import("./store/postgres.ts");
    return await PostgresStore.open(options.databaseUrl);
  }
  const { openSqliteSide } = await import("./store/sqlite_side.ts");
  const side = await openSqliteSide(options.db, options);
  return {
    findAccount: (key) => side.accounts.findAccount(key),
    createPasswordReset: (hash, reset, audit) =>
      side.accounts.createPasswordReset(hash, reset, audit),
    close: () => side.close(),
  };
}

function usage(message: string): number {
  console.error(usageError(message, "chat-server reset-password --help"));
  return 2;
}
