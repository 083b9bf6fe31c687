/**
 * The sentence a reader sees for an error the server sent, in the reader's
 * language. The server writes its sentences in English: an English reader
 * gets them as written, since they name what was refused (the room, the
 * limit, the rank); a reader of another language gets the client's own
 * sentence for the error's code, which says less but says it in words the
 * reader reads. Every code of server/protocol/error_codes.ts has one in
 * every language (tests/client_i18n_test.ts fails for a code without).
 */

import { ERROR_CODES, type ErrorCode } from "../server/protocol/error_codes.ts";
import {
  MAX_MESSAGE_LENGTH,
  MAX_NAME_LENGTH,
} from "../server/protocol/limits.ts";
import { lang, type MessageKey, t } from "./i18n.ts";

/** The language the server writes its error sentences in. */
const SERVER_LANG = "en";

const KNOWN = new Set<string>(ERROR_CODES);

/**
 * The sentence for an error reply (a WebSocket `error`'s data or an HTTP
 * error body): `code` is its code (`error` over HTTP), `reply` holds its
 * `message` and details such as `retry_after_ms`.
 */
export function errorText(
  code: string,
  reply: Record<string, unknown> = {},
): string {
  const message = typeof reply.message === "string" && reply.message !== ""
    ? reply.message
    : undefined;
  if (!KNOWN.has(code)) return message ?? t("error.unexplained");
  if (message !== undefined && lang.value === SERVER_LANG) return message;
  return codeText(code as ErrorCode, reply);
}

/** The client's own sentence for a code, in the reader's language. */
export function codeText(
  code: ErrorCode,
  reply: Record<string, unknown> = {},
): string {
  const wait = reply.retry_after_ms;
  if (code === "rate_limited" && typeof wait === "number" && wait > 0) {
    // "1.5 s" in English, "1,5 s" in French.
    const s = new Intl.NumberFormat(lang.value, {
      minimumFractionDigits: 1,
      maximumFractionDigits: 1,
    }).format(wait / 1000);
    return t("code.rate_limited.wait", { s });
  }
  const n = code === "message_too_long" ? MAX_MESSAGE_LENGTH : MAX_NAME_LENGTH;
  return t(`code.${code}` as MessageKey, { n });
}
