/**
 * `deno task export --db chat.db > chat.jsonl`: the export command of
 * server/transfer/command.ts (the one-file build runs the same command as
 * `chat-server export`).
 */
import { exportCommand } from "../server/transfer/command.ts";

Deno.exit(await exportCommand(Deno.args));
