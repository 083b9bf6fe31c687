/**
 * `chat-server import-slack EXPORT` (and `deno task import-slack`): a Slack
 * workspace export (its .zip, or the folder it was unzipped into)
 * converted to our export's lines (convert.ts) and imported as
 * `chat-server import` imports them, in-process: the same checks, one
 * transaction, nothing imported when anything is wrong. `--jsonl` writes
 * the lines to stdout instead, for `chat-server import` later. What became
 * of the export goes to stderr. Exit codes: 0 done, 1 failed (nothing
 * imported), 2 bad usage; 130 or 143 when stopped by a signal.
 */
import { parseArgs } from "node:util";
import { SettingError } from "../../setting_kinds.ts";
import { usageError } from "../../usage_error.ts";
import {
  importInto,
  STORE_FLAGS,
  type StorePlace,
  storePlace,
  WHERE,
} from "../command.ts";
import { convertSlack } from "./convert.ts";
import { openSlackExport, SlackExportError } from "./export_files.ts";

/** The text of `chat-server import-slack --help`. */
export const IMPORT_SLACK_HELP =
  `Usage: chat-server import-slack EXPORT [--db PATH | --database-url URL]
       deno task import-slack export.zip --db chat.db

Imports a Slack workspace export (Slack's "Export data": the .zip, or the
folder it was unzipped into) into an empty store, through the checks of
chat-server import, in one transaction: a bad export stops with a message
naming the file, and nothing is imported (exit code 1).

  users             accounts without a password (with their title and time
                    zone on their profile cards): each sets one with a
                    reset link an admin makes (admins: the operator's
                    chat-server reset-password NAME); bots and deleted
                    users are kept as the names of their messages; someone
                    users.json does not list (a Slack Connect guest) is an
                    account made from a message's profile, named external
                    (without one, their messages are skipped, counted)
  channels          public rooms; archived ones archived; the topic (else
                    the purpose) as the topic; the workspace's general
                    channel is general, which every account is in
  private channels  private rooms with their members
  group DMs         private rooms of their members
  DMs               private conversations
  messages          in order with their times, edit times, threads,
                    reactions (a team's own emoji are skipped, counted),
                    pins and mentions; Slack's markup as ours; a shared
                    file as a line naming it (its bytes are not fetched);
                    a text over 4,000 characters split into messages;
                    joins, leaves and other events skipped, counted

Names are made valid and unique under the server's rules (each rename is
said); everything imported is marked read. A summary of what was
imported and skipped goes to stderr.

Options:
${WHERE}
  --jsonl                 write the lines of an export to stdout instead of
                          importing (for chat-server import < file)
  -h, --help              print this help`;

function usage(message: string): number {
  console.error(usageError(message, "chat-server import-slack --help"));
  return 2;
}

/** Runs `import-slack` with its arguments and returns the exit code. */
export async function importSlackCommand(args: string[]): Promise<number> {
  let place: StorePlace;
  let path: string;
  let jsonl: boolean;
  try {
    const { values, positionals } = parseArgs({
      args,
      options: {
        ...STORE_FLAGS,
        jsonl: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: true,
    });
    if (values.help) {
      console.log(IMPORT_SLACK_HELP);
      return 0;
    }
    if (positionals.length !== 1) {
      return usage(
        "name one Slack export (its .zip or folder): chat-server import-slack export.zip",
      );
    }
    [path] = positionals;
    jsonl = values.jsonl === true;
    // Every message of the workspace: not for a terminal's scrollback.
    if (jsonl && Deno.stdout.isTerminal()) {
      return usage(
        "--jsonl writes to stdout, not a terminal: chat-server import-slack export.zip --jsonl > chat.jsonl",
      );
    }
    place = storePlace(values);
  } catch (error) {
    if (error instanceof SettingError || error instanceof TypeError) {
      return usage(error.message);
    }
    throw error;
  }
  let converted;
  try {
    const files = await openSlackExport(path);
    console.error(`Reading the Slack export ${files.describe}`);
    converted = await convertSlack(files);
  } catch (error) {
    if (!(error instanceof SlackExportError)) throw error;
    console.error(`error: ${error.message}; nothing was imported`);
    return 1;
  }
  for (const line of converted.report) console.error(line);
  try {
    if (jsonl) {
      const writer = Deno.stdout.writable.getWriter();
      const encoder = new TextEncoder();
      try {
        for await (const line of converted.lines()) {
          await writer.write(encoder.encode(`${line}\n`));
        }
      } finally {
        writer.releaseLock();
      }
      return 0;
    }
    return await importInto(place, converted.lines(), converted.origin);
  } finally {
    await converted.close();
  }
}
