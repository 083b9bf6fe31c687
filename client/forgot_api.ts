/**
 * "Forgot password?" over HTTP: whether this server mails reset links,
 * and the request itself, whose answer says nothing of the account.
 */

import { errorText } from "./error_text.ts";
import { lang, t } from "./i18n.ts";
import { call } from "./auth_api.ts";

/** Whether the server mails reset links (`GET /api/forgot-password`). */
export async function fetchForgotAvailable(): Promise<boolean> {
  const response = await call("GET", "/api/forgot-password");
  if (response === null) return false;
  await response.body?.cancel();
  return response.ok;
}

/**
 * Asks for a reset link for a name or an address, in the page's language:
 * null once accepted (a mail comes if there is an account to mail), or
 * the sentence of a refusal (too many requests, offline).
 */
export async function postForgotPassword(
  account: string,
): Promise<string | null> {
  const response = await call("POST", "/api/forgot-password", {
    account,
    lang: lang.value,
  });
  if (response === null) return t("error.unreachable");
  if (response.status === 202) {
    await response.body?.cancel();
    return null;
  }
  let body: Record<string, unknown> = {};
  try {
    body = await response.json();
  } catch {
    // An empty or broken body: judged by the status alone.
  }
  return typeof body.error === "string"
    ? errorText(body.error, body)
    : t("error.status", { status: response.status });
}
