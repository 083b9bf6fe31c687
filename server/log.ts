import {
  configure,
  getAnsiColorFormatter,
  getConsoleSink,
  getJsonLinesFormatter,
  getLogger,
  getTextFormatter,
  type Logger,
} from "@logtape/logtape";
import type { LogLevelName } from "./config.ts";

/** Options of {@link setupLogging}. */
export interface LoggingOptions {
  level: LogLevelName;
  format: "pretty" | "json";
  /** Colour the pretty format; default: when stdout is a terminal and NO_COLOR is unset. */
  color?: boolean;
}

/** Configures LogTape once for the process: one console sink, one format. */
export async function setupLogging(options: LoggingOptions): Promise<void> {
  const color = options.color ??
    (Deno.stdout.isTerminal() && !Deno.env.get("NO_COLOR"));
  const formatter = options.format === "json"
    ? getJsonLinesFormatter()
    : color
    ? getAnsiColorFormatter({
      timestamp: "date-time",
      value: "bare",
      format: pretty,
    })
    : getTextFormatter({
      timestamp: "date-time",
      value: "bare",
      format: pretty,
    });
  await configure({
    reset: true,
    sinks: { console: getConsoleSink({ formatter }) },
    loggers: [
      { category: ["chat"], lowestLevel: options.level, sinks: ["console"] },
      {
        category: ["logtape", "meta"],
        lowestLevel: "warning",
        sinks: ["console"],
      },
    ],
  });
}

function pretty(values: {
  timestamp: string | null;
  level: string;
  category: string;
  message: string;
}): string {
  return `${values.timestamp} ${values.level} ${values.category}: ${values.message}`;
}

/** The logger of one part of the server, e.g. `log("ws")`. */
export function log(...category: string[]): Logger {
  return getLogger(["chat", ...category]);
}

// Log lines are in English whatever the server's locale; one set of rules
// for the process (making one costs more than the line).
const englishPlurals = new Intl.PluralRules("en");

/**
 * `n` with its noun as English says it, for log lines: "1 day", "2 days",
 * "0 files". The record keeps the bare number too, for JSON logs.
 */
export function counted(
  n: number,
  singular: string,
  plural = `${singular}s`,
): string {
  return `${n} ${englishPlurals.select(n) === "one" ? singular : plural}`;
}
