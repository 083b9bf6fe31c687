/**
 * The kinds of value a start-up setting can take, each with the parser that
 * checks it. Used by the settings table (`settings.ts`); knows no `Deno.*`.
 */

/** A flag or environment value that is not one the setting accepts. */
export class SettingError extends Error {
  override name = "SettingError";
}

/**
 * How a setting is given on the command line: `value` (`--port 8000`),
 * `switch` (`--trust-proxy`, no value) or `list` (`--allow-origin`, repeatable).
 */
export type SettingForm = "value" | "switch" | "list";

/** A kind of value: how it is given and how its text is read. */
export interface Kind<T> {
  readonly form: SettingForm;
  /**
   * The value of one text given for `--flag` (a `list` gets one call per
   * time the flag is given, and joins the arrays); throws a SettingError
   * naming the flag when the text is not acceptable.
   */
  readonly parse: (text: string, flag: string) => T;
}

/** One setting: where it comes from, how it is read, what it means. */
export interface Setting<T, D extends T | undefined = T | undefined> {
  /** The command-line flag without `--`; none: only programs set it. */
  readonly flag?: string;
  /** Stands for the value in help and README: `N`, `PATH`, `URL`. */
  readonly placeholder?: string;
  /** The environment variable read when the flag is not given. */
  readonly env?: string;
  readonly kind: Kind<T>;
  /** The value when nothing sets it; `undefined` makes the setting optional. */
  readonly default: D;
  /** The default as people read it, when the value does not say it well. */
  readonly shownDefault?: string;
  /** One line for `--help`. */
  readonly help: string;
  /** The README's line (Markdown); default: the help line. */
  readonly readme?: string;
}

/**
 * Declares one setting. Its value type comes from the kind, and the default
 * must be of that type (or `undefined` for an optional setting).
 */
export function setting<T, D extends T | undefined>(
  spec: Setting<T, D>,
): Setting<T, D> {
  return spec;
}

/** Limits of an {@link integer} setting. */
export interface IntegerLimits {
  /** The smallest value accepted. */
  min: number;
  /** The largest value accepted; default: none. */
  max?: number;
}

/** A whole number between limits: `--port 8000`. */
export function integer(limits: IntegerLimits): Kind<number> {
  return {
    form: "value",
    parse(text, flag) {
      // Number("") is 0: an empty text is not a number.
      const n = text.trim() === "" ? NaN : Number(text);
      if (!Number.isInteger(n) || n < limits.min) {
        throw new SettingError(
          `--${flag} takes a whole number of at least ${limits.min}, not '${text}'`,
        );
      }
      if (limits.max !== undefined && n > limits.max) {
        throw new SettingError(
          `--${flag} must be at most ${limits.max}, not ${n}`,
        );
      }
      return n;
    },
  };
}

/**
 * A text: `--host 127.0.0.1`. `problem`, when given, says what is wrong
 * with it (the flag's name comes first), or `undefined` when it is
 * acceptable.
 */
export function text(
  problem?: (value: string) => string | undefined,
): Kind<string> {
  return {
    form: "value",
    parse(value, flag) {
      const wrong = problem?.(value);
      if (wrong !== undefined) throw new SettingError(`--${flag} ${wrong}`);
      return value;
    },
  };
}

/** One of a few words: `--log-format json`. */
export function choice<const V extends string>(
  values: readonly V[],
): Kind<V> {
  return {
    form: "value",
    parse(value, flag) {
      if ((values as readonly string[]).includes(value)) return value as V;
      throw new SettingError(`--${flag} must be ${oneOf(values)}`);
    },
  };
}

/** `on` or `off`, each standing for a value: `--rate-limits off`. */
export function onOff<T>(values: { on: T; off: T }): Kind<T> {
  const words = choice(["on", "off"]);
  return {
    form: "value",
    parse: (value, flag) => values[words.parse(value, flag)],
  };
}

/** A flag with no value, true when given: `--trust-proxy`. */
export function flagSwitch(): Kind<boolean> {
  return { form: "switch", parse: () => true };
}

/**
 * A text given any number of times: `--allow-origin A --allow-origin B`.
 * `problem`, when given, says what is wrong with one text (the flag's name
 * comes first), or `undefined` when it is acceptable.
 */
export function textList(
  problem?: (value: string) => string | undefined,
): Kind<string[]> {
  return {
    form: "list",
    parse(value, flag) {
      const wrong = problem?.(value);
      if (wrong !== undefined) throw new SettingError(`--${flag} ${wrong}`);
      return [value];
    },
  };
}

function oneOf(values: readonly string[]): string {
  return values.length === 2
    ? `${values[0]} or ${values[1]}`
    : `one of ${values.join(", ")}`;
}
