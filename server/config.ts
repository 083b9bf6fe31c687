/**
 * `Config` and `DEFAULT_CONFIG`, both read off the settings table
 * (settings.ts): a setting is added there, never here.
 */
import type { Kind, Setting } from "./setting_kinds.ts";
import { LOG_LEVELS, SETTINGS } from "./settings.ts";

type Table = typeof SETTINGS;
type ValueOf<S> = S extends { kind: Kind<infer T> } ? T : never;
// Settings whose default is `undefined` are optional fields of Config.
type Optional = {
  [K in keyof Table]: Table[K]["default"] extends undefined ? K : never;
}[keyof Table];

/**
 * Everything the server can be told at start-up: one field per entry of
 * the settings table, optional where the entry has no default.
 */
export type Config =
  & { [K in keyof Table as K extends Optional ? never : K]: ValueOf<Table[K]> }
  & {
    [K in keyof Table as K extends Optional ? K : never]?: ValueOf<Table[K]>;
  };

/** The log levels accepted by `--log-level`. */
export type LogLevelName = typeof LOG_LEVELS[number];

/** Every setting at its default (optional ones left out). */
export const DEFAULT_CONFIG: Config = defaults(SETTINGS);

function defaults(table: Record<string, Setting<unknown>>): Config {
  const config: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(table)) {
    if (entry.default !== undefined) config[key] = entry.default;
  }
  return config as Config;
}
