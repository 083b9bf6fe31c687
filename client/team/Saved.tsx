/**
 * Saved messages (Slack's "Later"): the Save / Remove from saved action of
 * a message, and the panel that lists the account's saved messages from
 * the server (so those saved on another device are there); a click opens
 * the room or conversation at the message.
 */

import { useSignal } from "@preact/signals";
import type { JSX } from "preact";
import { useEffect, useRef } from "preact/hooks";
import type {
  ChatMessage,
  PrivateMessage,
} from "../../server/protocol/types.ts";
import * as actions from "../actions.ts";
import { type AppServices, useApp } from "../app_context.ts";
import { Dialog } from "../components/Dialog.tsx";
import type { SavedEntry } from "../connection/replies.ts";
import { formatDateTime, senderLabel } from "../format.ts";
import { t, tn } from "../i18n.ts";
import { plainText } from "../markup.ts";
import { entry } from "../state.ts";
import * as teamActions from "./actions.ts";
import { jumpTo, type Place } from "./api.ts";
import { BookmarkIcon } from "./icons.tsx";

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
      class="icon-button"
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

/** Where a saved message is, for this account. */
function placeOf(services: AppServices, message: SavedEntry["message"]): Place {
  if ("room" in message && typeof message.room === "string") {
    return { room: message.room };
  }
  const me = services.state.username.value;
  const { user, to } = message as PrivateMessage;
  return { with: user === me ? to : user };
}

/** The saved messages panel. */
export function SavedPanel(): JSX.Element {
  const services = useApp();
  const { state } = services;
  const list = useSignal<SavedEntry[] | null>(null);
  // The `before` of the next page; null after the last.
  const next = useSignal<string | null>(null);
  const busy = useSignal(false);
  const error = useSignal<string | null>(null);
  const live = useRef(true);
  const load = async (before: string | null) => {
    busy.value = true;
    const result = await services.connection.request("list_saved", {
      limit: PANEL_PAGE,
      ...(before === null ? {} : { before }),
    });
    if (!live.current) return;
    busy.value = false;
    error.value = result.ok ? null : result.error.message;
    if (!result.ok) return;
    if (!("saved" in result.data)) return;
    const { saved } = result.data;
    list.value = [...(list.value ?? []), ...saved];
    next.value = result.data.next;
    teamActions.savedNoted(
      state,
      Object.fromEntries(saved.map((s) => [s.id, true])),
    );
  };
  useEffect(() => {
    void load(null);
    return () => live.current = false;
  }, []);
  // One removed while the panel is open leaves it.
  const known = state.team.saved.value;
  const shown = (list.value ?? []).filter((s) =>
    known === null || entry(known, s.id) !== false
  );
  return (
    <Dialog
      title={t("saved.panel")}
      testId="saved-panel"
      size="wide"
      onClose={() => teamActions.savedToggled(state, false)}
    >
      {error.value && <p class="field-error" role="alert">{error.value}</p>}
      {list.value === null
        ? !error.value &&
          <p class="search-status" role="status">{t("pin.loading")}</p>
        : shown.length === 0 && next.value === null
        ? <p class="search-status" role="status">{t("saved.none")}</p>
        : (
          <ul class="search-results" data-testid="saved-list">
            {shown.map(({ id, message }) => (
              <li key={id}>
                <button
                  type="button"
                  class="search-result"
                  data-testid="saved-item"
                  onClick={() => {
                    teamActions.savedToggled(state, false);
                    void jumpTo(
                      services,
                      placeOf(services, message),
                      message.seq,
                    );
                  }}
                >
                  <span class="result-meta">
                    <span class="result-user">
                      {senderLabel(message.user, message.badge)}
                    </span>
                    <time dateTime={message.ts}>
                      {formatDateTime(message.ts)}
                    </time>
                  </span>
                  <span class="result-text">
                    {message.text !== ""
                      ? plainText(message.text)
                      : tn("reply.files", message.attachments?.length ?? 0)}
                  </span>
                </button>
              </li>
            ))}
          </ul>
        )}
      {next.value !== null && (
        <button
          type="button"
          class="button ghost search-more"
          data-testid="saved-more"
          disabled={busy.value}
          onClick={() => void load(next.value)}
        >
          {t("saved.more")}
        </button>
      )}
    </Dialog>
  );
}
