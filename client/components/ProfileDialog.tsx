/**
 * The user menu's "Profile…": one's title and time zone (set_profile). It
 * reads the account's card as it opens; a time zone never set is
 * offered as the browser's own, and "None" clears it for good (the card
 * says "" then).
 */

import { useSignal } from "@preact/signals";
import type { JSX } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { MAX_PROFILE_TITLE } from "../../server/protocol/profiles.ts";
import { useApp } from "../app_context.ts";
import { lang, t } from "../i18n.ts";
import { timeZones } from "../profile_time.ts";
import { Dialog } from "./Dialog.tsx";
import { DialogFooter, useDialogForm } from "./DialogFooter.tsx";
import { useFocusAfterRender } from "../use_dismiss.ts";

/** The profile dialog; `onClose` once saved or dismissed. */
export function ProfileDialog(props: { onClose: () => void }): JSX.Element {
  const { state, connection } = useApp();
  const zones = timeZones();
  const title = useSignal("");
  const zone = useSignal(zones.own);
  // Shown only when the server sends mail (login's `email`).
  const mail = state.email.value;
  const address = useSignal(mail?.address ?? "");
  // Missed-message mails: on or off, and in this page's language, sent
  // only when either differs from what the server keeps.
  const missed = state.missedMail.value;
  const missedOn = useSignal(missed?.enabled ?? true);
  const form = useDialogForm(
    async () => {
      const refused = await connection.setProfile({
        title: title.value,
        timezone: zone.value,
      });
      if (refused) return refused.message;
      // A link is mailed only when the address changed: saving the title
      // again sends nothing.
      const typed = address.value.trim();
      if (mail && typed !== (state.email.value?.address ?? "")) {
        const failed = await connection.setEmail(typed === "" ? null : typed);
        if (failed) return failed.message;
      }
      const kept = state.missedMail.value;
      if (
        kept &&
        (kept.enabled !== missedOn.value || kept.language !== lang.value)
      ) {
        const failed = await connection.setMissedMail({
          enabled: missedOn.value,
          language: lang.value,
        });
        if (failed) return failed.message;
      }
      return null;
    },
    props.onClose,
    { busy: true },
  );
  const { busy, error } = form;
  const root = useRef<HTMLFormElement>(null);
  // The dialog's first focus met the title field disabled (the card is
  // read first) and missed it: the keyboard stayed on the user menu's
  // button, behind the dialog. The field takes it once enabled.
  const focusAfter = useFocusAfterRender(root);
  useEffect(() => {
    let live = true;
    void connection.getProfile(state.username.value ?? "").then((result) => {
      if (!live) return;
      busy.value = false;
      focusAfter("#profile-title");
      if (!result.ok) {
        error.value = result.error.message;
        return;
      }
      title.value = result.data.title ?? "";
      // "" is "None" saved: kept, not the browser's zone offered again
      // (the next save of a title published the zone cleared).
      if (result.data.timezone !== undefined) {
        zone.value = result.data.timezone;
      }
    });
    return () => {
      live = false;
    };
  }, []);
  // A zone this browser does not list (set elsewhere) is offered too;
  // "" is "None", offered already.
  const all = zone.value === "" || zones.all.includes(zone.value)
    ? zones.all
    : [zone.value, ...zones.all];
  return (
    <Dialog
      title={t("profile.settingsTitle")}
      testId="profile-dialog"
      onClose={props.onClose}
    >
      <form
        ref={root}
        class="dialog-form"
        onSubmit={(e) => void form.submit(e)}
      >
        <label class="field-label" for="profile-title">
          {t("profile.titleLabel")}
        </label>
        <input
          id="profile-title"
          class="field"
          data-testid="profile-title-input"
          data-autofocus
          // Code points past the limit are the server's to refuse; a
          // field's maxLength counts UTF-16 units, so it allows for pairs.
          maxLength={MAX_PROFILE_TITLE * 2}
          placeholder={t("profile.titleHint")}
          value={title.value}
          disabled={busy.value}
          onInput={(e) => {
            title.value = e.currentTarget.value;
            error.value = null;
          }}
        />
        <label class="field-label" for="profile-zone">
          {t("profile.zoneLabel")}
        </label>
        <select
          id="profile-zone"
          class="field"
          data-testid="profile-zone"
          value={zone.value}
          disabled={busy.value}
          onChange={(e) => {
            zone.value = e.currentTarget.value;
            error.value = null;
          }}
        >
          <option value="">{t("profile.noZone")}</option>
          {all.map((name) => <option key={name} value={name}>{name}</option>)}
        </select>
        {mail && (
          <>
            <label class="field-label" for="profile-email">
              {t("profile.emailLabel")}
            </label>
            <input
              id="profile-email"
              type="email"
              class="field"
              data-testid="profile-email-input"
              autoComplete="email"
              maxLength={254}
              placeholder={t("profile.emailHint")}
              value={address.value}
              disabled={busy.value}
              onInput={(e) => {
                address.value = e.currentTarget.value;
                error.value = null;
              }}
            />
            {mail.address !== null && (
              <p class="dialog-note" data-testid="profile-email-state">
                {mail.verified
                  ? t("profile.emailVerified")
                  : t("profile.emailUnverified")}
              </p>
            )}
            {missed && (
              <label class="check-label">
                <input
                  type="checkbox"
                  data-testid="profile-missed-mail"
                  checked={missedOn.value}
                  disabled={busy.value}
                  onChange={(e) => {
                    missedOn.value = e.currentTarget.checked;
                    error.value = null;
                  }}
                />
                {t("profile.missedMail")}
              </label>
            )}
          </>
        )}
        <DialogFooter
          form={form}
          submit={t("profile.save")}
          cancel={t("profile.cancel")}
          onCancel={props.onClose}
          testIds={{ status: "profile-dialog-status", submit: "profile-save" }}
        />
      </form>
    </Dialog>
  );
}
