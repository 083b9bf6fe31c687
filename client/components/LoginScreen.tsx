/** The login screen: join as a guest, sign in, or create an account. */

import { useSignal } from "@preact/signals";
import type { JSX } from "preact";
import * as actions from "../actions.ts";
import { useApp } from "../app_context.ts";
import { LogoIcon } from "./Icons.tsx";

/** The three ways in, one tab each. */
type Mode = "guest" | "signin" | "register";

const TABS: { mode: Mode; label: string }[] = [
  { mode: "guest", label: "Guest" },
  { mode: "signin", label: "Sign in" },
  { mode: "register", label: "Create account" },
];

/** Shortest password the server accepts. */
const PASSWORD_MIN = 8;

/** Asks for a name (and a password for accounts) and logs in. */
export function LoginScreen(): JSX.Element {
  const { state, connection } = useApp();
  const mode = useSignal<Mode>("guest");
  const name = useSignal("");
  const password = useSignal("");
  const status = state.status.value.kind;
  const ready = status === "online" || status === "idle";
  const busy = state.loginBusy.value;
  const error = state.loginError.value;
  const removal = state.removal.value;
  const current = mode.value;
  const account = current !== "guest";
  const length = [...password.value].length;

  function submit(event: Event): void {
    event.preventDefault();
    if (current === "guest") {
      void connection.login(name.value);
    } else {
      void connection.signIn(current, {
        username: name.value,
        password: password.value,
      });
    }
  }

  let label = current === "guest"
    ? "Join as guest"
    : current === "signin"
    ? "Sign in"
    : "Create account";
  // A sign-in opens a fresh socket: still "signing in" while it connects.
  if (busy) label = current === "register" ? "Creating…" : "Signing in…";
  else if (!ready) label = "Connecting…";

  return (
    <main class="login">
      <form class="login-card" onSubmit={submit} noValidate>
        <div class="login-logo">
          <LogoIcon />
        </div>
        <h1>Welcome to Chat</h1>
        <p class="login-lead">
          {current === "guest"
            ? "Pick a name to join the conversation."
            : current === "signin"
            ? "Welcome back. Sign in to your account."
            : "Create an account to keep your name."}
        </p>
        {removal && (
          <div class="login-removed" role="alert" data-testid="removed-notice">
            <strong>You were removed from the chat</strong>
            <span>{removal}</span>
          </div>
        )}
        <div class="tabs" role="tablist" aria-label="How to join">
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
              {tab.label}
            </button>
          ))}
        </div>
        <div id="login-panel" role="tabpanel" class="login-panel">
          <label class="field-label" for="login-username">Username</label>
          <input
            id="login-username"
            class={`field${error ? " invalid" : ""}`}
            data-testid="login-username"
            aria-invalid={error ? "true" : undefined}
            aria-describedby={error ? "login-error" : undefined}
            autocomplete="username"
            autocapitalize="off"
            spellcheck={false}
            maxLength={32}
            autoFocus
            value={name.value}
            onInput={(e) => name.value = e.currentTarget.value}
          />
          {account && (
            <>
              <label class="field-label spaced" for="login-password">
                Password
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
                  class={`field-hint${length >= PASSWORD_MIN ? " ok" : ""}`}
                  data-testid="password-hint"
                >
                  {length >= PASSWORD_MIN
                    ? "✓ Long enough"
                    : `At least ${PASSWORD_MIN} characters (${length}/${PASSWORD_MIN})`}
                </p>
              )}
            </>
          )}
          {error && (
            <p
              id="login-error"
              class="login-error"
              role="alert"
              data-testid="login-error"
            >
              {error}
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
        </div>
        <p class="login-hint">
          {current === "guest"
            ? "Letters, digits and _ - . — up to 32 characters. Guest names are free again when you leave."
            : "Letters, digits and _ - . — up to 32 characters."}
        </p>
      </form>
    </main>
  );
}
