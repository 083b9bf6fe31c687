/**
 * What every command prints for bad usage (exit 2): the error, then one
 * line that points at its help. The whole help after the error (111 lines
 * for the server) pushed the one line that mattered off the screen.
 */

/**
 * The error and the pointer, for stderr; `help` is what shows the help
 * (`--help` for the server, which runs as `deno task start` too).
 */
export function usageError(message: string, help: string): string {
  return `error: ${message}\nSee '${help}' for the options.`;
}
