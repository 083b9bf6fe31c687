/** The login screen: join as a guest, sign in, or create an account. */

import { useSignal } from "@preact/signals";
import type { JSX } from "preact";
import { useEffect } from "preact/hooks";
import {
  MAX_NAME_LENGTH,
  PASSWORD_MIN_LENGTH,
} from "../../server/protocol/limits.ts";
import * as actions from "../actions.ts";
import { useApp } from "../app_context.ts";
import { fetchForgotAvailable } from "../forgot_api.ts";
import { lang, LANGS, type MessageKey, setLang, t } from "../i18n.ts";
import { ForgotPassword } from "./ForgotPassword.tsx";
import { LogoIcon } from "./Icons.tsx";

/** The three ways in, one tab each. */
type Mode = "guest" | "signin" | "register";

const TABS: { mode: Mode; label: MessageKey }[] = [
  { mode: "guest", label: "login.guest" },
  { mode: "signin", label: "login.signin" },
  { mode: "register", label: "login.register" },
];

/** Asks for a name (and a password for accounts) and logs in. */
export function LoginScreen(): JSX.Element {
  const { state, connection } = useApp();
  // The tab this browser got in with last: an account's owner back at the
  // login screen (a logout, an ended session, an expired cookie) signs in.
  const mode = useSignal<Mode>(
    state.wayIn.value === "account" ? "signin" : "guest",
  );
  const name = useSignal("");
  const password = useSignal("");
  const code = useSignal("");
  const status = state.status.value.kind;
  const ready = status === "online" || status === "idle";
  const busy = state.loginBusy.value;
  const error = state.loginError.value;
  const removal = state.removal.value;
  const current = mode.value;
  const account = current !== "guest";
  // The second step of a sign-in whose password was right: its code.
  const second = current === "signin" && state.loginTotp.value;
  const length = [...password.value].length;
  // "Forgot password?" is offered only by a server that mails (--smtp-url).
  const canForget = useSignal(false);
  const forgetting = useSignal(false);
  useEffect(() => {
    void fetchForgotAvailable().then((yes) => canForget.value = yes);
  }, []);

  function submit(event: Event): void {
    event.preventDefault();
    if (current === "guest") {
      void connection.login(name.value);
    } else {
      void connection.signIn(current, {
        username: name.value,
        password: password.value,
        totp: second ? code.value : undefined,
      });
    }
  }

  let label = current === "guest"
    ? t("login.joinGuest")
    : second
    ? t("login.verify")
    : current === "signin"
    ? t("login.signin")
    : t("login.register");
  // A sign-in opens a fresh socket: still "signing in" while it connects.
  if (busy) {
    label = current === "register" ? t("login.creating") : t("login.signingIn");
  } else if (!ready) label = t("app.connecting");

  if (forgetting.value) {
    return (
      <ForgotPassword
        initial={name.value}
        onBack={() => forgetting.value = false}
      />
    );
  }

  return (
    <main class="login">
      <form class="login-card" onSubmit={submit} noValidate>
        <div class="login-logo">
          <LogoIcon />
        </div>
        <h1>{t("login.welcome")}</h1>
        <p class="login-lead">
          {current === "guest"
            ? t("login.leadGuest")
            : second
            ? t("login.totpLead")
            : current === "signin"
            ? t("login.leadSignin")
            : t("login.leadRegister")}
        </p>
        {removal && (
          <div class="login-removed" role="alert" data-testid="removed-notice">
            <strong>{t("login.removed")}</strong>
            <span>{removal()}</span>
          </div>
        )}
        <div class="tabs" role="tablist" aria-label={t("login.how")}>
          {TABS.map((tab) => (
            <button
              key={tab.mode}
              type="button"
              role="tab"
              class={`tab${tab.mode === current ? " active" : ""}`}
              data-testid={`login-tab-${tab.mode}`}
              aria-selected={tab.mode === current}
              aria-controls="login-panel"
              onClick={() => {
                mode.value = tab.mode;
                actions.loginErrorCleared(state);
              }}
            >
              {t(tab.label)}
            </button>
          ))}
        </div>
        <div id="login-panel" role="tabpanel" class="login-panel">
          {second && (
            <>
              <label class="field-label" for="login-totp">
                {t("login.totp")}
              </label>
              <input
                id="login-totp"
                class={`field${error ? " invalid" : ""}`}
                data-testid="login-totp"
                aria-invalid={error ? "true" : undefined}
                aria-describedby={error ? "login-error" : undefined}
                autocomplete="one-time-code"
                inputMode="numeric"
                spellcheck={false}
                maxLength={64}
                autoFocus
                value={code.value}
                onInput={(e) => code.value = e.currentTarget.value}
              />
            </>
          )}
          <div class="login-fields" hidden={second}>
            <label class="field-label" for="login-username">
              {t("login.username")}
            </label>
            <input
              id="login-username"
              class={`field${error ? " invalid" : ""}`}
              data-testid="login-username"
              aria-invalid={error ? "true" : undefined}
              aria-describedby={error ? "login-error" : undefined}
              autocomplete="username"
              autocapitalize="off"
              spellcheck={false}
              maxLength={MAX_NAME_LENGTH}
              autoFocus
              value={name.value}
              onInput={(e) => name.value = e.currentTarget.value}
            />
            {account && (
              <>
                <label class="field-label spaced" for="login-password">
                  {t("login.password")}
                </label>
                <input
                  id="login-password"
                  type="password"
                  class={`field${error ? " invalid" : ""}`}
                  data-testid="login-password"
                  aria-describedby={current === "register"
                    ? "password-hint"
                    : undefined}
                  autocomplete={current === "register"
                    ? "new-password"
                    : "current-password"}
                  value={password.value}
                  onInput={(e) => password.value = e.currentTarget.value}
                />
                {current === "register" && (
                  <p
                    id="password-hint"
                    class={`field-hint${
                      length >= PASSWORD_MIN_LENGTH ? " ok" : ""
                    }`}
                    data-testid="password-hint"
                  >
                    {length >= PASSWORD_MIN_LENGTH
                      ? t("login.longEnough")
                      : t("login.passwordHint", {
                        n: PASSWORD_MIN_LENGTH,
                        len: length,
                      })}
                  </p>
                )}
              </>
            )}
          </div>
          {error && (
            <p
              id="login-error"
              class="login-error"
              role="alert"
              data-testid="login-error"
            >
              {error()}
            </p>
          )}
          <button
            type="submit"
            class="button primary"
            data-testid="login-submit"
            disabled={!ready || busy}
          >
            {label}
          </button>
          {current === "signin" && !second && canForget.value && (
            <button
              type="button"
              class="button ghost login-back"
              data-testid="login-forgot"
              onClick={() => {
                actions.loginErrorCleared(state);
                forgetting.value = true;
              }}
            >
              {t("forgot.link")}
            </button>
          )}
          {second && (
            <button
              type="button"
              class="button ghost login-back"
              data-testid="login-totp-back"
              onClick={() => {
                code.value = "";
                actions.loginErrorCleared(state);
              }}
            >
              {t("login.totpBack")}
            </button>
          )}
        </div>
        <p class="login-hint" hidden={second}>
          {current === "guest"
            ? t("login.hintGuest", { n: MAX_NAME_LENGTH })
            : t("login.hint", { n: MAX_NAME_LENGTH })}
        </p>
        <div class="login-langs" role="group" aria-label={t("login.language")}>
          {LANGS.map((option) => (
            <button
              key={option.lang}
              type="button"
              class={`lang-pill${lang.value === option.lang ? " active" : ""}`}
              lang={option.lang}
              aria-pressed={lang.value === option.lang}
              onClick={() => setLang(option.lang)}
            >
              {option.name}
            </button>
          ))}
        </div>
      </form>
    </main>
  );
}
