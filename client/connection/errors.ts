/**
 * Why a request failed, as a value, and the sentences the login screen
 * shows for the refusals people meet most. Other errors say what
 * error_text.ts made of the server's reply.
 */

import type { ErrorCode } from "../../server/protocol/types.ts";
import { MAX_NAME_LENGTH } from "../../server/protocol/limits.ts";
import type { AuthError } from "../auth_api.ts";
import { t } from "../i18n.ts";
import type { Words } from "../room_log.ts";

/** A protocol error code, or one the client makes up when there is no reply. */
export type ClientErrorCode = ErrorCode | "offline" | "timeout";

/** Why a request failed: a code for programs and a sentence for people. */
export interface RequestError {
  code: ClientErrorCode;
  /** The sentence in the language it was said in. */
  message: string;
  /** Says it again in the interface's language now, when the client can. */
  words?: Words;
}

/** The outcome of a request: its success data or its error. */
export type Result<T> = { ok: true; data: T } | {
  ok: false;
  error: RequestError;
};

/** A failed {@linkcode Result}; its sentence said by `words`, now and after a language change. */
export function failure(
  code: ClientErrorCode,
  words: Words,
): { ok: false; error: RequestError } {
  return { ok: false, error: { code, message: words(), words } };
}

/** What says an error's sentence in the interface's language now. */
export function errorWords(error: RequestError): Words {
  return error.words ?? (() => error.message);
}

/**
 * What the login screen says after a guest login failed; common refusals
 * get their own sentence. Words, not a sentence: the form says it again in
 * the language picked under it.
 */
export function loginErrorText(name: string, error: RequestError): Words {
  switch (error.code) {
    case "username_taken":
      return () => t("error.nameTaken", { name });
    case "username_invalid":
      return () => t("error.nameRules", { n: MAX_NAME_LENGTH });
    case "offline":
      return () => t("error.offline");
    default:
      return errorWords(error);
  }
}

/** What the login screen says after a sign-in or sign-up over HTTP failed. */
export function accountErrorText(name: string, error: AuthError): Words {
  switch (error.code) {
    case "bad_credentials":
      return () => t("error.badCredentials");
    case "username_taken":
      return () => t("error.accountTaken", { name });
    case "username_invalid":
      return () => t("error.nameRules", { n: MAX_NAME_LENGTH });
    default:
      // rate_limited says when to try again; banned says why.
      return error.words ?? (() => error.message);
  }
}

/** What the login screen says when the session cookie did not log in. */
export function cookieErrorText(error: RequestError): Words {
  return error.code === "bad_credentials"
    ? () => t("error.sessionEnded")
    : errorWords(error);
}

/** What the login screen says when a session could not be resumed after a reconnect. */
export function resumeErrorText(account: boolean, error: RequestError): Words {
  if (account && error.code === "bad_credentials") {
    return () => t("error.sessionEnded");
  }
  const message = errorWords(error);
  return () => t("error.reLogin", { message: message() });
}
