/**
 * `deno task reset-password NAME --db chat.db`: the reset-password command
 * of server/reset_command.ts (the one-file build runs the same command as
 * `chat-server reset-password`).
 */
import { resetCommand } from "../server/reset_command.ts";

Deno.exit(await resetCommand(Deno.args));
