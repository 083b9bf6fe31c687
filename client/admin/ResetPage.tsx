/**
 * `/reset#<token>`: the owner of a password reset link chooses a new
 * password, is signed in, and goes on to the chat.
 */

import { useSignal } from "@preact/signals";
import type { JSX } from "preact";
import { PASSWORD_MIN_LENGTH } from "../../server/protocol/limits.ts";
import { t } from "../i18n.ts";
import { postPasswordReset } from "./api.ts";

/** The reset form; the token is the page's fragment. */
export function ResetPage({ token }: { token: string }): JSX.Element {
  const password = useSignal("");
  const error = useSignal<string | null>(null);
  const busy = useSignal(false);

  async function submit(event: Event): Promise<void> {
    event.preventDefault();
    busy.value = true;
    const result = await postPasswordReset(token, password.value);
    busy.value = false;
    if (!result.ok) {
      error.value = result.message;
      return;
    }
    // The fragment goes: the token is used up, and history should not keep it.
    location.replace("/");
  }

  return (
    <main class="admin-page admin-reset">
      <h1>{t("admin.resetTitle")}</h1>
      {token === ""
        ? <p role="alert">{t("admin.resetNoToken")}</p>
        : (
          <form onSubmit={(e) => void submit(e)}>
            <label>
              {t("login.password")}
              <input
                type="password"
                autoComplete="new-password"
                minLength={PASSWORD_MIN_LENGTH}
                value={password.value}
                onInput={(e) => password.value = e.currentTarget.value}
              />
            </label>
            <button type="submit" disabled={busy.value}>
              {t("admin.resetSave")}
            </button>
            {error.value && <p role="alert">{error.value}</p>}
          </form>
        )}
    </main>
  );
}
