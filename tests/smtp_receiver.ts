/**
 * A real SMTP server (npm `smtp-server`) on a free loopback port for the
 * tests of the server's mail: it takes every mail (any login, no TLS) and
 * parses it (npm `mailparser`), so a test reads a mail's recipient,
 * subject and text, and waits for one by what it says.
 */
// @ts-types="npm:@types/smtp-server@^3.5"
import { SMTPServer } from "smtp-server";
// @ts-types="npm:@types/mailparser@^3.9"
import { simpleParser } from "mailparser";

/** A mail as received. */
export interface ReceivedMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  /** Its HTML part, or "" for none. */
  html: string;
  /** Its header lines by lower-cased name, as written (the last of a name). */
  headers: Record<string, string>;
}

/** A running receiver. */
export interface SmtpReceiver {
  /** `smtp://user:secret@127.0.0.1:PORT`, for `--smtp-url`. */
  url: string;
  /** Every mail received so far, oldest first. */
  mails: ReceivedMail[];
  /**
   * The first mail (received or to come) that `match` accepts; rejects
   * after `timeoutMs` (default 60 s, far above a send on a busy machine).
   */
  next(
    match: (mail: ReceivedMail) => boolean,
    timeoutMs?: number,
  ): Promise<ReceivedMail>;
  close(): Promise<void>;
}

/**
 * A loopback port free now, for a receiver a server's settings must name
 * before it starts (browser tests fix their server's settings first).
 */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/**
 * Starts a receiver on 127.0.0.1, on `port` or one the system picks.
 */
export async function startSmtpReceiver(
  options: { port?: number } = {},
): Promise<SmtpReceiver> {
  const mails: ReceivedMail[] = [];
  const waiters = new Set<() => void>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    // The server's mailer logs in with the URL's user: any login is taken.
    onAuth(auth, _session, callback) {
      callback(null, { user: auth.username });
    },
    onData(stream, _session, callback) {
      simpleParser(stream).then((parsed) => {
        const to = Array.isArray(parsed.to) ? parsed.to[0] : parsed.to;
        mails.push({
          from: parsed.from?.text ?? "",
          to: to?.text ?? "",
          subject: parsed.subject ?? "",
          text: parsed.text ?? "",
          html: typeof parsed.html === "string" ? parsed.html : "",
          headers: Object.fromEntries(
            parsed.headerLines.map((
              { key, line },
            ) => [key, line.slice(line.indexOf(":") + 1).trim()]),
          ),
        });
        for (const wake of waiters) wake();
        callback();
      }, (error) => callback(error));
    },
    logger: false,
  });
  await new Promise<void>((resolve) =>
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve())
  );
  const { port } = server.server.address() as { port: number };
  return {
    url: `smtp://chat:secret@127.0.0.1:${port}`,
    mails,
    next(match, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const look = () => {
          const found = mails.find(match);
          if (found === undefined) return false;
          clearTimeout(timer);
          waiters.delete(wake);
          resolve(found);
          return true;
        };
        const wake = () => void look();
        const timer = setTimeout(() => {
          waiters.delete(wake);
          reject(new Error(`No such mail in ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(wake);
        look();
      });
    },
    close() {
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
