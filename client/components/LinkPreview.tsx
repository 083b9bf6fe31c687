/**
 * A message link to a public room the account is not in (`/#/room/<room>/
 * <seq>`, client/message_link.ts): the room's name, topic and member count
 * and the message, with a Join button, as Slack shows a channel one is not
 * in before joining it. Following the link joined the room at once: the
 * room's members saw the reader come in for a glance at one message.
 */

import type { JSX } from "preact";
import * as actions from "../actions.ts";
import { useApp } from "../app_context.ts";
import { t, tn } from "../i18n.ts";
import { jumpTo } from "../team/api.ts";
import { Dialog } from "./Dialog.tsx";

/** The preview, while one is open. */
export function LinkPreview(): JSX.Element | null {
  const services = useApp();
  const { state } = services;
  const preview = state.linkPreview.value;
  if (preview === null) return null;
  const { room, seq, message } = preview;
  const close = () => actions.linkPreviewChanged(state, null);
  return (
    <Dialog
      title={t("linkPreview.title", { room: room.name })}
      testId="link-preview"
      onClose={close}
    >
      <div class="dialog-form">
        {room.topic !== undefined && (
          <p class="dialog-note" data-testid="link-preview-topic">
            {room.topic}
          </p>
        )}
        <p class="dialog-note" data-testid="link-preview-members">
          {tn("linkPreview.members", room.users)}
        </p>
        <blockquote
          class="link-preview-message"
          data-testid="link-preview-message"
        >
          {message === null ? t("linkPreview.gone") : (
            <>
              <strong>{message.user}</strong> {message.text}
            </>
          )}
        </blockquote>
        <div class="dialog-row">
          <button
            type="button"
            class="button primary small"
            data-testid="link-preview-join"
            data-autofocus
            onClick={() => {
              close();
              void jumpTo(services, { room: room.name }, seq);
            }}
          >
            {t("linkPreview.join")}
          </button>
          <button type="button" class="button ghost small" onClick={close}>
            {t("header.topicCancel")}
          </button>
        </div>
      </div>
    </Dialog>
  );
}
