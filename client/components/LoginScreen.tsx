/** The login form: pick a username, see why the server refused it. */

import { useSignal } from "@preact/signals";
import type { JSX } from "preact";
import { useApp } from "../app_context.ts";
import { LogoIcon } from "./Icons.tsx";

/** Asks for a username and logs in as a guest. */
export function LoginScreen(): JSX.Element {
  const { state, connection } = useApp();
  const name = useSignal("");
  const online = state.status.value.kind === "online";
  const busy = state.loginBusy.value;
  const error = state.loginError.value;
  function submit(event: Event): void {
    event.preventDefault();
    void connection.login(name.value);
  }
  let label = "Log in";
  if (!online) label = "Connecting…";
  else if (busy) label = "Logging in…";
  return (
    <main class="login">
      <form class="login-card" onSubmit={submit} noValidate>
        <div class="login-logo">
          <LogoIcon />
        </div>
        <h1>Welcome to Chat</h1>
        <p class="login-lead">Pick a name to join the conversation.</p>
        <label class="field-label" for="login-username">Username</label>
        <input
          id="login-username"
          class={`field${error ? " invalid" : ""}`}
          data-testid="login-username"
          aria-label="Username"
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
          aria-label="Log in"
          disabled={!online || busy}
        >
          {label}
        </button>
        <p class="login-hint">
          Letters, digits and _ - . — up to 32 characters.
        </p>
      </form>
    </main>
  );
}
