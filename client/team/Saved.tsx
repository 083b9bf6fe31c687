/**
 * Saved messages (Slack's "Later"): the Save / Remove from saved action of
 * a message, and the panel that lists the account's saved messages from
 * the server (so those saved on another device are there); a click opens
 * the room or conversation at the message.
 */

import type { JSX } from "preact";
import type {
  ChatMessage,
  PrivateMessage,
} from "../../server/protocol/types.ts";
import * as actions from "../actions.ts";
import { useEffect } from "preact/hooks";
import { useApp } from "../app_context.ts";
import type { SavedEntry } from "../connection/replies.ts";
import { formatDateTime, senderLabel } from "../format.ts";
import { t, tn } from "../i18n.ts";
import { plainText } from "../markup.ts";
import { entry } from "../state.ts";
import * as teamActions from "./actions.ts";
import { BookmarkIcon } from "./icons.tsx";
import { jumpTo } from "./api.ts";
import {
  ListedMessagesPanel,
  placeOf,
  usePagedList,
} from "./listed_messages.tsx";
import { RemindButton } from "./Remind.tsx";

/** Saved messages the panel lists a click: the server's largest page. */
const PANEL_PAGE = 100;

/**
 * The Save or Remove from saved action of a message (accounts only);
 * disabled until the login's read of the saved ids tells which it is.
 */
export function SaveButton(
  props: { message: ChatMessage | PrivateMessage },
): JSX.Element {
  const { state, connection } = useApp();
  const { id } = props.message;
  const known = state.team.saved.value;
  const saved = known !== null && entry(known, id) === true;
  const [label, title] = known === null
    ? [t("saved.waiting"), t("saved.waiting")]
    : saved
    ? [t("saved.undoLabel"), t("saved.undo")]
    : [t("saved.label"), t("saved.action")];
  return (
    <button
      type="button"
      class={`msg-action${saved ? " on" : ""}`}
      data-testid="message-save"
      aria-label={label}
      title={title}
      aria-pressed={known === null ? undefined : saved}
      disabled={known === null}
      onClick={async () => {
        actions.errorShown(state, await connection.setSaved(id, !saved));
      }}
    >
      <BookmarkIcon />
    </button>
  );
}

/** The header's button that opens the saved messages panel. */
export function SavedOpenButton(): JSX.Element {
  const { state } = useApp();
  return (
    <button
      type="button"
      class="icon-button header-more"
      data-testid="saved-open"
      aria-label={t("saved.open")}
      title={t("saved.open")}
      aria-haspopup="dialog"
      onClick={() => teamActions.savedToggled(state, true)}
    >
      <BookmarkIcon />
    </button>
  );
}

/**
 * The reminders that came due while the page was open, atop the panel: a
 * line each, which opens its message, and a button to dismiss it.
 */
function ReminderLines(): JSX.Element | null {
  const services = useApp();
  const { state } = services;
  const reminders = state.team.reminders.value;
  if (reminders.length === 0) return null;
  return (
    <ul class="reminder-lines" data-testid="reminder-lines">
      {reminders.map(({ id, message }) => (
        <li key={id} class="reminder-line" data-testid="reminder-line">
          <button
            type="button"
            class="search-result"
            onClick={() => {
              teamActions.reminderDismissed(state, id);
              teamActions.savedToggled(state, false);
              void jumpTo(services, placeOf(services, message), message.seq);
            }}
          >
            {t("reminder.line", {
              user: senderLabel(message.user, message.badge),
              text: message.text !== ""
                ? plainText(message.text)
                : tn("reply.files", message.attachments?.length ?? 0),
            })}
          </button>
          <button
            type="button"
            class="icon-button"
            aria-label={t("reminder.dismiss")}
            title={t("reminder.dismiss")}
            onClick={() =>
              teamActions.reminderDismissed(state, id)}
          >
            ×
          </button>
        </li>
      ))}
    </ul>
  );
}

/** A saved entry without its reminder. */
function unreminded(saved: SavedEntry): SavedEntry {
  const { remind_at: _was, ...rest } = saved;
  return rest;
}

/** The saved messages panel. */
export function SavedPanel(): JSX.Element {
  const services = useApp();
  const { state } = services;
  const paged = usePagedList<SavedEntry>(async (before) => {
    const result = await services.connection.request("list_saved", {
      limit: PANEL_PAGE,
      ...(before === null ? {} : { before }),
    });
    if (!result.ok) return result;
    const saved = "saved" in result.data ? result.data.saved : [];
    teamActions.savedNoted(
      state,
      Object.fromEntries(saved.map((s) => [s.id, true])),
    );
    const after = "saved" in result.data ? result.data.next : null;
    return { ok: true, data: { items: saved, next: after } };
  });
  // One removed while the panel is open leaves it.
  const known = state.team.saved.value;
  const shown = (paged.list.value ?? []).filter((s) =>
    known === null || entry(known, s.id) !== false
  );
  // A reminder set, cleared or fired while the panel is open, on this
  // device or another, shows at once.
  const change = state.team.reminderChange.value;
  useEffect(() => {
    const list = paged.list.value;
    if (change === null || list === null) return;
    const { id, remindAt } = change;
    paged.list.value = list.map((s) =>
      s.id !== id
        ? s
        : remindAt === null
        ? unreminded(s)
        : { ...s, remind_at: remindAt }
    );
  }, [change]);
  return (
    <ListedMessagesPanel
      name="saved"
      title={t("saved.panel")}
      paged={paged}
      messages={shown.map((s) => s.message)}
      none={t("saved.none")}
      more={t("saved.more")}
      onClose={() => teamActions.savedToggled(state, false)}
      header={<ReminderLines />}
      extra={(index) => {
        const { id, remind_at } = shown[index];
        return (
          <span class="saved-remind">
            {remind_at !== undefined &&
              (
                <time dateTime={remind_at} data-testid="saved-remind-at">
                  {t("remind.due", { when: formatDateTime(remind_at) })}
                </time>
              )}
            <RemindButton
              id={id}
              clearable={remind_at !== undefined}
            />
          </span>
        );
      }}
    />
  );
}
