/**
 * The `chat-server` program: flags and environment -> Config ->
 * startServer, and SIGINT/SIGTERM -> graceful shutdown; `chat-server
 * backup` (backup_command.ts), `chat-server export` and `import`
 * (transfer/command.ts), `chat-server import-slack` (transfer/slack/),
 * `chat-server reset-password` (reset_command.ts).
 * main.ts (the
 * development entry) and the generated release entry of `deno task dist`
 * and `deno task compile` (scripts/release.ts) both run it; the release
 * passes the web client in memory.
 */
import {
  type CommandLine,
  DEFAULT_CONFIG,
  helpText,
  readCommandLine,
  SettingError,
  setupLogging,
  type StartParts,
  startServer,
  VERSION,
} from "./mod.ts";
import { usageError } from "./usage_error.ts";

function readOrExit(args: string[]): CommandLine {
  try {
    return readCommandLine(args, (name) => Deno.env.get(name));
  } catch (error) {
    if (!(error instanceof SettingError)) throw error;
    console.error(usageError(error.message, "--help"));
    Deno.exit(2);
  }
}

/**
 * Runs the program with these arguments until a signal stops it; `--help`,
 * `--version` and bad flags exit at once (0, 0 and 2). `backup …`, `export …`,
 * `import …`, `import-slack …` and `reset-password …` run those commands instead and exit
 * with their code.
 */
export async function runCli(
  args: string[],
  parts: StartParts = {},
): Promise<void> {
  // The commands load only when run: export and import bring the PostgreSQL
  // driver, which a SQLite node would otherwise load at every start.
  if (args[0] === "backup") {
    const { backupCommand } = await import("./backup_command.ts");
    Deno.exit(await backupCommand(args.slice(1)));
  }
  if (args[0] === "reset-password") {
    const { resetCommand } = await import("./reset_command.ts");
    Deno.exit(await resetCommand(args.slice(1)));
  }
  if (args[0] === "import-slack") {
    const { importSlackCommand } = await import(
      "./transfer/slack/command.ts"
    );
    Deno.exit(await importSlackCommand(args.slice(1)));
  }
  if (args[0] === "export" || args[0] === "import") {
    const { exportCommand, importCommand } = await import(
      "./transfer/command.ts"
    );
    const command = args[0] === "export" ? exportCommand : importCommand;
    Deno.exit(await command(args.slice(1)));
  }
  const command = readOrExit(args);
  if (command.run === "help") {
    console.log(helpText());
    Deno.exit(0);
  }
  if (command.run === "version") {
    console.log(`chat-server ${VERSION}`);
    Deno.exit(0);
  }
  const { config } = command;
  await setupLogging({
    level: config.logLevel ?? DEFAULT_CONFIG.logLevel,
    format: config.logFormat ?? DEFAULT_CONFIG.logFormat,
  });
  // The signals are caught before the server listens: a supervisor that
  // stops it as soon as the "Listening" line shows gets a graceful
  // shutdown, not the default action's death (exit 143, files left).
  let starting: ReturnType<typeof startServer> | undefined;
  const stop = async () => {
    const running = await starting?.catch(() => undefined);
    await running?.shutdown();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  let server;
  try {
    server = await (starting = startServer(config, parts));
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    Deno.exit(1);
  }
  // Scripts wait for this line even when info logs are off.
  if (!["trace", "debug", "info"].includes(config.logLevel ?? "info")) {
    console.log(`Listening on ${server.url}`);
  }
}
