/**
 * The Two-factor authentication dialog, opened from the account menu.
 * Off: the password asks for a secret (`totp_setup`), shown as a QR code
 * and as text; a code of it turns 2FA on (`totp_enable`) and the ten
 * recovery codes are shown once, with a copy button. On: the password and
 * a code (or a recovery code) turn it off (`totp_disable`) or give new
 * recovery codes (`totp_recovery_codes`).
 */

import { useSignal } from "@preact/signals";
import type { JSX } from "preact";
import * as actions from "../actions.ts";
import { useApp } from "../app_context.ts";
import type { RequestError } from "../connection/errors.ts";
import { t } from "../i18n.ts";
import { Dialog } from "./Dialog.tsx";
import { DialogStatus } from "./DialogFooter.tsx";
import { QrCode } from "./QrCode.tsx";

/** The Two-factor authentication dialog; `onClose` once dismissed. */
export function TotpDialog(props: { onClose: () => void }): JSX.Element {
  const { state, connection } = useApp();
  const password = useSignal("");
  const code = useSignal("");
  // A setup waiting for its first code.
  const setup = useSignal<{ secret: string; uri: string } | null>(null);
  // Recovery codes just made: shown this once.
  const recovery = useSignal<string[] | null>(null);
  const copied = useSignal(false);
  const busy = useSignal(false);
  const error = useSignal<string | null>(null);
  const on = state.totp.value;

  async function run<T>(
    step: Promise<{ ok: true; data: T } | { ok: false; error: RequestError }>,
    then: (data: T) => void,
  ): Promise<void> {
    busy.value = true;
    error.value = null;
    const result = await step;
    busy.value = false;
    if (!result.ok) {
      error.value = result.error.words?.() ?? result.error.message;
      return;
    }
    code.value = "";
    then(result.data);
  }

  function start(event: Event): void {
    event.preventDefault();
    void run(
      connection.request("totp_setup", { password: password.value }),
      (data) => {
        password.value = "";
        setup.value = data;
      },
    );
  }

  function enable(event: Event): void {
    event.preventDefault();
    void run(
      connection.request("totp_enable", { code: code.value.trim() }),
      (data) => {
        setup.value = null;
        recovery.value = data.recovery_codes;
        actions.totpChanged(state, true);
      },
    );
  }

  function manage(action: "totp_disable" | "totp_recovery_codes") {
    return () =>
      void run(
        connection.request(action, {
          password: password.value,
          code: code.value.trim(),
        }),
        (data) => {
          password.value = "";
          if ("recovery_codes" in data) {
            recovery.value = data.recovery_codes as string[];
          } else actions.totpChanged(state, false);
        },
      );
  }

  async function copy(codes: string[]): Promise<void> {
    try {
      await navigator.clipboard.writeText(codes.join("\n"));
      copied.value = true;
    } catch {
      // No clipboard (an insecure origin, a refusal): select them instead.
      const list = document.querySelector("[data-testid=totp-recovery]");
      if (list) getSelection()?.selectAllChildren(list);
    }
  }

  let body: JSX.Element;
  if (recovery.value) {
    const codes = recovery.value;
    body = (
      <>
        <h3 class="dialog-section">{t("totp.recoveryTitle")}</h3>
        <p class="dialog-note">{t("totp.recoveryNote")}</p>
        <ul class="totp-recovery" data-testid="totp-recovery">
          {codes.map((c) => (
            <li key={c}>
              <code>{c}</code>
            </li>
          ))}
        </ul>
        <div class="dialog-row">
          <button
            type="button"
            class="button ghost small"
            data-testid="totp-copy"
            onClick={() => void copy(codes)}
          >
            {copied.value ? t("totp.copied") : t("totp.copy")}
          </button>
          <button
            type="button"
            class="button primary small"
            data-testid="totp-done"
            onClick={() => {
              recovery.value = null;
              copied.value = false;
            }}
          >
            {t("totp.done")}
          </button>
        </div>
      </>
    );
  } else if (setup.value) {
    body = (
      <form class="dialog-form" onSubmit={enable}>
        <p class="dialog-note">{t("totp.scan")}</p>
        <QrCode text={setup.value.uri} label={t("totp.qr")} testId="totp-qr" />
        <p class="dialog-note">
          {t("totp.secret")}:{" "}
          <code class="totp-secret" data-testid="totp-secret">
            {setup.value.secret}
          </code>
        </p>
        <CodeField code={code.value} onInput={(v) => code.value = v} />
        <div class="dialog-row">
          <button
            type="submit"
            class="button primary small"
            data-testid="totp-enable"
            disabled={busy.value || code.value.trim() === ""}
          >
            {t("totp.enable")}
          </button>
        </div>
      </form>
    );
  } else if (!on) {
    body = (
      <form class="dialog-form" onSubmit={start}>
        <p class="dialog-note" data-testid="totp-state">{t("totp.isOff")}</p>
        <PasswordField
          password={password.value}
          onInput={(v) => password.value = v}
        />
        <div class="dialog-row">
          <button
            type="submit"
            class="button primary small"
            data-testid="totp-start"
            disabled={busy.value || password.value === ""}
          >
            {t("totp.start")}
          </button>
        </div>
      </form>
    );
  } else {
    const ready = !busy.value && password.value !== "" &&
      code.value.trim() !== "";
    body = (
      <form class="dialog-form" onSubmit={(e) => e.preventDefault()}>
        <p class="dialog-note" data-testid="totp-state">{t("totp.isOn")}</p>
        <p class="dialog-note">{t("totp.manage")}</p>
        <PasswordField
          password={password.value}
          onInput={(v) => password.value = v}
        />
        <CodeField
          code={code.value}
          recovery
          onInput={(v) => code.value = v}
        />
        <div class="dialog-row">
          <button
            type="button"
            class="button ghost small"
            data-testid="totp-new-codes"
            disabled={!ready}
            onClick={manage("totp_recovery_codes")}
          >
            {t("totp.newCodes")}
          </button>
          <button
            type="button"
            class="button danger small"
            data-testid="totp-disable"
            disabled={!ready}
            onClick={manage("totp_disable")}
          >
            {t("totp.disable")}
          </button>
        </div>
      </form>
    );
  }

  return (
    <Dialog
      title={t("totp.title")}
      testId="totp-dialog"
      onClose={props.onClose}
    >
      <p class="dialog-note">{t("totp.about")}</p>
      {body}
      <DialogStatus
        text={error.value}
        testId="totp-status"
      />
    </Dialog>
  );
}

function PasswordField(
  props: { password: string; onInput: (value: string) => void },
): JSX.Element {
  return (
    <>
      <label class="field-label" for="totp-password">
        {t("totp.password")}
      </label>
      <input
        id="totp-password"
        type="password"
        class="field"
        data-testid="totp-password"
        data-autofocus
        autocomplete="current-password"
        value={props.password}
        onInput={(e) => props.onInput(e.currentTarget.value)}
      />
    </>
  );
}

function CodeField(
  props: { code: string; recovery?: boolean; onInput: (v: string) => void },
): JSX.Element {
  return (
    <>
      <label class="field-label" for="totp-code">
        {props.recovery ? t("totp.codeOrRecovery") : t("totp.code")}
      </label>
      <input
        id="totp-code"
        class="field"
        data-testid="totp-code"
        data-autofocus={!props.recovery || undefined}
        autocomplete="one-time-code"
        inputMode={props.recovery ? "text" : "numeric"}
        spellcheck={false}
        maxLength={64}
        value={props.code}
        onInput={(e) => props.onInput(e.currentTarget.value)}
      />
    </>
  );
}
