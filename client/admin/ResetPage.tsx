/**
 * `/reset#<token>`: the owner of a password reset link chooses a new
 * password, is signed in, and goes on to the chat. An account with
 * two-factor authentication is not signed in by the link (the server
 * starts no session for it): the page says a code is needed, and links to
 * the sign-in form.
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
  const needsCode = useSignal(false);

  async function submit(event: Event): Promise<void> {
    event.preventDefault();
    busy.value = true;
    const result = await postPasswordReset(token, password.value);
    busy.value = false;
    if (!result.ok) {
      error.value = result.message;
      return;
    }
    if (result.data.totp) {
      // No session was started: sending the owner to "/" would only show
      // the sign-in form, without saying why. The fragment goes all the
      // same: the token is used up.
      history.replaceState(null, "", location.pathname);
      needsCode.value = true;
      return;
    }
    // The fragment goes: the token is used up, and history should not keep it.
    location.replace("/");
  }

  if (needsCode.value) {
    return (
      <main class="admin-page admin-reset">
        <h1>{t("admin.resetTitle")}</h1>
        <p role="status" data-testid="reset-totp-notice">
          {t("admin.resetTotpNeeded")}
        </p>
        <a href="/" data-testid="reset-sign-in">{t("admin.resetSignIn")}</a>
      </main>
    );
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
