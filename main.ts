/**
 * Command line entry: flags and environment -> Config -> startServer, and
 * SIGINT/SIGTERM -> graceful shutdown. The flags are those of the settings
 * table (server/settings.ts).
 */
import {
  type CommandLine,
  DEFAULT_CONFIG,
  helpText,
  readCommandLine,
  SettingError,
  setupLogging,
  startServer,
  VERSION,
} from "./server/mod.ts";

function readOrExit(args: string[]): CommandLine {
  try {
    return readCommandLine(args, (name) => Deno.env.get(name));
  } catch (error) {
    if (!(error instanceof SettingError)) throw error;
    console.error(`error: ${error.message}\n\n${helpText()}`);
    Deno.exit(2);
  }
}

if (import.meta.main) {
  const command = readOrExit(Deno.args);
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
  let server;
  try {
    server = await startServer(config);
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    Deno.exit(1);
  }
  const running = server;
  // Scripts wait for this line even when info logs are off.
  if (!["trace", "debug", "info"].includes(config.logLevel ?? "info")) {
    console.log(`Listening on ${running.url}`);
  }
  const stop = async () => {
    await running.shutdown();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}
