/**
 * Someone's profile card, opened from an author's name or a member:
 * picture, name, role, status, title, the person's local time when their
 * profile names a time zone, and "Message" and "Mention" for others. Read
 * from the server as it opens (get_profile); a name the server does not
 * show gets its refusal in the card.
 */

import { useSignal } from "@preact/signals";
import type { JSX } from "preact";
import { useEffect } from "preact/hooks";
import type { Profile } from "../../server/protocol/types.ts";
import { nameKey } from "../../server/protocol/names.ts";
import * as actions from "../actions.ts";
import { useApp } from "../app_context.ts";
import { t } from "../i18n.ts";
import { localTime } from "../profile_time.ts";
import { entry } from "../state.ts";
import { statusShown } from "../status.ts";
import { Avatar } from "./Avatar.tsx";
import { Dialog } from "./Dialog.tsx";
import { RoleBadge } from "./RoleBadge.tsx";
import { StatusMark } from "./StatusMark.tsx";

/** The open card, if any: mounted once by the chat screen. */
export function ProfileCard(): JSX.Element | null {
  const { state } = useApp();
  const name = state.profileCard.value;
  // Keyed by name: another name's card starts afresh.
  return name === null ? null : <Card key={nameKey(name)} name={name} />;
}

function Card({ name }: { name: string }): JSX.Element {
  const { state, connection } = useApp();
  const profile = useSignal<Profile | null>(null);
  const error = useSignal<string | null>(null);
  useEffect(() => {
    let live = true;
    void connection.getProfile(name).then((result) => {
      if (!live) return;
      if (result.ok) profile.value = result.data;
      else error.value = result.error.message;
    });
    return () => {
      live = false;
    };
  }, [name]);
  const close = () => actions.profileCardChanged(state, null);
  const card = profile.value;
  const self = nameKey(name) === nameKey(state.username.value ?? "");
  const status = card ? statusShown(card.status, Date.now()) : null;
  const time = card?.timezone ? localTime(card.timezone, Date.now()) : null;

  function mention(): void {
    close();
    const key = state.viewKey.value;
    const draft = entry(state.drafts.value, key) ?? "";
    const text = `${draft}${draft === "" || draft.endsWith(" ") ? "" : " "}@${
      card?.name ?? name
    } `;
    // As typed: the account's other devices get it, and a reload keeps it.
    actions.draftChanged(state, { key, text });
    connection.draftTyped(text);
    // After the dialog gives the focus back where it was.
    setTimeout(() =>
      document.querySelector<HTMLTextAreaElement>('[data-testid="composer"]')
        ?.focus()
    );
  }

  return (
    <Dialog
      title={t("profile.cardTitle", { name: card?.name ?? name })}
      testId="profile-card"
      onClose={close}
    >
      <div class="profile-card">
        <div class="profile-head">
          <Avatar name={card?.name ?? name} />
          <div class="profile-names">
            <span class="profile-name" data-testid="profile-name">
              {card?.name ?? name}
            </span>
            {card && <RoleBadge role={card.role} />}
          </div>
        </div>
        {error.value && (
          <p class="dialog-status error" role="status">{error.value}</p>
        )}
        {!card && !error.value && (
          <p class="dialog-note" role="status">{t("profile.loading")}</p>
        )}
        {status && (
          <p class="profile-status" data-testid="profile-status">
            <StatusMark status={status} />
          </p>
        )}
        {card?.title && (
          <p class="profile-title" data-testid="profile-title">{card.title}</p>
        )}
        {time && (
          <p class="profile-time" data-testid="profile-time">
            {t("profile.localTime", time)}
          </p>
        )}
        {card && !self && (
          <div class="dialog-row">
            <button
              type="button"
              class="button primary small"
              data-testid="profile-message"
              data-autofocus
              onClick={() => {
                close();
                void connection.openConversation(card.name);
              }}
            >
              {t("profile.message")}
            </button>
            <button
              type="button"
              class="button ghost small"
              data-testid="profile-mention"
              onClick={mention}
            >
              {t("profile.mention")}
            </button>
          </div>
        )}
      </div>
    </Dialog>
  );
}
