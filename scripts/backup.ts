/**
 * `deno task backup --db chat.db --to backup.db`: the backup command of
 * server/backup_command.ts alone, so it needs only to read and write files
 * (the one-file build runs the same command as `chat-server backup`).
 */
import { backupCommand } from "../server/backup_command.ts";

Deno.exit(await backupCommand(Deno.args));
