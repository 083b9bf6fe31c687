/**
 * The command line, read off the settings table: flags and environment
 * variables to a partial Config, the `--help` text and README's Options
 * table. Knows no `Deno.*`: main.ts passes the arguments and environment in.
 */
import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import type { Config } from "./config.ts";
import { mailSettingsProblem } from "./mail/mail_settings.ts";
import { type Setting, SettingError } from "./setting_kinds.ts";
import { SETTINGS } from "./settings.ts";
import { VERSION } from "./version.ts";

/** What the command line asks for: print help, print the version, or run. */
export type CommandLine =
  | { readonly run: "help" }
  | { readonly run: "version" }
  | { readonly run: "server"; readonly config: Partial<Config> };

/** A setting that has a flag, with the Config field it fills. */
interface FlagEntry {
  key: string;
  flag: string;
  setting: Setting<unknown>;
}

function flagEntries(): FlagEntry[] {
  return Object.entries(SETTINGS as Record<string, Setting<unknown>>)
    .filter(([, setting]) => setting.flag !== undefined)
    .map(([key, setting]) => ({ key, flag: setting.flag!, setting }));
}

/**
 * Reads the arguments, and the environment for flags not given; throws a
 * SettingError saying what is wrong. An empty environment variable counts
 * as unset.
 */
export function readCommandLine(
  args: string[],
  env: (name: string) => string | undefined,
): CommandLine {
  const entries = flagEntries();
  const options: ParseArgsOptionsConfig = {
    help: { type: "boolean", short: "h" },
    version: { type: "boolean" },
  };
  for (const { flag, setting } of entries) {
    options[flag] = setting.kind.form === "switch"
      ? { type: "boolean" }
      : { type: "string", multiple: setting.kind.form === "list" };
  }
  let values: Record<string, string | boolean | (string | boolean)[]>;
  try {
    ({ values } = parseArgs({
      args,
      options,
      strict: true,
      allowPositionals: false,
    }) as { values: typeof values });
  } catch (error) {
    throw new SettingError((error as Error).message);
  }
  if (values.help) return { run: "help" };
  if (values.version) return { run: "version" };
  const config: Record<string, unknown> = {};
  for (const { key, flag, setting } of entries) {
    const given = values[flag];
    const { kind } = setting;
    if (given !== undefined) {
      config[key] = kind.form === "switch"
        ? kind.parse("", flag)
        : kind.form === "list"
        ? (given as string[]).flatMap((text) =>
          kind.parse(text, flag) as unknown[]
        )
        : kind.parse(given as string, flag);
      continue;
    }
    const fromEnv = setting.env === undefined ? undefined : env(setting.env);
    if (fromEnv !== undefined && fromEnv !== "") {
      config[key] = kind.parse(fromEnv, flag);
    }
  }
  const together = mailSettingsProblem(config);
  if (together !== undefined) throw new SettingError(together);
  return { run: "server", config: config as Partial<Config> };
}

/** The text of `--help`. */
export function helpText(): string {
  const rows: [string, string][] = flagEntries().map(({ flag, setting }) => {
    const notes = [
      setting.env === undefined ? undefined : `env ${setting.env}`,
      `default ${plain(shownDefault(setting))}`,
    ].filter((note) => note !== undefined).join("; ");
    return [usage(flag, setting), `${plain(setting.help)} (${notes})`];
  });
  rows.push(["-h, --help", "print this help"]);
  rows.push(["--version", "print the version"]);
  const lines = [
    `chat-server ${VERSION}: a multi-room WebSocket chat server with a web client`,
    "",
    "Usage: deno task start [options]",
    "   or: chat-server [options]          (the one file of deno task dist)",
    "   or: chat-server backup --to FILE   (online copy of the SQLite database;",
    "                                       chat-server backup --help)",
    "   or: chat-server export > chat.jsonl (the whole store as JSON Lines;",
    "                                       chat-server export --help)",
    "   or: chat-server import < chat.jsonl (into an empty store;",
    "                                       chat-server import --help)",
    "   or: chat-server import-slack EXPORT (a Slack export, into an empty store;",
    "                                       chat-server import-slack --help)",
    "   or: chat-server reset-password NAME (a one-time password reset link;",
    "                                       chat-server reset-password --help)",
    "",
    "Options:",
  ];
  const column = 24;
  for (const [left, right] of rows) {
    const text = wrap(right, 80 - column);
    const head = `  ${left}`;
    if (head.length < column - 1) {
      lines.push(head.padEnd(column) + text[0]);
    } else {
      lines.push(head, " ".repeat(column) + text[0]);
    }
    for (const more of text.slice(1)) lines.push(" ".repeat(column) + more);
  }
  return lines.join("\n") + "\n";
}

/** README's Options table, in Markdown, as `deno fmt` lays it out. */
export function readmeOptionsTable(): string {
  const rows = flagEntries().map(({ flag, setting }) => [
    cell(`\`${usage(flag, setting)}\``),
    cell(
      shownDefault(setting) +
        (setting.env === undefined ? "" : ` (\`${setting.env}\`)`),
    ),
    cell(setting.readme ?? setting.help),
  ]);
  const header = ["flag", "default", "meaning"];
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => row[i].length))
  );
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [
    line(header),
    line(widths.map((width) => "-".repeat(width))),
    ...rows.map(line),
  ].join("\n") + "\n";
}

function usage(flag: string, setting: Setting<unknown>): string {
  return setting.placeholder === undefined
    ? `--${flag}`
    : `--${flag} ${setting.placeholder}`;
}

// The default as README shows it (Markdown).
function shownDefault(setting: Setting<unknown>): string {
  if (setting.shownDefault !== undefined) return setting.shownDefault;
  const value = setting.default;
  if (value === undefined) return "none";
  if (typeof value === "number") return String(value);
  if (typeof value === "string") return `\`${value}\``;
  if (typeof value === "boolean") return value ? "on" : "off";
  if (Array.isArray(value) && value.length === 0) return "none";
  throw new Error(
    `The setting --${setting.flag} needs a shownDefault: its default is not plain`,
  );
}

// Markdown to terminal text: the code marks go.
function plain(markdown: string): string {
  return markdown.replaceAll("`", "");
}

// A table cell: a "|" would end it.
function cell(markdown: string): string {
  return markdown.replaceAll("|", "\\|");
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  lines.push(line);
  return lines;
}
