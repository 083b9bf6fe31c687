/**
 * The mail "Forgot password?" sends (mail/forgot_password.ts): a password
 * reset link for one account, in the language of the page that asked
 * (the account keeps none), plain text as every mail of the server.
 */
import type { Mail } from "./mailer.ts";

/** The languages a reset mail is written in. */
export type MailLang = "en" | "fr";

/** What a reset mail says: to whom, for which account, its link. */
export interface ResetMailFacts {
  to: string;
  username: string;
  /** The whole link, `<--public-url>/reset#<token>`. */
  link: string;
  /** How long the link works, in minutes. */
  minutes: number;
  lang: MailLang;
}

/** The mail that carries a reset link asked for at the login page. */
export function resetMail(facts: ResetMailFacts): Mail {
  const { username, link, minutes } = facts;
  if (facts.lang === "fr") {
    return {
      to: facts.to,
      subject: "Réinitialiser votre mot de passe",
      text: [
        `Quelqu'un, sans doute vous, a demandé un nouveau mot de passe pour le compte ${username}.`,
        "",
        `Pour le choisir, ouvrez ce lien (il sert une fois, pendant ${minutes} minutes) :`,
        "",
        link,
        "",
        "Le nouveau mot de passe ferme toutes les sessions du compte et",
        "révoque ses jetons d'accès.",
        "",
        "Si ce n'était pas vous, ne faites rien : votre mot de passe ne change pas.",
      ].join("\n"),
    };
  }
  return {
    to: facts.to,
    subject: "Reset your password",
    text: [
      `Someone, probably you, asked for a new password for the chat account ${username}.`,
      "",
      `To choose it, open this link (it works once, for ${minutes} minutes):`,
      "",
      link,
      "",
      "The new password ends every session of the account and revokes its",
      "access tokens.",
      "",
      "If it was not you, do nothing: your password stays as it is.",
    ].join("\n"),
  };
}
