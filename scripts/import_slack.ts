/**
 * `deno task import-slack export.zip --db chat.db`: the Slack import of
 * server/transfer/slack/command.ts (the one-file build runs the same
 * command as `chat-server import-slack`).
 */
import { importSlackCommand } from "../server/transfer/slack/command.ts";

Deno.exit(await importSlackCommand(Deno.args));
