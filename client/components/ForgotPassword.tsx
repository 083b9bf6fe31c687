/**
 * "Forgot password?" on the login screen: a name or an address, then the
 * same words whatever the server found, since its answer says nothing of
 * the account (POST /api/forgot-password). The link itself opens /reset.
 */

import { useSignal } from "@preact/signals";
import type { JSX } from "preact";
import { postForgotPassword } from "../forgot_api.ts";
import { t } from "../i18n.ts";
import { LogoIcon } from "./Icons.tsx";

/** The request form, in the login card's place; `onBack` returns to it. */
export function ForgotPassword(
  { initial, onBack }: { initial: string; onBack: () => void },
): JSX.Element {
  const account = useSignal(initial);
  const busy = useSignal(false);
  const sent = useSignal(false);
  const error = useSignal<string | null>(null);

  async function submit(event: Event): Promise<void> {
    event.preventDefault();
    if (account.value.trim() === "") return;
    busy.value = true;
    const refused = await postForgotPassword(account.value.trim());
    busy.value = false;
    error.value = refused;
    sent.value = refused === null;
  }

  return (
    <main class="login">
      <form
        class="login-card"
        onSubmit={(e) => void submit(e)}
        noValidate
        data-testid="forgot-form"
      >
        <div class="login-logo">
          <LogoIcon />
        </div>
        <h1>{t("forgot.link")}</h1>
        {sent.value
          ? (
            <p class="login-lead" role="status" data-testid="forgot-sent">
              {t("forgot.sent")}
            </p>
          )
          : (
            <>
              <p class="login-lead">{t("forgot.lead")}</p>
              <label class="field-label" for="forgot-account">
                {t("forgot.account")}
              </label>
              <input
                id="forgot-account"
                class={`field${error.value ? " invalid" : ""}`}
                data-testid="forgot-account"
                aria-invalid={error.value ? "true" : undefined}
                aria-describedby={error.value ? "forgot-error" : undefined}
                autocomplete="username"
                autocapitalize="off"
                spellcheck={false}
                maxLength={254}
                autoFocus
                value={account.value}
                onInput={(e) => account.value = e.currentTarget.value}
              />
              {error.value && (
                <p
                  id="forgot-error"
                  class="login-error"
                  role="alert"
                  data-testid="forgot-error"
                >
                  {error.value}
                </p>
              )}
              <button
                type="submit"
                class="button primary"
                data-testid="forgot-submit"
                disabled={busy.value || account.value.trim() === ""}
              >
                {busy.value ? t("forgot.sending") : t("forgot.send")}
              </button>
            </>
          )}
        <button
          type="button"
          class="button ghost login-back"
          data-testid="forgot-back"
          onClick={onBack}
        >
          {t("forgot.back")}
        </button>
      </form>
    </main>
  );
}
