/**
 * The composer's "Poll" form (docs/protocol.md, "Polls"): a question,
 * two to ten options (a field each, one more offered while there is room)
 * and whether several may be chosen. Empty options are left out; the
 * server checks the rest and its refusal shows here.
 */
import { useSignal } from "@preact/signals";
import type { JSX } from "preact";
import {
  MAX_POLL_OPTION,
  MAX_POLL_OPTIONS,
  MAX_POLL_QUESTION,
  MIN_POLL_OPTIONS,
} from "../../server/protocol/limits.ts";
import { useApp } from "../app_context.ts";
import { errorWords } from "../connection/errors.ts";
import { t } from "../i18n.ts";
import { roomTitle } from "../state.ts";
import { Dialog } from "./Dialog.tsx";
import { DialogFooter, useDialogForm } from "./DialogFooter.tsx";

/** The poll form for `room`; `onClose` once sent or dismissed. */
export function PollDialog(
  props: { room: string; onClose: () => void },
): JSX.Element {
  const { state, connection } = useApp();
  const question = useSignal("");
  const options = useSignal(["", ""]);
  const multiple = useSignal(false);
  const form = useDialogForm(async () => {
    const texts = options.value.map((o) => o.trim()).filter((o) => o !== "");
    // What the form can tell before sending, in the reader's language: the
    // server's refusal says only "malformed" to one who does not read its
    // English (error_text.ts).
    if (question.value.trim() === "") return t("poll.noQuestion");
    if (new Set(texts.map((o) => o.toLowerCase())).size < MIN_POLL_OPTIONS) {
      return t("poll.fewOptions", { n: MIN_POLL_OPTIONS });
    }
    const refused = await connection.createPoll(props.room, {
      question: question.value,
      options: texts,
      multiple: multiple.value,
    });
    return refused ? errorWords(refused)() : null;
  }, props.onClose);
  const { busy, error } = form;
  function setOption(i: number, value: string): void {
    const next = options.value.map((o, j) => j === i ? value : o);
    // One empty field more while there is room: the next option's.
    if (next.every((o) => o !== "") && next.length < MAX_POLL_OPTIONS) {
      next.push("");
    }
    options.value = next;
    error.value = null;
  }
  return (
    <Dialog
      title={t("poll.formTitle", { room: roomTitle(state, props.room) })}
      testId="poll-dialog"
      onClose={props.onClose}
    >
      <form class="dialog-form" onSubmit={(e) => void form.submit(e)}>
        <label class="field-label" for="poll-question">
          {t("poll.question")}
        </label>
        <input
          id="poll-question"
          class="field"
          data-testid="poll-question-input"
          data-autofocus
          maxLength={MAX_POLL_QUESTION * 2}
          value={question.value}
          disabled={busy.value}
          onInput={(e) => {
            question.value = e.currentTarget.value;
            error.value = null;
          }}
        />
        <fieldset class="poll-fields">
          <legend class="field-label">{t("poll.options")}</legend>
          {options.value.map((option, i) => (
            <input
              key={i}
              class="field"
              data-testid="poll-option-input"
              aria-label={t("poll.option", { n: i + 1 })}
              maxLength={MAX_POLL_OPTION * 2}
              value={option}
              disabled={busy.value}
              onInput={(e) => setOption(i, e.currentTarget.value)}
            />
          ))}
        </fieldset>
        <label class="check-label">
          <input
            type="checkbox"
            data-testid="poll-multiple"
            checked={multiple.value}
            disabled={busy.value}
            onChange={(e) => multiple.value = e.currentTarget.checked}
          />
          {t("poll.allowMultiple")}
        </label>
        <DialogFooter
          form={form}
          submit={t("poll.send")}
          cancel={t("poll.cancel")}
          onCancel={props.onClose}
          testIds={{ status: "poll-status", submit: "poll-send" }}
        />
      </form>
    </Dialog>
  );
}
