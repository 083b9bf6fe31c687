/**
 * The invite dialog of a room: add an account by name (any member), and
 * for the room's owner and moderators, invite links with an optional
 * number of uses and expiry, to copy, list and revoke.
 */

import { useSignal } from "@preact/signals";
import type { JSX } from "preact";
import { useEffect, useRef } from "preact/hooks";
import type { InviteInfo } from "../../server/protocol/types.ts";
import { MAX_NAME_LENGTH } from "../../server/protocol/limits.ts";
import * as actions from "../actions.ts";
import { useApp } from "../app_context.ts";
import { formatDateTime } from "../format.ts";
import { type MessageKey, t } from "../i18n.ts";
import { inviteLink } from "../invite_link.ts";
import { entry, roomKey, roomTitle } from "../state.ts";
import { Dialog } from "./Dialog.tsx";
import { DialogStatus } from "./DialogFooter.tsx";

/** Choices of "Uses": 0 means no limit. */
const USES = [0, 1, 5, 10, 25, 100];
/** Choices of "Expires after", in seconds: 0 means never. */
const EXPIRY: { seconds: number; label: MessageKey }[] = [
  { seconds: 0, label: "invite.never" },
  { seconds: 3600, label: "invite.hour" },
  { seconds: 86_400, label: "invite.day" },
  { seconds: 7 * 86_400, label: "invite.week" },
];

/** The dialog for the current room. */
export function InviteDialog(): JSX.Element {
  const { state } = useApp();
  const room = state.currentRoom.value;
  const manages = entry(state.manages.value, roomKey(room)) === true;
  return (
    <Dialog
      title={t("invite.title", { room: roomTitle(state, room) })}
      testId="invite-dialog"
      onClose={() => actions.inviteDialogToggled(state, false)}
    >
      <AddByName room={room} />
      <h3 class="dialog-section">{t("invite.links")}</h3>
      {manages
        ? <InviteLinks room={room} />
        : <p class="dialog-note">{t("invite.managersOnly")}</p>}
    </Dialog>
  );
}

/** "Add someone by name": the server adds the account at once. */
function AddByName(props: { room: string }): JSX.Element {
  const { state, connection } = useApp();
  const name = useSignal("");
  const busy = useSignal(false);
  const outcome = useSignal<{ ok: boolean; text: string } | null>(null);
  const field = useRef<HTMLInputElement>(null);
  async function submit(event: Event): Promise<void> {
    event.preventDefault();
    const user = name.value.trim().replace(/^@/, "");
    if (user === "" || busy.value) return;
    busy.value = true;
    const error = await connection.invite(props.room, user);
    busy.value = false;
    // Back in the field for the next name, or to fix this one: the button
    // clicked lost the focus as it was disabled.
    field.current?.focus();
    outcome.value = error ? { ok: false, text: error.message } : {
      ok: true,
      text: t("invite.added", {
        user,
        room: roomTitle(state, props.room),
      }),
    };
    if (!error) name.value = "";
  }
  return (
    <form class="dialog-form" onSubmit={(e) => void submit(e)}>
      <label class="field-label" for="invite-user">{t("invite.byName")}</label>
      <div class="dialog-row">
        <input
          id="invite-user"
          ref={field}
          class="field small"
          data-testid="invite-user"
          data-autofocus
          autocomplete="off"
          autocapitalize="off"
          spellcheck={false}
          maxLength={MAX_NAME_LENGTH + 1}
          placeholder={t("invite.name")}
          value={name.value}
          // Read-only, not disabled, while the server answers: a disabled
          // field drops the focus to the page's body.
          readOnly={busy.value}
          onInput={(e) => {
            name.value = e.currentTarget.value;
            outcome.value = null;
          }}
        />
        <button
          type="submit"
          class="button primary small"
          data-testid="invite-add"
          disabled={busy.value || name.value.trim() === ""}
        >
          {t("invite.add")}
        </button>
      </div>
      <DialogStatus
        text={outcome.value?.text ?? null}
        error={outcome.value?.ok === false}
        testId="invite-status"
      />
    </form>
  );
}

