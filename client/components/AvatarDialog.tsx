/**
 * The Profile picture dialog, opened from the account menu: choose an
 * image, see it as others will (round, as every avatar), save it, or
 * remove the one set. `PUT` and `DELETE /api/me/avatar`; every page hears
 * of the change (`avatar_updated`), this one too.
 */

import { useSignal } from "@preact/signals";
import type { JSX } from "preact";
import { MAX_AVATAR_BYTES } from "../../server/protocol/limits.ts";
import { nameKey } from "../../server/protocol/names.ts";
import * as actions from "../actions.ts";
import { useApp } from "../app_context.ts";
import { errorText } from "../error_text.ts";
import { IMAGE_ACCEPT, useImageChoice } from "../image_choice.ts";
import { t } from "../i18n.ts";
import { Avatar } from "./Avatar.tsx";
import { Dialog } from "./Dialog.tsx";
import { DialogStatus } from "./DialogFooter.tsx";

/** The Profile picture dialog; `onClose` once dismissed. */
export function AvatarDialog(props: { onClose: () => void }): JSX.Element {
  const { state } = useApp();
  const me = state.username.value ?? "";
  const busy = useSignal(false);
  const { chosen, preview, error, choose } = useImageChoice(
    MAX_AVATAR_BYTES,
    () => t("avatar.tooLarge"),
  );
  const hasOne = typeof state.avatars.value[nameKey(me)] === "string";

  async function send(method: "PUT" | "DELETE"): Promise<void> {
    const file = chosen.value;
    busy.value = true;
    error.value = null;
    let response: Response;
    try {
      response = await fetch("/api/me/avatar", {
        method,
        credentials: "same-origin",
        headers: method === "PUT" && file
          ? { "content-type": file.type }
          : undefined,
        body: method === "PUT" ? file : undefined,
      });
    } catch {
      busy.value = false;
      error.value = t("error.unreachable");
      return;
    }
    let body: Record<string, unknown> = {};
    try {
      if (response.status !== 204) body = await response.json();
    } catch {
      // Judged by the status alone.
    }
    busy.value = false;
    if (!response.ok) {
      error.value = typeof body.error === "string"
        ? errorText(body.error, body)
        : t("avatar.failed", { status: response.status });
      return;
    }
    actions.avatarSeen(
      state,
      me,
      typeof body.avatar === "string" ? body.avatar : null,
    );
    props.onClose();
  }

  return (
    <Dialog
      title={t("avatar.title")}
      testId="avatar-dialog"
      onClose={props.onClose}
    >
      <div class="avatar-choice">
        {preview.value
          ? (
            <img
              class="avatar-preview"
              src={preview.value}
              alt={t("avatar.preview")}
              data-testid="avatar-preview"
            />
          )
          : <Avatar name={me} />}
        <label class="button ghost small">
          {t("avatar.choose")}
          <input
            type="file"
            class="sr-only"
            accept={IMAGE_ACCEPT}
            data-testid="avatar-file"
            disabled={busy.value}
            onChange={(e) => choose(e.currentTarget.files?.[0])}
          />
        </label>
      </div>
      <p class="dialog-note">{t("avatar.hint")}</p>
      <div class="dialog-row">
        <button
          type="button"
          class="button primary small"
          data-testid="avatar-save"
          disabled={busy.value || !chosen.value}
          onClick={() => void send("PUT")}
        >
          {t("avatar.save")}
        </button>
        {hasOne && (
          <button
            type="button"
            class="button ghost small"
            data-testid="avatar-remove"
            disabled={busy.value}
            onClick={() => void send("DELETE")}
          >
            {t("avatar.remove")}
          </button>
        )}
        <button
          type="button"
          class="button ghost small"
          onClick={props.onClose}
        >
          {t("avatar.cancel")}
        </button>
      </div>
      <DialogStatus
        text={error.value}
        testId="avatar-error"
      />
    </Dialog>
  );
}
