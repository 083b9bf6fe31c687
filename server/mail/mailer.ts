/**
 * Sending email: one `Mailer` for the whole node, made at start-up from
 * `--smtp-url` and `--mail-from` (none without them: the server then offers
 * no email feature at all). nodemailer speaks SMTP (STARTTLS when the
 * server offers it on smtp://, TLS from the first byte on smtps://, AUTH
 * with the URL's user and password) so nothing of SMTP is written here.
 */
// @ts-types="npm:@types/nodemailer@^8"
import nodemailer from "nodemailer";

/** One email to one address: plain text, and HTML beside it if given. */
export interface Mail {
  to: string;
  subject: string;
  text: string;
  /** The same as HTML, for readers that show it. */
  html?: string;
  /** More header lines (`List-Unsubscribe`...), on one line each. */
  headers?: Record<string, string>;
  /** Its `Message-ID` (`<...@host>`); one made up by the mailer if absent. */
  messageId?: string;
  /** Its `In-Reply-To`: the ids it answers, space-separated. */
  inReplyTo?: string;
  /** Its `References`: the ids of the thread it belongs to. */
  references?: string[];
}

/** Sends mail; one per node, closed with it. */
export interface Mailer {
  /** Resolves when the SMTP server accepted the mail; rejects otherwise. */
  send(mail: Mail): Promise<void>;
  /** Closes the pooled connections. */
  close(): void;
}

/** What the node needs to mail people links back to itself. */
export interface MailSettings {
  mailer: Mailer;
  /**
   * The server's address as people open it (`--public-url`), without a
   * trailing `/`: a mail's links are whole, there being no page to be
   * relative to.
   */
  publicUrl: string;
  /**
   * The language of the missed-message mails of accounts that never chose
   * one (`--mail-language`); English unless given.
   */
  language?: "en" | "fr";
}

/** Options of {@link smtpMailer}. */
export interface SmtpMailerOptions {
  /** The `From:` of every mail (`--mail-from`). */
  from: string;
  /**
   * How long a connection, greeting or socket may stay silent before the
   * send fails, in ms; default 30 s (nodemailer's own waits are minutes).
   */
  timeoutMs?: number;
}

/**
 * A mailer over SMTP at `url` (`smtp://user:pass@host:587`, or `smtps://`
 * for TLS from the start). A few connections are pooled: a sweep's mails
 * share them instead of a handshake each.
 */
export function smtpMailer(url: string, options: SmtpMailerOptions): Mailer {
  const timeout = options.timeoutMs ?? 30_000;
  const transport = nodemailer.createTransport(
    {
      url,
      pool: true,
      maxConnections: 2,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
    } as Parameters<typeof nodemailer.createTransport>[0],
  );
  return {
    async send(mail) {
      await transport.sendMail({ from: options.from, ...mail });
    },
    close() {
      transport.close();
    },
  };
}