/** The room's links: a form to make one, then each link to copy or revoke. */
function InviteLinks(props: { room: string }): JSX.Element {
  const { state, connection } = useApp();
  // Someone came in, maybe through a link, whose use count then changed:
  // the server sends no event for a use, a join is what one looks like from
  // here. Each join costs one list_invites, and only while a manager has
  // this dialog open.
  const joins = state.roomJoins.value;
  const links = useSignal<InviteInfo[] | null>(null);
  const uses = useSignal(0);
  const expiry = useSignal(0);
  const busy = useSignal(false);
  const error = useSignal<string | null>(null);

  async function load(): Promise<void> {
    const result = await connection.listInvites(props.room);
    if (result.ok) links.value = [...result.data].reverse();
    else error.value = result.error.message;
  }
  useEffect(() => {
    void load();
  }, [props.room, joins]);

  async function create(event: Event): Promise<void> {
    event.preventDefault();
    busy.value = true;
    const limits: { max_uses?: number; expires_in_s?: number } = {};
    if (uses.value > 0) limits.max_uses = uses.value;
    if (expiry.value > 0) limits.expires_in_s = expiry.value;
    const result = await connection.createInvite(props.room, limits);
    busy.value = false;
    if (!result.ok) {
      error.value = result.error.message;
      return;
    }
    error.value = null;
    links.value = [result.data, ...(links.value ?? [])];
  }

  async function revoke(code: string): Promise<void> {
    const failure = await connection.revokeInvite(code);
    if (failure) error.value = failure.message;
    else links.value = (links.value ?? []).filter((l) => l.code !== code);
  }

  return (
    <div class="invite-links">
      <form class="dialog-row wrap" onSubmit={(e) => void create(e)}>
        <label class="inline-field">
          <span class="field-label">{t("invite.maxUses")}</span>
          <select
            class="field small"
            data-testid="invite-uses"
            value={String(uses.value)}
            onChange={(e) => uses.value = Number(e.currentTarget.value)}
          >
            {USES.map((n) => (
              <option key={n} value={String(n)}>
                {n === 0 ? t("invite.unlimited") : String(n)}
              </option>
            ))}
          </select>
        </label>
        <label class="inline-field">
          <span class="field-label">{t("invite.expires")}</span>
          <select
            class="field small"
            data-testid="invite-expiry"
            value={String(expiry.value)}
            onChange={(e) => expiry.value = Number(e.currentTarget.value)}
          >
            {EXPIRY.map((option) => (
              <option key={option.seconds} value={String(option.seconds)}>
                {t(option.label)}
              </option>
            ))}
          </select>
        </label>
        <button
          type="submit"
          class="button primary small"
          data-testid="invite-create"
          disabled={busy.value}
        >
          {t("invite.create")}
        </button>
      </form>
      {error.value && (
        <p class="field-error" role="alert" data-testid="invite-error">
          {error.value}
        </p>
      )}
      {links.value !== null && links.value.length === 0 && (
        <p class="dialog-note">{t("invite.none")}</p>
      )}
      <ul class="invite-list" data-testid="invite-list">
        {(links.value ?? []).map((link) => (
          <InviteRow
            key={link.code}
            link={link}
            onRevoke={() => void revoke(link.code)}
          />
        ))}
      </ul>
    </div>
  );
}

/** One link: its address, how it is limited, Copy and Revoke. */
function InviteRow(
  props: { link: InviteInfo; onRevoke: () => void },
): JSX.Element {
  const { link } = props;
  const copied = useSignal<"no" | "yes" | "failed">("no");
  const address = inviteLink(link, location.origin);
  const id = `invite-${link.code}`;
  const meta = [
    link.max_uses === undefined
      ? t("invite.usesNoMax", { uses: link.uses })
      : t("invite.uses", { uses: link.uses, max: link.max_uses }),
  ];
  if (link.expires_at) {
    meta.push(t("invite.expiresAt", { date: formatDateTime(link.expires_at) }));
  }
  async function copy(): Promise<void> {
    try {
      await navigator.clipboard.writeText(address);
      copied.value = "yes";
    } catch {
      // No clipboard (an insecure origin, a refusal): select it for the user.
      const field = document.getElementById(id) as HTMLInputElement | null;
      field?.focus();
      field?.select();
      copied.value = "failed";
    }
  }
  return (
    <li class="invite-row" data-testid="invite-row" data-code={link.code}>
      <label class="sr-only" for={id}>{t("invite.link")}</label>
      <input
        id={id}
        class="field small invite-url"
        data-testid="invite-url"
        readOnly
        value={address}
        onFocus={(e) => e.currentTarget.select()}
      />
      <div class="invite-actions">
        <span class="invite-meta">{meta.join(" · ")}</span>
        <button
          type="button"
          class="button ghost small"
          data-testid="invite-copy"
          onClick={() => void copy()}
        >
          {copied.value === "yes" ? t("invite.copied") : t("invite.copy")}
        </button>
        <button
          type="button"
          class="button ghost small danger-text"
          data-testid="invite-revoke"
          onClick={props.onRevoke}
        >
          {t("invite.revoke")}
        </button>
      </div>
      {copied.value === "failed" && (
        <p class="dialog-note" role="status">{t("invite.copyFailed")}</p>
      )}
    </li>
  );
}
