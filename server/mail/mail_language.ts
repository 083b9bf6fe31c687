/**
 * The language of an account's missed-message mails: the one it chose
 * (`set_missed_mail`), else the server's (`--mail-language`), so that an
 * account that only ever used another client than the web page (a bot's
 * owner, an app, the REST API) gets mails in the language of its server
 * rather than English. The protocol tells the language the mails are in,
 * chosen or not: a reply never says null.
 */
import type { MissedMailState } from "../protocol/types.ts";
import type { MissedMailSetting } from "../store/mod.ts";
import type { MailSettings } from "./mailer.ts";

/** The languages a missed-message mail is written in. */
export type MailLanguage = "en" | "fr";

/** The server's language when `--mail-language` is not given. */
export const DEFAULT_MAIL_LANGUAGE: MailLanguage = "en";

/**
 * An account's setting as the protocol and the mail read it: its language
 * chosen, else the server's (`mail`, none without `--smtp-url`).
 */
export function missedMailState(
  setting: MissedMailSetting,
  mail: MailSettings | undefined,
): MissedMailState {
  return {
    enabled: setting.enabled,
    language: setting.language ?? mail?.language ?? DEFAULT_MAIL_LANGUAGE,
  };
}
