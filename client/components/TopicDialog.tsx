/**
 * The dialog that sets a room's topic, opened from the room's menu: one
 * line, trimmed by the server, empty to clear it. The server says who may
 * (its refusal shows here); the room list that follows shows the topic.
 */

import { useSignal } from "@preact/signals";
import type { JSX } from "preact";
import { MAX_TOPIC_LENGTH } from "../../server/protocol/limits.ts";
import { useApp } from "../app_context.ts";
import { t } from "../i18n.ts";
import { roomTitle, roomTopic } from "../state.ts";
import { Dialog } from "./Dialog.tsx";
import { DialogFooter, useDialogForm } from "./DialogFooter.tsx";

/** The topic dialog of `room`; `onClose` once saved or dismissed. */
export function TopicDialog(
  props: { room: string; onClose: () => void },
): JSX.Element {
  const { state, connection } = useApp();
  const text = useSignal(roomTopic(state, props.room) ?? "");
  const form = useDialogForm(
    async () =>
      (await connection.setTopic(props.room, text.value))?.message ?? null,
    props.onClose,
  );
  const { busy, error } = form;
  return (
    <Dialog
      title={t("header.topicTitle", { room: roomTitle(state, props.room) })}
      testId="topic-dialog"
      onClose={props.onClose}
    >
      <form class="dialog-form" onSubmit={(e) => void form.submit(e)}>
        <label class="field-label" for="topic-text">{t("header.topic")}</label>
        <input
          id="topic-text"
          class="field"
          data-testid="topic-input"
          data-autofocus
          // Code points past the limit are the server's to refuse; a
          // field's maxLength counts UTF-16 units, so it allows for pairs.
          maxLength={MAX_TOPIC_LENGTH * 2}
          value={text.value}
          disabled={busy.value}
          onInput={(e) => {
            text.value = e.currentTarget.value;
            error.value = null;
          }}
        />
        <p class="dialog-note">
          {t("header.topicHint", { n: MAX_TOPIC_LENGTH })}
        </p>
        <DialogFooter
          form={form}
          submit={t("header.topicSave")}
          cancel={t("header.topicCancel")}
          onCancel={props.onClose}
          testIds={{ status: "topic-status", submit: "topic-save" }}
        />
      </form>
    </Dialog>
  );
}
