/**
 * The checks of the mail settings (`--smtp-url`, `--mail-from`,
 * `--public-url`), apart from the mailer so that the settings table loads
 * no SMTP code.
 */

/**
 * What is wrong with an `--smtp-url`, or undefined: smtp:// or smtps://
 * with a host. Its password is never repeated in the answer.
 */
export function smtpUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "takes a URL like smtp://user:password@mail.example.org:587";
  }
  if (url.protocol !== "smtp:" && url.protocol !== "smtps:") {
    return `takes an smtp:// or smtps:// URL, not ${url.protocol}//…`;
  }
  if (url.hostname === "") return "takes a URL with a host";
  return undefined;
}

/** What is wrong with a `--public-url`, or undefined. */
export function publicUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `takes the server's address, like https://chat.example.org, not '${value}'`;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return `takes an http:// or https:// address, not ${url.protocol}//…`;
  }
  if (url.search !== "" || url.hash !== "") {
    return "takes an address without ? or #";
  }
  return undefined;
}

/** A `--public-url` as links start: no trailing `/`. */
export function publicBase(value: string): string {
  return value.replace(/\/+$/, "");
}

/**
 * What is wrong with a `--mail-from`: an address, or `Name <address>`,
 * on one line.
 */
export function mailFromProblem(value: string): string | undefined {
  if (/[\r\n]/.test(value)) return "takes one line";
  const address = /<([^<>]+)>\s*$/.exec(value)?.[1] ?? value.trim();
  return /^[^\s@<>]+@[^\s@<>]+$/.test(address)
    ? undefined
    : `takes an address like chat@example.org or "Chat <chat@example.org>", not '${value}'`;
}

/**
 * What is wrong with the mail settings together, or undefined: an SMTP
 * server needs a sender and the server's address (a mail's links are
 * whole), and those two say nothing without it.
 */
export function mailSettingsProblem(
  config: { smtpUrl?: string; mailFrom?: string; publicUrl?: string },
): string | undefined {
  if (config.smtpUrl === undefined) return undefined;
  const missing = [
    config.mailFrom === undefined ? "--mail-from" : undefined,
    config.publicUrl === undefined ? "--public-url" : undefined,
  ].filter((flag) => flag !== undefined);
  return missing.length === 0
    ? undefined
    : `--smtp-url needs ${
      missing.join(" and ")
    } too: the sender of the mails and the server's address their links start with`;
}
