/**
 * `deno task import --database-url postgres://… < chat.jsonl`: the import
 * command of server/transfer/command.ts (the one-file build runs the same
 * command as `chat-server import`).
 */
import { importCommand } from "../server/transfer/command.ts";

Deno.exit(await importCommand(Deno.args));
