/**
 * The command line of a measuring task (`bench`, `seed`, `growth`,
 * `bench:backup`, `bench:export`), read as the server's commands read
 * theirs: `--help` prints the task's help, and a wrong option says what is
 * wrong and where the help is, exit 2 (server/usage_error.ts). Before, an
 * unknown option (`--help` itself, for some) ended in an uncaught
 * TypeError and its stack.
 */
import { usageError } from "../server/usage_error.ts";

/** A task's help: its text, and the task that prints it. */
export interface TaskHelp {
  /** What `--help` prints. */
  text: string;
  /** The task's name, for the pointer to its help (`deno task NAME --help`). */
  task: string;
}

/**
 * Runs `parse` (node:util's parseArgs with a `help` flag, strict); prints
 * the help and exits with 0 when asked for it, says what is wrong and exits
 * with 2 when parsing fails, else gives back what it parsed.
 */
export function commandLine<T extends { values: { help?: boolean } }>(
  parse: () => T,
  help: TaskHelp,
): T {
  let parsed: T;
  try {
    parsed = parse();
  } catch (error) {
    console.error(
      usageError((error as Error).message, `deno task ${help.task} --help`),
    );
    Deno.exit(2);
  }
  if (parsed.values.help) {
    console.log(help.text);
    Deno.exit(0);
  }
  return parsed;
}
