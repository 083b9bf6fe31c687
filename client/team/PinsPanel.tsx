/** The pinned messages of the room or conversation on screen; a click jumps to one. */

import { useSignal } from "@preact/signals";
import type { JSX } from "preact";
import { useEffect } from "preact/hooks";
import type {
  ChatMessage,
  PrivateMessage,
} from "../../server/protocol/types.ts";
import { useApp } from "../app_context.ts";
import { Dialog } from "../components/Dialog.tsx";
import { formatDateTime, senderLabel } from "../format.ts";
import { plainText } from "../markup.ts";
import { t, tn } from "../i18n.ts";
import { roomTitle } from "../state.ts";
import * as teamActions from "./actions.ts";
import { jumpTo, listPins, shownPlace } from "./api.ts";

/** The pins panel. */
export function PinsPanel(): JSX.Element {
  const services = useApp();
  const { state } = services;
  const place = shownPlace(state);
  const pins = useSignal<(ChatMessage | PrivateMessage)[] | null>(null);
  const error = useSignal<string | null>(null);
  const key = state.viewKey.value;
  useEffect(() => {
    let live = true;
    void listPins(services, place).then((result) => {
      if (!live) return;
      if (result.ok) pins.value = result.data;
      else error.value = result.error.message;
    });
    return () => live = false;
  }, [key]);
  // A message unpinned (or deleted) while the panel is open leaves it.
  const held = state.currentLog.value?.messages ?? [];
  const shown = (pins.value ?? []).filter((pin) => {
    const copy = held.find((m) => m.seq === pin.seq);
    return copy === undefined || (copy.pinned === true && !copy.deleted);
  });
  const title = "with" in place
    ? `@${place.with}`
    : roomTitle(state, place.room);
  return (
    <Dialog
      title={t("pin.panel", { where: title })}
      testId="pins-panel"
      size="wide"
      onClose={() => teamActions.pinsToggled(state, false)}
    >
      {error.value
        ? <p class="field-error" role="alert">{error.value}</p>
        : pins.value === null
        ? <p class="search-status" role="status">{t("pin.loading")}</p>
        : shown.length === 0
        ? <p class="search-status" role="status">{t("pin.none")}</p>
        : (
          <ul class="search-results" data-testid="pins-list">
            {shown.map((pin) => (
              <li key={pin.id}>
                <button
                  type="button"
                  class="search-result"
                  data-testid="pin-item"
                  onClick={() => {
                    teamActions.pinsToggled(state, false);
                    void jumpTo(services, place, pin.seq);
                  }}
                >
                  <span class="result-meta">
                    <span class="result-user">
                      {senderLabel(pin.user, pin.badge)}
                    </span>
                    <time dateTime={pin.ts}>{formatDateTime(pin.ts)}</time>
                  </span>
                  <span class="result-text">
                    {pin.text !== ""
                      ? plainText(pin.text)
                      : tn("reply.files", pin.attachments?.length ?? 0)}
                  </span>
                </button>
              </li>
            ))}
          </ul>
        )}
    </Dialog>
  );
}
