/**
 * The settings pages' calls to the REST API: the session cookie
 * authenticates, the browser's Origin header shows the server they come
 * from its own page, and an answer is the data or the server's sentence.
 */

import { call } from "./auth_api.ts";
import { errorText } from "./error_text.ts";
import { t } from "./i18n.ts";

/** An answer, or the server's sentence for why not. */
export type RestResult<T> = { ok: true; data: T } | {
  ok: false;
  message: string;
};

/** One call; the JSON body on success (null for 204), else the reason. */
export async function rest(
  method: string,
  path: string,
  body?: unknown,
): Promise<RestResult<unknown>> {
  const response = await call(method, path, body);
  if (response === null) {
    return { ok: false, message: t("error.unreachable") };
  }
  let data: unknown = null;
  try {
    data = response.status === 204 ? null : await response.json();
  } catch {
    // An empty or broken body: judged by the status alone.
  }
  if (response.ok) return { ok: true, data };
  const answer = (data ?? {}) as Record<string, unknown>;
  return {
    ok: false,
    // A body without a code (a proxy's page) is judged by the status.
    message: typeof answer.error === "string"
      ? errorText(answer.error, answer)
      : t("error.status", { status: response.status }),
  };
}

/** The failure for an answer whose shape is not the one expected. */
export function unreadable(): { ok: false; message: string } {
  return {
    ok: false,
    message: t("error.answerUnreadable"),
  };
}

/** The list under `key` of an answer, when every entry passes `check`. */
export function listOf<T>(
  answer: RestResult<unknown>,
  key: string,
  check: (value: unknown) => value is T,
): RestResult<T[]> {
  if (!answer.ok) return answer;
  const list = (answer.data as Record<string, unknown> | null)?.[key];
  return Array.isArray(list) && list.every(check)
    ? { ok: true, data: list }
    : unreadable();
}
