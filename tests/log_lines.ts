/**
 * What the server's loggers write while a test's body runs, as lines of
 * text: LogTape is configured for the process, so tests that read it run
 * one at a time in their file (Deno's default) and reset it after.
 */
import { configure, type LogRecord, reset } from "@logtape/logtape";

/** One line a logger wrote: its level and its message, filled in. */
export interface LogLine {
  level: string;
  text: string;
}

/**
 * The lines the loggers under `category` (e.g. `["chat", "files"]`)
 * write at info and above while `body` runs, with what it resolved to.
 */
export async function logLines<T>(
  category: string[],
  body: () => Promise<T>,
): Promise<{ result: T; lines: LogLine[] }> {
  const lines: LogLine[] = [];
  await configure({
    reset: true,
    sinks: {
      memory: (record: LogRecord) =>
        lines.push({
          level: record.level,
          text: record.message.map(String).join(""),
        }),
    },
    loggers: [
      { category, lowestLevel: "info", sinks: ["memory"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: [] },
    ],
  });
  try {
    return { result: await body(), lines };
  } finally {
    await reset();
  }
}
